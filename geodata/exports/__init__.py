"""Exports: the datasets partners download, in the formats their tools read.

`prepare_export` checks a request, counts its rows and returns an `Export` whose `chunks()`
streams the file; the HTTP layer only parses parameters, records the download in the audit
log and sends the chunks. See geodata.exports.datasets for what each dataset holds and
geodata.exports.formats for how files are written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import orjson
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geodata.exports import formats
from geodata.exports.datasets import (
    DATASETS,
    MOVEMENT_COLUMNS,
    REGION_COLUMNS,
    ExportRequest,
    columns_for,
    dictionary,
    movement_rows,
    region_rows,
    resolve,
    sql_query,
    suppression_applies,
)
from geodata.exports.formats import FORMATS, MEDIA_TYPES
from geodata.models import AdminArea, AdminLevel, Round, Site, Submission

__all__ = [
    "DATASETS",
    "FORMATS",
    "MEDIA_TYPES",
    "Export",
    "ExportRequest",
    "data_version",
    "dictionary",
    "prepare_export",
]


@dataclass
class Export:
    asked: ExportRequest
    format: str
    hxl: bool
    filename: str
    row_count: int
    metadata: dict
    _chunks: Callable[[], Iterator[bytes]] = field(repr=False)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    def chunks(self) -> Iterator[bytes]:
        return self._chunks()


def data_version(session: Session) -> tuple[str, datetime]:
    """A fingerprint of everything an export reads (submissions, sites, boundaries, rounds)
    and when it last changed: the basis of ETag and Last-Modified."""
    seq, count, received = session.execute(
        select(func.max(Submission.seq), func.count(), func.max(Submission.received_at))
    ).one()
    sites = session.execute(select(func.max(Site.change_seq), func.count(Site.id))).one()
    levels = session.execute(
        select(AdminLevel.level, AdminLevel.import_id, AdminLevel.imported_at).order_by(
            AdminLevel.level
        )
    ).all()
    rounds = session.execute(
        select(
            Round.number, Round.status, Round.start_date, Round.end_date, Round.created_at
        ).order_by(Round.number)
    ).all()
    fingerprint = orjson.dumps(
        [seq, count, list(sites), [list(r[:2]) for r in levels], [list(r[:4]) for r in rounds]],
        default=str,
    )
    moments = [received, *(r[2] for r in levels), *(r[4] for r in rounds)]
    moments = [_aware(m) for m in moments if m is not None]
    changed = max(moments) if moments else datetime(2000, 1, 1, tzinfo=UTC)
    return hashlib.sha256(fingerprint).hexdigest()[:32], changed.replace(microsecond=0)


def _aware(moment) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def file_name(operation: str, asked: ExportRequest, fmt: str, today: date) -> str:
    round_part = f"r{asked.round}" if asked.round is not None else "rall"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in operation) or "dtm"
    return f"{safe}_{asked.dataset}_{round_part}_{today.isoformat()}.{fmt}"


def prepare_export(
    session: Session,
    open_connection: Callable,
    backend: str,
    asked: ExportRequest,
    fmt: str,
    *,
    hxl: bool = False,
    operation: str = "dtm",
    today: date | None = None,
) -> Export:
    """Check the request against the database and get the file ready to stream.

    `open_connection()` returns a new pooled DBAPI connection (SQLAlchemy's
    `engine.raw_connection`): CSV and GeoJSON stream from it after the caller's session is
    done. Raises SummaryParameterError for a bad parameter."""
    if fmt not in FORMATS:
        from geodata.errors import SummaryParameterError

        raise SummaryParameterError(
            f"Unknown format {fmt!r}; one of: {', '.join(FORMATS)}.", "format"
        )
    asked = resolve(session, asked)
    columns = columns_for(asked)
    metadata = {
        "dtm:operation": operation,
        "dtm:dataset": asked.dataset,
        "dtm:filters": asked.filters(),
        "dtm:generated": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "dtm:personal_fields": asked.personal,
        "dtm:suppression": (
            {
                "threshold": asked.suppress_below,
                "rule": f"counts from 1 to {asked.suppress_below - 1} are left blank",
                "columns": [c.name for c in columns if c.suppressible],
            }
            if suppression_applies(asked)
            else None
        ),
    }
    name = file_name(operation, asked, fmt, today or date.today())
    if asked.dataset in ("regions", "movements"):
        rows = list(
            region_rows(session, asked)
            if asked.dataset == "regions"
            else movement_rows(session, asked)
        )
        columns = list(REGION_COLUMNS if asked.dataset == "regions" else MOVEMENT_COLUMNS)
        columns = columns_for(asked)
        geometries = _area_geometries(session, asked, rows)
        chunks = _python_chunks(asked, fmt, hxl, columns, rows, geometries, metadata)
        return Export(asked, fmt, hxl, name, len(rows), metadata, chunks)
    query = sql_query(asked, backend, columns=columns)
    row_count = formats.count_rows(open_connection, backend, query)

    def chunks() -> Iterator[bytes]:
        if fmt == "csv":
            return formats.csv_from_query(open_connection, backend, query, hxl)
        if fmt == "geojson":
            return formats.geojson_from_query(open_connection, backend, query, metadata)
        rows = formats.all_rows(open_connection, backend, query)
        if fmt == "xlsx":
            return formats.file_chunks(
                formats.xlsx_file(asked.dataset, columns, rows, hxl, metadata)
            )
        geometries = formats.point_geometries(columns, rows)
        return formats.file_chunks(
            formats.gpkg_file(asked.dataset, columns, rows, geometries, metadata)
        )

    return Export(asked, fmt, hxl, name, row_count, metadata, chunks)


def _area_geometries(session: Session, asked: ExportRequest, rows: list[tuple]) -> list:
    """Regions: each area's polygon. Movements: a line from the origin area to the
    destination area (points inside each), null when either is unknown."""
    codes = set()
    for row in rows:
        codes.update(row[2:3] if asked.dataset == "regions" else (row[2], row[4]))
    codes.discard(None)
    shapes = {
        pcode: geom
        for pcode, geom in session.execute(
            select(AdminArea.pcode, AdminArea.geom).where(AdminArea.pcode.in_(sorted(codes)))
        )
    }
    if asked.dataset == "regions":
        return [shapes.get(row[2]) for row in rows]
    inside = {pcode: shape.point_on_surface() for pcode, shape in shapes.items()}
    return [
        shapely.LineString([inside[row[2]], inside[row[4]]])
        if row[2] in inside and row[4] in inside
        else None
        for row in rows
    ]


def _python_chunks(asked, fmt, hxl, columns, rows, geometries, metadata):
    def chunks() -> Iterator[bytes]:
        if fmt == "csv":
            return formats.csv_from_rows(columns, hxl, [rows])
        if fmt == "geojson":
            names = [c.name for c in columns]
            features = (
                {
                    "type": "Feature",
                    "geometry": orjson.loads(shapely.to_geojson(geometry))
                    if geometry is not None
                    else None,
                    "properties": dict(zip(names, row, strict=True)),
                }
                for row, geometry in zip(rows, geometries, strict=True)
            )
            return formats.geojson_from_features(features, metadata)
        if fmt == "xlsx":
            return formats.file_chunks(
                formats.xlsx_file(asked.dataset, columns, rows, hxl, metadata)
            )
        return formats.file_chunks(
            formats.gpkg_file(asked.dataset, columns, rows, geometries, metadata)
        )

    return chunks
