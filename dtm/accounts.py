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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from geodata.audit import audit
from geodata.models import ApiToken, User
from geodata.models.accounts import ROLES
from geodata.models.base import utcnow

__all__ = ["audit"]  # re-exported: the app records actions through dtm.accounts.audit

TOKEN_PREFIX = "dtm_"
MIN_PASSWORD_LENGTH = 8
# Password guessing: after this many failures in a row an account is locked for a while.
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=5)
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
# The longest a token may be issued for (ten years; longer ones simply never expire).
MAX_TOKEN_DAYS = 3650
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


def token_for_secret(session: Session, secret: str, now: datetime | None = None) -> ApiToken | None:
    """The valid (known, unrevoked, unexpired, of an active user) token, else None. Reads only."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.execute(
        select(ApiToken)
        .options(joinedload(ApiToken.user))  # one query: every request makes this lookup
        .where(ApiToken.token_hash == token_digest(secret))
    ).scalar_one_or_none()
    now = now or utcnow()
    if token is None or not _usable(token.revoked_at, token.expires_at, token.user.active, now):
        return None
    return token


def user_for_token(session: Session, secret: str) -> User | None:
    token = token_for_secret(session, secret)
    return token.user if token else None


def needs_last_used(token: ApiToken, now: datetime | None = None) -> bool:
    return _stale(token.last_used_at, now or utcnow())


@dataclass(frozen=True)
class TokenIdentity:
    user_id: int
    username: str
    role: str
    token_id: int
    use_to_record: bool = False  # last use is older than a minute: record_token_use it


_TOKEN_IDENTITY = (
    select(
        ApiToken.id,
        ApiToken.revoked_at,
        ApiToken.expires_at,
        ApiToken.last_used_at,
        User.id,
        User.username,
        User.role,
        User.active,
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("digest"))
)
_TOKEN_USED = (
    update(ApiToken)
    .where(ApiToken.id == bindparam("token_id"))
    .values(last_used_at=bindparam("used_at"))
)


def token_identity(
    session: Session, secret: str, now: datetime | None = None
) -> TokenIdentity | None:
    """Who a valid token belongs to, like `user_for_token` but without loading ORM objects:
    one Core query (and an update at most once a minute) for high-rate callers such as
    ODK Collect's submissions. Same rules: unknown, revoked, expired or inactive is None.
    Reads only; when `use_to_record`, the caller records the use in its writing transaction
    (a write in a read transaction would make SQLite refuse concurrent writers)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    connection = session.connection()
    row = connection.execute(_TOKEN_IDENTITY, {"digest": token_digest(secret)}).first()
    now = now or utcnow()
    if row is None:
        return None
    token_id, revoked_at, expires_at, last_used_at, user_id, username, role, active = row
    if not _usable(revoked_at, expires_at, active, now):
        return None
    return TokenIdentity(user_id, username, role, token_id, _stale(last_used_at, now))


def record_token_use(session: Session, token_id: int, now: datetime | None = None) -> None:
    """Write a token's last use (Core update); call inside a writing transaction."""
    session.connection().execute(_TOKEN_USED, {"token_id": token_id, "used_at": now or utcnow()})


def _usable(revoked_at, expires_at, active: bool, now: datetime) -> bool:
    if revoked_at is not None or not active:
        return False
    return expires_at is None or _aware(expires_at) > now


def _stale(last_used_at, now: datetime) -> bool:
    return last_used_at is None or now - _aware(last_used_at) > LAST_USED_RESOLUTION


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; we store UTC everywhere.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def change_role(session: Session, user: User, role: str, actor: User | None = None) -> None:
    """Give `user` another role (audited). An admin cannot demote themselves, so an
    operation is never left without anyone able to undo it."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if actor is not None and actor.id == user.id and role != user.role:
        raise AccountError("you cannot change your own role; ask another admin")
    if role == user.role:
        return
    before = user.role
    user.role = role
    session.flush()
    audit(
        session,
        actor,
        "user.role",
        "user",
        user.username,
        before={"role": before},
        after={"role": role},
    )


def set_active(session: Session, user: User, active: bool, actor: User | None = None) -> None:
    """Deactivate (tokens and sessions stop working at once) or reactivate a user (audited)."""
    if actor is not None and actor.id == user.id and not active:
        raise AccountError("you cannot deactivate yourself; ask another admin")
    if user.active == active:
        return
    user.active = active
    session.flush()
    audit(
        session,
        actor,
        "user.activate" if active else "user.deactivate",
        "user",
        user.username,
        before={"active": not active},
        after={"active": active},
    )
