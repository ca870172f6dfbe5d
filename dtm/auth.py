"""Who is calling: bearer tokens for the API (and a signed session cookie for web pages).

401 means "we do not know who you are" (no or bad credentials); 403 means "we know, and
your role may not do this". Admins pass every role check.
"""

from collections.abc import Callable
from functools import wraps

from flask import g, request, session

from dtm.accounts import user_for_token
from dtm.errors import Forbidden, Unauthorized
from dtm.extensions import db
from geodata.models import User


def current_user() -> User | None:
    if "current_user" in g:
        return g.current_user
    user = None
    header = request.headers.get("Authorization")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
        user = user_for_token(db.session, secret.strip())
        if user is None:
            raise Unauthorized("The API token is not valid: unknown, revoked or expired.")
    elif session.get("user_id"):
        candidate = db.session.get(User, session["user_id"])
        if candidate is not None and candidate.active:
            user = candidate
    g.current_user = user
    return user


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
