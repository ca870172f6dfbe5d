from flask import jsonify, request

from dtm.api import api_v1
from dtm.auth import begin_write_transaction, current_user, require_role
from dtm.errors import BadRequest, InvalidForm, NotFound
from dtm.extensions import db
from forms.errors import FormError
from forms.registry import find_version, publish_form
from sync.reference import forms_summary

XLSX_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
    "",
}


@api_v1.get("/forms")
@require_role()
def list_forms():
    return jsonify({"forms": forms_summary(db.session)})


@api_v1.get("/forms/<form_id>")
@require_role()
def latest_form(form_id):
    return _definition_response(form_id, None)


@api_v1.get("/forms/<form_id>/versions/<version>")
@require_role()
def form_version(form_id, version):
    return _definition_response(form_id, version)


def _definition_response(form_id: str, version: str | None):
    record = find_version(db.session, form_id, version)
    if record is None:
        what = f"version {version} of form {form_id}" if version else f"form {form_id}"
        raise NotFound(f"There is no published {what}.")
    response = jsonify(record.definition)
    response.set_etag(record.definition_etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


@api_v1.post("/forms")
@require_role("coordinator")
def publish():
    """Publish an XLSForm (multipart field `file`). 201 when new, 200 when already there."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("Send the XLSForm as a multipart/form-data field named 'file'.")
    if not upload.filename.lower().endswith(".xlsx"):
        raise InvalidForm(
            f"{upload.filename} is not an .xlsx file; publish XLSForms saved as .xlsx.",
            details={"problems": ["The file must be an .xlsx workbook."]},
        )
    begin_write_transaction()
    try:
        published = publish_form(
            db.session, upload.read(), filename=upload.filename, published_by=current_user().id
        )
    except FormError as exc:
        raise InvalidForm(exc.summary, details={"problems": exc.problems}) from None
    db.session.commit()
    record = published.record
    body = {
        "form_id": record.form.form_id,
        "version": record.version,
        "title": record.title,
        "created": published.created,
        "etag": record.definition_etag,
        "warnings": list(published.definition.warnings),
    }
    return jsonify(body), 201 if published.created else 200
