"""The core fields every site assessment form must keep, with compatible types.

Summaries, exports, maps and the sync pipeline read these names directly, so a form published
for site assessments must have all of them (anywhere outside repeats; groups do not matter),
with the type below, and its selects must offer at least the core choices. Extra questions
and extra choices are welcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from .definition import FormDefinition

YES_NO = ("yes", "no")
SITE_TYPES = (
    "camp",
    "collective_centre",
    "informal_settlement",
    "host_community",
    "transit_centre",
    "other",
)
SITE_STATUSES = ("open", "closed", "relocated")
DISPLACEMENT_REASONS = ("conflict", "natural_disaster", "communal_violence", "eviction", "other")
NEEDS = (
    "food",
    "shelter",
    "nfi",
    "water",
    "sanitation",
    "health",
    "education",
    "protection",
    "livelihoods",
    "cash",
    "documentation",
)


@dataclass(frozen=True)
class CoreField:
    name: str
    type: str
    choices: tuple[str, ...] = ()
    repeat: str | None = None  # the repeat the field lives in, None for the form root


def _ints(*names: str, repeat: str | None = None) -> list[CoreField]:
    return [CoreField(n, "integer", repeat=repeat) for n in names]


CORE_FIELDS: tuple[CoreField, ...] = (
    CoreField("site_id", "text"),
    CoreField("site_name", "text"),
    CoreField("site_type", "select_one", SITE_TYPES),
    CoreField("site_status", "select_one", SITE_STATUSES),
    CoreField("location", "geopoint"),
    CoreField("admin1_pcode", "text"),
    CoreField("admin2_pcode", "text"),
    CoreField("round", "integer"),
    CoreField("assessment_date", "date"),
    *_ints("households", "individuals"),
    *_ints(
        "female_0_4",
        "female_5_17",
        "female_18_59",
        "female_60_plus",
        "male_0_4",
        "male_5_17",
        "male_18_59",
        "male_60_plus",
    ),
    CoreField("origins", "repeat"),
    CoreField("origin_admin1_pcode", "text", repeat="origins"),
    CoreField("origin_admin2_pcode", "text", repeat="origins"),
    *_ints("origin_households", "origin_individuals", repeat="origins"),
    CoreField("displacement_reason", "select_one", DISPLACEMENT_REASONS, repeat="origins"),
    *_ints(
        "arrivals_households",
        "arrivals_individuals",
        "departures_households",
        "departures_individuals",
    ),
    CoreField("priority_need_1", "select_one", NEEDS),
    CoreField("priority_need_2", "select_one", NEEDS),
    CoreField("priority_need_3", "select_one", NEEDS),
    *_ints("functional_latrines", "functional_water_points"),
    CoreField("health_facility_access", "select_one", YES_NO),
    CoreField("site_management", "select_one", YES_NO),
)

CORE_FIELD_NAMES = frozenset(f.name for f in CORE_FIELDS)


def _scoped_questions(questions: list[dict], repeat: str | None, out: dict) -> None:
    for q in questions:
        out.setdefault((repeat, q["name"]), q)  # groups too: a core repeat turned group is named
        if q["type"] == "group":
            _scoped_questions(q["children"], repeat, out)
        if q["type"] == "repeat":
            _scoped_questions(q["children"], q["name"], out)


def check_core_fields(definition: FormDefinition) -> list[str]:
    """Problems that stop this form from being published as a site assessment form.

    An empty list means every core field is present where expected, with a compatible type
    and its core choices, and ``site_id`` is required. Extra questions are fine.
    """
    found: dict[tuple[str | None, str], dict] = {}
    _scoped_questions(definition.definition["questions"], None, found)
    problems: list[str] = []
    for core in CORE_FIELDS:
        q = found.get((core.repeat, core.name))
        where = f"inside repeat '{core.repeat}'" if core.repeat else "outside any repeat"
        if q is None:
            elsewhere = [r for (r, n) in found if n == core.name]
            hint = ""
            if elsewhere:
                place = f"repeat '{elsewhere[0]}'" if elsewhere[0] else "the form root"
                hint = f" (it is in {place})"
            problems.append(f"Core field '{core.name}' is missing {where}{hint}.")
            continue
        if q["type"] != core.type:
            problems.append(
                f"Core field '{core.name}' must be of type {core.type}, not {q['type']}."
            )
            continue
        if core.choices:
            if q.get("choices") is None:
                problems.append(
                    f"Core field '{core.name}' must list its choices in the form, "
                    "not in an external file."
                )
                continue
            names = {c["name"] for c in q["choices"]}
            missing = [c for c in core.choices if c not in names]
            if missing:
                problems.append(
                    f"Core field '{core.name}' lacks the core choice(s): {', '.join(missing)}."
                )
    site_id = found.get((None, "site_id"))
    if site_id is not None and site_id["required"] is not True:
        problems.append("Core field 'site_id' must be required (sites are matched by it).")
    return problems
