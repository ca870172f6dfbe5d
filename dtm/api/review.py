"""Coordinators' review queue (quarantine) and corrections. Partners never see it."""

from flask import jsonify, request
from marshmallow import EXCLUDE, Schema, fields, validate

from dtm.api import api_v1
from dtm.api.params import int_arg
from dtm.api.sync import read_json_body
from dtm.auth import begin_write_transaction, current_user, require_role
from dtm.errors import Conflict, InvalidParameter, NotFound, Unprocessable
from dtm.extensions import db
from geodata.models import QuarantinedSubmission, User
from sync.review import (
    ReviewError,
    accept,
    correct,
    get_entry,
    list_quarantine,
    reject,
    stored_counterpart,
)

BODY_LIMIT = 1024 * 1024


class AcceptSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    data = fields.Dict(load_default=None, allow_none=True)
    form_version = fields.String(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class RejectSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class CorrectionSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    changes = fields.Dict(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


@api_v1.get("/quarantine")
@require_role("coordinator")
def quarantine_list():
    status = request.args.get("status", "open")
    reason = request.args.get("reason")
    if status not in ("open", "accepted", "rejected", "all"):
        raise InvalidParameter(
            "status must be open, accepted, rejected or all.", details={"parameter": "status"}
        )
    if reason not in (None, "invalid", "conflict"):
        raise InvalidParameter(
            "reason must be invalid or conflict.", details={"parameter": "reason"}
        )
    limit = int_arg("limit", default=50, minimum=1, maximum=500)
    offset = int_arg("offset", default=0, minimum=0)
    entries, total = list_quarantine(
        db.session, None if status == "all" else status, reason, limit, offset
    )
    return jsonify({"total": total, "items": [entry_json(e) for e in entries]})


@api_v1.get("/quarantine/<int:entry_id>")
@require_role("coordinator")
def quarantine_entry(entry_id):
    entry = _entry_or_404(entry_id)
    body = entry_json(entry)
    stored = stored_counterpart(db.session, entry) if entry.reason == "conflict" else None
    body["stored"] = (
        {
            "submission_id": stored.submission_id,
            "data": stored.data,
            "received_at": stored.received_at.isoformat(),
        }
        if stored
        else None
    )
    return jsonify(body)


@api_v1.post("/quarantine/<int:entry_id>/accept")
@require_role("coordinator")
def quarantine_accept(entry_id):
    body = read_json_body(AcceptSchema(), BODY_LIMIT)
    begin_write_transaction()
    outcome = _decide(
        lambda: accept(
            db.session, entry_id, current_user(), body["data"], body["form_version"], body["note"]
        )
    )
    db.session.commit()
    return jsonify({"status": outcome.status, "submission_id": outcome.submission_id})


@api_v1.post("/quarantine/<int:entry_id>/reject")
@require_role("coordinator")
def quarantine_reject(entry_id):
    body = read_json_body(RejectSchema(), BODY_LIMIT)
    begin_write_transaction()
    entry = _decide(lambda: reject(db.session, entry_id, current_user(), body["reason"]))
    db.session.commit()
    return jsonify(entry_json(entry))


@api_v1.post("/submissions/<submission_id>/corrections")
@require_role("coordinator")
def submission_correction(submission_id):
    body = read_json_body(CorrectionSchema(), BODY_LIMIT)
    begin_write_transaction()
    outcome = _decide(
        lambda: correct(db.session, submission_id, current_user(), body["changes"], body["note"])
    )
    db.session.commit()
    return jsonify({"status": outcome.status, "submission_id": outcome.submission_id})


def _decide(action):
    try:
        return action()
    except ReviewError as exc:
        db.session.rollback()
        if exc.kind == "not_found":
            raise NotFound(str(exc)) from None
        if exc.kind == "resolved":
            raise Conflict(str(exc)) from None
        raise Unprocessable(str(exc), details={"errors": exc.errors}) from None


def _entry_or_404(entry_id: int) -> QuarantinedSubmission:
    try:
        return get_entry(db.session, entry_id)
    except ReviewError as exc:
        raise NotFound(str(exc)) from None


def entry_json(entry: QuarantinedSubmission) -> dict:
    payload = entry.payload if isinstance(entry.payload, dict) else {}
    submitter = db.session.get(User, entry.submitted_by) if entry.submitted_by else None
    return {
        "id": entry.id,
        "submission_id": entry.submission_id,
        "reason": entry.reason,
        "status": entry.status,
        "form_id": entry.form_id,
        "form_version": entry.form_version,
        "base_version": entry.base_version,
        "errors": entry.errors,
        "data": payload.get("data") if payload else entry.payload,
        "source": entry.source,
        "device_id": entry.device_id,
        "submitted_by": submitter.username if submitter else None,
        "collected_at": entry.collected_at,
        "received_at": entry.received_at.isoformat(),
        "resolution_note": entry.resolution_note,
        "resolved_at": entry.resolved_at.isoformat() if entry.resolved_at else None,
    }
