from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from geodata.models.base import Base, utcnow

SOURCES = ("sync", "openrosa", "import", "review")


class Submission(Base):
    """Every accepted version of every submission, immutable, in server receive order.

    `submission_id` is the client's UUID: the idempotency key and the unique key that settles
    two concurrent uploads of the same record. An edit is a new row with its own id, the
    same `root_id` and `base_version` = the id it replaces; only the latest is `current`.
    `seq` is the server receive order: nothing is ever ordered by device time.
    """

    __tablename__ = "submissions"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(36), nullable=False, unique=True)
    root_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    base_version: Mapped[str | None] = mapped_column(String(36))
    form_version_pk: Mapped[int] = mapped_column(ForeignKey("form_versions.id"), nullable=False)
    form_id: Mapped[str] = mapped_column(String(100), nullable=False)
    form_version: Mapped[str] = mapped_column(String(100), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    data: Mapped[dict] = mapped_column(JSON, nullable=False)  # cleaned, typed answers
    # The answers exactly as sent, kept only when cleaning changed them (e.g. dropped a
    # non-relevant answer), so nothing a device sent is ever lost.
    raw_data: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="current")
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    device_id: Mapped[str | None] = mapped_column(String(200))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    collected_at: Mapped[str | None] = mapped_column(String(64))  # device time, as sent
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    clock_skew_seconds: Mapped[float | None] = mapped_column(Float)
    batch_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint("status IN ('current', 'superseded')", name="status"),
        CheckConstraint("source IN ('sync', 'openrosa', 'import', 'review')", name="source"),
    )


class QuarantinedSubmission(Base):
    """What the server could not accept: kept whole for a person to review, never dropped.

    `reason` is `invalid` (failed validation, unknown form, bad envelope) or `conflict`
    (same id with other content, or an edit of a version that is no longer current).
    A resend of the same content adds nothing (unique on id, content hash and reason).
    """

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    reason: Mapped[str] = mapped_column(String(16), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    form_id: Mapped[str | None] = mapped_column(String(100))
    form_version: Mapped[str | None] = mapped_column(String(100))
    base_version: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[dict | list | str | None] = mapped_column(JSON)  # the item as received
    errors: Mapped[list] = mapped_column(JSON, nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    device_id: Mapped[str | None] = mapped_column(String(200))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    collected_at: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open", index=True)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_note: Mapped[str | None] = mapped_column(String(1000))

    __table_args__ = (
        UniqueConstraint("submission_id", "content_hash", "reason"),
        CheckConstraint("reason IN ('invalid', 'conflict')", name="reason"),
        CheckConstraint("status IN ('open', 'accepted', 'rejected')", name="status"),
    )


class SubmissionAttachment(Base):
    """A file sent with a submission (a photo from ODK Collect), stored outside the database.

    Keyed by the submission's id, the content hash of the submission copy it came with, and
    its file name: a split upload adds files one POST at a time, a resend of the same file
    changes nothing, and the files of a conflicting copy (kept in quarantine) never replace
    those of the accepted record. `submission_id` is not a foreign key because attachments of
    quarantined copies are kept too. `storage_path` is relative to the attachments directory.
    """

    __tablename__ = "submission_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(100), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(255), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    storage_path: Mapped[str] = mapped_column(String(500), nullable=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("submission_id", "content_hash", "filename"),
        CheckConstraint("size >= 0", name="size_not_negative"),
    )
