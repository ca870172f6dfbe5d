"""Who is calling: bearer tokens for the API (and a signed session cookie for web pages).

401 means "we do not know who you are" (no or bad credentials); 403 means "we know, and
your role may not do this". Admins pass every role check.
"""

from collections.abc import Callable
from functools import wraps

from flask import g, request, session
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from dtm.accounts import needs_last_used, record_token_use, token_for_secret
from dtm.errors import CsrfFailed, Forbidden, Unauthorized
from dtm.extensions import csrf, db
from geodata.models import User
from geodata.store import open_store


def current_user() -> User | None:
    if "current_user" in g:
        return g.current_user
    user = None
    header = request.headers.get("Authorization")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
        token = token_for_secret(db.session, secret.strip())
        if token is None:
            raise Unauthorized("The API token is not valid: unknown, revoked or expired.")
        user = token.user
        if needs_last_used(token):
            record_token_use_now(token.id)
    elif session.get("user_id"):
        candidate = db.session.get(User, session["user_id"])
        if candidate is not None and candidate.active:
            # A browser sends the cookie with any request, even one another site makes it
            # send: a write authenticated by the cookie must prove it came from our pages.
            check_csrf()
            user = candidate
    g.current_user = user
    return user


SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "TRACE"))


def check_csrf() -> None:
    """Refuse an unsafe request that lacks the session's CSRF token (form field
    `csrf_token` or header X-CSRFToken); bearer-token requests never need one."""
    if request.method in SAFE_METHODS or g.get("csrf_valid"):
        return
    try:
        csrf.protect()
    except CSRFError as exc:
        raise CsrfFailed(details={"reason": exc.description}) from None


def record_token_use_now(token_id: int) -> None:
    """Note when a token was last used, in a short transaction of its own; bookkeeping
    that must never make a request fail (on a busy SQLite store it is simply skipped)."""
    db.session.commit()
    try:
        open_store(db.session).begin_write()
        record_token_use(db.session, token_id)
        db.session.commit()
    except OperationalError:
        db.session.rollback()


def begin_write_transaction() -> None:
    """Start the request's writing transaction; call in writing views after authentication.

    Ends the reads done so far (authentication) and begins a transaction that holds the
    write lock from its first statement on SQLite (see Store.begin_write); the view then
    commits once, at its end."""
    db.session.commit()
    open_store(db.session).begin_write()


def require_role(*roles: str) -> Callable:
    """Allow the view to signed-in users with one of `roles` (any role if none given)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                raise Unauthorized()
            if roles and user.role not in roles and user.role != "admin":
                raise Forbidden(
                    f"The {user.role} role may not do this; it needs: {', '.join(roles)}.",
                    details={"role": user.role, "allowed_roles": list(roles)},
                )
            return view(*args, **kwargs)

        return wrapped

    return decorator
