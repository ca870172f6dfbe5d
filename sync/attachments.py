"""Files sent with submissions (photos from ODK Collect): streamed to disk, recorded in the store.

A file is written to a temporary file in the attachments directory while its sha256 is
computed (never held whole in memory), then moved into place under
`<submission id>/<sha256>`: content-addressed, so a file name from a device never becomes a
path, and a resend of the same bytes writes nothing new. The row is flushed in the caller's
transaction; if that transaction rolls back, a moved file stays behind unreferenced, which
is harmless (the next resend reuses it).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from geodata.models import Submission, SubmissionAttachment
from geodata.models.base import utcnow

CHUNK = 1024 * 1024
MAX_FILENAME = 255
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class StoredAttachment:
    filename: str
    sha256: str
    size: int
    status: str  # "created", "unchanged" or "replaced"


def safe_filename(name: str | None) -> str | None:
    """The name as given if it is a plain file name (no path, no control characters)."""
    if not name or len(name) > MAX_FILENAME or _UNSAFE.search(name) or name in (".", ".."):
        return None
    return name


def store_attachment(
    session: Session,
    root: Path,
    submission_id: str,
    content_hash: str,
    filename: str,
    content_type: str | None,
    stream: BinaryIO,
) -> StoredAttachment:
    """Store one file of one submission copy; idempotent for the same bytes. Flushes.

    `submission_id` must be canonical UUID text (it names a folder)."""
    if str(uuid.UUID(submission_id)) != submission_id:
        raise ValueError(f"{submission_id!r} is not a canonical UUID")
    folder = root / submission_id
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        sha256 = digest.hexdigest()
        final = folder / sha256
        if final.exists():
            os.unlink(temporary)
        else:
            os.replace(temporary, final)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    relative = f"{submission_id}/{sha256}"
    existing = session.execute(
        select(SubmissionAttachment).where(
            SubmissionAttachment.submission_id == submission_id,
            SubmissionAttachment.content_hash == content_hash,
            SubmissionAttachment.filename == filename,
        )
    ).scalar_one_or_none()
    kind = (content_type or "application/octet-stream")[:255]
    if existing is None:
        session.add(
            SubmissionAttachment(
                submission_id=submission_id,
                content_hash=content_hash,
                filename=filename,
                content_type=kind,
                size=size,
                sha256=sha256,
                storage_path=relative,
                received_at=utcnow(),
            )
        )
        status = "created"
    elif existing.sha256 == sha256:
        status = "unchanged"
    else:  # as ODK Central: the newest bytes sent under a name replace the earlier ones
        existing.sha256, existing.size, existing.storage_path = sha256, size, relative
        existing.content_type, existing.received_at = kind, utcnow()
        status = "replaced"
    session.flush()
    return StoredAttachment(filename, sha256, size, status)


def find_attachment(
    session: Session, submission_id: str, filename: str
) -> SubmissionAttachment | None:
    """The file of the stored record (the copy whose content is in `submissions`), else the
    most recently received copy's (a quarantined submission's photo)."""
    stored_hash = session.execute(
        select(Submission.content_hash).where(Submission.submission_id == submission_id)
    ).scalar()
    rows = (
        session.execute(
            select(SubmissionAttachment)
            .where(
                SubmissionAttachment.submission_id == submission_id,
                SubmissionAttachment.filename == filename,
            )
            .order_by(SubmissionAttachment.received_at.desc(), SubmissionAttachment.id.desc())
        )
        .scalars()
        .all()
    )
    for row in rows:
        if row.content_hash == stored_hash:
            return row
    return rows[0] if rows else None
