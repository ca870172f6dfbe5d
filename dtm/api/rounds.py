"""Rounds: anyone signed in reads them; coordinators (and admins) create and change them."""

from datetime import UTC, datetime

from flask import jsonify
from marshmallow import RAISE, Schema, fields, validate

from dtm.accounts import audit
from dtm.api import api_v1
from dtm.api.sync import read_json_body
from dtm.auth import current_user, require_role
from dtm.extensions import db
from geodata.rounds import (
    MAX_ROUND_NUMBER,
    STATUSES,
    create_round,
    current_round,
    get_round,
    list_rounds,
    round_json,
    update_round,
)

MAX_BODY = 10_000


class RoundSchema(Schema):
    class Meta:
        unknown = RAISE

    number = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_ROUND_NUMBER)
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    start_date = fields.Date(load_default=None, allow_none=True)
    end_date = fields.Date(load_default=None, allow_none=True)
    status = fields.String(load_default="open", validate=validate.OneOf(STATUSES))


class RoundChangeSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(validate=validate.Length(min=1, max=255))
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    status = fields.String(validate=validate.OneOf(STATUSES))


@api_v1.get("/rounds")
@require_role()
def rounds_list():
    current = current_round(db.session, datetime.now(UTC).date())
    return jsonify(
        {
            "rounds": [round_json(r) for r in list_rounds(db.session)],
            "current_round": current.number if current else None,
        }
    )


@api_v1.get("/rounds/<int:number>")
@require_role()
def round_detail(number):
    return jsonify(round_json(get_round(db.session, number)))


@api_v1.post("/rounds")
@require_role("coordinator")
def round_create():
    body = read_json_body(RoundSchema(), MAX_BODY)
    change = create_round(db.session, **body)
    _audit("round.create", change)
    db.session.commit()
    return jsonify(round_json(change.round) | {"refiled_assessments": change.refiled}), 201


@api_v1.patch("/rounds/<int:number>")
@require_role("coordinator")
def round_update(number):
    body = read_json_body(RoundChangeSchema(), MAX_BODY)
    change = update_round(db.session, number, **body)
    _audit("round.update", change)
    db.session.commit()
    return jsonify(round_json(change.round) | {"refiled_assessments": change.refiled})


def _audit(action: str, change) -> None:
    audit(
        db.session,
        current_user(),
        action,
        "round",
        str(change.round.number),
        before=change.before,
        after=change.after,
        details={"refiled_assessments": change.refiled},
    )
