"""The OpenRosa API for ODK Collect and KoboCollect: `/openrosa/key/<token>/...`.

An enumerator's server URL in Collect is `https://host/openrosa/key/<API token>`; Collect
appends `/formList` and `/submission` and follows the URLs the form list and manifests give.
The token in the path is the only credential (as ODK Central's app-user keys), so a bad one
answers 403, never 401: a 401 would make Collect prompt for a username and password that
would not help. Every answer carries `X-OpenRosa-Version: 1.0`; errors are OpenRosaResponse
XML (Collect shows their first message), with precise status codes. See docs/openrosa.md.
"""

from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, Response, current_app, g, request, url_for

from dtm.accounts import token_identity
from dtm.auth import begin_write_transaction, record_token_use_now
from dtm.errors import ApiError, BadRequest, Forbidden, NotFound
from dtm.extensions import db
from forms.registry import find_version, list_forms, loaded_definition
from sync.ingest import CONFLICT, CREATED, DUPLICATE, UPDATED, BatchContext
from sync.openrosa import (
    SITES_CSV,
    FormListEntry,
    MediaFile,
    OpenRosaError,
    UploadedFile,
    form_list_xml,
    manifest_xml,
    md5_hash,
    receive_submission,
    response_xml,
    sites_csv,
    uses_site_list,
)

PREFIX = "/openrosa/"
XML = "text/xml; charset=utf-8"
ROLES = frozenset({"enumerator", "coordinator", "admin"})
# Room for multipart framing around the files Collect counts against the advertised size.
FRAMING_MARGIN = 1024 * 1024

blueprint = Blueprint("openrosa", __name__, url_prefix="/openrosa/key/<token>")


@blueprint.url_value_preprocessor
def take_token(endpoint, values):
    g.openrosa_token = (values or {}).pop("token", "")


@blueprint.url_defaults
def add_token(endpoint, values):
    values.setdefault("token", g.get("openrosa_token", ""))


@blueprint.before_request
def authenticate():
    user = token_identity(db.session, g.openrosa_token)
    if user is None:
        raise Forbidden(
            "This server URL's key is not valid (unknown, revoked or expired). Ask your "
            "coordinator for a new server URL or QR code."
        )
    if user.role not in ROLES:
        raise Forbidden(f"The {user.role} role cannot download forms or send submissions.")
    if user.use_to_record:
        record_token_use_now(user.token_id)
    g.openrosa_user = user


@blueprint.after_request
def openrosa_headers(response: Response) -> Response:
    response.headers["X-OpenRosa-Version"] = "1.0"
    return response


def render_error(error: ApiError) -> Response:
    """Errors under /openrosa as OpenRosaResponse XML (registered in dtm.errors)."""
    response = xml_response(response_xml(error.message, nature="error"), error.status)
    response.headers["X-OpenRosa-Version"] = "1.0"
    return response


def xml_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, content_type=XML)


@blueprint.get("/formList")
def form_list():
    wanted = request.args.get("formID")
    entries = []
    for form in list_forms(db.session):
        if (wanted and form.form_id != wanted) or not form.versions:
            continue
        record = form.versions[-1]
        links = {"form_id": form.form_id, "version": record.version, "_external": True}
        entries.append(
            FormListEntry(
                form_id=form.form_id,
                name=record.title or form.form_id,
                version=record.version,
                hash="md5:" + record.xform_md5,
                download_url=url_for(".form_xml", **links),
                manifest_url=url_for(".manifest", **links)
                if uses_site_list(loaded_definition(record))
                else None,
            )
        )
    return xml_response(form_list_xml(entries))


@blueprint.get("/forms/<form_id>/<version>/form.xml")
def form_xml(form_id, version):
    record = _form_version(form_id, version)
    response = xml_response(record.xform.encode())
    response.set_etag(record.xform_md5)
    return response.make_conditional(request)


@blueprint.get("/forms/<form_id>/<version>/manifest")
def manifest(form_id, version):
    record = _form_version(form_id, version)
    files = []
    if uses_site_list(loaded_definition(record)):
        files.append(
            MediaFile(
                SITES_CSV,
                md5_hash(sites_csv(db.session)),
                url_for(
                    ".media", form_id=form_id, version=version, filename=SITES_CSV, _external=True
                ),
            )
        )
    return xml_response(manifest_xml(files))


@blueprint.get("/forms/<form_id>/<version>/media/<filename>")
def media(form_id, version, filename):
    record = _form_version(form_id, version)
    if filename != SITES_CSV or not uses_site_list(loaded_definition(record)):
        raise NotFound(f"Form {form_id} has no media file named {filename}.")
    return Response(sites_csv(db.session), content_type="text/csv; charset=utf-8")


def _form_version(form_id: str, version: str):
    record = find_version(db.session, form_id, version)
    if record is None:
        raise NotFound(f"There is no published version {version} of form {form_id}.")
    return record


@blueprint.route("/submission", methods=["HEAD", "GET"])
def submission_probe():
    """Collect's HEAD before each POST: 204, and how large a POST may be."""
    response = Response(status=204)
    response.headers["X-OpenRosa-Accept-Content-Length"] = str(accept_content_length())
    return response


def accept_content_length() -> int:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return max(limit - min(FRAMING_MARGIN, limit // 10), 1)


@blueprint.post("/submission")
def submission():
    if request.mimetype != "multipart/form-data":
        raise BadRequest(
            "Send the submission as multipart/form-data with an xml_submission_file part."
        )
    xml_part = request.files.get("xml_submission_file")
    if xml_part is not None:
        xml = xml_part.read()
    elif "xml_submission_file" in request.form:
        xml = request.form["xml_submission_file"].encode()
    else:
        raise BadRequest("The submission has no xml_submission_file part.")
    files = [
        UploadedFile(upload.filename or name, upload.mimetype, upload.stream)
        for name, upload in request.files.items(multi=True)
        if name != "xml_submission_file"
    ]
    device = request.args.get("deviceID")
    context = BatchContext(
        source="openrosa",
        device_id=device[:200] if device else None,
        submitted_by=g.openrosa_user.user_id,
        received_at=datetime.now(UTC),
    )
    begin_write_transaction()
    try:
        receipt = receive_submission(
            db.session, xml, files, context, Path(current_app.config["DTM_ATTACHMENTS_DIR"])
        )
    except OpenRosaError as exc:
        raise BadRequest(str(exc)) from None
    db.session.commit()
    status, message = answer(receipt)
    response = xml_response(response_xml(message, nature="" if status < 400 else "error"), status)
    response.headers["X-OpenRosa-Accept-Content-Length"] = str(accept_content_length())
    return response


def answer(receipt) -> tuple[int, str]:
    """The status and the message Collect shows for an ingest result (docs/openrosa.md)."""
    result = receipt.result
    files = receipt.new_attachments
    added = f" {files} file(s) stored." if files else ""
    if result.status == CREATED:
        return 201, f"Submission received.{added}"
    if result.status == UPDATED:
        return 201, f"Edit received: it replaces the earlier version of this submission.{added}"
    if result.status == DUPLICATE:
        return 202, f"This submission was already received; nothing was stored twice.{added}"
    if result.status == CONFLICT:
        return 202, (
            _first_message(result.errors) + " Your coordinator will review it; do not send "
            "it again."
        )
    if any(e.get("rule") == "unknown_form" for e in result.errors):
        return 404, (
            _first_message(result.errors) + " The submission was kept for review; ask your "
            "coordinator to publish that form version."
        )
    return 422, (
        "The server could not accept this submission: "
        + "; ".join(_plain(e) for e in result.errors[:5])
        + (f" (and {len(result.errors) - 5} more)" if len(result.errors) > 5 else "")
        + ". It was kept for review; correct the form and send it again."
    )


def _first_message(errors: list[dict]) -> str:
    return errors[0]["message"] if errors else "The submission was kept for review."


def _plain(error: dict) -> str:
    message = error.get("message", "").rstrip(".")
    return f"{error['field']}: {message}" if error.get("field") else message
