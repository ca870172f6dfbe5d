"""Coordinators' review of what ingest set aside, and corrections of accepted records.

Every decision goes through the same ingest pipeline as a tablet's upload (source
"review"), so validation, sites, rounds and summaries follow from one code path, and every
decision leaves an audit record with the values before and after.

* Accepting an `invalid` copy ingests it (corrected or as it was) under its own id; it
  becomes `created`. If it is still invalid, nothing changes and the errors are returned.
* Accepting a `conflict` copy makes it the new current version of the record it clashed
  with (an edit whose base is the record's current version), so nothing is overwritten:
  the replaced version stays in the history.
* Rejecting keeps the copy, marked rejected, with the reason.
* Correcting an accepted record is an edit of its current version.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geodata.audit import audit
from geodata.models import QuarantinedSubmission, Submission, User
from geodata.models.base import utcnow
from sync.ingest import ACKNOWLEDGED, BatchContext, ingest_batch

REVIEW_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "dtm-review")


class ReviewError(ValueError):
    """A review decision that cannot be carried out; the message says why."""

    def __init__(self, message: str, errors: list[dict] | None = None, kind: str = "invalid"):
        super().__init__(message)
        self.errors = errors or []
        self.kind = kind  # "not_found", "resolved" or "invalid"


@dataclass
class ReviewOutcome:
    status: str  # the ingest status: created, updated or duplicate
    submission_id: str


def list_quarantine(
    session: Session,
    status: str | None = "open",
    reason: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[QuarantinedSubmission], int]:
    query = select(QuarantinedSubmission)
    if status:
        query = query.where(QuarantinedSubmission.status == status)
    if reason:
        query = query.where(QuarantinedSubmission.reason == reason)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = (
        session.execute(query.order_by(QuarantinedSubmission.id).limit(limit).offset(offset))
        .scalars()
        .all()
    )
    return list(rows), total


def get_entry(session: Session, entry_id: int) -> QuarantinedSubmission:
    entry = session.get(QuarantinedSubmission, entry_id)
    if entry is None:
        raise ReviewError(f"There is no quarantined submission {entry_id}.", kind="not_found")
    return entry


def stored_counterpart(session: Session, entry: QuarantinedSubmission) -> Submission | None:
    """For a conflict: the current stored version it clashed with (to show side by side)."""
    anchor = (
        session.execute(
            select(Submission).where(
                Submission.submission_id.in_([entry.submission_id, entry.base_version or ""])
            )
        )
        .scalars()
        .first()
    )
    if anchor is None:
        return None
    return _current_version(session, anchor.root_id)


def accept(
    session: Session,
    entry_id: int,
    actor: User,
    data: dict | None = None,
    form_version: str | None = None,
    note: str | None = None,
) -> ReviewOutcome:
    """Accept a quarantined copy (optionally corrected) through the ingest pipeline."""
    entry = _open_entry(session, entry_id)
    payload = entry.payload if isinstance(entry.payload, dict) else {}
    answers = data if data is not None else payload.get("data")
    if not isinstance(answers, dict):
        raise ReviewError("This copy has no answers to accept; give corrected answers.")
    item = {
        "form_id": entry.form_id or payload.get("form_id"),
        "form_version": form_version or entry.form_version or payload.get("form_version"),
        "collected_at": entry.collected_at,
        "data": answers,
    }
    if entry.reason == "conflict":
        current = stored_counterpart(session, entry)
        if current is None:
            raise ReviewError("The record this copy clashed with is no longer stored.")
        item["id"] = str(uuid.uuid5(REVIEW_NAMESPACE, f"accept:{entry.id}"))
        item["base_version"] = current.submission_id
    else:
        item["id"] = _as_uuid(entry.submission_id) or str(
            uuid.uuid5(REVIEW_NAMESPACE, f"accept:{entry.id}")
        )
        item["base_version"] = _as_uuid(entry.base_version)
    outcome = _ingest_one(session, item, actor, entry.device_id)
    _resolve(session, entry, "accepted", actor, note)
    audit(
        session,
        actor,
        "quarantine.accept",
        "quarantine",
        str(entry.id),
        message=note,
        before={"reason": entry.reason, "data": payload.get("data")},
        after={"data": answers, "submission_id": outcome.submission_id, "status": outcome.status},
    )
    return outcome


def reject(session: Session, entry_id: int, actor: User, reason: str) -> QuarantinedSubmission:
    if not reason or not reason.strip():
        raise ReviewError("Say why the submission is rejected.")
    entry = _open_entry(session, entry_id)
    _resolve(session, entry, "rejected", actor, reason.strip())
    audit(
        session,
        actor,
        "quarantine.reject",
        "quarantine",
        str(entry.id),
        message=reason.strip(),
        before={"status": "open"},
        after={"status": "rejected", "reason": reason.strip()},
    )
    return entry


def correct(
    session: Session,
    submission_id: str,
    actor: User,
    changes: dict[str, Any],
    note: str | None = None,
) -> ReviewOutcome:
    """Correct values of an accepted record: a new current version of it (an edit)."""
    stored = session.execute(
        select(Submission).where(Submission.submission_id == submission_id)
    ).scalar_one_or_none()
    if stored is None:
        raise ReviewError(f"There is no stored submission {submission_id}.", kind="not_found")
    current = _current_version(session, stored.root_id)
    answers = {**current.data, **changes}
    answers = {k: v for k, v in answers.items() if v is not None}
    count = session.execute(
        select(func.count()).where(Submission.root_id == current.root_id)
    ).scalar_one()
    item = {
        "id": str(uuid.uuid5(REVIEW_NAMESPACE, f"correct:{current.submission_id}:{count}")),
        "form_id": current.form_id,
        "form_version": current.form_version,
        "base_version": current.submission_id,
        "collected_at": current.collected_at,
        "data": answers,
    }
    outcome = _ingest_one(session, item, actor, None)
    audit(
        session,
        actor,
        "submission.correct",
        "submission",
        current.root_id,
        message=note,
        before={k: current.data.get(k) for k in changes},
        after={**{k: answers.get(k) for k in changes}, "submission_id": outcome.submission_id},
    )
    return outcome


def _ingest_one(session, item: dict, actor: User, device_id: str | None) -> ReviewOutcome:
    context = BatchContext(source="review", device_id=device_id, submitted_by=actor.id)
    with session.begin_nested() as savepoint:
        [result] = ingest_batch(session, [item], context)
        if result.status not in ACKNOWLEDGED:
            savepoint.rollback()  # leave no new quarantine row for a still-bad copy
            raise ReviewError(
                "The corrected submission is still not acceptable: "
                + "; ".join(e["message"] for e in result.errors[:5]),
                errors=result.errors,
            )
    return ReviewOutcome(result.status, result.id)


def _open_entry(session, entry_id: int) -> QuarantinedSubmission:
    entry = get_entry(session, entry_id)
    if entry.status != "open":
        raise ReviewError(
            f"Quarantined submission {entry_id} was already {entry.status}.", kind="resolved"
        )
    return entry


def _resolve(session, entry, status: str, actor: User, note: str | None) -> None:
    entry.status = status
    entry.resolved_by = actor.id
    entry.resolved_at = utcnow()
    entry.resolution_note = note


def _current_version(session, root_id: str) -> Submission:
    return session.execute(
        select(Submission)
        .where(Submission.root_id == root_id, Submission.status == "current")
        .order_by(Submission.seq.desc())
        .limit(1)
    ).scalar_one()


def _as_uuid(value) -> str | None:
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def current_submission(session: Session, submission_id: str) -> Submission:
    """The current version of the record `submission_id` belongs to (what a correction
    edits), else ReviewError (not_found)."""
    stored = session.execute(
        select(Submission).where(Submission.submission_id == submission_id)
    ).scalar_one_or_none()
    if stored is None:
        raise ReviewError(f"There is no stored submission {submission_id}.", kind="not_found")
    return _current_version(session, stored.root_id)
