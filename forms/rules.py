"""The site-assessment form family's own rules, checked on cleaned answers.

They are keyed to the core field names (not to a form_id), so any form that reuses those names
(a country's adapted MSLA, an older version) gets the same checks. Each rule runs only when
the answers it needs are present, and is skipped for a field that already has an error (the
form's own constraint usually says the same thing, and one problem should produce one error).

Sex and age breakdown: as soon as any of the eight counts is given, missing ones count as 0 and
the total must equal ``individuals``. A partial breakdown that happens to add up passes; one
that does not is what enumerators need to hear about.
"""

from __future__ import annotations

from typing import Any

SADD_FIELDS = (
    "female_0_4",
    "female_5_17",
    "female_18_59",
    "female_60_plus",
    "male_0_4",
    "male_5_17",
    "male_18_59",
    "male_60_plus",
)
PRIORITY_NEEDS = ("priority_need_1", "priority_need_2", "priority_need_3")
_ORDINAL = {"priority_need_1": "first", "priority_need_2": "second", "priority_need_3": "third"}

# Names whose presence in a form turns the rules on.
FIELDS = frozenset(
    {
        "households",
        "individuals",
        "origins",
        "arrivals_households",
        "departures_households",
        *SADD_FIELDS,
        *PRIORITY_NEEDS,
    }
)


def _number(value: Any) -> bool:
    return type(value) is int or type(value) is float


def apply(data: dict[str, Any], errors: list[dict[str, str]]) -> None:
    """Append an error for each rule the cleaned answers break (see module docstring)."""
    failed = {e["field"] for e in errors} if errors else ()
    found: list[dict[str, str]] = []

    def add(field: str, rule: str, message: str) -> None:
        if field not in failed:
            found.append({"field": field, "rule": rule, "message": message})

    get = data.get
    households, individuals = get("households"), get("individuals")
    individuals_given = type(individuals) is int or type(individuals) is float
    if individuals_given and _number(households) and individuals < households:
        add(
            "individuals",
            "compare",
            f"Individuals ({individuals}) cannot be fewer than households ({households}).",
        )

    if individuals_given:
        total, any_given = 0, False
        for name in SADD_FIELDS:
            v = get(name)
            if type(v) is int or type(v) is float:
                total += v
                any_given = True
        if any_given and total != individuals:
            add(
                "individuals",
                "sum",
                f"The sex and age counts add up to {total}, "
                f"but individuals is {individuals}; they must be equal.",
            )

    origins = get("origins")
    if origins and individuals_given:
        from_origins = sum(
            row["origin_individuals"] for row in origins if _number(row.get("origin_individuals"))
        )
        if from_origins > individuals:
            add(
                "origins",
                "sum",
                f"Individuals from all places of origin ({from_origins}) cannot be more "
                f"than the individuals on the site ({individuals}).",
            )

    seen: dict[str, str] = {}
    for name in PRIORITY_NEEDS:
        need = get(name)
        if need is None:
            continue
        if need in seen:
            add(
                name,
                "distinct",
                f"The {_ORDINAL[name]} priority need repeats the {_ORDINAL[seen[need]]} "
                f"('{need}'); choose three different needs.",
            )
        else:
            seen[need] = name

    for movement in ("arrivals", "departures"):
        hh, ind = get(f"{movement}_households"), get(f"{movement}_individuals")
        if _number(hh) and _number(ind) and ind < hh:
            add(
                f"{movement}_individuals",
                "compare",
                f"{movement.capitalize()}: individuals ({ind}) cannot be fewer than "
                f"households ({hh}).",
            )
    errors.extend(found)
