"""Read COD-AB admin boundary files into clean, EPSG:4326 multipolygons keyed by P-code.

Accepts GeoJSON, GeoPackage and zipped Shapefiles (anything pyogrio reads from those
extensions), in any CRS. Understands both COD-AB column styles: the classic ITOS one
(`ADM2_PCODE`, `ADM2_EN`, `ADM1_PCODE`) and the newer lowercase one (`adm2_pcode`,
`adm2_name`), case-insensitively, or takes the column names from the caller.

Every problem that makes a file unusable raises BoundaryImportError with one line saying
what is wrong; reading never changes the store. Invalid polygons are repaired with
shapely's make_valid and counted, because real COD files do contain self-intersections
and refusing them would leave an operation without boundaries.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geodata.errors import BoundaryImportError

SUPPORTED_SUFFIXES = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".zip": "zipped Shapefile",
}
MAX_LEVEL = 4
NAME_SUFFIXES = ("en", "name", "fr", "es", "pt", "ar", "ref", "name1")


@dataclass
class BoundaryArea:
    pcode: str
    name: str
    parent_pcode: str | None
    geom: MultiPolygon


@dataclass
class BoundaryLayer:
    """One admin level read from a file, ready to replace that level in the store."""

    level: int
    source: str
    areas: list[BoundaryArea]
    pcode_column: str
    name_column: str | None
    parent_column: str | None
    repaired_count: int = 0
    merged_count: int = 0
    warnings: list[str] = field(default_factory=list)


def read_boundaries(
    path: str | os.PathLike,
    level: int,
    pcode_column: str | None = None,
    name_column: str | None = None,
    parent_column: str | None = None,
) -> BoundaryLayer:
    """Read and clean one admin level from a boundary file. Raises BoundaryImportError."""
    import geopandas as gpd  # imported here: geopandas is slow to import and only needed here

    path = Path(path)
    if not 0 <= level <= MAX_LEVEL:
        raise BoundaryImportError(f"level must be between 0 and {MAX_LEVEL}, not {level}")
    if not path.is_file():
        raise BoundaryImportError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise BoundaryImportError(
            f"{path.name}: unknown format {suffix or '(no extension)'}; "
            "expected GeoJSON (.geojson, .json), GeoPackage (.gpkg) or a zipped Shapefile (.zip)"
        )
    try:
        frame = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio/GDAL raise many types; all mean "unreadable"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BoundaryImportError(
            f"{path.name}: cannot read it as {SUPPORTED_SUFFIXES[suffix]}: {reason}"
        ) from exc
    if len(frame) == 0:
        raise BoundaryImportError(f"{path.name}: the file contains no features")

    columns = {c.lower(): c for c in frame.columns if c != frame.geometry.name}
    pcode_col = _pick_column(columns, pcode_column, [f"adm{level}_pcode", f"adm{level}_code"])
    if pcode_col is None:
        wanted = pcode_column or f"ADM{level}_PCODE or adm{level}_pcode"
        raise BoundaryImportError(
            f"{path.name}: no P-code column for level {level} (looked for {wanted}; "
            f"columns are {', '.join(sorted(columns.values()))}); name it with --pcode-column"
        )
    name_col = _pick_column(columns, name_column, [f"adm{level}_{s}" for s in NAME_SUFFIXES])
    parent_col = None
    if level > 0:
        parent_col = _pick_column(
            columns, parent_column, [f"adm{level - 1}_pcode", f"adm{level - 1}_code"]
        )

    geoms = frame.geometry.values
    missing = shapely.is_missing(np.asarray(geoms, dtype=object)) | frame.geometry.is_empty.values
    if missing.any():
        raise BoundaryImportError(
            f"{path.name}: {int(missing.sum())} of {len(frame)} features have no geometry"
        )
    kinds = frame.geometry.geom_type
    not_polygon = ~kinds.isin(["Polygon", "MultiPolygon"])
    if not_polygon.any():
        counts = kinds[not_polygon].value_counts()
        found = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        raise BoundaryImportError(
            f"{path.name}: admin boundaries must be polygons, but the file has {found}"
        )

    frame = _to_wgs84(frame, path.name)
    pcodes = _as_code_strings(frame[pcode_col])
    blank = pcodes.isna() | (pcodes == "")
    if blank.any():
        raise BoundaryImportError(
            f"{path.name}: {int(blank.sum())} features have no P-code in column {pcode_col}"
        )
    names = frame[name_col].astype("string") if name_col else pcodes
    parents = _as_code_strings(frame[parent_col]) if parent_col else None

    layer = BoundaryLayer(
        level=level,
        source=str(path),
        areas=[],
        pcode_column=pcode_col,
        name_column=name_col,
        parent_column=parent_col,
    )
    if name_col is None:
        layer.warnings.append(f"no name column for level {level}; P-codes are used as names")

    raw = np.asarray(frame.geometry.values, dtype=object)
    invalid = ~shapely.is_valid(raw)
    layer.repaired_count = int(invalid.sum())
    if invalid.any():
        raw = raw.copy()
        raw[invalid] = [_polygonal(shapely.make_valid(g)) for g in raw[invalid]]

    by_pcode: dict[str, BoundaryArea] = {}
    for i, pcode in enumerate(pcodes):
        geom = _as_multipolygon(raw[i])
        if geom is None:
            raise BoundaryImportError(f"{path.name}: the polygon of {pcode} is empty after repair")
        name = names.iloc[i]
        parent = parents.iloc[i] if parents is not None else None
        area = by_pcode.get(pcode)
        if area is None:
            by_pcode[pcode] = BoundaryArea(
                pcode=pcode,
                name=str(name) if not pd.isna(name) and str(name).strip() else pcode,
                parent_pcode=None if parent is None or pd.isna(parent) or parent == "" else parent,
                geom=geom,
            )
        else:  # several features for one P-code: one multipart area
            area.geom = _as_multipolygon(shapely.union(area.geom, geom))
            layer.merged_count += 1
    layer.areas = sorted(by_pcode.values(), key=lambda a: a.pcode)
    if layer.merged_count:
        layer.warnings.append(
            f"{layer.merged_count} features shared a P-code with another and were merged"
        )
    return layer


def _pick_column(columns: dict[str, str], given: str | None, candidates: list[str]) -> str | None:
    if given:
        return columns.get(given.lower())
    for candidate in candidates:
        if candidate in columns:
            return columns[candidate]
    return None


def _to_wgs84(frame, filename: str):
    if frame.crs is None:
        minx, miny, maxx, maxy = frame.total_bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise BoundaryImportError(
                f"{filename}: the file has no CRS and its coordinates are not longitude/latitude"
            )
        return frame.set_crs(4326)
    if frame.crs.to_epsg() == 4326:
        return frame
    return frame.to_crs(4326)


_INTEGRAL_FLOAT = re.compile(r"^(-?\d+)\.0+$")


def _as_code_strings(series: pd.Series) -> pd.Series:
    """P-codes as strings; numeric columns (some Shapefiles) lose no leading text."""
    as_text = series.astype("string").str.strip()
    return as_text.str.replace(_INTEGRAL_FLOAT, r"\1", regex=True)


def _polygonal(geom):
    """Keep the polygon parts of what make_valid returned (it may add lines or points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else Polygon()


def _as_multipolygon(geom) -> MultiPolygon | None:
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "Polygon":
        return MultiPolygon([geom])
    if geom.geom_type == "MultiPolygon":
        return geom
    polygonal = _polygonal(geom)
    return _as_multipolygon(polygonal) if not polygonal.is_empty else None
