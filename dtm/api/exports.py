"""File exports, the data dictionary and the export audit log.

Coordinators and admins get every column; partners get no personal column and, when the
deployment sets DTM_EXPORT_SUPPRESS_BELOW, small counts blanked (geodata.exports.datasets).
Every download is written to the audit log before its body streams, so a download that is
cut short is still on record.
"""

import csv
import hashlib
import io
from datetime import date

from flask import Response, current_app, jsonify, request

from dtm.api import api_v1
from dtm.api.params import int_arg
from dtm.auth import begin_write_transaction, current_user, require_role
from dtm.errors import InvalidParameter
from dtm.extensions import db
from geodata.audit import audit
from geodata.exports import ExportRequest, data_version, dictionary, prepare_export
from geodata.models import AuditEvent
from geodata.store import open_store

# Roles that receive personal fields and unsuppressed counts.
FULL_ACCESS_ROLES = ("coordinator", "admin")
READ_ROLES = ("coordinator", "partner")
DOWNLOAD_ACTIONS = ("export", "download")


def date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidParameter(
            f"Parameter '{name}' must be a date (YYYY-MM-DD), not {raw!r}.",
            details={"parameter": name},
        ) from None


def flag_arg(name: str) -> bool:
    raw = (request.args.get(name) or "").lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise InvalidParameter(
        f"Parameter '{name}' must be 1 or 0, not {raw!r}.", details={"parameter": name}
    )


def access_for(user) -> dict:
    """What this caller may see: personal fields, and the suppression threshold."""
    full = user.role in FULL_ACCESS_ROLES
    return {
        "personal": full,
        "suppress_below": 0 if full else int(current_app.config["DTM_EXPORT_SUPPRESS_BELOW"]),
    }


def record_download(action: str, dataset: str, details: dict) -> None:
    """Audit one download in a short write transaction of its own."""
    begin_write_transaction()
    audit(
        db.session,
        current_user(),
        action,
        object_type="dataset",
        object_id=dataset,
        details=details,
    )
    db.session.commit()


def not_modified(tag: str, changed) -> Response | None:
    if request.if_none_match and request.if_none_match.contains_weak(tag):
        response = Response(status=304)
        response.set_etag(tag, weak=True)
        response.last_modified = changed
        return response
    return None


@api_v1.get("/exports/<dataset>.<fmt>")
@require_role(*READ_ROLES)
def export_file(dataset, fmt):
    """One dataset as CSV (with `hxl=1` an HXL row), GeoJSON, GeoPackage or XLSX."""
    user = current_user()
    access = access_for(user)
    asked = ExportRequest(
        dataset=dataset,
        round=int_arg("round", minimum=1),
        date_from=date_arg("from"),
        date_to=date_arg("to"),
        admin=request.args.get("admin") or None,
        site_type=request.args.get("site_type") or None,
        form_version=request.args.get("form_version") or None,
        level=int_arg("level", minimum=0, maximum=4),
        **access,
    )
    hxl = flag_arg("hxl")
    version, changed = data_version(db.session)
    tag = hashlib.sha256(
        repr((version, dataset, fmt, hxl, sorted(request.args.items()), access)).encode()
    ).hexdigest()[:32]
    cached = not_modified(tag, changed)
    if cached is not None:
        return cached
    engine = db.engine
    export = prepare_export(
        db.session,
        engine.raw_connection,
        open_store(db.session).backend,
        asked,
        fmt,
        hxl=hxl,
        operation=current_app.config["DTM_OPERATION_NAME"],
    )
    record_download(
        "export",
        export.asked.dataset,
        {
            "format": fmt,
            "hxl": hxl,
            "filters": export.asked.filters(),
            "rows": export.row_count,
            "personal_fields": export.asked.personal,
            "suppress_below": export.metadata["dtm:suppression"]["threshold"]
            if export.metadata["dtm:suppression"]
            else 0,
        },
    )
    response = Response(export.chunks(), mimetype=export.media_type)
    if fmt == "csv":
        response.headers["Content-Type"] = export.media_type
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["X-Total-Count"] = str(export.row_count)
    response.headers["Cache-Control"] = "private, no-cache"
    if export.metadata["dtm:suppression"]:
        response.headers["X-DTM-Suppressed-Below"] = str(
            export.metadata["dtm:suppression"]["threshold"]
        )
    response.set_etag(tag, weak=True)
    response.last_modified = changed
    return response


@api_v1.get("/exports/dictionary")
@require_role(*READ_ROLES)
def export_dictionary():
    """Every column of every dataset; CSV with format=csv or Accept: text/csv."""
    wanted = request.args.get("format")
    if wanted not in (None, "", "json", "csv"):
        raise InvalidParameter(
            f"Parameter 'format' must be json or csv, not {wanted!r}.",
            details={"parameter": "format"},
        )
    entries = dictionary()
    as_csv = wanted == "csv" or (
        not wanted
        and request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"
    )
    if not as_csv:
        return jsonify({"columns": entries})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(entries[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(entries)
    response = Response(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="dictionary.csv"'
    return response


@api_v1.get("/exports/audit")
@require_role("admin")
def export_audit():
    """Downloads recorded in the audit log, newest first."""
    limit = int_arg("limit", default=100, minimum=1, maximum=1000)
    offset = int_arg("offset", default=0, minimum=0)
    query = db.select(AuditEvent).where(AuditEvent.action.in_(DOWNLOAD_ACTIONS))
    total = db.session.execute(db.select(db.func.count()).select_from(query.subquery())).scalar()
    events = db.session.execute(
        query.order_by(AuditEvent.id.desc()).limit(limit).offset(offset)
    ).scalars()
    return jsonify(
        {
            "total": total,
            "limit": limit,
            "offset": offset,
            "downloads": [
                {
                    "id": e.id,
                    "at": e.at.isoformat() if e.at else None,
                    "user": e.actor_name,
                    "action": e.action,
                    "dataset": e.object_id,
                    **(e.details or {}),
                }
                for e in events
            ],
        }
    )
