"""Canonical content hashes: the same record always hashes the same, whoever re-sends it.

orjson with sorted keys: byte-identical output for equal values, and several times faster
than the standard library, which matters at thousands of items per second.
"""

import hashlib

import orjson


def canonical_json(value) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)


def content_hash(form_id, form_version, base_version, data) -> str:
    """Hash of what a submission says (not of when or from where it was sent)."""
    body = {
        "form_id": form_id,
        "form_version": form_version,
        "base_version": base_version,
        "data": data,
    }
    return hashlib.sha256(canonical_json(body)).hexdigest()


# Deeper than any form's answers go (repeats in groups are a few levels) and well within
# the 254 levels orjson writes, beyond which content can be neither hashed nor stored.
MAX_DEPTH = 64


def unstorable_part(value, skip: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """The dotted path of the first part of a JSON value the store cannot keep as sent, and
    why: a NUL character (PostgreSQL text refuses it; SQLite would keep it, so both refuse)
    or nesting deeper than MAX_DEPTH. Top-level keys in `skip` are not looked into."""
    pending = [(value, "", 0)]
    while pending:
        current, path, depth = pending.pop()
        if depth > MAX_DEPTH:
            return path, f"is nested deeper than {MAX_DEPTH} levels"
        if isinstance(current, str):
            if "\x00" in current:
                return path, "contains a NUL character"
        elif isinstance(current, dict):
            for key, child in current.items():
                child_path = f"{path}.{key}" if path else str(key)
                if "\x00" in str(key):
                    return child_path, "has a NUL character in its name"
                if not (depth == 0 and key in skip):
                    pending.append((child, child_path, depth + 1))
        elif isinstance(current, list):
            pending.extend(
                (child, f"{path}.{i}" if path else str(i), depth + 1)
                for i, child in enumerate(current)
            )
    return None
