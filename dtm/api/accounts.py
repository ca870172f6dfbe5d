from flask import jsonify
from sqlalchemy import select

from dtm.api import api_v1
from dtm.auth import current_user, require_role
from dtm.extensions import db
from geodata.models import User


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
