"""Writing export files: CSV (optionally with an HXL row), GeoJSON, GeoPackage and XLSX.

Why the driver and not the ORM. KoboToolbox and ODK Central time out on large exports; a
first version of ours that went through SQLAlchemy rows managed ~60,000 rows/s. CSV and
GeoJSON therefore read the database driver's cursor directly on a connection of their own
(the request's session is finished before the body streams):
* CSV on PostGIS is `COPY (SELECT ...) TO STDOUT WITH (FORMAT csv)`: PostgreSQL formats
  the rows itself and we pass its chunks on. On SQLite, `fetchmany` batches go through
  `csv.writer.writerows` into one reused buffer. Either way ~64 KB chunks leave at a time
  and memory does not grow with the number of rows.
* GeoJSON features are built by the database (`json_object` / `to_json`) in the same pass
  as the query, so Python only joins ready-made strings; on PostGIS they come through
  COPY too, so the database builds while Python sends.
CSV is RFC 4180 with CRLF line ends. PostgreSQL writes LF, so its chunks have LF turned
into CRLF (a line break inside a quoted free-text answer becomes CRLF too).

GeoPackage and XLSX are files with an index or a zip directory at the end, so they are
written whole to a temporary file (through pyogrio / openpyxl) and then sent.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from datetime import date

import orjson

from geodata.exports.datasets import Column, Query

CHUNK_BYTES = 64 * 1024
FETCH_ROWS = 5000
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(MEDIA_TYPES)

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def driver_sql(sql: str, params: dict, backend: str) -> tuple[str, dict]:
    """`:name` parameters in the driver's style; dates as ISO text on SQLite."""
    if backend == "postgis":
        return _NAMED.sub(r"%(\1)s", sql), params
    return sql, {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}


def header_lines(columns: list[Column], hxl: bool) -> list[list[str]]:
    lines = [[c.name for c in columns]]
    if hxl:
        lines.append([c.hxl for c in columns])
    return lines


def _csv_buffer():
    buffer = io.StringIO()
    return buffer, csv.writer(buffer, lineterminator="\r\n")


def csv_from_rows(columns: list[Column], hxl: bool, batches: Iterable[list]) -> Iterator[bytes]:
    """CSV of row batches (lists of tuples), in ~64 KB chunks."""
    buffer, writer = _csv_buffer()
    writer.writerows(header_lines(columns, hxl))
    for batch in batches:
        writer.writerows(batch)
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def csv_from_query(
    open_connection: Callable, backend: str, query: Query, hxl: bool
) -> Iterator[bytes]:
    """CSV of a SQL dataset, streamed from a connection of its own."""
    connection = open_connection()
    try:
        sql, params = driver_sql(query.sql, query.params, backend)
        driver = connection.driver_connection
        if backend != "postgis":
            yield from _sqlite_csv(driver, query, params, hxl)
            return
        buffer, writer = _csv_buffer()
        writer.writerows(header_lines(query.columns, hxl))
        pending = [buffer.getvalue().encode()]
        size = len(pending[0])
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy,
        ):
            for data in copy:
                pending.append(bytes(data).replace(b"\n", b"\r\n"))
                size += len(pending[-1])
                if size >= CHUNK_BYTES:
                    yield b"".join(pending)
                    pending, size = [], 0
        if pending:
            yield b"".join(pending)
    finally:
        connection.close()


# Choices and codes the server validated: never a comma, quote or line break.
_NEVER_QUOTED = frozenset(
    {
        "site_type",
        "site_status",
        "priority_need_1",
        "priority_need_2",
        "priority_need_3",
        "health_facility_access",
        "site_management",
        "location_status",
        "displacement_reason",
        "admin0_pcode",
        "admin1_pcode",
        "admin2_pcode",
    }
)


def _sqlite_csv_field(column: Column, sql: str) -> str:
    if column.type in ("integer", "number", "date") or column.name in _NEVER_QUOTED:
        return sql
    return (
        f"CASE WHEN instr({sql}, ',') OR instr({sql}, '\"') OR instr({sql}, char(10)) "
        f"OR instr({sql}, char(13)) THEN '\"' || replace({sql}, '\"', '\"\"') || '\"' "
        f"ELSE {sql} END"
    )


def _sqlite_csv(driver, query: Query, params: dict, hxl: bool) -> Iterator[bytes]:
    """SQLite formats each CSV line itself (one printf per row, NULL printing as empty):
    Python then handles one string per row instead of one object per value, which is
    what limited the first version to ~50,000 rows/s on this machine."""
    fields = [
        _sqlite_csv_field(c, e) for c, e in zip(query.columns, query.expressions, strict=True)
    ]
    line_format = ",".join(["%s"] * len(fields))
    sql = (
        f"SELECT printf('{line_format}', {', '.join(fields)}) {query.from_where} "
        f"ORDER BY {query.order_by}"
    )
    buffer, writer = _csv_buffer()
    writer.writerows(header_lines(query.columns, hxl))
    pending, size = [buffer.getvalue()], buffer.tell()
    cursor = driver.cursor()
    try:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(FETCH_ROWS):
            text = "\r\n".join([row[0] for row in batch]) + "\r\n"
            pending.append(text)
            size += len(text)
            if size >= CHUNK_BYTES:
                yield "".join(pending).encode()
                pending, size = [], 0
    finally:
        cursor.close()
    if pending:
        yield "".join(pending).encode()


def all_rows(open_connection: Callable, backend: str, query: Query) -> list[tuple]:
    """Every row of a SQL dataset (for the formats written whole: GeoPackage, XLSX)."""
    connection = open_connection()
    try:
        sql, params = driver_sql(query.sql, query.params, backend)
        cursor = connection.driver_connection.cursor()
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        cursor.close()
        return rows
    finally:
        connection.close()


def count_rows(open_connection: Callable, backend: str, query: Query) -> int:
    connection = open_connection()
    try:
        sql, params = driver_sql(f"SELECT count(*) {query.from_where}", query.params, backend)
        cursor = connection.driver_connection.cursor()
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])
    finally:
        connection.close()


# --- GeoJSON -----------------------------------------------------------------------------


def _geojson_open(metadata: dict) -> bytes:
    head = orjson.dumps({"type": "FeatureCollection", **metadata})
    return head[:-1] + b',"features":[\n'


def feature_sql(query: Query, backend: str) -> str:
    """The query turned into one GeoJSON Feature (text) per row, built by the database;
    points from the `lon`/`lat` columns (longitude first, RFC 7946)."""
    names = [c.name for c in query.columns]
    located = "lon" in names and "lat" in names
    source = f"FROM ({query.aliased()} ORDER BY {query.order_by}) p"
    if backend == "postgis":
        # The Feature's frame is glued as text around to_json's properties: nesting
        # json_build_object calls cost a third more of the server's time at 50,000 rows.
        # float8 prints the same shortest round-trip digits in text as in JSON.
        geometry = (
            "CASE WHEN p.lon IS NULL OR p.lat IS NULL THEN 'null' ELSE "
            "'{\"type\":\"Point\",\"coordinates\":[' || p.lon || ',' || p.lat || ']}' END"
            if located
            else "'null'"
        )
        return (
            f'SELECT \'{{"type":"Feature","geometry":\' || {geometry} || '
            f"',\"properties\":' || to_json(p)::text || '}}' {source}"
        )
    geometry = (
        "CASE WHEN p.lon IS NULL OR p.lat IS NULL THEN NULL ELSE json_object('type', 'Point', "
        "'coordinates', json_array(p.lon, p.lat)) END"
        if located
        else "NULL"
    )
    properties = "json_object(" + ", ".join(f"'{n}', p.\"{n}\"" for n in names) + ")"
    return (
        f"SELECT json_object('type', 'Feature', 'geometry', {geometry}, "
        f"'properties', {properties}) {source}"
    )


def geojson_from_query(
    open_connection: Callable, backend: str, query: Query, metadata: dict
) -> Iterator[bytes]:
    connection = open_connection()
    try:
        sql, params = driver_sql(feature_sql(query, backend), query.params, backend)
        driver = connection.driver_connection
        yield _geojson_open(metadata)
        if backend == "postgis":
            yield from _postgis_features(driver, sql, params)
        else:
            with closing(driver.cursor()) as cursor:
                cursor.execute(sql, params)
                first = True
                while batch := cursor.fetchmany(FETCH_ROWS):
                    text = ",\n".join(row[0] for row in batch)
                    yield (text if first else ",\n" + text).encode()
                    first = False
        yield b"\n]}\n"
    finally:
        connection.close()


def _postgis_features(driver, sql: str, params: dict) -> Iterator[bytes]:
    """The features, separated by a comma and a line break, streamed by COPY: PostgreSQL
    builds the next rows while we send the last ones (a cursor's FETCH would leave one side
    waiting for the other). COPY's CSV mode with a delimiter and a quote character no
    feature contains (to_json escapes every control character) writes each feature as it
    is, one per line."""
    copy_sql = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')"
    pending, size, held = [], 0, b""
    with driver.cursor() as cursor, cursor.copy(copy_sql, params) as copy:
        for data in copy:
            pending.append(bytes(data).replace(b"\n", b",\n"))
            size += len(pending[-1])
            if size >= CHUNK_BYTES:
                text = held + b"".join(pending)
                # The last two bytes wait: after the last feature, its ",\n" must go.
                yield text[:-2]
                pending, size, held = [], 0, text[-2:]
    text = held + b"".join(pending)
    if text:
        yield text[:-2]


def geojson_from_features(features: Iterable[dict], metadata: dict) -> Iterator[bytes]:
    """GeoJSON of features built in Python (the small datasets)."""
    yield _geojson_open(metadata)
    first = True
    for feature in features:
        yield (b"" if first else b",\n") + orjson.dumps(feature)
        first = False
    yield b"\n]}\n"


# --- GeoPackage and XLSX -----------------------------------------------------------------

_PANDAS_TYPES = {"integer": "Int64", "number": "float64", "boolean": "boolean"}


def _frame(columns: list[Column], rows: list[tuple], geometries=None):
    import geopandas
    import pandas

    frame = pandas.DataFrame.from_records(rows, columns=[c.name for c in columns])
    for c in columns:
        if c.type in _PANDAS_TYPES:
            frame[c.name] = frame[c.name].astype(_PANDAS_TYPES[c.type])
        else:
            frame[c.name] = (
                frame[c.name].map(lambda v: None if v is None else str(v)).astype("object")
            )
    if geometries is None:
        return frame
    return geopandas.GeoDataFrame(frame, geometry=geometries, crs="EPSG:4326")


def point_geometries(columns: list[Column], rows: list[tuple]):
    import shapely

    names = [c.name for c in columns]
    if "lon" not in names or "lat" not in names:
        return None
    lon, lat = names.index("lon"), names.index("lat")
    return [
        shapely.Point(row[lon], row[lat]) if row[lon] is not None and row[lat] is not None else None
        for row in rows
    ]


def gpkg_file(
    layer: str, columns: list[Column], rows: list[tuple], geometries, metadata: dict
) -> str:
    """Write one layer to a new GeoPackage; returns its path (the caller removes it)."""
    import pyogrio

    handle, path = tempfile.mkstemp(suffix=".gpkg")
    os.close(handle)
    os.unlink(path)
    frame = _frame(columns, rows, geometries)
    text_metadata = {
        k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in metadata.items()
    }
    pyogrio.write_dataframe(
        frame,
        path,
        layer=layer,
        driver="GPKG",
        geometry_type="Unknown" if geometries is not None else None,
        dataset_metadata=text_metadata,
        layer_metadata=text_metadata,
    )
    return path


def xlsx_file(
    dataset: str, columns: list[Column], rows: Iterable[tuple], hxl: bool, metadata: dict
) -> str:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(value):
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, str):
            # XLSX cannot hold control characters that answers may carry (other formats
            # keep them); openpyxl would refuse the whole file
            return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        return value

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(dataset)
    for line in header_lines(columns, hxl):
        sheet.append(line)
    for row in rows:
        sheet.append([cell(v) for v in row])
    info = workbook.create_sheet("metadata")
    for key, value in metadata.items():
        info.append(
            [key, value if isinstance(value, str | int | float) else orjson.dumps(value).decode()]
        )
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    workbook.save(path)
    return path


def file_chunks(path: str) -> Iterator[bytes]:
    """A temporary file's bytes, removed once sent."""
    try:
        with open(path, "rb") as handle:
            while data := handle.read(CHUNK_BYTES):
                yield data
    finally:
        os.unlink(path)
