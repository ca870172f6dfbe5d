"""How many typical site assessments per second validate() checks on one core.

    python benchmarks/validation.py [--items N] [--runs R]

A typical item is a valid bundled-form submission with about 40 answers and 2 origins, once
with JSON-typed answers (ints, lists, a geopoint object) and once all as text, as parsed from
an ODK XML submission. The figure printed is the median over several runs; the target is
>= 20,000 items/s (JSON-typed) so validation stays a small part of the 5,000 assessments/s
ingest budget.
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
from forms.bundled.example import example_site_assessment  # noqa: E402

KNOWN_PCODES = {
    1: frozenset({"SD01", "SD02", "SD03", "SD04"}),
    2: frozenset({"SD04111", "SD04112", "SD02101"}),
}


def as_odk_strings(value):
    """The same answers as an OpenRosa XML parser would hand them over: all text."""
    if isinstance(value, dict) and "lat" in value:
        return f"{value['lat']} {value['lon']} 0 {value['accuracy']}"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [{k: as_odk_strings(v) for k, v in row.items()} for row in value]
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def measure(definition, items, runs: int) -> tuple[list[float], list[float]]:
    # CPU time is what one core can do; wall time also counts other processes on a shared box.
    cpu_rates, wall_rates = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        for item in items:
            validate(definition, item, KNOWN_PCODES)
        cpu_rates.append(len(items) / (time.process_time() - cpu))
        wall_rates.append(len(items) / (time.perf_counter() - wall))
    return cpu_rates, wall_rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    definition = load_bundled_site_assessment()
    typed = [copy.deepcopy(example_site_assessment(i % 1000)) for i in range(args.items)]
    text = [{k: as_odk_strings(v) for k, v in item.items()} for item in typed]
    for sample in (typed[0], text[0]):
        result = validate(definition, sample, KNOWN_PCODES)
        assert result.ok, result.errors
    print(f"answers per item: {len(typed[0])}, origins: {len(typed[0]['origins'])}")

    for title, items in (("JSON-typed answers", typed), ("all-text answers (ODK XML)", text)):
        cpu_rates, wall_rates = measure(definition, items, args.runs)
        print(f"{title}:")
        print("  runs, CPU time (items/s):", ", ".join(f"{r:,.0f}" for r in cpu_rates))
        print("  runs, wall time (items/s):", ", ".join(f"{r:,.0f}" for r in wall_rates))
        print(
            f"  median: {statistics.median(cpu_rates):,.0f} items/s per core (CPU time), "
            f"{statistics.median(wall_rates):,.0f} items/s wall clock"
        )


if __name__ == "__main__":
    main()
