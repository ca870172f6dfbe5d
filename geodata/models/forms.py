from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from geodata.models.base import Base, utcnow


class Form(Base):
    """A form (XLSForm `form_id`); its published versions are all kept."""

    __tablename__ = "forms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    versions: Mapped[list["FormVersion"]] = relationship(
        back_populates="form", order_by="FormVersion.id"
    )


class FormVersion(Base):
    """One published version: the XLSForm as uploaded, its JSON definition and XForm.

    Immutable once published: tablets offline for weeks submit against old versions, and
    every submission is validated against the version it names.
    """

    __tablename__ = "form_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_pk: Mapped[int] = mapped_column(ForeignKey("forms.id"), nullable=False, index=True)
    version: Mapped[str] = mapped_column(String(100), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    source_filename: Mapped[str | None] = mapped_column(String(255))
    xlsform: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    definition: Mapped[dict] = mapped_column(JSON, nullable=False)
    xform: Mapped[str] = mapped_column(Text, nullable=False)
    # Strong validators: sha256 of the canonical JSON definition, md5 of the XForm bytes.
    definition_etag: Mapped[str] = mapped_column(String(64), nullable=False)
    xform_md5: Mapped[str] = mapped_column(String(32), nullable=False)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    form: Mapped[Form] = relationship(back_populates="versions")

    __table_args__ = (UniqueConstraint("form_pk", "version"),)
