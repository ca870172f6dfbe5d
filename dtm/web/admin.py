"""Administration pages (admins only): users and roles, API tokens, forms, rounds and
boundary imports. Each action calls the same domain function as the API or the command
line (dtm.accounts, forms.registry, geodata.rounds, geodata.boundaries + the store), is
audited there or here, and commits once. Bad input re-renders the page with a message
naming the problem (400; 422 for an XLSForm's validation problems)."""

import tempfile
from datetime import date, timedelta
from pathlib import Path

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from dtm.accounts import (
    MAX_TOKEN_DAYS,
    AccountError,
    audit,
    change_role,
    create_user,
    find_user,
    issue_token,
    revoke_token,
    set_active,
)
from dtm.auth import begin_write_transaction, current_user
from dtm.extensions import db
from dtm.web import blueprint
from dtm.web.auth import page
from forms.errors import FormError
from forms.registry import publish_form
from geodata.boundaries import MAX_LEVEL, SUPPORTED_SUFFIXES, read_boundaries
from geodata.errors import GeodataError, RoundNotFound
from geodata.models import AdminLevel, ApiToken, AuditEvent, User
from geodata.models.accounts import ROLES
from geodata.rounds import MAX_ROUND_NUMBER, STATUSES, create_round, list_rounds, update_round
from geodata.store import open_store
from sync.attachments import safe_filename
from sync.reference import forms_summary

RECENT_EVENTS = 50


class BadInput(ValueError):
    """A form field that is missing or malformed; the message names it."""


# --- users ---------------------------------------------------------------------------


@blueprint.get("/admin/")
@blueprint.get("/admin/users")
@page("admin")
def admin_users(problem: str | None = None, status: int = 200):
    users = db.session.execute(select(User).order_by(User.username)).scalars().all()
    events = (
        db.session.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(RECENT_EVENTS))
        .scalars()
        .all()
    )
    return render_template(
        "admin/users.html", users=users, roles=ROLES, events=events, problem=problem
    ), status


@blueprint.post("/admin/users")
@page("admin")
def admin_user_create():
    try:
        username = _required("username")
        role = _choice("role", ROLES)
        password = request.form.get("password") or None
        begin_write_transaction()
        create_user(db.session, username, role, password, actor=current_user())
    except (BadInput, AccountError) as exc:
        db.session.rollback()
        return admin_users(str(exc), 400)
    db.session.commit()
    flash(f"Created {role} {username}.", "ok")
    return redirect(url_for("web.admin_users"))


@blueprint.post("/admin/users/<username>")
@page("admin")
def admin_user_change(username):
    try:
        action = _choice("action", ("role", "deactivate", "activate"))
        begin_write_transaction()
        user = find_user(db.session, username)
        if action == "role":
            change_role(db.session, user, _choice("role", ROLES), actor=current_user())
        else:
            set_active(db.session, user, action == "activate", actor=current_user())
    except (BadInput, AccountError) as exc:
        db.session.rollback()
        return admin_users(str(exc), 400)
    db.session.commit()
    flash(f"Updated {username}.", "ok")
    return redirect(url_for("web.admin_users"))


# --- tokens --------------------------------------------------------------------------


@blueprint.get("/admin/tokens")
@page("admin")
def admin_tokens(problem: str | None = None, status: int = 200, issued: tuple | None = None):
    tokens = (
        db.session.execute(select(ApiToken).join(User).order_by(ApiToken.id.desc())).scalars().all()
    )
    users = db.session.execute(select(User).order_by(User.username)).scalars().all()
    return render_template(
        "admin/tokens.html", tokens=tokens, users=users, problem=problem, issued=issued
    ), status


@blueprint.post("/admin/tokens")
@page("admin")
def admin_token_issue():
    try:
        username = _required("username")
        label = (request.form.get("label") or "").strip()[:100] or None
        days = _integer("expires_days", minimum=1, maximum=MAX_TOKEN_DAYS, required=False)
        begin_write_transaction()
        user = find_user(db.session, username)
        token, secret = issue_token(
            db.session,
            user,
            label=label,
            expires_in=timedelta(days=days) if days else None,
            actor=current_user(),
        )
    except (BadInput, AccountError) as exc:
        db.session.rollback()
        return admin_tokens(str(exc), 400)
    db.session.commit()
    # Shown once, on this answer only: never redirected through a URL or stored.
    page_body, _ = admin_tokens(issued=(token.id, username, secret))
    return page_body, 201, {"Cache-Control": "no-store"}


@blueprint.post("/admin/tokens/<int:token_id>/revoke")
@page("admin")
def admin_token_revoke(token_id):
    begin_write_transaction()
    token = db.session.get(ApiToken, token_id)
    if token is None:
        db.session.rollback()
        return admin_tokens(f"There is no token {token_id}.", 404)
    revoke_token(db.session, token, actor=current_user())
    db.session.commit()
    flash(f"Revoked token {token_id}.", "ok")
    return redirect(url_for("web.admin_tokens"))


# --- forms ---------------------------------------------------------------------------


@blueprint.get("/admin/forms")
@page("admin")
def admin_forms(problem=None, problems=(), status: int = 200, published=None):
    return render_template(
        "admin/forms.html",
        forms=forms_summary(db.session),
        problem=problem,
        problems=problems,
        published=published,
    ), status


@blueprint.post("/admin/forms")
@page("admin")
def admin_form_publish():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return admin_forms("Choose an XLSForm (.xlsx) file to publish.", status=400)
    if not upload.filename.lower().endswith(".xlsx"):
        return admin_forms(
            f"{upload.filename} is not an .xlsx file; publish XLSForms saved as .xlsx.", status=400
        )
    begin_write_transaction()
    try:
        published = publish_form(
            db.session, upload.read(), filename=upload.filename, published_by=current_user().id
        )
    except FormError as exc:
        db.session.rollback()
        return admin_forms(exc.summary, exc.problems, status=422)
    record = published.record
    audit(
        db.session,
        current_user(),
        "form.publish",
        "form",
        record.form.form_id,
        after={"version": record.version, "created": published.created},
    )
    summary = {
        "form_id": record.form.form_id,
        "version": record.version,
        "created": published.created,
        "warnings": list(published.definition.warnings),
    }
    db.session.commit()
    return admin_forms(published=summary, status=201 if summary["created"] else 200)


# --- rounds --------------------------------------------------------------------------


@blueprint.get("/admin/rounds")
@page("admin")
def admin_rounds(problem: str | None = None, status: int = 200):
    return render_template(
        "admin/rounds.html", rounds=list_rounds(db.session), statuses=STATUSES, problem=problem
    ), status


@blueprint.post("/admin/rounds")
@page("admin")
def admin_round_create():
    try:
        values = {
            "number": _integer("number", minimum=1, maximum=MAX_ROUND_NUMBER),
            "name": _required("name"),
            "start_date": _date("start_date"),
            "end_date": _date("end_date"),
            "status": _choice("status", STATUSES),
        }
        begin_write_transaction()
        change = create_round(db.session, **values)
    except (BadInput, GeodataError) as exc:
        db.session.rollback()
        return admin_rounds(str(exc), 400)
    _audit_round("round.create", change)
    db.session.commit()
    flash(f"Created round {change.round.number}; {change.refiled} assessments refiled.", "ok")
    return redirect(url_for("web.admin_rounds"))


@blueprint.post("/admin/rounds/<int:number>")
@page("admin")
def admin_round_update(number):
    try:
        values = {
            "name": _required("name"),
            "start_date": _date("start_date"),
            "end_date": _date("end_date"),
            "status": _choice("status", STATUSES),
        }
        begin_write_transaction()
        change = update_round(db.session, number, **values)
    except (BadInput, GeodataError) as exc:
        db.session.rollback()
        return admin_rounds(str(exc), 404 if isinstance(exc, RoundNotFound) else 400)
    _audit_round("round.update", change)
    db.session.commit()
    flash(f"Updated round {number}; {change.refiled} assessments refiled.", "ok")
    return redirect(url_for("web.admin_rounds"))


def _audit_round(action: str, change) -> None:
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


# --- boundaries ----------------------------------------------------------------------


@blueprint.get("/admin/boundaries")
@page("admin")
def admin_boundaries(problem: str | None = None, status: int = 200, report=None):
    levels = db.session.execute(select(AdminLevel).order_by(AdminLevel.level)).scalars().all()
    return render_template(
        "admin/boundaries.html",
        levels=levels,
        max_level=MAX_LEVEL,
        suffixes=sorted(SUPPORTED_SUFFIXES),
        problem=problem,
        report=report,
    ), status


@blueprint.post("/admin/boundaries")
@page("admin")
def admin_boundaries_import():
    """Import one admin level from an uploaded file, as `flask boundaries import` does."""
    try:
        level = _integer("level", minimum=0, maximum=MAX_LEVEL)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise BadInput("Choose a boundary file (GeoJSON, GeoPackage or zipped Shapefile).")
        # The file is read from disk under its own name (reports and the audit quote it),
        # so that name must be one the file system takes.
        if safe_filename(upload.filename) is None or len(upload.filename.encode()) > 200:
            raise BadInput(
                "The uploaded file name is not usable (a plain name of at most 200 bytes, "
                "without control characters or slashes); rename the file and try again."
            )
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise BadInput(
                f"{upload.filename}: unsupported file type; use one of "
                f"{', '.join(sorted(SUPPORTED_SUFFIXES))}."
            )
        columns = {
            name: (request.form.get(name) or "").strip() or None
            for name in ("pcode_column", "name_column", "parent_column")
        }
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(upload.filename).name
            upload.save(path)
            layer = read_boundaries(path, level, **columns)
        begin_write_transaction()
        report = open_store(db.session).replace_admin_level(layer)
    except (BadInput, GeodataError) as exc:
        db.session.rollback()
        return admin_boundaries(str(exc), 400)
    audit(
        db.session,
        current_user(),
        "boundaries.import",
        "admin_level",
        str(level),
        after={
            "source": report.source,
            "areas": report.feature_count,
            "repaired": report.repaired_count,
        },
    )
    db.session.commit()
    return admin_boundaries(report=report)


# --- reading form fields -------------------------------------------------------------


def _required(name: str) -> str:
    value = (request.form.get(name) or "").strip()
    if not value:
        raise BadInput(f"The field '{name}' is required.")
    return value


def _choice(name: str, allowed) -> str:
    value = _required(name)
    if value not in allowed:
        raise BadInput(f"The field '{name}' must be one of {', '.join(allowed)}, not {value!r}.")
    return value


def _integer(name: str, minimum: int, maximum: int, required: bool = True) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        if required:
            raise BadInput(f"The field '{name}' is required.")
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadInput(f"The field '{name}' must be a whole number, not {raw!r}.") from None
    if not minimum <= value <= maximum:
        raise BadInput(f"The field '{name}' must be between {minimum} and {maximum}, not {value}.")
    return value


def _date(name: str) -> date | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadInput(f"The field '{name}' must be a date (YYYY-MM-DD), not {raw!r}.") from None
