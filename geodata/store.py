"""The store interface: what the rest of the product asks of the database.

`open_store(session)` returns a SQLiteStore or a PostGISStore for the session's database.
Both answer the same questions with the same results; they differ only in how spatial
filters run (PostGIS: native geometry and GIST indexes; SQLite: bounding-box columns, then
shapely). Placing points in admin areas runs in shapely on both, so a point on a shared
edge gets the same answer whichever backend an operation uses.

Store methods flush but never commit: the HTTP request or CLI command that called them
commits once, or rolls back.
"""

import sqlite3
import uuid
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter

import numpy as np
import orjson
import psycopg
import shapely
from psycopg.types.json import Json
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Table,
    TypeDecorator,
    bindparam,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NullType

from geodata.boundaries import BoundaryLayer
from geodata.errors import BoundaryImportError
from geodata.locate import AreaRecord, Locator
from geodata.models import AdminArea, AdminLevel, Counter, Site
from geodata.models.base import utcnow
from geodata.types import SRID, Geometry

# The change sequence behind the reference-data cursor (see sync.reference).
SITE_SEQUENCE = "reference"
# The largest integer both backends compare with (SQLite INTEGER, PostgreSQL bigint); a
# larger number in a query makes the database fail rather than find nothing.
LARGEST_STORED_INTEGER = 2**63 - 1
_LOCATOR_CACHE: "OrderedDict[tuple, Locator]" = OrderedDict()
_LOCATOR_CACHE_SIZE = 8


@dataclass
class ImportReport:
    level: int
    source: str
    feature_count: int
    repaired_count: int
    merged_count: int
    parents_from_column: int = 0
    parents_by_containment: int = 0
    parents_missing: int = 0
    sites_relocated: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"level {self.level}: {self.feature_count} areas imported from {self.source}",
            f"{self.repaired_count} invalid geometries repaired",
        ]
        if self.merged_count:
            parts.append(f"{self.merged_count} duplicate P-codes merged")
        if self.parents_from_column or self.parents_by_containment:
            parts.append(
                f"parents: {self.parents_from_column} from the file, "
                f"{self.parents_by_containment} by containment, {self.parents_missing} unknown"
            )
        parts.append(f"{self.sites_relocated} sites relocated")
        return "; ".join(parts)


@dataclass
class SitePlacement:
    located: int = 0
    outside: int = 0
    no_location: int = 0
    mismatched: int = 0


_BOUNDARIES_KEY = select(AdminLevel.level, AdminLevel.import_id).order_by(AdminLevel.level)
_TAKE_SEQ = text("UPDATE counters SET value = value + :count WHERE name = :name RETURNING value")


class Store(ABC):
    """Backend-neutral operations. Subclasses supply the spatial filters."""

    backend = "abstract"

    def __init__(self, session: Session):
        self.session = session

    # --- admin boundaries -------------------------------------------------------------

    def boundaries_key(self) -> tuple:
        """Changes whenever any admin level is imported; keys the locator cache."""
        rows = self.session.connection().execute(_BOUNDARIES_KEY).all()
        return tuple((level, import_id) for level, import_id in rows)

    def loaded_levels(self) -> list[int]:
        return [level for level, _ in self.boundaries_key()]

    def locator(self) -> Locator:
        """The locator for the boundaries now in the store (built once per import)."""
        key = self.boundaries_key()
        locator = _LOCATOR_CACHE.get(key)
        if locator is None:
            rows = self.session.execute(
                select(AdminArea.pcode, AdminArea.level, AdminArea.parent_pcode, AdminArea.geom)
            ).all()
            locator = Locator(AreaRecord(p, lv, parent, g) for p, lv, parent, g in rows)
            _LOCATOR_CACHE[key] = locator
            while len(_LOCATOR_CACHE) > _LOCATOR_CACHE_SIZE:
                _LOCATOR_CACHE.popitem(last=False)
        else:
            _LOCATOR_CACHE.move_to_end(key)
        return locator

    def known_pcodes(self) -> dict[int, frozenset[str]]:
        """P-codes of every loaded level, for validating declared and origin areas."""
        return self.locator().pcodes

    def replace_admin_level(self, layer: BoundaryLayer) -> ImportReport:
        """Replace one admin level with a freshly read layer, re-link parents and children,
        and re-place every site. All in the caller's transaction: it applies whole or not."""
        report = ImportReport(
            level=layer.level,
            source=layer.source,
            feature_count=len(layer.areas),
            repaired_count=layer.repaired_count,
            merged_count=layer.merged_count,
            warnings=list(layer.warnings),
        )
        session = self.session
        session.execute(delete(AdminArea).where(AdminArea.level == layer.level))
        rows = []
        for area in layer.areas:
            minx, miny, maxx, maxy = area.geom.bounds
            rows.append(
                dict(
                    pcode=area.pcode,
                    name=area.name,
                    level=layer.level,
                    parent_pcode=area.parent_pcode,
                    parent_source="column" if area.parent_pcode else None,
                    geom=area.geom,
                    min_lon=minx,
                    min_lat=miny,
                    max_lon=maxx,
                    max_lat=maxy,
                )
            )
        clash = self._pcodes_at_other_levels([r["pcode"] for r in rows], layer.level)
        if clash:
            raise BoundaryImportError(
                f"{len(clash)} P-codes of this file are already loaded at another level "
                f"(e.g. {sorted(clash)[0]}); import each level from its own file"
            )
        session.execute(AdminArea.__table__.insert(), rows)
        record = session.get(AdminLevel, layer.level)
        if record is None:
            record = AdminLevel(level=layer.level)
            session.add(record)
        record.import_id = uuid.uuid4().hex
        record.source = layer.source
        record.feature_count = len(layer.areas)
        record.repaired_count = layer.repaired_count
        record.imported_at = utcnow()
        session.flush()

        self._link_by_containment(layer.level)  # this level's parents, where the file had none
        self._link_by_containment(layer.level + 1)  # children that were linked by containment
        counts = session.execute(
            select(AdminArea.parent_source, func.count())
            .where(AdminArea.level == layer.level)
            .group_by(AdminArea.parent_source)
        ).all()
        by_source = {src: n for src, n in counts}
        report.parents_from_column = by_source.get("column", 0)
        report.parents_by_containment = by_source.get("containment", 0)
        if layer.level > 0:
            report.parents_missing = by_source.get(None, 0)
        report.sites_relocated = self.relocate_sites(update_summaries=False)
        # Levels and areas changed: region totals are rebuilt whole, in this transaction.
        from geodata.summaries import rebuild_region_totals

        rebuild_region_totals(session)
        return report

    def _pcodes_at_other_levels(self, pcodes: Sequence[str], level: int) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(pcodes), 500):
            chunk = pcodes[start : start + 500]
            found.update(
                self.session.execute(
                    select(AdminArea.pcode).where(
                        AdminArea.pcode.in_(chunk), AdminArea.level != level
                    )
                ).scalars()
            )
        return found

    def _link_by_containment(self, level: int) -> None:
        """Give areas without a parent from their file the parent-level area that holds
        their representative point; leave file-given parents alone."""
        session = self.session
        parents = session.execute(
            select(AdminArea.pcode, AdminArea.geom).where(AdminArea.level == level - 1)
        ).all()
        children = session.execute(
            select(AdminArea.id, AdminArea.geom).where(
                AdminArea.level == level,
                (AdminArea.parent_source.is_(None)) | (AdminArea.parent_source == "containment"),
            )
        ).all()
        if not children:
            return
        if not parents:
            session.execute(
                AdminArea.__table__.update()
                .where(AdminArea.level == level, AdminArea.parent_source == "containment")
                .values(parent_pcode=None, parent_source=None)
            )
            return
        locator = Locator(AreaRecord(p, level - 1, None, g) for p, g in parents)
        inside = shapely.point_on_surface(np.array([g for _, g in children], dtype=object))
        placed = locator.locate_points(inside).pcodes[level - 1]
        for (area_id, _), parent in zip(children, placed, strict=True):
            session.execute(
                AdminArea.__table__.update()
                .where(AdminArea.id == area_id)
                .values(parent_pcode=parent, parent_source="containment" if parent else None)
            )

    def admin_areas(self, level: int | None = None, bbox=None) -> list[AdminArea]:
        query = select(AdminArea).order_by(AdminArea.level, AdminArea.pcode)
        if level is not None:
            query = query.where(AdminArea.level == level)
        if bbox is not None:
            query = self._areas_in_bbox(query, bbox)
        areas = list(self.session.execute(query).scalars())
        if bbox is not None:
            areas = self._refine_areas_in_bbox(areas, bbox)
        return areas

    @abstractmethod
    def _areas_in_bbox(self, query, bbox):
        """Narrow an AdminArea query to areas meeting the (minx, miny, maxx, maxy) box."""

    def _refine_areas_in_bbox(self, areas, bbox):
        return areas

    # --- sites ------------------------------------------------------------------------

    def place_sites(self, sites: Sequence[Site], locator: Locator | None = None) -> SitePlacement:
        """Set each site's located P-codes, location status and declared-vs-located
        mismatch from its point. Flushes nothing itself; the objects are updated."""
        outcome = SitePlacement()
        if not sites:
            return outcome
        locator = locator or self.locator()
        lons = np.array([s.lon if s.lon is not None else np.nan for s in sites], dtype=float)
        lats = np.array([s.lat if s.lat is not None else np.nan for s in sites], dtype=float)
        placement = locator.locate(lons, lats)
        for i, site in enumerate(sites):
            for level in (0, 1, 2, 3, 4):
                codes = placement.pcodes.get(level)
                setattr(site, f"admin{level}_pcode", codes[i] if codes is not None else None)
            if site.lon is None or site.lat is None:
                site.location_status = "no_location"
                outcome.no_location += 1
            elif placement.inside_any[i] or not locator.levels:
                site.location_status = "located" if locator.levels else "no_location"
                outcome.located += 1
            else:
                site.location_status = "outside"
                outcome.outside += 1
            site.admin_mismatch = declared_mismatch(site)
            outcome.mismatched += int(site.admin_mismatch)
        return outcome

    def relocate_sites(
        self, site_ids: Iterable[int] | None = None, update_summaries: bool = True
    ) -> int:
        """Re-place sites (all, or the given ids) after boundaries or locations changed.
        Sites whose placement changed take new change sequence values (tablets refresh)
        and, unless the caller rebuilds them, carry their rounds to their new areas in the
        region totals."""
        from geodata.summaries import move_sites, site_codes

        query = select(Site)
        if site_ids is not None:
            query = query.where(Site.id.in_(list(site_ids)))
        sites = list(self.session.execute(query).scalars())
        before = [_placement_of(s) for s in sites]
        codes_before = [site_codes(s) for s in sites]
        self.place_sites(sites)
        self.mark_changed(
            [s for s, old in zip(sites, before, strict=True) if _placement_of(s) != old]
        )
        self.session.flush()
        if update_summaries:
            move_sites(
                self.session,
                {
                    s.id: (old, site_codes(s))
                    for s, old in zip(sites, codes_before, strict=True)
                    if site_codes(s) != old
                },
            )
        return len(sites)

    def mark_changed(self, sites: Sequence[Site]) -> None:
        """Give sites new values of the reference sequence, in order, so that tablets
        holding an older cursor download them again."""
        if not sites:
            return
        last = self.next_seq_block(SITE_SEQUENCE, len(sites))
        for offset, site in enumerate(sites):
            site.change_seq = last - len(sites) + 1 + offset

    # Registry columns a site's point decides.
    SITE_PLACEMENT_COLUMNS = (
        "lon",
        "lat",
        "admin0_pcode",
        "admin1_pcode",
        "admin2_pcode",
        "admin3_pcode",
        "admin4_pcode",
        "location_status",
        "admin_mismatch",
        "geom",
    )
    # Registry columns ingest rewrites when a newer assessment arrives: its attributes and
    # rounds, its placement, and the change bookkeeping.
    SITE_UPDATE_COLUMNS = (
        "name",
        "site_type",
        "status",
        "declared_admin1_pcode",
        "declared_admin2_pcode",
        "first_round",
        "last_round",
        *SITE_PLACEMENT_COLUMNS,
        "change_seq",
        "updated_at",
    )

    def insert_rows(self, table: Table, rows: Sequence[dict]) -> None:
        """Bulk-insert rows that all carry the same keys (no RETURNING)."""
        if rows:
            self.session.connection().execute(table.insert(), list(rows))

    def insert_values(self, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
        """Bulk-insert rows given as tuples of the `columns` values, in that order (no
        RETURNING): what insert_rows does, without a dict per row."""
        if rows:
            self.insert_rows(table, [dict(zip(columns, row, strict=True)) for row in rows])

    @abstractmethod
    def insert_returning(
        self,
        table: Table,
        rows: Sequence[dict],
        returning: Sequence[str],
        skip_conflicts_on: Sequence[str] = (),
    ) -> list[tuple]:
        """Bulk-insert rows that all carry the same keys; returns the `returning` columns of
        the rows inserted. With `skip_conflicts_on` (a unique key's columns), rows that match
        a stored row are skipped (ON CONFLICT DO NOTHING: the unique key, not a read,
        settles races between writers)."""

    @abstractmethod
    def add_rows(
        self, table: Table, columns: Sequence[str], keys: Sequence[str], rows: Sequence[tuple]
    ) -> None:
        """Bulk-insert rows (tuples of `columns`); where a stored row has the same `keys`,
        add the row's other values to it instead (INSERT .. ON CONFLICT DO UPDATE)."""

    @abstractmethod
    def update_sites(self, rows: Sequence[dict], columns: Sequence[str] | None = None) -> None:
        """Bulk-update site rows: each dict has `id` and the value of every column written,
        which is each of `columns` (default: every SITE_UPDATE_COLUMNS; `geom` as WKB bytes
        or a shapely point). Columns not written keep their stored values."""

    # --- transactions -----------------------------------------------------------------

    def begin_write(self) -> None:
        """Start the session's next transaction as a writing one (call before its first
        statement). SQLite then takes the write lock at BEGIN, so concurrent writers queue
        behind each other instead of failing; PostgreSQL needs nothing."""
        self.session.connection(execution_options={"dtm_write": True})

    def lock_sequence(self, name: str) -> None:
        """Hold the named sequence's row lock until commit, so writers that read before
        they write (ingest reading sites) see each other's committed rows."""
        self.session.execute(self._insert_counter_if_missing(name))
        self.session.execute(select(Counter.value).where(Counter.name == name).with_for_update())

    # --- server sequences -------------------------------------------------------------

    def next_seq(self, name: str) -> int:
        """Take the next value of a named server sequence (row-locked until commit)."""
        return self.next_seq_block(name, 1)

    def next_seq_block(self, name: str, count: int) -> int:
        """Take `count` consecutive values of a named sequence; returns the last one.

        The counter row stays locked until the caller commits, so values become visible in
        the order they were taken: a reader's cursor never skips a late commit.
        """
        params = {"name": name, "count": count}
        value = self.session.connection().execute(_TAKE_SEQ, params).scalar()
        if value is None:  # first use of this sequence: create its row, then take
            self.session.execute(self._insert_counter_if_missing(name))
            value = self.session.connection().execute(_TAKE_SEQ, params).scalar_one()
        return value

    @abstractmethod
    def _insert_counter_if_missing(self, name: str):
        """An INSERT of the counter row that does nothing when it exists."""

    def current_seq(self, name: str) -> int:
        value = self.session.execute(select(Counter.value).where(Counter.name == name)).scalar()
        return value or 0


def _placement_of(site: Site) -> tuple:
    return (
        site.admin0_pcode,
        site.admin1_pcode,
        site.admin2_pcode,
        site.admin3_pcode,
        site.admin4_pcode,
        site.location_status,
        site.admin_mismatch,
    )


def declared_mismatch(site: Site) -> bool:
    """Declared admin areas disagree with where the point falls (when both are known)."""
    return codes_disagree(
        site.declared_admin1_pcode, site.declared_admin2_pcode, site.admin1_pcode, site.admin2_pcode
    )


def codes_disagree(
    declared1: str | None, declared2: str | None, located1: str | None, located2: str | None
) -> bool:
    """The mismatch rule on plain values: a declared admin-1 or admin-2 code differs from
    the located one, where both are known."""
    return bool(
        (declared1 and located1 and declared1 != located1)
        or (declared2 and located2 and declared2 != located2)
    )


class SQLiteStore(Store):
    backend = "sqlite"

    # The bulk writes below go straight to the driver: SQLAlchemy's per-row parameter
    # handling costs several times what SQLite needs for the statement itself, and ingest
    # writes every site, assessment and origin of every batch. Values are converted by each
    # column's type exactly as SQLAlchemy would store them in SQLite (_sqlite_converters).

    def insert_rows(self, table: Table, rows: Sequence[dict]) -> None:
        if rows:
            columns = list(rows[0])
            self.insert_values(table, columns, list(map(_gatherer(columns), rows)))

    def insert_values(self, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
        if not rows:
            return
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        self.session.connection().exec_driver_sql(sql, _sqlite_tuples(table, columns, rows))

    def lock_sequence(self, name: str) -> None:
        # One writer at a time on SQLite: any write statement takes the database's write
        # lock (already held when the transaction began IMMEDIATE), so no row lock is needed.
        self.session.connection().exec_driver_sql(
            "INSERT INTO counters (name, value) VALUES (?, 0) ON CONFLICT DO NOTHING", (name,)
        )

    def insert_returning(self, table, rows, returning, skip_conflicts_on=()):
        if not rows:
            return []
        columns = list(rows[0])
        values = _sqlite_values(table, columns, rows)
        placeholders = f"({', '.join('?' for _ in columns)})"
        tail = f" RETURNING {', '.join(returning)}"
        if skip_conflicts_on:
            tail = f" ON CONFLICT ({', '.join(skip_conflicts_on)}) DO NOTHING" + tail
        # One multi-row statement per chunk: sqlite3's executemany cannot return rows.
        per_statement = max(1, _SQLITE_MAX_VARIABLES // len(columns))
        found = []
        connection = self.session.connection()
        for start in range(0, len(values), per_statement):
            chunk = values[start : start + per_statement]
            sql = (
                f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
                + ", ".join(placeholders for _ in chunk)
                + tail
            )
            flat = tuple(v for row in chunk for v in row)
            found.extend(tuple(r) for r in connection.exec_driver_sql(sql, flat).fetchall())
        return found

    def add_rows(self, table, columns, keys, rows):
        if rows:
            sql = _add_rows_sql(table, columns, keys, "?")
            self.session.connection().exec_driver_sql(sql, list(rows))

    def update_sites(self, rows: Sequence[dict], columns: Sequence[str] | None = None) -> None:
        if not rows:
            return
        columns = (*(columns or self.SITE_UPDATE_COLUMNS), "id")
        sql = f"UPDATE sites SET {', '.join(f'{c} = ?' for c in columns[:-1])} WHERE id = ?"
        self.session.connection().exec_driver_sql(
            sql, _sqlite_values(Site.__table__, columns, rows)
        )

    def _areas_in_bbox(self, query, bbox):
        minx, miny, maxx, maxy = bbox
        return query.where(
            AdminArea.max_lon >= minx,
            AdminArea.min_lon <= maxx,
            AdminArea.max_lat >= miny,
            AdminArea.min_lat <= maxy,
        )

    def _refine_areas_in_bbox(self, areas, bbox):
        if not areas:
            return areas
        box = shapely.box(*bbox)
        geoms = np.array([a.geom for a in areas], dtype=object)
        hits = shapely.STRtree(geoms).query(box, predicate="intersects")
        keep = set(hits.tolist())
        return [a for i, a in enumerate(areas) if i in keep]

    def _insert_counter_if_missing(self, name):
        return sqlite_insert(Counter).values(name=name, value=0).on_conflict_do_nothing()


class PostGISStore(Store):
    backend = "postgis"

    def insert_rows(self, table: Table, rows: Sequence[dict]) -> None:
        # COPY: executemany re-parses a large multi-row statement for every chunk, which
        # costs more than PostgreSQL's work; plain column types only (psycopg adapts them).
        if rows:
            columns = list(rows[0])
            self.insert_values(table, columns, list(map(_gatherer(columns), rows)))

    def insert_values(self, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
        if not rows:
            return
        if any(isinstance(table.c[c].type, JSON | Geometry) for c in columns):
            super().insert_rows(table, [dict(zip(columns, row, strict=True)) for row in rows])
            return
        sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with _driver_errors(sql), self._cursor().copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    def insert_returning(self, table, rows, returning, skip_conflicts_on=()):
        # psycopg's own executemany (pipelined, one small prepared statement) rather than
        # SQLAlchemy's multi-row statements, which psycopg re-parses chunk by chunk.
        if not rows:
            return []
        columns = list(rows[0])
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join(_postgis_placeholder(table, c) for c in columns)})"
        )
        if skip_conflicts_on:
            sql += f" ON CONFLICT ({', '.join(skip_conflicts_on)}) DO NOTHING"
        sql += f" RETURNING {', '.join(returning)}"
        cursor = self._cursor()
        with _driver_errors(sql):
            cursor.executemany(sql, _postgis_values(table, columns, rows), returning=True)
        found = []
        while True:
            found.extend(tuple(row) for row in cursor.fetchall())
            if not cursor.nextset():
                return found

    def add_rows(self, table, columns, keys, rows):
        if rows:
            sql = _add_rows_sql(table, columns, keys, "%s")
            with _driver_errors(sql):
                self._cursor().executemany(sql, rows)

    def update_sites(self, rows: Sequence[dict], columns: Sequence[str] | None = None) -> None:
        # psycopg's pipelined executemany of one prepared statement (see insert_returning).
        if not rows:
            return
        table = Site.__table__
        columns = (*(columns or self.SITE_UPDATE_COLUMNS), "id")
        assignments = ", ".join(f"{c} = {_postgis_placeholder(table, c)}" for c in columns[:-1])
        values = _postgis_values(table, columns, rows)
        sql = f"UPDATE sites SET {assignments} WHERE id = %s"
        with _driver_errors(sql):
            self._cursor().executemany(sql, values)

    def _cursor(self):
        """A psycopg cursor on the session's connection, inside its transaction."""
        return self.session.connection().connection.driver_connection.cursor()

    def _areas_in_bbox(self, query, bbox):
        minx, miny, maxx, maxy = bbox
        envelope = func.ST_MakeEnvelope(minx, miny, maxx, maxy, 4326)
        return query.where(func.ST_Intersects(AdminArea.geom, envelope))

    def _insert_counter_if_missing(self, name):
        return postgresql_insert(Counter).values(name=name, value=0).on_conflict_do_nothing()


def _add_rows_sql(table: Table, columns: Sequence[str], keys: Sequence[str], mark: str) -> str:
    adding = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in columns if c not in keys)
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join(mark for _ in columns)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {adding}"
    )


@contextmanager
def _driver_errors(statement: str):
    """Raise psycopg's errors as SQLAlchemy's (IntegrityError, ...), as statements run
    through SQLAlchemy would, so callers handle one kind of database error."""
    try:
        yield
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


def _postgis_placeholder(table: Table, column: str) -> str:
    if isinstance(table.c[column].type, Geometry):
        return f"ST_GeomFromWKB(%s, {SRID})"
    return "%s"


def _postgis_values(table: Table, columns: Sequence[str], rows: Sequence[dict]) -> list:
    """The rows as lists of psycopg parameters: JSON wrapped, geometry as WKB bytes."""
    gather = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    json_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    geometry_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, Geometry)]
    values = []
    for row in rows:
        value = list(gather(row))
        for i in json_at:
            if value[i] is not None:
                value[i] = Json(value[i], dumps=_json_text)
        for i in geometry_at:
            if value[i] is not None and not isinstance(value[i], bytes):
                value[i] = shapely.to_wkb(value[i])
        values.append(value)
    return values


def _json_text(value) -> str:
    return orjson.dumps(value, default=str).decode()


# SQLite's default limit of bound parameters per statement (since 3.32).
_SQLITE_MAX_VARIABLES = 32766

# sqlite3 binds an int, float or str as it is, but looks for an adapter for any other value,
# None included, and not finding one is its slow path: about 0.6 µs per NULL (measured on
# Python 3.11), and an ingested item binds a dozen or more. An adapter that hands None back
# as it is (still bound as NULL) is found in the registry at once: about a quarter of that.
sqlite3.register_adapter(type(None), lambda value: value)


def _gatherer(columns: Sequence[str]):
    """A function taking a dict row to the tuple of its `columns` values."""
    return itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))


def _sqlite_values(table: Table, columns: Sequence[str], rows: Sequence[dict]) -> list:
    """The rows as tuples of driver values, in `columns` order (see _sqlite_converters)."""
    return _sqlite_tuples(table, columns, list(map(_gatherer(columns), rows)))


def _sqlite_tuples(table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> Sequence:
    """Tuples of `columns` values as driver values (see _sqlite_converters)."""
    converted = [
        (i, convert) for i, convert in enumerate(_sqlite_converters(table, columns)) if convert
    ]
    if not converted:
        return rows
    values = []
    for row in rows:
        value = list(row)
        for i, convert in converted:
            value[i] = convert(value[i])
        values.append(tuple(value))  # the driver API takes tuples
    return values


def _sqlite_converters(table: Table, columns: Sequence[str]) -> list:
    """For each column, None when SQLite takes the Python value as it is, else a function
    turning it into what SQLAlchemy's type stores in SQLite: JSON as text, DateTime as
    naive text, Date as ISO text, Boolean as an integer (sqlite3 would bind True and False
    as 1 and 0 too, but several times slower than converting them), geometry as WKB."""
    key = (table.name, tuple(columns))
    converters = _CONVERTERS.get(key)
    if converters is None:
        converters = [_sqlite_converter(table.c[name].type) for name in columns]
        _CONVERTERS[key] = converters
    return converters


_CONVERTERS: dict[tuple, list] = {}


def _sqlite_converter(column_type):
    if isinstance(column_type, JSON):
        return lambda v: None if v is None else orjson.dumps(v, default=str).decode()
    if isinstance(column_type, DateTime):
        return _datetime_text
    if isinstance(column_type, Date):
        return _date_text
    if isinstance(column_type, Boolean):
        return _BOOLEAN_INTEGERS.__getitem__  # what SQLAlchemy accepts, as it stores it
    if isinstance(column_type, Geometry):
        return lambda v: v if v is None or isinstance(v, bytes) else shapely.to_wkb(v)
    return None


_BOOLEAN_INTEGERS = {None: None, False: 0, True: 1}


@lru_cache(maxsize=1024)
def _date_text(value):
    """A date as ISO text. Cached: date.isoformat is slow for what it does, and the dates
    of a batch's rows are few (a round's assessment dates)."""
    return value.isoformat() if value is not None else None


# The last datetime _datetime_text formatted, with its text: a batch stamps every row of
# every table with the same time, so it is formatted once. One tuple, replaced whole, so
# that threads never see a time with another's text.
_LAST_DATETIME: list[tuple] = [(None, None)]


def _datetime_text(value):
    if value is None:
        return None
    last, text = _LAST_DATETIME[0]
    if value is not last:
        text = value.strftime("%Y-%m-%d %H:%M:%S.%f")
        _LAST_DATETIME[0] = (value, text)
    return text


class InValues(ColumnElement):
    """`column IN (values)` with the values bound as one parameter `name` (a list), in a
    statement built once: SQLAlchemy's expanding IN re-renders the statement and a
    parameter per value on every call, which costs more than the query at 500 keys.
    SQLite reads the list as a JSON array (json_each), PostgreSQL as an array (= ANY);
    both use the column's index. The list may be given here (`values`) or when the
    statement runs (as the parameter `name`)."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition as it is (SQLite would add "= 1")
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column, name: str = "values", values: Iterable | None = None):
        self.column = column
        if values is None:
            self.values = bindparam(name, type_=_ValueList())
        else:
            self.values = bindparam(name, list(values), type_=_ValueList())


class _ValueList(TypeDecorator):
    impl = NullType  # passed as it is (no bind cast): the statement casts it
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if dialect.name == "sqlite":
            return orjson.dumps(list(value)).decode()
        return list(value)


@compiles(InValues, "sqlite")
def _in_values_sqlite(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(element.values, **kw)}))"


@compiles(InValues, "postgresql")
def _in_values_postgresql(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    array = compiler.dialect.type_compiler_instance.process(element.column.type)
    return f"{column} = ANY(CAST({compiler.process(element.values, **kw)} AS {array}[]))"


def open_store(session: Session) -> Store:
    """The store for the session's database."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return PostGISStore(session)
    if dialect == "sqlite":
        return SQLiteStore(session)
    raise ValueError(f"unsupported database backend: {dialect}")
