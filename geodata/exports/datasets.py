"""What each export dataset holds: its columns (label, type, HXL tag, source question) and
where its rows come from.

Two kinds of dataset. `assessments`, `origins` and `sites` can be a million rows, so they
are plain SQL read straight from the database driver (see geodata.exports.formats for why);
their column expressions are written once here and used for CSV, GeoJSON, GeoPackage and
XLSX alike. `regions` and `movements` are a few hundred rows computed by the summaries
(geodata.summaries, geodata.movements), so they reuse those functions: the files then agree
with the summaries API by construction.

Personal fields (the enumerator, the device, and every answer the XLSForm marks
`sensitive`: enumerator and key-informant names, phone numbers, free-text comments) are
columns with `personal=True`; they exist only in exports for coordinators and admins.
Small-cell suppression blanks counts (`suppressible=True`) from 1 to threshold - 1 in
partner exports, in SQL, so the fast paths stay fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from geodata.errors import SummaryParameterError
from geodata.models import AdminArea
from geodata.models.assessments import SEX_AGE_FIELDS
from geodata.models.sites import SITE_TYPES
from geodata.movements import MOVEMENT_LEVELS, movements
from geodata.summaries import region_summaries, resolve_round, summary_levels

DATASETS = ("assessments", "origins", "sites", "regions", "movements")
# Datasets whose rows are about single sites: small-cell suppression applies to these.
SITE_LEVEL_DATASETS = ("assessments", "origins", "sites")
# Site ids sort by their bytes on both backends (SQLite's own order; PostgreSQL's "C"
# collation), so a file lists sites in the same order whichever store wrote it.
BYTE_ORDER = {"sqlite": "", "postgis": ' COLLATE "C"'}


@dataclass(frozen=True)
class Column:
    """One exported column. `sql` is its expression over the dataset's FROM clause
    (None for datasets computed in Python); `source` the form question it comes from."""

    name: str
    label: str
    type: str  # string, integer, number, date, datetime, boolean
    hxl: str = ""
    source: str = ""
    sql: str | None = None
    personal: bool = False
    suppressible: bool = False

    def as_dict(self, dataset: str) -> dict:
        return {
            "dataset": dataset,
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "hxl": self.hxl or None,
            "source_question": self.source or None,
            "personal": self.personal,
            "suppressible": self.suppressible,
        }


def _count(name: str, label: str, hxl: str, table: str = "a", source: str | None = None):
    return Column(
        name,
        label,
        "integer",
        hxl,
        source if source is not None else name,
        f"{table}.{name}",
        suppressible=True,
    )


_SADD_LABELS = {
    "female_0_4": ("Girls aged 0-4", "#affected+idps+f+age0_4"),
    "female_5_17": ("Girls aged 5-17", "#affected+idps+f+age5_17"),
    "female_18_59": ("Women aged 18-59", "#affected+idps+f+age18_59"),
    "female_60_plus": ("Women aged 60+", "#affected+idps+f+age60_"),
    "male_0_4": ("Boys aged 0-4", "#affected+idps+m+age0_4"),
    "male_5_17": ("Boys aged 5-17", "#affected+idps+m+age5_17"),
    "male_18_59": ("Men aged 18-59", "#affected+idps+m+age18_59"),
    "male_60_plus": ("Men aged 60+", "#affected+idps+m+age60_"),
}
assert tuple(_SADD_LABELS) == SEX_AGE_FIELDS

# The figures of one assessment, shared by `assessments` and `sites` (alias `a`).
FIGURE_COLUMNS = (
    _count("households", "Households", "#affected+idps+hh"),
    _count("individuals", "Individuals", "#affected+idps+ind"),
    *(_count(f, label, tag) for f, (label, tag) in _SADD_LABELS.items()),
    _count("arrivals_households", "Households that arrived", "#affected+idps+arrivals+hh"),
    _count("arrivals_individuals", "Individuals who arrived", "#affected+idps+arrivals+ind"),
    _count("departures_households", "Households that left", "#affected+idps+departures+hh"),
    _count("departures_individuals", "Individuals who left", "#affected+idps+departures+ind"),
    _count("returnee_households", "Returnee households", "#affected+returnees+hh"),
    _count("returnee_individuals", "Returnee individuals", "#affected+returnees+ind"),
    Column(
        "priority_need_1",
        "First priority need",
        "string",
        "#sector+need+first",
        "priority_need_1",
        "a.priority_need_1",
    ),
    Column(
        "priority_need_2",
        "Second priority need",
        "string",
        "#sector+need+second",
        "priority_need_2",
        "a.priority_need_2",
    ),
    Column(
        "priority_need_3",
        "Third priority need",
        "string",
        "#sector+need+third",
        "priority_need_3",
        "a.priority_need_3",
    ),
    # The bundled form gives these no tag; #x_ is HXL's prefix for custom hashtags.
    Column(
        "functional_latrines",
        "Working latrines",
        "integer",
        "#x_latrines+functional",
        "functional_latrines",
        "a.functional_latrines",
    ),
    Column(
        "functional_water_points",
        "Working water points",
        "integer",
        "#x_water_points+functional",
        "functional_water_points",
        "a.functional_water_points",
    ),
    Column(
        "health_facility_access",
        "Can people reach a health facility?",
        "string",
        "#x_health_access",
        "health_facility_access",
        "a.health_facility_access",
    ),
    Column(
        "site_management",
        "Is there a site management agency?",
        "string",
        "#x_site_management",
        "site_management",
        "a.site_management",
    ),
)


def _located(alias: str) -> tuple[Column, ...]:
    return (
        Column("lon", "Longitude", "number", "#geo+lon", "location", f"{alias}.lon"),
        Column("lat", "Latitude", "number", "#geo+lat", "location", f"{alias}.lat"),
        Column(
            "location_status",
            "Where the point fell (located, outside, no_location)",
            "string",
            "#x_location+status",
            "",
            f"{alias}.location_status",
        ),
        Column(
            "admin0_pcode", "Country P-code", "string", "#adm0+code", "", f"{alias}.admin0_pcode"
        ),
        Column(
            "admin1_pcode",
            "Admin 1 P-code (located)",
            "string",
            "#adm1+code",
            "",
            f"{alias}.admin1_pcode",
        ),
        Column(
            "admin2_pcode",
            "Admin 2 P-code (located)",
            "string",
            "#adm2+code",
            "",
            f"{alias}.admin2_pcode",
        ),
    )


ASSESSMENT_COLUMNS = (
    Column("submission_id", "Submission ID", "string", "#meta+id", "instanceID", "a.submission_id"),
    Column("site_id", "Site ID", "string", "#loc+code", "site_id", "a.site_id"),
    Column("site_name", "Site name", "string", "#loc+name", "site_name", "s.name"),
    Column("round", "Assessment round", "integer", "#x_round", "round", "a.round_number"),
    Column(
        "assessment_date",
        "Date of assessment",
        "date",
        "#date+reported",
        "assessment_date",
        "a.assessment_date",
    ),
    Column("form_version", "Form version", "string", "#meta+form+version", "", "a.form_version"),
    Column("site_type", "Site type", "string", "#loc+type", "site_type", "a.site_type"),
    Column("site_status", "Site status", "string", "#status", "site_status", "a.site_status"),
    *_located("a"),
    Column(
        "declared_admin1_pcode",
        "Admin 1 P-code (declared)",
        "string",
        "#adm1+code+declared",
        "admin1_pcode",
        "a.declared_admin1_pcode",
    ),
    Column(
        "declared_admin2_pcode",
        "Admin 2 P-code (declared)",
        "string",
        "#adm2+code+declared",
        "admin2_pcode",
        "a.declared_admin2_pcode",
    ),
    *FIGURE_COLUMNS,
    # Personal: coordinators and admins only.
    Column(
        "submitted_by",
        "User who sent the submission",
        "string",
        "#contact+enumerator+username",
        "",
        "u.username",
        personal=True,
    ),
    Column(
        "device_id",
        "Device ID",
        "string",
        "#meta+device",
        "deviceid",
        "sub.device_id",
        personal=True,
    ),
)
# Answers the form marks `sensitive`, read from the stored answers (coordinators only).
SENSITIVE_ANSWERS = (
    ("enumerator_name", "Enumerator name", "#contact+enumerator+name"),
    ("ki_name", "Name of the main key informant", "#contact+informant+name"),
    ("ki_phone", "Phone number of the main key informant", "#contact+informant+phone"),
    ("comments", "Comments", "#description+comments"),
)

ORIGIN_COLUMNS = (
    Column("submission_id", "Submission ID", "string", "#meta+id", "instanceID", "a.submission_id"),
    Column("site_id", "Site ID", "string", "#loc+code", "site_id", "a.site_id"),
    Column("round", "Assessment round", "integer", "#x_round", "round", "a.round_number"),
    Column("position", "Row of the origins repeat", "integer", "#x_position", "", "o.position"),
    Column(
        "origin_admin1_pcode",
        "Admin 1 of origin (P-code)",
        "string",
        "#adm1+origin+code",
        "origin_admin1_pcode",
        "o.origin_admin1_pcode",
    ),
    Column(
        "origin_admin2_pcode",
        "Admin 2 of origin (P-code)",
        "string",
        "#adm2+origin+code",
        "origin_admin2_pcode",
        "o.origin_admin2_pcode",
    ),
    _count(
        "households",
        "Households from this place",
        "#affected+idps+origin+hh",
        "o",
        "origin_households",
    ),
    _count(
        "individuals",
        "Individuals from this place",
        "#affected+idps+origin+ind",
        "o",
        "origin_individuals",
    ),
    Column(
        "displacement_reason",
        "Main reason for displacement",
        "string",
        "#cause+type",
        "displacement_reason",
        "o.displacement_reason",
    ),
)

SITE_COLUMNS = (
    Column("site_id", "Site ID", "string", "#loc+code", "site_id", "s.site_id"),
    Column("site_name", "Site name", "string", "#loc+name", "site_name", "s.name"),
    Column("round", "Assessment round", "integer", "#x_round", "round", "a.round_number"),
    Column(
        "assessment_date",
        "Date of assessment",
        "date",
        "#date+reported",
        "assessment_date",
        "a.assessment_date",
    ),
    Column(
        "submission_id",
        "Submission ID of the assessment that counts",
        "string",
        "#meta+id",
        "instanceID",
        "a.submission_id",
    ),
    Column("site_type", "Site type", "string", "#loc+type", "site_type", "a.site_type"),
    Column("site_status", "Site status", "string", "#status", "site_status", "a.site_status"),
    *_located("s"),
    Column("admin1_name", "Admin 1 name", "string", "#adm1+name", "", "n1.name"),
    Column("admin2_name", "Admin 2 name", "string", "#adm2+name", "", "n2.name"),
    *FIGURE_COLUMNS,
)

REGION_COLUMNS = (
    Column("round", "Assessment round", "integer", "#x_round"),
    Column("level", "Admin level", "integer", "#x_admin_level"),
    Column("pcode", "P-code (empty: sites not placed at this level)", "string", "#adm{level}+code"),
    Column("name", "Name", "string", "#adm{level}+name"),
    Column("parent_pcode", "Parent P-code", "string", "#adm{parent}+code"),
    Column("sites_assessed", "Sites assessed", "integer", "#loc+count"),
    Column("households", "Households", "integer", "#affected+idps+hh"),
    Column("individuals", "Individuals", "integer", "#affected+idps+ind"),
    *(Column(f, label, "integer", tag) for f, (label, tag) in _SADD_LABELS.items()),
    Column(
        "sites_with_sex_age",
        "Sites that gave the sex and age breakdown",
        "integer",
        "#x_sadd_sites",
    ),
    Column(
        "arrivals_households", "Households that arrived", "integer", "#affected+idps+arrivals+hh"
    ),
    Column(
        "arrivals_individuals", "Individuals who arrived", "integer", "#affected+idps+arrivals+ind"
    ),
    Column(
        "departures_households", "Households that left", "integer", "#affected+idps+departures+hh"
    ),
    Column(
        "departures_individuals", "Individuals who left", "integer", "#affected+idps+departures+ind"
    ),
    Column("returnee_households", "Returnee households", "integer", "#affected+returnees+hh"),
    Column("returnee_individuals", "Returnee individuals", "integer", "#affected+returnees+ind"),
    Column(
        "previous_individuals",
        "Individuals in the previous round",
        "integer",
        "#affected+idps+ind+previous",
    ),
    Column(
        "net_change_individuals",
        "Change in individuals since the previous round",
        "integer",
        "#affected+idps+ind+change",
    ),
    Column("top_need", "Need with the highest score", "string", "#sector+need+first"),
    Column(
        "people_per_functional_latrine",
        "People per working latrine",
        "number",
        "#indicator+latrines+ratio",
    ),
    Column(
        "people_per_functional_water_point",
        "People per working water point",
        "number",
        "#indicator+water_points+ratio",
    ),
    Column(
        "health_access_share",
        "Share of sites with health facility access",
        "number",
        "#indicator+health_access+pct",
    ),
)

MOVEMENT_COLUMNS = (
    Column("round", "Assessment round", "integer", "#x_round"),
    Column("level", "Admin level", "integer", "#x_admin_level"),
    Column("origin_pcode", "Origin P-code", "string", "#adm{level}+origin+code"),
    Column("origin_name", "Origin name", "string", "#adm{level}+origin+name"),
    Column(
        "destination_pcode",
        "Destination P-code (empty: not placed)",
        "string",
        "#adm{level}+dest+code",
    ),
    Column("destination_name", "Destination name", "string", "#adm{level}+dest+name"),
    Column("households", "Households", "integer", "#affected+idps+hh"),
    Column("individuals", "Individuals", "integer", "#affected+idps+ind"),
)

ALL_COLUMNS = {
    "assessments": ASSESSMENT_COLUMNS
    + tuple(
        Column(name, label, "string", tag, name, None, personal=True)
        for name, label, tag in SENSITIVE_ANSWERS
    ),
    "origins": ORIGIN_COLUMNS,
    "sites": SITE_COLUMNS,
    "regions": REGION_COLUMNS,
    "movements": MOVEMENT_COLUMNS,
}


def dictionary() -> list[dict]:
    """Every column of every dataset: label, type, HXL tag and source question."""
    return [c.as_dict(name) for name, columns in ALL_COLUMNS.items() for c in columns]


# --- filters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRequest:
    """What was asked for. `round` None means every round (assessments, origins) or the
    latest round with assessments (the others); `suppress_below` 0 means no suppression."""

    dataset: str
    round: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    admin: str | None = None
    site_type: str | None = None
    form_version: str | None = None
    level: int | None = None
    personal: bool = False
    suppress_below: int = 0
    admin_level: int | None = field(default=None, compare=False)
    # Several rounds at once (OGC API datetime filters); sites dataset only.
    rounds: tuple[int, ...] | None = None

    def filters(self) -> dict:
        """The filters as given, for file metadata and the audit log."""
        values = {
            "round": self.round,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "admin": self.admin,
            "site_type": self.site_type,
            "form_version": self.form_version,
            "level": self.level,
        }
        return {k: v for k, v in values.items() if v is not None}


def resolve(session: Session, asked: ExportRequest) -> ExportRequest:
    """Check every parameter against the database and fill in defaults (round, level).
    Raises SummaryParameterError naming the parameter at fault."""
    if asked.dataset not in DATASETS:
        raise SummaryParameterError(
            f"Unknown dataset {asked.dataset!r}; one of: {', '.join(DATASETS)}.", "dataset"
        )
    changes: dict = {}
    if asked.round is not None or asked.dataset not in ("assessments", "origins"):
        changes["round"] = resolve_round(session, asked.round)
    if asked.date_from and asked.date_to and asked.date_from > asked.date_to:
        raise SummaryParameterError("Parameter 'from' must not be after 'to'.", "from")
    if asked.site_type is not None and asked.site_type not in SITE_TYPES:
        raise SummaryParameterError(
            f"Unknown site type {asked.site_type!r}; one of: {', '.join(SITE_TYPES)}.",
            "site_type",
        )
    if asked.admin is not None:
        level = session.execute(
            select(AdminArea.level).where(AdminArea.pcode == asked.admin)
        ).scalar()
        if level is None:
            raise SummaryParameterError(
                f"There is no admin area with P-code {asked.admin!r}.", "admin"
            )
        changes["admin_level"] = level
    loaded = summary_levels(session)
    if asked.dataset == "regions":
        level = asked.level if asked.level is not None else (1 if 1 in loaded else 0)
        if level != 0 and level not in loaded:
            raise SummaryParameterError(
                f"Admin level {level} is not loaded (loaded levels: "
                f"{', '.join(str(lv) for lv in loaded if lv) or 'none'}).",
                "level",
            )
        changes["level"] = level
    elif asked.dataset == "movements":
        default = max((lv for lv in loaded if lv in MOVEMENT_LEVELS), default=None)
        level = asked.level if asked.level is not None else default
        if level is None or level not in MOVEMENT_LEVELS or level not in loaded:
            raise SummaryParameterError(
                "Movements are given at admin level 1 or 2, and that level must be loaded.",
                "level",
            )
        changes["level"] = level
    elif asked.level is not None:
        raise SummaryParameterError(
            "Parameter 'level' applies to the regions and movements datasets only.", "level"
        )
    return replace(asked, **changes)


def columns_for(asked: ExportRequest) -> list[Column]:
    columns = [c for c in ALL_COLUMNS[asked.dataset] if asked.personal or not c.personal]
    level = asked.level or 0
    return [
        replace(c, hxl=c.hxl.format(level=level, parent=max(level - 1, 0))) if "{" in c.hxl else c
        for c in columns
    ]


def suppression_applies(asked: ExportRequest) -> bool:
    return asked.suppress_below > 1 and asked.dataset in SITE_LEVEL_DATASETS


# --- SQL datasets ------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A SELECT with named parameters (`:name`): its column expressions (in `columns`
    order), its FROM .. WHERE part and its ORDER BY."""

    expressions: list[str]
    from_where: str
    order_by: str
    params: dict
    columns: list[Column]

    @property
    def sql(self) -> str:
        return f"SELECT {', '.join(self.expressions)} {self.from_where} ORDER BY {self.order_by}"

    def aliased(self) -> str:
        """The SELECT with every column named as in the export, unordered (to wrap)."""
        named = ", ".join(
            f'{sql} AS "{c.name}"' for sql, c in zip(self.expressions, self.columns, strict=True)
        )
        return f"SELECT {named} {self.from_where}"


def _json_answer(backend: str, name: str) -> str:
    if backend == "postgis":
        return f"(sub.data ->> '{name}')"
    return f"json_extract(sub.data, '$.{name}')"


def _expression(column: Column, backend: str, suppress: int) -> str:
    sql = column.sql if column.sql is not None else _json_answer(backend, column.name)
    if suppress > 1 and column.suppressible:
        # Zero reveals nobody; 1 .. threshold-1 could identify a household.
        return f"CASE WHEN {sql} BETWEEN 1 AND {int(suppress) - 1} THEN NULL ELSE {sql} END"
    return sql


def _common_conditions(asked: ExportRequest, site_alias: str) -> tuple[list[str], dict]:
    conditions, params = [], {}
    if asked.round is not None and asked.rounds is None:
        conditions.append("a.round_number = :round")
        params["round"] = asked.round
    if asked.date_from is not None:
        conditions.append("a.assessment_date >= :date_from")
        params["date_from"] = asked.date_from
    if asked.date_to is not None:
        conditions.append("a.assessment_date <= :date_to")
        params["date_to"] = asked.date_to
    if asked.admin is not None:
        # Where the site is placed (as in the summaries): its sub-areas are included.
        conditions.append(f"{site_alias}.admin{int(asked.admin_level)}_pcode = :admin")
        params["admin"] = asked.admin
    if asked.site_type is not None:
        conditions.append("a.site_type = :site_type")
        params["site_type"] = asked.site_type
    if asked.form_version is not None:
        conditions.append("a.form_version = :form_version")
        params["form_version"] = asked.form_version
    return conditions, params


def sql_query(asked: ExportRequest, backend: str, *, columns: list[Column] | None = None) -> Query:
    """The SELECT of a SQL dataset (assessments, origins, sites), ordered stably."""
    columns = columns if columns is not None else columns_for(asked)
    suppress = asked.suppress_below if suppression_applies(asked) else 0
    expressions = [_expression(c, backend, suppress) for c in columns]
    conditions, params = _common_conditions(asked, "s")
    if asked.dataset == "assessments":
        joins = "JOIN sites s ON s.id = a.site_pk"
        if asked.personal:
            joins += (
                " JOIN submissions sub ON sub.seq = a.submission_seq"
                " LEFT JOIN users u ON u.id = sub.submitted_by"
            )
        where = " AND ".join(['a."current"', *conditions])
        return Query(
            expressions, f"FROM assessments a {joins} WHERE {where}", "a.id", params, columns
        )
    if asked.dataset == "origins":
        where = " AND ".join(['a."current"', *conditions])
        return Query(
            expressions,
            "FROM assessment_origins o JOIN assessments a ON a.id = o.assessment_id "
            f"JOIN sites s ON s.id = a.site_pk WHERE {where}",
            "a.id, o.position",
            params,
            columns,
        )
    if asked.dataset == "sites":
        # Per site and round, the current assessment received last (geodata.summaries).
        in_rounds = (
            "= :round"
            if asked.rounds is None
            else f"IN ({', '.join(str(int(r)) for r in asked.rounds) or 'NULL'})"
        )
        if backend == "postgis":
            # One pass over the round's index entries: the IN (max ..) form below costs an
            # index lookup per site, most of the GeoJSON export's time at 50,000 sites.
            source = (
                "(SELECT DISTINCT ON (site_pk, round_number) * FROM assessments "
                f'WHERE "current" AND round_number {in_rounds} '
                "ORDER BY site_pk, round_number, submission_seq DESC) a"
            )
        else:
            source = "assessments a"
            conditions.insert(
                0,
                "a.submission_seq IN (SELECT max(submission_seq) FROM assessments "
                f'WHERE "current" AND round_number {in_rounds} GROUP BY site_pk, round_number)',
            )
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        return Query(
            expressions,
            f"FROM {source} JOIN sites s ON s.id = a.site_pk "
            "LEFT JOIN admin_areas n1 ON n1.pcode = s.admin1_pcode "
            f"LEFT JOIN admin_areas n2 ON n2.pcode = s.admin2_pcode {where}",
            f"s.site_id{BYTE_ORDER[backend]}, a.round_number",
            params,
            columns,
        )
    raise ValueError(f"{asked.dataset} is not a SQL dataset")


# --- datasets computed by the summaries --------------------------------------------------


def _within(session: Session, admin: str | None) -> set[str] | None:
    """P-codes of `admin` and every area below it (None: no filter)."""
    if admin is None:
        return None
    children: dict[str | None, list[str]] = {}
    for pcode, parent in session.execute(select(AdminArea.pcode, AdminArea.parent_pcode)):
        children.setdefault(parent, []).append(pcode)
    found, todo = set(), [admin]
    while todo:
        code = todo.pop()
        found.add(code)
        todo.extend(children.get(code, []))
    return found


def _top_need(entry: dict) -> str | None:
    return entry["needs"][0]["need"] if entry["needs"] else None


def region_rows(session: Session, asked: ExportRequest) -> Iterator[tuple]:
    """One row per area of the level (and one for sites not placed at it), as tuples in
    REGION_COLUMNS order."""
    summary = region_summaries(session, asked.level, asked.round)
    within = _within(session, asked.admin)
    entries = list(summary["regions"])
    if summary["unlocated"] is not None and within is None:
        entries.append(summary["unlocated"] | {"parent_pcode": None})
    for entry in entries:
        if within is not None and entry["pcode"] not in within:
            continue
        conditions = entry["conditions"]
        yield (
            summary["round"],
            asked.level,
            entry["pcode"],
            entry["name"],
            entry["parent_pcode"],
            entry["sites_assessed"],
            entry["households"],
            entry["individuals"],
            *(entry[f] for f in SEX_AGE_FIELDS),
            entry["sites_with_sex_age"],
            entry["arrivals_households"],
            entry["arrivals_individuals"],
            entry["departures_households"],
            entry["departures_individuals"],
            entry["returnee_households"],
            entry["returnee_individuals"],
            entry["previous_individuals"],
            entry["net_change_individuals"],
            _top_need(entry),
            conditions["people_per_functional_latrine"],
            conditions["people_per_functional_water_point"],
            conditions["health_access_share"],
        )


def movement_rows(session: Session, asked: ExportRequest) -> Iterator[tuple]:
    """Origin -> destination flows, as tuples in MOVEMENT_COLUMNS order."""
    found = movements(session, asked.level, asked.round)
    within = _within(session, asked.admin)
    for flow in found["flows"]:
        if within is not None and not (
            flow["origin_pcode"] in within or flow["destination_pcode"] in within
        ):
            continue
        yield (
            found["round"],
            asked.level,
            flow["origin_pcode"],
            flow["origin_name"],
            flow["destination_pcode"],
            flow["destination_name"],
            flow["households"],
            flow["individuals"],
        )
