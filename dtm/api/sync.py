from datetime import UTC, datetime

import orjson
from flask import current_app, jsonify, request
from marshmallow import ValidationError

from dtm.api import api_v1
from dtm.api.params import int_arg
from dtm.auth import begin_write_transaction, current_user, require_role
from dtm.errors import InvalidBody, PayloadTooLarge, UnsupportedMediaType
from dtm.extensions import db
from geodata.collector import collector_paused
from geodata.rounds import current_round, round_json
from sync.canonical import unstorable_part
from sync.ingest import BatchContext, ingest_batch
from sync.protocol import BatchSchema
from sync.reference import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    admin_areas_table,
    forms_summary,
    sites_since,
)


@api_v1.post("/sync/submissions")
@require_role("enumerator", "coordinator")
@collector_paused()  # a batch makes ~100,000 acyclic objects (geodata.collector)
def sync_submissions():
    """Store a batch of submissions; one result per item, in order (see README, Sync)."""
    batch = read_json_body(
        BatchSchema(),
        max_bytes=current_app.config["DTM_SYNC_MAX_BYTES"],
        checked_per_item=("items",),  # a bad item is quarantined, the others kept
    )
    limit = current_app.config["DTM_SYNC_MAX_ITEMS"]
    if len(batch["items"]) > limit:
        raise PayloadTooLarge(
            f"A batch may hold at most {limit} items; this one has "
            f"{len(batch['items'])}. Send them in smaller batches.",
            details={"max_items": limit},
        )
    received_at = datetime.now(UTC)
    skew = (received_at - batch["sent_at"]).total_seconds() if batch["sent_at"] else None
    context = BatchContext(
        source="sync",
        device_id=batch["device_id"],
        submitted_by=current_user().id,
        received_at=received_at,
        clock_skew_seconds=skew,
        batch_id=batch["batch_id"],
    )
    results = ingest_batch(
        db.session, batch["items"], context, before_writing=begin_write_transaction
    )
    db.session.commit()
    return jsonify(
        {"server_time": received_at.isoformat(), "results": [r.as_dict() for r in results]}
    )


@api_v1.get("/sync/reference")
@require_role("enumerator", "coordinator")
def sync_reference():
    """Sites changed since a cursor, forms, admin areas and the current round."""
    since = int_arg("since", default=0, minimum=0)
    limit = int_arg("limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    page = sites_since(db.session, since, limit)
    areas, areas_etag = admin_areas_table(db.session)
    body = {
        "server_time": datetime.now(UTC).isoformat(),
        "since": since,
        "cursor": page.cursor,
        "has_more": page.has_more,
        "sites": page.sites,
        "forms": forms_summary(db.session),
        "admin_areas_etag": areas_etag,
        "current_round": round_json(current_round(db.session, datetime.now(UTC).date())),
    }
    if request.args.get("admin_areas_etag") != areas_etag:
        body["admin_areas"] = areas  # omitted when the client already has this version
    return jsonify(body)


def read_json_body(schema, max_bytes: int, checked_per_item: tuple[str, ...] = ()) -> dict:
    """Parse a JSON request body with `schema`, answering each fault with a precise 4xx.

    What is under the top-level keys `checked_per_item` is left to the caller (sync items
    are checked one by one, so one bad item never fails the others)."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            f"Send the body as application/json, not {request.mimetype or 'no content type'}."
        )
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(
            f"The body may be at most {max_bytes} bytes.", details={"max_bytes": max_bytes}
        )
    raw = request.get_data(cache=False)
    if len(raw) > max_bytes:
        raise PayloadTooLarge(
            f"The body may be at most {max_bytes} bytes.", details={"max_bytes": max_bytes}
        )
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidBody(f"The body is not valid JSON: {exc}.", details={}) from None
    if not isinstance(body, dict):
        raise InvalidBody("The body must be a JSON object.")
    unstorable = unstorable_part(body, checked_per_item)
    if unstorable is not None:
        field, problem = unstorable
        raise InvalidBody(
            f"The request body is not valid: {field or 'the body'} {problem}.",
            details={"fields": {field: [problem]}},
        )
    try:
        return schema.load(body)
    except ValidationError as exc:
        fields = ", ".join(sorted(exc.messages))
        raise InvalidBody(
            f"The request body is not valid: check {fields}.", details={"fields": exc.messages}
        ) from None
