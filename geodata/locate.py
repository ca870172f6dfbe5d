"""Place points in admin areas, in bulk.

One STRtree per admin level and one vectorised `query(points, predicate="covered_by")` per
level (as fast as "within", but it also counts points on an edge): a point inside an area
is covered by exactly one polygon; a point on an edge shared by two areas by both, and we keep the area with the smallest P-code so that the answer never
depends on load order. Points that meet nothing are outside every area (reported as -1).

Levels are then made consistent: where a point was placed at a finer level, its coarser
codes come from that area's parents rather than from a separate polygon test. COD-AB layers
are simplified independently per level ("_dv" files especially), so a point near a border
can fall in admin-1 A by polygon but in an admin-2 whose parent is B; following the
hierarchy keeps admin-2 totals summing to their admin-1.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree


@dataclass(frozen=True)
class AreaRecord:
    pcode: str
    level: int
    parent_pcode: str | None
    geom: shapely.Geometry


class LevelIndex:
    """The areas of one admin level with their spatial index."""

    def __init__(self, level: int, areas: Sequence[AreaRecord]):
        ordered = sorted(areas, key=lambda a: a.pcode)  # index order == P-code order
        self.level = level
        self.pcodes = np.array([a.pcode for a in ordered], dtype=object)
        self.parent_pcodes = np.array([a.parent_pcode for a in ordered], dtype=object)
        self.geoms = np.array([a.geom for a in ordered], dtype=object)
        shapely.prepare(self.geoms)
        self.tree = STRtree(self.geoms)
        self.position = {p: i for i, p in enumerate(self.pcodes)}

    def query(self, points: np.ndarray) -> np.ndarray:
        """Index of the area each point falls in (smallest P-code on shared edges), -1 if none."""
        found = np.full(len(points), -1, dtype=np.int64)
        if len(points) == 0 or len(self.geoms) == 0:
            return found
        point_idx, area_idx = self.tree.query(points, predicate="covered_by")
        if len(point_idx) == 0:
            return found
        # Results come grouped by point; several hits for one point happen only on shared
        # edges. Sorting by (point, area) and keeping the first hit picks the smallest P-code.
        if np.any(np.diff(point_idx) <= 0):
            order = np.lexsort((area_idx, point_idx))
            point_idx, area_idx = point_idx[order], area_idx[order]
            first = np.ones(len(point_idx), dtype=bool)
            first[1:] = point_idx[1:] != point_idx[:-1]
            point_idx, area_idx = point_idx[first], area_idx[first]
        found[point_idx] = area_idx
        return found


@dataclass
class Placement:
    """Where each input point fell: `pcodes[level][i]` is a P-code or None."""

    pcodes: dict[int, np.ndarray]
    inside_any: np.ndarray  # bool per point: placed at one level at least

    def for_point(self, i: int) -> dict[int, str | None]:
        return {level: codes[i] for level, codes in self.pcodes.items()}


class Locator:
    """Places points at every loaded admin level. Build once per boundary import; reuse."""

    def __init__(self, areas: Iterable[AreaRecord]):
        by_level: dict[int, list[AreaRecord]] = {}
        for area in areas:
            by_level.setdefault(area.level, []).append(area)
        self.levels = tuple(sorted(by_level))
        self.indexes = {level: LevelIndex(level, by_level[level]) for level in self.levels}
        # For each level, the position of every area's parent in the level above (-1: none).
        self.parent_position: dict[int, np.ndarray] = {}
        for level in self.levels:
            parent_index = self.indexes.get(level - 1)
            if parent_index is None:
                continue
            index = self.indexes[level]
            self.parent_position[level] = np.array(
                [parent_index.position.get(p, -1) for p in index.parent_pcodes], dtype=np.int64
            )
        # P-codes of every level, for validating declared codes (built once per import).
        self.pcodes = {level: frozenset(ix.position) for level, ix in self.indexes.items()}
        self._single: dict[tuple[float, float], Placement] = {}

    def locate(self, lons, lats) -> Placement:
        """Place points given as longitude and latitude arrays (NaN for a missing point).

        A single point's placement is remembered (a one-item batch places the same point for
        its site and its assessment); callers must treat the result as read-only."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        if len(lons) == 1 and np.isfinite(lons[0]) and np.isfinite(lats[0]):
            key = (float(lons[0]), float(lats[0]))
            found = self._single.get(key)
            if found is None:
                found = self._single[key] = self._locate(lons, lats)
                if len(self._single) > 4096:
                    self._single.pop(next(iter(self._single)))
            return found
        return self._locate(lons, lats)

    def _locate(self, lons: np.ndarray, lats: np.ndarray) -> Placement:
        valid = np.isfinite(lons) & np.isfinite(lats)
        if valid.all():
            return self.locate_points(shapely.points(lons, lats))
        points = np.full(len(lons), None, dtype=object)
        points[valid] = shapely.points(lons[valid], lats[valid])
        return self.locate_points(points)

    def locate_points(self, points: np.ndarray) -> Placement:
        """Place shapely points (None or empty for a missing point)."""
        points = np.asarray(points, dtype=object)
        n = len(points)
        valid = ~(shapely.is_missing(points) | shapely.is_empty(points))
        every = bool(valid.all())
        positions: dict[int, np.ndarray] = {}
        # Finest to coarsest: a placed area's parent overrides the coarser polygon test, so
        # that test is run only for the points no finer area places.
        for level in reversed(self.levels):
            parents = self.parent_position.get(level + 1)
            if parents is None:
                found = np.full(n, -1, dtype=np.int64)
                todo = valid if not every else None
            else:
                child = positions[level + 1]
                placed = child >= 0
                found = np.where(placed, parents[np.where(placed, child, 0)], -1)
                todo = valid & (found < 0)
            if todo is None:
                found = self.indexes[level].query(points)
            elif todo.any():
                found[todo] = self.indexes[level].query(points[todo])
            positions[level] = found
        pcodes = {}
        inside_any = np.zeros(n, dtype=bool)
        for level in self.levels:
            found = positions[level]
            codes = np.full(n, None, dtype=object)
            hit = found >= 0
            codes[hit] = self.indexes[level].pcodes[found[hit]]
            pcodes[level] = codes
            inside_any |= hit
        return Placement(pcodes=pcodes, inside_any=inside_any)

    def locate_one(self, lon: float, lat: float) -> dict[int, str | None]:
        return self.locate([lon], [lat]).for_point(0)
