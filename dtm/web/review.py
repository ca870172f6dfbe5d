"""The review queue: what ingest set aside (invalid copies, conflicting edits) and the
sites whose figures raise flags. Decisions go through sync.review, as in the JSON API
(dtm/api/review.py): every one is audited and the summaries follow in the same
transaction.

Corrections come from plain forms: each answer of the submission is a text field, read
back with the type the answer had (a whole number stays a whole number); answers that are
not single values (the location, the origins repeat) are kept as they were."""

from flask import flash, redirect, render_template, request, url_for

from dtm.api.maps import built_site_map
from dtm.api.params import int_arg
from dtm.auth import begin_write_transaction, current_user
from dtm.errors import Conflict, InvalidParameter, NotFound
from dtm.extensions import db
from dtm.web import blueprint
from dtm.web.auth import page
from geodata.exports.params import ascii_whole_number
from geodata.sitemap import MAP_COLUMNS
from geodata.summaries import known_rounds, resolve_round
from sync.review import (
    ReviewError,
    accept,
    correct,
    current_submission,
    get_entry,
    list_quarantine,
    reject,
    stored_counterpart,
)

PAGE_SIZE = 100
FLAGGED_SHOWN = 200
FIELD_PREFIX = "field:"


@blueprint.get("/review")
@page()
def review_queue():
    reason = request.args.get("reason") or None
    if reason not in (None, "invalid", "conflict"):
        raise InvalidParameter(
            "reason must be invalid or conflict.", details={"parameter": "reason"}
        )
    offset = int_arg("offset", default=0, minimum=0)
    entries, total = list_quarantine(db.session, "open", reason, PAGE_SIZE, offset)
    flagged, flagged_total, round_number = [], 0, None
    if known_rounds(db.session):
        mapped = built_site_map(resolve_round(db.session, None))
        round_number = mapped["round"]
        column = {name: i for i, name in enumerate(MAP_COLUMNS)}
        with_flags = [s for s in mapped["sites"] if s[column["flags"]]]
        flagged_total = len(with_flags)
        flagged = [dict(zip(MAP_COLUMNS, s, strict=True)) for s in with_flags[:FLAGGED_SHOWN]]
    return render_template(
        "review.html",
        entries=entries,
        total=total,
        reason=reason,
        offset=offset,
        page_size=PAGE_SIZE,
        flagged=flagged,
        flagged_total=flagged_total,
        round_number=round_number,
    )


@blueprint.get("/review/<int:entry_id>")
@page()
def review_entry(entry_id):
    return _entry_page(_entry(entry_id))


@blueprint.post("/review/<int:entry_id>/accept")
@page()
def review_accept(entry_id):
    entry = _entry(entry_id)
    answers = _answers(entry.payload.get("data") if isinstance(entry.payload, dict) else None)
    note = (request.form.get("note") or "").strip() or None
    begin_write_transaction()
    try:
        outcome = accept(db.session, entry_id, current_user(), answers, None, note)
    except ReviewError as exc:
        db.session.rollback()
        return _refused(exc, lambda error: _entry_page(_entry(entry_id), error, answers))
    db.session.commit()
    flash(f"Accepted: submission {outcome.submission_id} is {outcome.status}.", "ok")
    return redirect(url_for("web.review_queue"))


@blueprint.post("/review/<int:entry_id>/reject")
@page()
def review_reject(entry_id):
    reason = (request.form.get("reason") or "").strip()
    begin_write_transaction()
    try:
        reject(db.session, entry_id, current_user(), reason)
    except ReviewError as exc:
        db.session.rollback()
        return _refused(exc, lambda error: _entry_page(_entry(entry_id), error))
    db.session.commit()
    flash(f"Rejected quarantined submission {entry_id}.", "ok")
    return redirect(url_for("web.review_queue"))


@blueprint.get("/review/submissions/<submission_id>")
@page()
def review_submission(submission_id):
    return _submission_page(_submission(submission_id))


@blueprint.post("/review/submissions/<submission_id>")
@page()
def review_correct(submission_id):
    stored = _submission(submission_id)
    answers = _answers(stored.data) or stored.data
    changes = {k: answers.get(k) for k in stored.data if answers.get(k) != stored.data.get(k)}
    if not changes:
        return _submission_page(stored, "Nothing changed: edit a value before saving."), 400
    note = (request.form.get("note") or "").strip() or None
    site_id = stored.data.get("site_id")
    begin_write_transaction()
    try:
        outcome = correct(db.session, submission_id, current_user(), changes, note)
    except ReviewError as exc:
        db.session.rollback()
        return _refused(
            exc, lambda error: _submission_page(_submission(submission_id), error, answers)
        )
    db.session.commit()
    flash(
        f"Corrected {', '.join(sorted(changes))}: the new version is {outcome.submission_id}.",
        "ok",
    )
    if site_id:
        return redirect(url_for("web.site_page", site_id=site_id))
    return redirect(url_for("web.review_queue"))


def _entry(entry_id: int):
    try:
        return get_entry(db.session, entry_id)
    except ReviewError as exc:
        raise NotFound(str(exc)) from None


def _submission(submission_id: str):
    try:
        return current_submission(db.session, submission_id)
    except ReviewError as exc:
        raise NotFound(str(exc)) from None


def _refused(exc: ReviewError, page_again):
    if exc.kind == "not_found":
        raise NotFound(str(exc))
    if exc.kind == "resolved":
        raise Conflict(str(exc))
    return page_again(exc), 422


def _entry_page(entry, problem: ReviewError | str | None = None, answers: dict | None = None):
    payload = entry.payload if isinstance(entry.payload, dict) else {}
    data = answers or payload.get("data") or {}
    stored = stored_counterpart(db.session, entry) if entry.reason == "conflict" else None
    keys = sorted(set(data) | set(stored.data if stored else {}))
    return render_template(
        "review_entry.html",
        entry=entry,
        data=data,
        stored=stored,
        keys=keys,
        fields=_editable(data),
        problem=problem,
        error_fields={e.get("field") for e in (entry.errors or []) if isinstance(e, dict)},
    )


def _submission_page(stored, problem: ReviewError | str | None = None, answers=None):
    return render_template(
        "review_submission.html",
        stored=stored,
        fields=_editable(answers or stored.data),
        problem=problem,
    )


def _editable(data: dict) -> list[tuple[str, object]]:
    return [(k, v) for k, v in data.items() if _scalar(v)]


def _scalar(value) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _answers(original: dict | None) -> dict | None:
    """The submission's answers with the form's edits, typed like the originals; None when
    the form sent no fields (accept as it is)."""
    sent = {
        k[len(FIELD_PREFIX) :]: v for k, v in request.form.items() if k.startswith(FIELD_PREFIX)
    }
    if not sent:
        return None
    answers = dict(original or {})
    for key, text in sent.items():
        answers[key] = _typed(key, text.strip(), (original or {}).get(key))
    return {k: v for k, v in answers.items() if v is not None}


def _typed(key: str, text: str, like):
    if text == "":
        return None
    if isinstance(like, bool):
        return text.lower() in ("true", "1", "yes")
    if isinstance(like, int):
        try:
            return int(text)
        except ValueError:
            return text  # validation will name the field and the problem
    if isinstance(like, float):
        try:
            return float(text)
        except ValueError:
            return text
    if like is None:  # a new answer: a whole number if it reads as one
        number = ascii_whole_number(text.removeprefix("-"), max_digits=4300)
        if number is not None:
            return -number if text.startswith("-") else number
    return text
