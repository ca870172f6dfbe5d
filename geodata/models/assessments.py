from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from geodata.models.base import Base, utcnow

SEX_AGE_FIELDS = (
    "female_0_4",
    "female_5_17",
    "female_18_59",
    "female_60_plus",
    "male_0_4",
    "male_5_17",
    "male_18_59",
    "male_60_plus",
)
# Core form answers copied into typed columns, so summaries aggregate in SQL.
COUNT_FIELDS = (
    "households",
    "individuals",
    *SEX_AGE_FIELDS,
    "arrivals_households",
    "arrivals_individuals",
    "departures_households",
    "departures_individuals",
    "returnee_households",
    "returnee_individuals",
    "functional_latrines",
    "functional_water_points",
)
CHOICE_FIELDS = (
    "site_type",
    "site_status",
    "priority_need_1",
    "priority_need_2",
    "priority_need_3",
    "health_facility_access",
    "site_management",
)


class Round(Base):
    """An assessment round: a number, a name and a period; open or closed."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR start_date <= end_date", name="period"
        ),
    )


class Assessment(Base):
    """A site assessment: one accepted submission version, with its core answers typed.

    `current` marks the latest version of its submission (edits supersede); per site and
    round, summaries use the current assessment received last (highest submission_seq).
    """

    __tablename__ = "assessments"

    # The submission's seq: one assessment per accepted submission version, so ingest knows
    # every id before inserting (no RETURNING round trip, origins reference it directly).
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    submission_seq: Mapped[int] = mapped_column(
        ForeignKey("submissions.seq"), nullable=False, unique=True
    )
    submission_id: Mapped[str] = mapped_column(String(36), nullable=False)
    root_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id"), nullable=False, index=True)
    site_id: Mapped[str] = mapped_column(String(100), nullable=False)
    form_id: Mapped[str] = mapped_column(String(100), nullable=False)
    form_version: Mapped[str] = mapped_column(String(100), nullable=False)
    round_number: Mapped[int | None] = mapped_column(Integer)
    # True when the submission named its round; False when it was filed by its date (so a
    # round created or re-dated later files it again, see geodata.rounds.refile).
    round_named: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    assessment_date: Mapped[date | None] = mapped_column(Date)
    current: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    declared_admin1_pcode: Mapped[str | None] = mapped_column(String(64))
    declared_admin2_pcode: Mapped[str | None] = mapped_column(String(64))
    admin0_pcode: Mapped[str | None] = mapped_column(String(64))
    admin1_pcode: Mapped[str | None] = mapped_column(String(64))
    admin2_pcode: Mapped[str | None] = mapped_column(String(64))
    admin3_pcode: Mapped[str | None] = mapped_column(String(64))
    admin4_pcode: Mapped[str | None] = mapped_column(String(64))
    location_status: Mapped[str] = mapped_column(String(16), nullable=False, default="no_location")
    admin_mismatch: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    site_type: Mapped[str | None] = mapped_column(String(32))
    site_status: Mapped[str | None] = mapped_column(String(16))
    households: Mapped[int | None] = mapped_column(Integer)
    individuals: Mapped[int | None] = mapped_column(Integer)
    female_0_4: Mapped[int | None] = mapped_column(Integer)
    female_5_17: Mapped[int | None] = mapped_column(Integer)
    female_18_59: Mapped[int | None] = mapped_column(Integer)
    female_60_plus: Mapped[int | None] = mapped_column(Integer)
    male_0_4: Mapped[int | None] = mapped_column(Integer)
    male_5_17: Mapped[int | None] = mapped_column(Integer)
    male_18_59: Mapped[int | None] = mapped_column(Integer)
    male_60_plus: Mapped[int | None] = mapped_column(Integer)
    arrivals_households: Mapped[int | None] = mapped_column(Integer)
    arrivals_individuals: Mapped[int | None] = mapped_column(Integer)
    departures_households: Mapped[int | None] = mapped_column(Integer)
    departures_individuals: Mapped[int | None] = mapped_column(Integer)
    returnee_households: Mapped[int | None] = mapped_column(Integer)
    returnee_individuals: Mapped[int | None] = mapped_column(Integer)
    priority_need_1: Mapped[str | None] = mapped_column(String(32))
    priority_need_2: Mapped[str | None] = mapped_column(String(32))
    priority_need_3: Mapped[str | None] = mapped_column(String(32))
    functional_latrines: Mapped[int | None] = mapped_column(Integer)
    functional_water_points: Mapped[int | None] = mapped_column(Integer)
    health_facility_access: Mapped[str | None] = mapped_column(String(8))
    site_management: Mapped[str | None] = mapped_column(String(8))

    origins: Mapped[list["AssessmentOrigin"]] = relationship(
        back_populates="assessment", order_by="AssessmentOrigin.position"
    )

    __table_args__ = (
        Index("ix_assessments_round_site", "round_number", "site_pk", "current"),
        Index("ix_assessments_site_round", "site_pk", "round_number"),
        # Finds each site's current assessment of a round from the index alone.
        Index(
            "ix_assessments_round_winner", "round_number", "current", "site_pk", "submission_seq"
        ),
    )


class AssessmentOrigin(Base):
    """One row of an assessment's `origins` repeat: where displaced people came from."""

    __tablename__ = "assessment_origins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    origin_admin1_pcode: Mapped[str | None] = mapped_column(String(64))
    origin_admin2_pcode: Mapped[str | None] = mapped_column(String(64))
    households: Mapped[int | None] = mapped_column(Integer)
    individuals: Mapped[int | None] = mapped_column(Integer)
    displacement_reason: Mapped[str | None] = mapped_column(String(32))

    assessment: Mapped[Assessment] = relationship(back_populates="origins")


# Figures summed per region, round and site type in `region_totals` (see geodata.summaries).
REGION_TOTAL_FIELDS = (
    "sites_assessed",
    "households",
    "individuals",
    *SEX_AGE_FIELDS,
    "sex_age_sites",
    "arrivals_households",
    "arrivals_individuals",
    "departures_households",
    "departures_individuals",
    "returnee_households",
    "returnee_individuals",
    "latrine_sites",
    "latrine_individuals",
    "functional_latrines",
    "water_point_sites",
    "water_point_individuals",
    "functional_water_points",
    "health_answered",
    "health_access",
)


class RegionTotal(Base):
    """Sums of the current assessments of one round, per admin area and site type.

    Maintained with every ingested batch (geodata.summaries.RegionTotalsChange) and rebuilt
    whole when boundaries or rounds change. No CHECK (>= 0) here: batches add differences
    with INSERT .. ON CONFLICT DO UPDATE, and SQLite checks the (negative) row to insert
    before it finds the conflict. `pcode` is '' for sites not placed at that
    level (no GPS, or outside every area), `site_type` '' when not given: each site counts
    once per level, so the rows of any one level add up to the country total.
    """

    __tablename__ = "region_totals"

    round_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    pcode: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    sites_assessed: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    households: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    individuals: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    female_0_4: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    female_5_17: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    female_18_59: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    female_60_plus: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    male_0_4: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    male_5_17: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    male_18_59: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    male_60_plus: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    sex_age_sites: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    arrivals_households: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    arrivals_individuals: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    departures_households: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    departures_individuals: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    returnee_households: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    returnee_individuals: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    latrine_sites: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    latrine_individuals: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    functional_latrines: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    water_point_sites: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    water_point_individuals: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    functional_water_points: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    health_answered: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    health_access: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class RegionNeedTotal(Base):
    """Priority needs of one round per admin area: the 3/2/1 score, how many sites cite the
    need first, and how many cite it at all. Maintained with RegionTotal."""

    __tablename__ = "region_need_totals"

    round_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    pcode: Mapped[str] = mapped_column(String(64), primary_key=True)
    need: Mapped[str] = mapped_column(String(32), primary_key=True)
    score: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    first_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    cited_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
