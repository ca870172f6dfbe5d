from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from geodata.models.base import Base, utcnow
from geodata.types import Geometry

SITE_TYPES = (
    "camp",
    "collective_centre",
    "informal_settlement",
    "host_community",
    "transit_centre",
    "other",
)
SITE_STATUSES = ("open", "closed", "relocated")
# Where a site's point fell when the locator last placed it.
LOCATION_STATUSES = ("located", "outside", "no_location")
LOCATED_LEVELS = (0, 1, 2, 3, 4)


class Site(Base):
    """The site registry: one row per site, stable across rounds, keyed by its site code."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    site_type: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    geom = mapped_column(Geometry("POINT"))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    declared_admin1_pcode: Mapped[str | None] = mapped_column(String(64))
    declared_admin2_pcode: Mapped[str | None] = mapped_column(String(64))
    admin0_pcode: Mapped[str | None] = mapped_column(String(64))
    admin1_pcode: Mapped[str | None] = mapped_column(String(64), index=True)
    admin2_pcode: Mapped[str | None] = mapped_column(String(64), index=True)
    admin3_pcode: Mapped[str | None] = mapped_column(String(64))
    admin4_pcode: Mapped[str | None] = mapped_column(String(64))
    location_status: Mapped[str] = mapped_column(String(16), nullable=False, default="no_location")
    admin_mismatch: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    first_round: Mapped[int | None] = mapped_column(Integer)
    last_round: Mapped[int | None] = mapped_column(Integer)
    change_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed', 'relocated')", name="status"),
        CheckConstraint(
            "location_status IN ('located', 'outside', 'no_location')", name="location_status"
        ),
        CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat_range"),
        CheckConstraint("lon IS NULL OR (lon BETWEEN -180 AND 180)", name="lon_range"),
        Index("ix_sites_geom", "geom", postgresql_using="gist"),
        Index("ix_sites_lon_lat", "lon", "lat"),
    )

    def located_pcode(self, level: int) -> str | None:
        return getattr(self, f"admin{level}_pcode")
