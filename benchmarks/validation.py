"""How many typical site assessments per second validate() checks on one core.

    python benchmarks/validation.py [--items N] [--runs R]

A typical item is a valid bundled-form submission with about 40 answers and 2 origins. The
figure printed is the median over several runs; the target is >= 20,000 items/s so that
validation stays a small part of the 5,000 assessments/s ingest budget.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forms import load_bundled_site_assessment, validate  # noqa: E402


def typical_item(n: int = 0) -> dict:
    """A valid, realistic bundled-form submission (about 40 answers, 2 origins)."""
    return {
        "start": "2026-11-20T08:12:00.000+01:00",
        "end": "2026-11-20T08:41:00.000+01:00",
        "round": 12,
        "assessment_date": "2026-11-20",
        "ki_count": 3,
        "ki_types": ["site_manager", "community_leader"],
        "site_id": f"SD04-S{n:05d}",
        "site_name": "El Geneina Camp 3",
        "site_type": "camp",
        "site_status": "open",
        "admin1_pcode": "SD04",
        "admin2_pcode": "SD04111",
        "location": {"lat": 13.4521, "lon": 22.4473, "accuracy": 4.5},
        "site_management": "yes",
        "camp_committee": "yes",
        "women_in_committee": "no",
        "households": 150,
        "individuals": 720,
        "female_0_4": 60,
        "female_5_17": 110,
        "female_18_59": 170,
        "female_60_plus": 30,
        "male_0_4": 58,
        "male_5_17": 105,
        "male_18_59": 160,
        "male_60_plus": 27,
        "origins": [
            {
                "origin_admin1_pcode": "SD04",
                "origin_admin2_pcode": "SD04112",
                "origin_households": 100,
                "origin_individuals": 480,
                "displacement_reason": "conflict",
            },
            {
                "origin_admin1_pcode": "SD02",
                "origin_admin2_pcode": "SD02101",
                "origin_households": 50,
                "origin_individuals": 240,
                "displacement_reason": "communal_violence",
            },
        ],
        "arrivals_households": 12,
        "arrivals_individuals": 55,
        "departures_households": 3,
        "departures_individuals": 14,
        "departure_reason": "return",
        "priority_need_1": "food",
        "priority_need_2": "water",
        "priority_need_3": "shelter",
        "shelter_type": "makeshift",
        "main_water_source": "borehole",
        "functional_water_points": 4,
        "functional_latrines": 18,
        "latrines_separated": "no",
        "health_facility_access": "yes",
        "health_facility_distance": "1_to_5km",
    }


KNOWN_PCODES = {
    1: frozenset({"SD01", "SD02", "SD03", "SD04"}),
    2: frozenset({"SD04111", "SD04112", "SD02101"}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    definition = load_bundled_site_assessment()
    items = [copy.deepcopy(typical_item(i % 1000)) for i in range(args.items)]
    first = validate(definition, items[0], KNOWN_PCODES)
    assert first.ok, first.errors
    print(f"answers per item: {len(items[0])}, origins: {len(items[0]['origins'])}")

    rates = []
    for _ in range(args.runs):
        started = time.perf_counter()
        for item in items:
            validate(definition, item, KNOWN_PCODES)
        rates.append(args.items / (time.perf_counter() - started))
    print("runs (items/s):", ", ".join(f"{r:,.0f}" for r in rates))
    print(f"median: {statistics.median(rates):,.0f} items/s (single core)")


if __name__ == "__main__":
    main()
