from datetime import timedelta

from flask import current_app, jsonify
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import select

from dtm.accounts import AccountLocked, AuthenticationFailed, authenticate, issue_token
from dtm.api import api_v1
from dtm.api.sync import read_json_body
from dtm.auth import begin_write_transaction, current_user, require_role
from dtm.errors import Forbidden, TooManyRequests, Unauthorized
from dtm.extensions import db
from geodata.models import User

# Who may sign in to the enumerator app (/collect/): partners only read published figures.
APP_ROLES = ("enumerator", "coordinator", "admin")
APP_TOKEN_LABEL = "collect app"


class SignInSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1000))


def _user_json(user: User) -> dict:
    return {"username": user.username, "role": user.role, "active": user.active}


@api_v1.get("/me")
@require_role()
def me():
    """Who the caller is: lets clients check a token and learn their role."""
    return jsonify(_user_json(current_user()))


@api_v1.get("/users")
@require_role("admin")
def list_users():
    users = db.session.execute(select(User).order_by(User.username)).scalars()
    return jsonify({"users": [_user_json(u) for u in users]})


@api_v1.post("/auth/token")
def sign_in():
    """Exchange a user name and password for an API token for the enumerator app (201)."""
    body = read_json_body(SignInSchema(), max_bytes=16 * 1024)
    begin_write_transaction()  # signing in writes (failure counts, the new token)
    try:
        user = authenticate(db.session, body["username"], body["password"])
    except AccountLocked as exc:
        db.session.commit()
        raise TooManyRequests(str(exc), details={"locked_until": exc.until.isoformat()}) from None
    except AuthenticationFailed as exc:
        db.session.commit()  # the failure counts toward the lockout
        raise Unauthorized(str(exc)) from None
    if user.role not in APP_ROLES:
        db.session.commit()
        raise Forbidden(
            f"The enumerator app is for enumerators, coordinators and admins; "
            f"a {user.role} account cannot use it.",
            details={"role": user.role, "allowed_roles": list(APP_ROLES)},
        )
    days = current_app.config["DTM_APP_TOKEN_DAYS"]
    token, secret = issue_token(
        db.session, user, label=APP_TOKEN_LABEL, expires_in=timedelta(days=days), actor=user
    )
    expires_at = token.expires_at.isoformat()  # aware, before the commit reloads it
    db.session.commit()
    return jsonify(
        {
            "token": secret,
            "expires_at": expires_at,
            "user": {"username": user.username, "role": user.role},
        }
    ), 201
