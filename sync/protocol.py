"""The sync batch envelope: what `POST /api/v1/sync/submissions` accepts around its items.

Items themselves are checked one by one by ingest (a bad item never fails the batch);
this schema only checks the envelope, whose faults make the whole request unusable.
"""

from datetime import UTC

from marshmallow import EXCLUDE, Schema, fields, validate


class BatchSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    device_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    sent_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    batch_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    items = fields.List(fields.Raw(allow_none=True), required=True)
