"""Site and region summaries: the figures an operation publishes each round.

Which assessment counts. Per site and round, the *current* assessment is, among the
assessments whose submission version is current (edits supersede their base), the one the
server received last (highest `submission_seq`). Everything below uses only that one.

Where a site counts. In the area the locator places the *site* in (the registry's located
codes, which follow the site's newest point), not where each round's GPS reading fell:
the site is the unit DTM tracks, GPS is optional in a given round, and a site whose reading
jitters across a border must not show as people leaving one district for another. A site
that moves (a newer round with a new point, a boundary re-import) moves with all its
rounds. Sites without a point, or outside every area, count in an "unlocated" bucket at
that level (pcode null); they are never placed by their declared codes, which are what the
mismatch flag checks. Every site therefore counts once per level, and each level adds up
to the country total.

How it stays fast and true. Region figures are sums, so they are kept in `region_totals`
and `region_need_totals` per round, level, area (and site type) and maintained with every
ingested batch: `RegionTotalsChange` takes the current assessments of the (site, round)
pairs a batch touches before and after it writes, and adds the difference, in the batch's
transaction. A site that moved takes all its rounds along. Boundary imports and round
changes rebuild the tables whole (`rebuild_region_totals`). Reading a region summary then
reads a few hundred rows, whatever the number of assessments. Site lists, site histories
and movements are computed on read from indexed assessments.

Missing answers and division by zero:
* counts left unanswered add 0 to sums; `sites_with_sex_age` says how many sites gave the
  sex and age breakdown;
* people per functional latrine (water point) = individuals of the sites that answered the
  latrine (water point) question / their functional latrines (water points); null when no
  site answered or the answers add up to 0 (no working latrine: there is no finite ratio);
* share of sites with health facility access = "yes" answers / sites that answered; null
  when none answered; a need's `first_share` = sites citing it first / sites assessed;
* `net_change_individuals` = individuals now - individuals in the previous round (the
  highest round number below this one with any assessment in the operation); an area with
  no site in that round counts 0 there; null when there is no previous round.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import add, attrgetter, sub

from sqlalchemy import (
    case,
    column,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from geodata.errors import SummaryParameterError, UnknownArea
from geodata.models import (
    AdminArea,
    AdminLevel,
    Assessment,
    RegionNeedTotal,
    RegionTotal,
    Round,
    Site,
)
from geodata.models.assessments import REGION_TOTAL_FIELDS, SEX_AGE_FIELDS
from geodata.models.sites import SITE_TYPES
from geodata.store import InValues, open_store

LEVELS = (0, 1, 2, 3, 4)
NEED_FIELDS = ("priority_need_1", "priority_need_2", "priority_need_3")
NEED_POINTS = (3, 2, 1)
_NEEDS = attrgetter(*NEED_FIELDS)
CHUNK = 500

# What the summaries read of an assessment.
MOVEMENT_FIELDS = (
    "arrivals_households",
    "arrivals_individuals",
    "departures_households",
    "departures_individuals",
    "returnee_households",
    "returnee_individuals",
)
FIGURE_COLUMNS = (
    "households",
    "individuals",
    *SEX_AGE_FIELDS,
    *MOVEMENT_FIELDS,
    "functional_latrines",
    "functional_water_points",
)
WINNER_COLUMNS = (
    "site_pk",
    "round_number",
    "submission_seq",
    "submission_id",
    "assessment_date",
    "site_type",
    "site_status",
    *FIGURE_COLUMNS,
    *NEED_FIELDS,
    "health_facility_access",
)
_WINNER_SELECT = [getattr(Assessment, c) for c in WINNER_COLUMNS]
_SITE_CODES = [getattr(Site, f"admin{lv}_pcode") for lv in LEVELS]


# --- which assessment counts ---------------------------------------------------------


def current_assessments(
    session: Session, *conditions, columns: Sequence[str] | None = None
) -> dict[tuple[int, int], object]:
    """(site_pk, round) -> the current assessment row (WINNER_COLUMNS, or only `columns`
    plus site_pk and round_number) of that pair, among the assessments matching
    `conditions`."""
    selected = (
        _WINNER_SELECT
        if columns is None
        else [getattr(Assessment, c) for c in ("site_pk", "round_number", *columns)]
    )
    # Flushed as session.execute would autoflush, then read as Core rows: the ORM's row
    # processing cost more than the query itself at 100,000 rows (the map reads that many).
    session.flush()
    rows = session.connection().execute(
        select(*selected)
        .where(Assessment.current.is_(True), Assessment.round_number.is_not(None), *conditions)
        .order_by(Assessment.submission_seq)
    )
    found = {}
    for row in rows:
        found[(row.site_pk, row.round_number)] = row  # later seq wins
    return found


def _current_for_sites(session, site_pks: Iterable[int], rounds: Iterable[int] | None = None):
    # Keys bound as one list parameter each (InValues): an expanding IN would render a
    # statement with a parameter per site on every call.
    site_pks = sorted(set(site_pks))
    found = {}
    for start in range(0, len(site_pks), CHUNK):
        conditions = [InValues(Assessment.site_pk, "site_pks", site_pks[start : start + CHUNK])]
        if rounds is not None:
            conditions.append(InValues(Assessment.round_number, "rounds", sorted(set(rounds))))
        found.update(current_assessments(session, *conditions))
    return found


# --- region totals: what one current assessment adds -----------------------------------


# What _figures reads of a row, in one call.
_FIGURE_INPUTS = attrgetter(
    "households",
    "individuals",
    "functional_latrines",
    "functional_water_points",
    "health_facility_access",
    *SEX_AGE_FIELDS,
    *MOVEMENT_FIELDS,
)
_SEX_AGE_END = 5 + len(SEX_AGE_FIELDS)


def _figures(row) -> list[int]:
    """The values one current assessment adds to its region's row, in REGION_TOTAL_FIELDS
    order."""
    values = _FIGURE_INPUTS(row)
    households, individuals, latrines, water_points, access = values[:5]
    individuals = individuals or 0
    sex_age = values[5:_SEX_AGE_END]
    return [
        1,
        households or 0,
        individuals,
        *(v or 0 for v in sex_age),
        int(any(v is not None for v in sex_age)),
        *(v or 0 for v in values[_SEX_AGE_END:]),
        int(latrines is not None),
        individuals if latrines is not None else 0,
        latrines or 0,
        int(water_points is not None),
        individuals if water_points is not None else 0,
        water_points or 0,
        int(access is not None),
        int(access == "yes"),
    ]


class _Delta:
    """Differences to add to the region tables. Gathered per (round, placement, site type)
    and per (round, placement, need), then spread over the levels when written: a batch
    has far fewer placements than assessments."""

    def __init__(self, levels: Sequence[int]):
        self.levels = levels
        self.figures: dict = {}
        self.cited: dict = defaultdict(lambda: [0, 0, 0])

    def add(self, row, codes: tuple, sign: int) -> None:
        key = (row.round_number, codes, row.site_type or "")
        figures = _figures(row)
        found = self.figures.get(key)
        if found is None:
            self.figures[key] = figures if sign > 0 else [-v for v in figures]
        else:
            self.figures[key] = list(map(add if sign > 0 else sub, found, figures))
        for need, points in zip(_NEEDS(row), NEED_POINTS, strict=True):
            if need:
                acc = self.cited[(row.round_number, codes, need)]
                acc[0] += sign * points
                acc[1] += sign * (points == NEED_POINTS[0])
                acc[2] += sign

    def by_level(self) -> tuple[dict, dict]:
        totals: dict = {}
        for (round_number, codes, site_type), values in self.figures.items():
            for level in self.levels:
                key = (round_number, level, codes[level] or "", site_type)
                found = totals.get(key)
                totals[key] = values if found is None else list(map(add, found, values))
        needs: dict = defaultdict(lambda: [0, 0, 0])
        for (round_number, codes, need), values in self.cited.items():
            for level in self.levels:
                acc = needs[(round_number, level, codes[level] or "", need)]
                for i in range(3):
                    acc[i] += values[i]
        return totals, needs


def summary_levels(session: Session) -> list[int]:
    """Levels kept in region_totals: 0 (the country total) and every loaded level."""
    return sorted({0, *session.connection().execute(_LEVELS).scalars()})


def _write(session: Session, delta: _Delta) -> None:
    """Add the delta to the stored totals (insert or add), then drop emptied rows."""
    by_level, by_need = delta.by_level()
    store = open_store(session)
    for model, fields, entries in (
        (RegionTotal, REGION_TOTAL_FIELDS, by_level),
        (RegionNeedTotal, NEED_TOTAL_FIELDS, by_need),
    ):
        rows = [(*key, *values) for key, values in entries.items() if any(values)]
        keys = _KEYS[model]
        store.add_rows(model.__table__, (*keys, *fields), keys, rows)
    # Only a subtraction can empty a row; a batch of new assessments only adds.
    subtracted = any(v[0] < 0 for v in by_level.values()) or any(v[2] < 0 for v in by_need.values())
    rounds = sorted({k[0] for k in by_level} | {k[0] for k in by_need})
    if rounds and subtracted:
        session.execute(
            delete(RegionTotal).where(
                RegionTotal.round_number.in_(rounds), RegionTotal.sites_assessed == 0
            )
        )
        session.execute(
            delete(RegionNeedTotal).where(
                RegionNeedTotal.round_number.in_(rounds), RegionNeedTotal.cited_count == 0
            )
        )


NEED_TOTAL_FIELDS = ("score", "first_count", "cited_count")
_KEYS = {
    RegionTotal: ("round_number", "level", "pcode", "site_type"),
    RegionNeedTotal: ("round_number", "level", "pcode", "need"),
}


def _lock_totals(session: Session, mode: str) -> None:
    """PostgreSQL: batches (ROW EXCLUSIVE) run side by side; a rebuild (EXCLUSIVE) waits for
    them and they for it, so no batch adds a difference computed against the other state.
    SQLite has one writer at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"LOCK TABLE region_totals IN {mode} MODE"))


def rebuild_region_totals(session: Session) -> None:
    """Recompute region_totals and region_need_totals from the assessments (after boundary
    imports and round changes, or to repair). The current assessment of every (site, round)
    and its site's codes are gathered once in a temporary table, then one INSERT .. SELECT
    per level and table sums them as `_figures` does one assessment at a time (tests
    compare the two after every kind of change). Flushes; the caller commits."""
    _lock_totals(session, "EXCLUSIVE")
    session.execute(delete(RegionTotal))
    session.execute(delete(RegionNeedTotal))
    a = Assessment
    winners = (
        select(func.max(a.submission_seq).label("seq"))
        .where(a.current.is_(True), a.round_number.is_not(None))
        .group_by(a.site_pk, a.round_number)
        .subquery("winners")
    )
    names = ["round_number", "site_type", *FIGURE_COLUMNS, *NEED_FIELDS, "health_facility_access"]
    gather = (
        select(*(getattr(a, n) for n in names), *_SITE_CODES)
        .select_from(winners)
        .join(a, a.submission_seq == winners.c.seq)
        .join(Site, Site.id == a.site_pk)
    )
    dialect = session.get_bind().dialect
    session.execute(text("DROP TABLE IF EXISTS summary_current"))
    session.execute(
        text(
            "CREATE TEMPORARY TABLE summary_current AS "
            + str(gather.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        )
    )
    cur = table(
        "summary_current",
        *(column(n) for n in names),
        *(column(f"admin{lv}_pcode") for lv in LEVELS),
    )

    def answered(name):
        return func.sum(case((cur.c[name].is_not(None), 1), else_=0))

    def zero(name):
        return func.coalesce(cur.c[name], 0)

    people = zero("individuals")
    any_sex_age = or_(*(cur.c[f].is_not(None) for f in SEX_AGE_FIELDS))
    figures = [
        func.count(),
        func.sum(zero("households")),
        func.sum(people),
        *(func.sum(zero(f)) for f in SEX_AGE_FIELDS),
        func.sum(case((any_sex_age, 1), else_=0)),
        *(
            func.sum(zero(f))
            for f in (
                "arrivals_households",
                "arrivals_individuals",
                "departures_households",
                "departures_individuals",
                "returnee_households",
                "returnee_individuals",
            )
        ),
        answered("functional_latrines"),
        func.sum(case((cur.c.functional_latrines.is_not(None), people), else_=0)),
        func.sum(zero("functional_latrines")),
        answered("functional_water_points"),
        func.sum(case((cur.c.functional_water_points.is_not(None), people), else_=0)),
        func.sum(zero("functional_water_points")),
        answered("health_facility_access"),
        func.sum(case((cur.c.health_facility_access == "yes", 1), else_=0)),
    ]
    for level in summary_levels(session):
        pcode = func.coalesce(cur.c[f"admin{level}_pcode"], "")
        site_type = func.coalesce(cur.c.site_type, "")
        session.execute(
            insert(RegionTotal).from_select(
                ["round_number", "level", "pcode", "site_type", *REGION_TOTAL_FIELDS],
                select(cur.c.round_number, literal(level), pcode, site_type, *figures).group_by(
                    cur.c.round_number, pcode, site_type
                ),
            )
        )
        cited = union_all(
            *(
                select(
                    cur.c.round_number.label("round_number"),
                    pcode.label("pcode"),
                    cur.c[field_name].label("need"),
                    literal(points).label("points"),
                ).where(cur.c[field_name].is_not(None))
                for field_name, points in zip(NEED_FIELDS, NEED_POINTS, strict=True)
            )
        ).subquery("cited")
        session.execute(
            insert(RegionNeedTotal).from_select(
                ["round_number", "level", "pcode", "need", "score", "first_count", "cited_count"],
                select(
                    cited.c.round_number,
                    literal(level),
                    cited.c.pcode,
                    cited.c.need,
                    func.sum(cited.c.points),
                    func.sum(case((cited.c.points == NEED_POINTS[0], 1), else_=0)),
                    func.count(),
                ).group_by(cited.c.round_number, cited.c.pcode, cited.c.need),
            )
        )
    session.execute(text("DROP TABLE summary_current"))
    session.flush()


def move_sites(session: Session, moves: dict[int, tuple[tuple, tuple]]) -> None:
    """Sites whose located codes changed ({site_pk: (old codes, new codes)}) take every
    round of theirs from the old areas to the new ones."""
    if not moves:
        return
    delta = _Delta(summary_levels(session))
    for (site_pk, _), row in _current_for_sites(session, moves).items():
        old, new = moves[site_pk]
        delta.add(row, old, -1)
        delta.add(row, new, +1)
    _write(session, delta)


def site_codes(site: Site) -> tuple:
    return tuple(getattr(site, f"admin{lv}_pcode") for lv in LEVELS)


_LEVELS = select(AdminLevel.__table__.c.level)
# The batch's sites by site_id and its bases' sites by key, in id order (built once).
_SITE_CODES_BY_KEY = (
    select(
        Site.__table__.c.id,
        Site.__table__.c.site_id,
        *(Site.__table__.c[f"admin{lv}_pcode"] for lv in LEVELS),
    )
    .where(
        or_(
            InValues(Site.__table__.c.site_id, "site_ids"),
            InValues(Site.__table__.c.id, "site_pks"),
        )
    )
    .order_by(Site.__table__.c.id)
)
_SITE_CODES_LOCKED = _SITE_CODES_BY_KEY.with_for_update()


class RegionTotalsChange:
    """Keeps region totals in step with one batch of ingested assessments.

    `begin` (before the batch writes anything) records the current assessments of every
    (site, round) pair the batch can change: the pairs of its items and of the versions
    its edits supersede, and where those sites are placed. `finish` (after the batch
    wrote) takes the same again, from what the batch wrote where the caller hands it over,
    else by reading, and adds the difference; sites whose placement changed take all their
    rounds along. Both run in the batch's transaction.
    """

    def __init__(self, session: Session, pairs: list[tuple[str, int | None]], bases: list[str]):
        self.session = session
        self.site_ids = sorted({site_id for site_id, _ in pairs})
        self.item_pairs = {(site_id, r) for site_id, r in pairs if r is not None}
        self.bases = bases
        self.levels = summary_levels(session)

    @classmethod
    def begin(
        cls, session: Session, pairs: list[tuple[str, int | None]], bases: Sequence[str] = ()
    ) -> RegionTotalsChange:
        change = cls(session, pairs, list(bases))
        _lock_totals(session, "ROW EXCLUSIVE")
        change.base_pairs = change._base_pairs()
        change.codes_before = change._codes(lock=True)
        change.before = change._current()
        return change

    def finish(
        self, inserted: Sequence | None = None, placed: Mapping[int, tuple] | None = None
    ) -> None:
        """`inserted`: the assessment rows the batch inserted, with WINNER_COLUMNS at least
        as attributes, so the new current assessment of the batch's own pairs need not be
        read back: a new row has the highest seq of its pair. Pairs of superseded bases are
        read again.

        `placed`: site_pk -> located codes (LEVELS order) of every site of the batch, as
        the batch wrote them, so they need not be read back either; the bases' other sites
        are not written by a batch and keep the codes `begin` read."""
        codes_after = self._codes() if placed is None else {**self.codes_before, **placed}
        if inserted is None:
            after = self._current()
        else:
            after = {}
            for row in sorted(inserted, key=attrgetter("submission_seq")):
                if row.round_number is not None:
                    after[(row.site_pk, row.round_number)] = row
            left = self.base_pairs - set(after)
            if left:
                after.update(self._current(left))
        delta = _Delta(self.levels)
        for key, row in self.before.items():
            delta.add(row, self.codes_before[key[0]], -1)
        for key, row in after.items():
            delta.add(row, codes_after[key[0]], +1)
        moved = {
            pk: (self.codes_before[pk], codes)
            for pk, codes in codes_after.items()
            if pk in self.codes_before and self.codes_before[pk] != codes
        }
        if moved:
            handled = set(self.before) | set(after)
            for key, row in _current_for_sites(self.session, moved).items():
                if key not in handled:
                    old, new = moved[key[0]]
                    delta.add(row, old, -1)
                    delta.add(row, new, +1)
        _write(self.session, delta)

    def _base_pairs(self) -> set[tuple[int, int]]:
        if not self.bases:
            return set()
        return {
            (pk, r)
            for pk, r in self.session.execute(
                select(Assessment.site_pk, Assessment.round_number).where(
                    Assessment.submission_id.in_(self.bases), Assessment.round_number.is_not(None)
                )
            )
        }

    def _codes(self, lock: bool = False) -> dict[int, tuple]:
        """site_pk -> located codes, for the batch's sites that exist and the bases' sites.
        With `lock` (PostgreSQL), their rows stay locked until commit, taken in one
        statement in id order so that two batches cannot deadlock on them."""
        found: dict[int, tuple] = {}
        self.pk_of: dict[str, int] = {}
        base_pks = sorted({pk for pk, _ in self.base_pairs})
        locking = lock and self.session.get_bind().dialect.name == "postgresql"
        query = _SITE_CODES_LOCKED if locking else _SITE_CODES_BY_KEY
        params = {"site_ids": self.site_ids, "site_pks": base_pks}
        for pk, site_id, *codes in self.session.connection().execute(query, params):
            found[pk] = tuple(codes)
            self.pk_of[site_id] = pk
        return found

    def _current(self, pairs: set | None = None) -> dict[tuple[int, int], object]:
        if pairs is None:
            pairs = set(self.base_pairs) | {
                (self.pk_of[site_id], r) for site_id, r in self.item_pairs if site_id in self.pk_of
            }
        if not pairs:
            return {}
        found = _current_for_sites(self.session, {pk for pk, _ in pairs}, {r for _, r in pairs})
        return {key: row for key, row in found.items() if key in pairs}


# --- reading region summaries -----------------------------------------------------------


def known_rounds(session: Session) -> list[int]:
    """Round numbers that are defined or hold assessments, ascending."""
    defined = set(session.execute(select(Round.number)).scalars())
    used = set(session.execute(select(RegionTotal.round_number).distinct()).scalars())
    return sorted(defined | used)


def assessed_rounds(session: Session) -> list[int]:
    return sorted(session.execute(select(RegionTotal.round_number).distinct()).scalars())


def resolve_round(session: Session, round_number: int | None) -> int:
    """The round asked for (it must exist), or the latest round holding assessments."""
    rounds = known_rounds(session)
    if round_number is None:
        assessed = assessed_rounds(session)
        if assessed:
            return assessed[-1]
        if rounds:
            return rounds[-1]
        raise SummaryParameterError("There are no rounds and no assessments yet.", "round")
    if round_number not in rounds:
        raise SummaryParameterError(
            f"There is no round {round_number}: it is not defined and holds no assessments.",
            "round",
        )
    return round_number


def _previous_round(session: Session, round_number: int) -> int | None:
    return session.execute(
        select(func.max(RegionTotal.round_number)).where(RegionTotal.round_number < round_number)
    ).scalar()


def _check_level(session: Session, level: int) -> None:
    if level != 0 and level not in summary_levels(session):
        loaded = ", ".join(str(lv) for lv in summary_levels(session) if lv) or "none"
        raise SummaryParameterError(
            f"Admin level {level} is not loaded (loaded levels: {loaded}).", "level"
        )


def _region_rows(session: Session, level: int, rounds: Sequence[int], pcode: str | None = None):
    """(round, pcode) -> {"fields": [...], "types": {site_type: [...]}, "needs": {...}}."""
    conditions = [RegionTotal.level == level, RegionTotal.round_number.in_(list(rounds))]
    need_conditions = [
        RegionNeedTotal.level == level,
        RegionNeedTotal.round_number.in_(list(rounds)),
    ]
    if pcode is not None:
        conditions.append(RegionTotal.pcode == pcode)
        need_conditions.append(RegionNeedTotal.pcode == pcode)
    fields = [getattr(RegionTotal, f) for f in REGION_TOTAL_FIELDS]
    found: dict = defaultdict(
        lambda: {"fields": [0] * len(REGION_TOTAL_FIELDS), "types": {}, "needs": {}}
    )
    for r, code, site_type, *values in session.execute(
        select(RegionTotal.round_number, RegionTotal.pcode, RegionTotal.site_type, *fields).where(
            *conditions
        )
    ):
        entry = found[(r, code)]
        entry["fields"] = [a + b for a, b in zip(entry["fields"], values, strict=True)]
        entry["types"][site_type] = values
    for r, code, need, score, first, cited in session.execute(
        select(
            RegionNeedTotal.round_number,
            RegionNeedTotal.pcode,
            RegionNeedTotal.need,
            RegionNeedTotal.score,
            RegionNeedTotal.first_count,
            RegionNeedTotal.cited_count,
        ).where(*need_conditions)
    ):
        found[(r, code)]["needs"][need] = (score, first, cited)
    return found


def _ratio(numerator: int, denominator: int, digits: int = 4) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


def _figures_json(entry: dict | None, previous: dict | None, has_previous: bool) -> dict:
    raw = entry["fields"] if entry else [0] * len(REGION_TOTAL_FIELDS)
    values = {f: int(v) for f, v in zip(REGION_TOTAL_FIELDS, raw, strict=True)}
    sites = values["sites_assessed"]
    previous_individuals = (
        int(previous["fields"][REGION_TOTAL_FIELDS.index("individuals")]) if previous else 0
    )
    needs = sorted(
        ((entry or {}).get("needs") or {}).items(), key=lambda item: (-item[1][0], item[0])
    )
    types = (entry or {}).get("types") or {}
    return {
        "sites_assessed": sites,
        "households": values["households"],
        "individuals": values["individuals"],
        **{f: values[f] for f in SEX_AGE_FIELDS},
        "sites_with_sex_age": values["sex_age_sites"],
        "arrivals_households": values["arrivals_households"],
        "arrivals_individuals": values["arrivals_individuals"],
        "departures_households": values["departures_households"],
        "departures_individuals": values["departures_individuals"],
        "returnee_households": values["returnee_households"],
        "returnee_individuals": values["returnee_individuals"],
        "previous_individuals": previous_individuals if has_previous else None,
        "net_change_individuals": (
            values["individuals"] - previous_individuals if has_previous else None
        ),
        "needs": [
            {
                "need": need,
                "score": int(score),
                "first_count": int(first),
                "first_share": _ratio(first, sites),
                "cited_count": int(cited),
            }
            for need, (score, first, cited) in needs
        ],
        "conditions": {
            "people_per_functional_latrine": _ratio(
                values["latrine_individuals"], values["functional_latrines"], 1
            ),
            "sites_reporting_latrines": values["latrine_sites"],
            "people_per_functional_water_point": _ratio(
                values["water_point_individuals"], values["functional_water_points"], 1
            ),
            "sites_reporting_water_points": values["water_point_sites"],
            "health_access_share": _ratio(values["health_access"], values["health_answered"]),
            "sites_reporting_health_access": values["health_answered"],
        },
        "site_types": [
            {
                "site_type": site_type or None,
                "sites_assessed": int(v[0]),
                "households": int(v[1]),
                "individuals": int(v[2]),
            }
            for site_type, v in sorted(types.items(), key=lambda item: _type_order(item[0]))
        ],
    }


def _type_order(site_type: str) -> tuple:
    return (SITE_TYPES.index(site_type) if site_type in SITE_TYPES else len(SITE_TYPES), site_type)


def region_summaries(session: Session, level: int, round_number: int | None) -> dict:
    """Every area of `level` in one round (zeros where no site was assessed), the sites not
    placed at that level, and the country total."""
    _check_level(session, level)
    round_number = resolve_round(session, round_number)
    previous_round = _previous_round(session, round_number)
    rounds = [round_number] + ([previous_round] if previous_round is not None else [])
    rows = _region_rows(session, level, rounds)
    country = _region_rows(session, 0, rounds)
    has_previous = previous_round is not None

    def figures(code: str):
        return _figures_json(
            rows.get((round_number, code)), rows.get((previous_round, code)), has_previous
        )

    areas = session.execute(
        select(AdminArea.pcode, AdminArea.name, AdminArea.parent_pcode)
        .where(AdminArea.level == level)
        .order_by(AdminArea.pcode)
    ).all()
    regions = [
        {
            "pcode": pcode,
            "name": name,
            "level": level,
            "parent_pcode": parent,
            "round": round_number,
            **figures(pcode),
        }
        for pcode, name, parent in areas
    ]
    has_unlocated = (round_number, "") in rows or (previous_round, "") in rows
    total = _sum_entries([e for (r, _), e in country.items() if r == round_number])
    previous_total = _sum_entries([e for (r, _), e in country.items() if r == previous_round])
    return {
        "level": level,
        "round": round_number,
        "previous_round": previous_round,
        "regions": regions,
        "unlocated": (
            {"pcode": None, "name": None, "level": level, "round": round_number, **figures("")}
            if has_unlocated
            else None
        ),
        "total": {
            "pcode": None,
            "name": None,
            "level": None,
            "round": round_number,
            **_figures_json(total, previous_total, has_previous),
        },
    }


def _sum_entries(entries: list[dict]) -> dict | None:
    if not entries:
        return None
    merged = {"fields": [0] * len(REGION_TOTAL_FIELDS), "types": {}, "needs": {}}
    for entry in entries:
        merged["fields"] = [a + b for a, b in zip(merged["fields"], entry["fields"], strict=True)]
        for site_type, values in entry["types"].items():
            old = merged["types"].get(site_type, [0] * len(REGION_TOTAL_FIELDS))
            merged["types"][site_type] = [a + b for a, b in zip(old, values, strict=True)]
        for need, values in entry["needs"].items():
            old = merged["needs"].get(need, (0, 0, 0))
            merged["needs"][need] = tuple(a + b for a, b in zip(old, values, strict=True))
    return merged


def area(session: Session, pcode: str) -> AdminArea:
    found = session.execute(select(AdminArea).where(AdminArea.pcode == pcode)).scalar()
    if found is None:
        raise UnknownArea(f"There is no admin area with P-code {pcode!r}.")
    return found


def region_history(session: Session, pcode: str) -> dict:
    """One area's figures in every round that holds assessments, oldest first."""
    found = area(session, pcode)
    rounds = assessed_rounds(session)
    rows = _region_rows(session, found.level, rounds, pcode)
    history = []
    for i, r in enumerate(rounds):
        previous = rounds[i - 1] if i else None
        history.append(
            {
                "round": r,
                **_figures_json(
                    rows.get((r, pcode)), rows.get((previous, pcode)), previous is not None
                ),
            }
        )
    return {
        "pcode": found.pcode,
        "name": found.name,
        "level": found.level,
        "parent_pcode": found.parent_pcode,
        "rounds": history,
    }


# --- site summaries (computed on read) ----------------------------------------------------


@dataclass(frozen=True)
class Flag:
    code: str
    reason: str

    def as_dict(self) -> dict:
        return {"code": self.code, "reason": self.reason}


BALANCE_TOLERANCE = 0.10
JUMP_FACTOR = 10


def site_flags(site, round_number: int, row, previous, round_status: str | None) -> list[Flag]:
    """The flags of one site in one round, each with its reason. `site` is a Site or any row
    with its admin columns; `row` (None: not assessed in that round) and `previous` (its
    previous assessed round) are current assessment rows (WINNER_COLUMNS)."""
    flags: list[Flag] = []
    if site.admin_mismatch:
        declared = [
            f"admin{lv} {getattr(site, f'declared_admin{lv}_pcode')} (located "
            f"{getattr(site, f'admin{lv}_pcode')})"
            for lv in (1, 2)
            if getattr(site, f"declared_admin{lv}_pcode")
            and getattr(site, f"admin{lv}_pcode")
            and getattr(site, f"declared_admin{lv}_pcode") != getattr(site, f"admin{lv}_pcode")
        ]
        flags.append(
            Flag(
                "admin_mismatch",
                "The declared admin area differs from where the site's point falls: "
                + "; ".join(declared)
                + ".",
            )
        )
    if row is None:
        if round_status == "closed" and previous is not None and previous.site_status != "closed":
            flags.append(
                Flag(
                    "not_assessed",
                    f"Round {round_number} is closed and the site was not assessed in it "
                    f"(last assessed in round {previous.round_number}).",
                )
            )
        return flags
    if previous is None:
        return flags
    now, before = row.individuals, previous.individuals
    if now is not None and before is not None:
        expected = before + (row.arrivals_individuals or 0) - (row.departures_individuals or 0)
        if abs(now - expected) > BALANCE_TOLERANCE * max(expected, 0):
            flags.append(
                Flag(
                    "population_balance",
                    f"{now} individuals now, but round {previous.round_number}'s {before} "
                    f"+ {row.arrivals_individuals or 0} arrivals - "
                    f"{row.departures_individuals or 0} departures = {expected}: more "
                    f"than {BALANCE_TOLERANCE:.0%} apart.",
                )
            )
    for name in ("households", "individuals"):
        now, before = getattr(row, name), getattr(previous, name)
        if now and before and (now >= JUMP_FACTOR * before or before >= JUMP_FACTOR * now):
            flags.append(
                Flag(
                    "tenfold_jump",
                    f"{name.capitalize()} went from {before} in round "
                    f"{previous.round_number} to {now}: a tenfold change often is an "
                    "entry error (a digit too many or too few).",
                )
            )
    return flags


def _site_round(site: Site, round_number: int, row, previous, round_status: str | None) -> dict:
    """One site's figures in one round, the change against its previous assessed round
    and the flags they raise. `row` None: not assessed in that round."""
    entry: dict = {
        "round": round_number,
        "assessed": row is not None,
        "submission_id": row.submission_id if row else None,
        "assessment_date": row.assessment_date.isoformat() if row and row.assessment_date else None,
        "site_type": row.site_type if row else None,
        "site_status": row.site_status if row else None,
        "previous_round": previous.round_number if previous is not None else None,
    }
    for name in FIGURE_COLUMNS:
        entry[name] = getattr(row, name) if row else None
    entry["priority_needs"] = (
        [getattr(row, f) for f in NEED_FIELDS if getattr(row, f)] if row else []
    )
    entry["health_facility_access"] = row.health_facility_access if row else None
    if row is None or previous is None:
        entry["change"] = None
    else:
        entry["change"] = {
            name: (getattr(row, name) - getattr(previous, name))
            if getattr(row, name) is not None and getattr(previous, name) is not None
            else None
            for name in ("households", "individuals")
        }
    flags = site_flags(site, round_number, row, previous, round_status)
    entry["flags"] = [f.as_dict() for f in flags]
    return entry


def site_json(site: Site) -> dict:
    return {
        "site_id": site.site_id,
        "name": site.name,
        "site_type": site.site_type,
        "status": site.status,
        "lon": site.lon,
        "lat": site.lat,
        "location_status": site.location_status,
        "declared_admin1_pcode": site.declared_admin1_pcode,
        "declared_admin2_pcode": site.declared_admin2_pcode,
        **{f"admin{lv}_pcode": getattr(site, f"admin{lv}_pcode") for lv in LEVELS},
    }


def _history_rows(session: Session, sites: Sequence[Site], up_to: int | None = None):
    conditions = [Assessment.round_number <= up_to] if up_to is not None else []
    found: dict[int, dict[int, object]] = defaultdict(dict)
    pks = [s.id for s in sites]
    for start in range(0, len(pks), CHUNK):
        for (pk, r), row in current_assessments(
            session, Assessment.site_pk.in_(pks[start : start + CHUNK]), *conditions
        ).items():
            found[pk][r] = row
    return found


def _area_filter(session: Session, admin: str | None):
    if admin is None:
        return []
    found = session.execute(select(AdminArea.level).where(AdminArea.pcode == admin)).scalar()
    if found is None:
        raise SummaryParameterError(f"There is no admin area with P-code {admin!r}.", "admin")
    return [getattr(Site, f"admin{found}_pcode") == admin]


def site_summaries(
    session: Session,
    round_number: int | None,
    admin: str | None = None,
    site_type: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> dict:
    """Sites of one round with their figures, change and flags, by site_id.

    A round's sites are those assessed in it, plus those assessed in an earlier round and
    not assessed in it (unless the registry says the site is closed): they are listed with
    `assessed: false`, flagged `not_assessed` once the round is closed. `admin` (a P-code
    of any level) and `site_type` filter by the site registry (where the site is placed,
    its type in its newest round)."""
    round_number = resolve_round(session, round_number)
    if site_type is not None and site_type not in SITE_TYPES:
        raise SummaryParameterError(
            f"Unknown site type {site_type!r}; one of: {', '.join(SITE_TYPES)}.", "type"
        )

    def assessed(*condition):
        # Probes ix_assessments_site_round per site, so a page stops after `limit` sites.
        return exists().where(
            Assessment.site_pk == Site.id, Assessment.current.is_(True), *condition
        )

    conditions = [
        assessed(Assessment.round_number <= round_number),
        or_(assessed(Assessment.round_number == round_number), Site.status != "closed"),
        *_area_filter(session, admin),
    ]
    if site_type is not None:
        conditions.append(Site.site_type == site_type)
    base = select(Site).where(*conditions)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar()
    sites = list(session.execute(base.order_by(Site.site_id).limit(limit).offset(offset)).scalars())
    history = _history_rows(session, sites, up_to=round_number)
    status = session.execute(select(Round.status).where(Round.number == round_number)).scalar()
    listed = []
    for site in sites:
        rows = history.get(site.id, {})
        earlier = [r for r in rows if r < round_number]
        previous = rows[max(earlier)] if earlier else None
        listed.append(
            site_json(site)
            | _site_round(site, round_number, rows.get(round_number), previous, status)
        )
    return {
        "round": round_number,
        "round_status": status,
        "total": total,
        "limit": limit,
        "offset": offset,
        "sites": listed,
    }


def site_detail(session: Session, site_id: str) -> dict | None:
    """A site with its history across rounds (assessed rounds, and closed rounds it missed
    after its first assessment) and the flags of its latest round. None if unknown."""
    site = session.execute(select(Site).where(Site.site_id == site_id)).scalar()
    if site is None:
        return None
    rows = _history_rows(session, [site]).get(site.id, {})
    statuses = dict(session.execute(select(Round.number, Round.status)).all())
    history = []
    if rows:
        first = min(rows)
        missed = [n for n, s in statuses.items() if s == "closed" and n > first and n not in rows]
        previous = None
        for r in sorted(set(rows) | set(missed)):
            row = rows.get(r)
            if row is None and (previous is None or previous.site_status == "closed"):
                continue
            history.append(_site_round(site, r, row, previous, statuses.get(r)))
            if row is not None:
                previous = row
    return site_json(site) | {
        "first_round": min(rows) if rows else None,
        "last_round": max(rows) if rows else None,
        "flags": history[-1]["flags"] if history else [],
        "history": history,
    }


def site_assessments(session: Session, site_id: str) -> list[dict]:
    """Every assessment stored for a site, newest round first (superseded versions too,
    marked `current: false`), with the figures a reviewer looks at."""
    rows = session.execute(
        select(
            Assessment.submission_id,
            Assessment.round_number,
            Assessment.assessment_date,
            Assessment.current,
            Assessment.received_at,
            Assessment.households,
            Assessment.individuals,
            Assessment.site_status,
        )
        .where(Assessment.site_id == site_id)
        .order_by(Assessment.round_number.desc(), Assessment.submission_seq.desc())
    ).all()
    return [row._asdict() for row in rows]
