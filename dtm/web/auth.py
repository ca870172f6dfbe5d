"""Signing in and out of the coordinator web, and who may see which page.

Passwords are checked by `dtm.accounts.authenticate`, the same function (and the same
lockout after repeated failures) as `POST /api/v1/auth/token`. Every role may sign in;
the pages are for coordinators and admins, and anyone else gets a 403 page on them.
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for

from dtm.accounts import AccountLocked, AuthenticationFailed, authenticate
from dtm.auth import begin_write_transaction, current_user
from dtm.errors import ApiError, Forbidden
from dtm.extensions import db
from dtm.web import blueprint
from geodata.models import User

# Who may use the coordinator pages (admins pass every check; see page()).
COORDINATOR_ROLES = ("coordinator",)


def signed_in_user() -> User | None:
    """Who is signed in, for the page header; never raises (error pages call it too)."""
    try:
        return current_user()
    except ApiError:
        return None


def page(*roles: str) -> Callable:
    """A page for signed-in users with one of `roles` (coordinators if none given):
    anyone else is sent to sign in (not signed in) or shown a 403 page (another role)."""
    roles = roles or COORDINATOR_ROLES

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if user.role not in roles and user.role != "admin":
                raise Forbidden(
                    f"This page is for {' and '.join(r + 's' for r in roles)}; "
                    f"you are signed in as a {user.role}.",
                    details={"role": user.role, "allowed_roles": list(roles)},
                )
            return view(*args, **kwargs)

        return wrapped

    return decorator


@blueprint.get("/")
def home():
    user = current_user()
    if user is None:
        return redirect(url_for("web.login"))
    if user.role in ("coordinator", "admin"):
        return redirect(url_for("web.map_page"))
    return render_template("home.html", user=user)


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    target = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("login.html", next=target)
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    if not username or not password:
        return _login_failed("Enter your user name and password.", 400, username, target)
    begin_write_transaction()  # failures are counted, successes reset the count
    try:
        user = authenticate(db.session, username, password)
    except AccountLocked as exc:
        db.session.commit()
        return _login_failed(str(exc), 429, username, target)
    except AuthenticationFailed as exc:
        db.session.commit()
        return _login_failed(str(exc), 401, username, target)
    db.session.commit()
    # A fresh session on sign-in, so a session planted before it is worth nothing.
    session.clear()
    session["user_id"] = user.id
    session.permanent = True
    return redirect(target or url_for("web.home"))


@blueprint.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("web.login"))


def _login_failed(message: str, status: int, username: str, target: str | None):
    return render_template("login.html", error=message, username=username, next=target), status


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never send someone on to another host after signing in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return None
    return target
