"""Users, passwords and API tokens.

Passwords are hashed with argon2id. API tokens are long random strings shown once; only
their SHA-256 is stored (a fast hash is right for 256-bit random secrets, and lets a token
be found by its hash in one indexed lookup). Functions here flush, never commit.
"""

import contextlib
import functools
import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from geodata.models import ApiToken, AuditEvent, User
from geodata.models.accounts import ROLES
from geodata.models.base import utcnow

TOKEN_PREFIX = "dtm_"
MIN_PASSWORD_LENGTH = 8
# Password guessing: after this many failures in a row an account is locked for a while.
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=5)
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
# Writing last_used_at on every request would make every read a write; a minute is enough.
LAST_USED_RESOLUTION = timedelta(seconds=60)

_hasher = PasswordHasher()


class AccountError(ValueError):
    """A user or token request that cannot be carried out, with a message for people."""


class AuthenticationFailed(AccountError):
    """Unknown user, wrong password, no password or deactivated account (never says which)."""


class AccountLocked(AccountError):
    """Too many failed sign-ins in a row: no password is checked until `until`."""

    def __init__(self, message: str, until: datetime):
        super().__init__(message)
        self.until = until


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so both cases take the same time."""
    return _hasher.hash("not a password anyone has")


def authenticate(
    session: Session, username: str, password: str, now: datetime | None = None
) -> User:
    """The active user with these credentials, else AuthenticationFailed or AccountLocked.

    Failures are counted in `users.failed_logins`; the MAX_FAILED_LOGINS-th in a row locks
    the account for LOCKOUT, during which even the right password is refused. Success resets
    the count. Flushes: the caller commits in both cases, so failures are remembered.
    """
    now = now or utcnow()
    user = session.execute(
        select(User).where(User.username == (username or ""))
    ).scalar_one_or_none()
    if user is None:
        _verify_dummy(password)
        raise AuthenticationFailed("The user name or password is wrong.")
    if user.locked_until is not None and _aware(user.locked_until) > now:
        raise AccountLocked(
            "Too many failed sign-ins: this account is locked until "
            f"{_aware(user.locked_until):%H:%M} UTC. Try again later.",
            until=_aware(user.locked_until),
        )
    if not user.active or not verify_password(user, password or ""):
        # Counted in the database, so concurrent failures are all counted.
        session.execute(
            update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
        )
        session.refresh(user)
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            audit(
                session,
                None,
                "user.lock",
                "user",
                user.username,
                details={"until": str(user.locked_until)},
            )
        session.flush()
        raise AuthenticationFailed("The user name or password is wrong.")
    if user.failed_logins or user.locked_until is not None:
        user.failed_logins = 0
        user.locked_until = None
        session.flush()
    return user


def _verify_dummy(password: str | None) -> None:
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash(), password or "")


def create_user(
    session: Session, username: str, role: str, password: str | None, actor: User | None = None
) -> User:
    if not USERNAME_PATTERN.match(username or ""):
        raise AccountError(
            f"invalid user name {username!r}: use letters, digits, '.', '_', '@' or '-'"
        )
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if session.execute(select(User.id).where(User.username == username)).first():
        raise AccountError(f"a user named {username!r} already exists")
    user = User(
        username=username, role=role, password_hash=hash_password(password) if password else None
    )
    session.add(user)
    session.flush()
    audit(session, actor, "user.create", "user", user.username, after={"role": role})
    return user


def find_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise AccountError(f"no user named {username!r}")
    return user


def issue_token(
    session: Session,
    user: User,
    label: str | None = None,
    expires_in: timedelta | None = None,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the record and the token text (shown only once)."""
    if not user.active:
        raise AccountError(f"user {user.username!r} is deactivated")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        label=label,
        token_hash=token_digest(secret),
        prefix=secret[:12],
        expires_at=utcnow() + expires_in if expires_in else None,
    )
    session.add(token)
    session.flush()
    audit(
        session,
        actor,
        "token.issue",
        "token",
        str(token.id),
        after={"user": user.username, "label": label, "prefix": token.prefix},
    )
    return token, secret


def revoke_token(session: Session, token: ApiToken, actor: User | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit(
            session,
            actor,
            "token.revoke",
            "token",
            str(token.id),
            after={"user": token.user.username, "prefix": token.prefix},
        )


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def user_for_token(session: Session, secret: str, now: datetime | None = None) -> User | None:
    """The active user a valid (known, unrevoked, unexpired) token belongs to, else None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_digest(secret))
    ).scalar_one_or_none()
    now = now or utcnow()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and _aware(token.expires_at) <= now:
        return None
    if not token.user.active:
        return None
    if token.last_used_at is None or now - _aware(token.last_used_at) > LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token.user


def audit(
    session: Session,
    actor: User | None,
    action: str,
    object_type: str | None = None,
    object_id: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
    details: dict | None = None,
    message: str | None = None,
) -> AuditEvent:
    """Record who did what, in the caller's transaction."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "cli",
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        details=details,
        message=message,
    )
    session.add(event)
    return event


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; we store UTC everywhere.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
