"""Locator throughput: 1,000,000 random points against the Somalia admin-2 layer.

Compares, in the same run and on the same points, our bulk locator with the raw shapely
`STRtree.query(points, predicate="within")` it is built on, and prints medians of several
repetitions (the machine is shared and noisy). Target: >= 750,000 points/s.

    .venv/bin/python -m benchmarks.locate [--points N] [--repeat R]
"""

import argparse
import statistics
import time

import numpy as np
import shapely

from geodata.boundaries import read_boundaries
from geodata.locate import AreaRecord, Locator
from tests.support import SOMALIA_ADM2

TARGET = 750_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    layer = read_boundaries(SOMALIA_ADM2, 2)
    locator = Locator(AreaRecord(a.pcode, 2, a.parent_pcode, a.geom) for a in layer.areas)
    raw_tree = shapely.STRtree([a.geom for a in layer.areas])
    rng = np.random.default_rng(42)
    minx, miny, maxx, maxy = shapely.union_all([a.geom for a in layer.areas]).bounds
    lons = rng.uniform(minx, maxx, args.points)
    lats = rng.uniform(miny, maxy, args.points)
    points = shapely.points(lons, lats)

    ours, ours_from_lonlat, raw = [], [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        raw_tree.query(points, predicate="within")
        raw.append(args.points / (time.perf_counter() - start))
        start = time.perf_counter()
        placement = locator.locate_points(points)
        ours.append(args.points / (time.perf_counter() - start))
        start = time.perf_counter()
        locator.locate(lons, lats)
        ours_from_lonlat.append(args.points / (time.perf_counter() - start))

    inside = placement.inside_any.mean()
    median_ours, median_raw = statistics.median(ours), statistics.median(raw)
    print(
        f"points: {args.points:,} random in the Somalia bbox ({inside:.0%} inside an area), "
        f"{len(layer.areas)} admin-2 polygons, {args.repeat} repetitions"
    )
    print(f"raw STRtree.query(within):          median {median_raw:>12,.0f} points/s")
    print(f"Locator.locate_points (same points): median {median_ours:>12,.0f} points/s")
    print(
        f"Locator.locate (from lon/lat arrays): median {statistics.median(ours_from_lonlat):>12,.0f}"
        " points/s (includes building the points)"
    )
    print(f"ratio ours/raw: {median_ours / median_raw:.2f}")
    print(f"target {TARGET:,} points/s: {'met' if median_ours >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
