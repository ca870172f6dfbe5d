from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from geodata.models.base import Base, utcnow
from geodata.types import Geometry


class AdminLevel(Base):
    """One imported admin level (COD-AB layer): where it came from and when."""

    __tablename__ = "admin_levels"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    import_id: Mapped[str] = mapped_column(String(32), nullable=False)
    source: Mapped[str] = mapped_column(String(500), nullable=False)
    feature_count: Mapped[int] = mapped_column(Integer, nullable=False)
    repaired_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (CheckConstraint("level BETWEEN 0 AND 4", name="level_range"),)


class AdminArea(Base):
    """An administrative area with its P-code (kept as a string: leading zeros matter)."""

    __tablename__ = "admin_areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pcode: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    level: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    parent_pcode: Mapped[str | None] = mapped_column(String(64), index=True)
    # "column" when the file named the parent, "containment" when we derived it.
    parent_source: Mapped[str | None] = mapped_column(String(16))
    geom = mapped_column(Geometry("MULTIPOLYGON"), nullable=False)
    # Bounding box, so SQLite can pre-filter without a spatial index.
    min_lon: Mapped[float] = mapped_column(Float, nullable=False)
    min_lat: Mapped[float] = mapped_column(Float, nullable=False)
    max_lon: Mapped[float] = mapped_column(Float, nullable=False)
    max_lat: Mapped[float] = mapped_column(Float, nullable=False)

    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 4", name="level_range"),
        Index("ix_admin_areas_geom", "geom", postgresql_using="gist"),
    )
