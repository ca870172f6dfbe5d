from pathlib import Path

from flask import current_app, send_file

from dtm.api import api_v1
from dtm.auth import require_role
from dtm.errors import NotFound
from dtm.extensions import db
from sync.attachments import find_attachment


@api_v1.get("/submissions/<submission_id>/attachments/<filename>")
@require_role("coordinator")
def submission_attachment(submission_id, filename):
    """A file sent with a submission (e.g. a site photo): coordinators and admins only."""
    found = find_attachment(db.session, submission_id, filename)
    path = Path(current_app.config["DTM_ATTACHMENTS_DIR"]) / found.storage_path if found else None
    if found is None or not path.is_file():
        raise NotFound(f"Submission {submission_id} has no attachment named {filename}.")
    response = send_file(
        path,
        mimetype=found.content_type,
        as_attachment=True,  # never rendered inline: a device chose this content type
        download_name=filename,
        etag=found.sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
