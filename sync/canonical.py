"""Canonical content hashes: the same record always hashes the same, whoever re-sends it."""

import hashlib
import json


def canonical_json(value) -> str:
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=str,
    )


def content_hash(form_id, form_version, base_version, data) -> str:
    """Hash of what a submission says (not of when or from where it was sent)."""
    body = {
        "form_id": form_id,
        "form_version": form_version,
        "base_version": base_version,
        "data": data,
    }
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()
