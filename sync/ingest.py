"""Ingest a batch of submissions: exactly once, whatever the network does.

Why it works this way:

* The client's UUID is the idempotency key and the primary business key. The same id with
  the same canonical content is a `duplicate` (a no-op that acknowledges it: the "stored,
  but the answer was lost" case, which is what makes retries safe); the same id with other
  content is a `conflict`, kept in quarantine for a person and never overwriting anything.
* A unique key, not a read-then-write, settles races: submissions are inserted with
  `ON CONFLICT (submission_id) DO NOTHING RETURNING`, and any id another request inserted
  first is re-read and classified as duplicate or conflict.
* An edit names the version it replaces (`base_version`); it becomes the new current
  version only if that base is still current, checked by a conditional UPDATE that row-locks
  the base, so two concurrent edits cannot both win.
* Everything of one batch is flushed in the caller's transaction (committed once at the
  edge): a crash leaves every item either stored or not, and resending completes it. If the
  database refuses the batch (a constraint we did not foresee), items are retried one by one
  in savepoints so one bad item never fails the others: it is quarantined instead.
* Work is done in bulk with SQLAlchemy Core (one statement per table per batch): the
  target is thousands of items per second on SQLite.
* Nothing is ordered by device time: order is the server's `seq`; device time, server
  receive time and the batch's clock skew are all stored.
"""

from __future__ import annotations

import re
import uuid
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from forms.definition import FormDefinition
from forms.registry import find_definition
from forms.validation import validate
from geodata.models import (
    Assessment,
    AssessmentOrigin,
    QuarantinedSubmission,
    Round,
    Site,
    Submission,
)
from geodata.models.assessments import CHOICE_FIELDS, COUNT_FIELDS
from geodata.models.base import utcnow
from geodata.rounds import round_for
from geodata.store import SITE_SEQUENCE, InValues, Store, codes_disagree, open_store
from geodata.summaries import LEVELS, RegionTotalsChange
from geodata.types import point_wkb
from sync.canonical import content_hash

# Core answers copied into the assessment's typed columns.
ASSESSMENT_ANSWERS = (*COUNT_FIELDS, *CHOICE_FIELDS)

# An assessment row as ingest writes it: a plain tuple for the driver (no dict per row),
# whose attributes RegionTotalsChange.finish reads.
AssessmentRow = namedtuple(
    "AssessmentRow",
    (
        "id",
        "submission_seq",
        "submission_id",
        "root_id",
        "site_pk",
        "site_id",
        "form_id",
        "form_version",
        "round_number",
        "round_named",
        "assessment_date",
        "current",
        "received_at",
        "lon",
        "lat",
        "declared_admin1_pcode",
        "declared_admin2_pcode",
        *(f"admin{level}_pcode" for level in range(5)),
        "location_status",
        "admin_mismatch",
        *ASSESSMENT_ANSWERS,
    ),
)

CREATED, DUPLICATE, UPDATED, CONFLICT, INVALID = (
    "created",
    "duplicate",
    "updated",
    "conflict",
    "invalid",
)
ID_CONFLICT_MESSAGE = (
    "A different record with this id is already stored; this copy was kept for review and "
    "nothing was overwritten."
)
ACKNOWLEDGED = frozenset({CREATED, DUPLICATE, UPDATED})
MAX_ID_LENGTH = 100
# Item fields the store keeps in text columns (of submissions, or of quarantine if refused).
ENVELOPE_TEXT = ("id", "form_id", "form_version", "base_version", "collected_at")


@dataclass
class ItemResult:
    id: str | None
    status: str
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"id": self.id, "status": self.status, "errors": self.errors}


@dataclass(frozen=True)
class BatchContext:
    """Where a batch came from: stored with every item it holds."""

    source: str = "sync"
    device_id: str | None = None
    submitted_by: int | None = None
    received_at: datetime = field(default_factory=utcnow)
    clock_skew_seconds: float | None = None
    batch_id: str | None = None


@dataclass
class _Item:
    index: int
    id: str
    form_id: str
    form_version: str
    base_version: str | None
    collected_at: str | None
    raw_data: dict
    hash: str
    payload: Any
    data: dict | None = None  # cleaned answers, once valid
    record_pk: int | None = None  # form version primary key
    root_id: str | None = None
    round_number: int | None = None  # the round the assessment is filed under


def ingest_batch(
    session: Session,
    items: Sequence[Any],
    context: BatchContext,
    forms: Mapping[tuple[str, str], tuple[int, FormDefinition]] | None = None,
    before_writing: Callable[[], None] | None = None,
) -> list[ItemResult]:
    """Store a batch; one result per item, in order. Flushes; the caller commits.

    `forms` may hold form versions the caller already looked up, by (form_id, version)
    (`forms.registry.find_definition` results), so they are not looked up twice.

    `before_writing`, if given, is called once the batch is classified and validated and
    before anything is written: the HTTP layer starts its writing transaction there, so
    that on SQLite the write lock is not held while items are validated (concurrent
    uploads validate in parallel). Everything read before it is re-checked by the writes
    themselves: the unique key on submissions and the conditional supersede of edit bases
    settle any race with another writer."""
    results: list[ItemResult | None] = [None] * len(items)
    quarantine: list[dict] = []
    forms = _FormCache(session, forms)
    parsed: list[_Item] = []
    for index, raw in enumerate(items):
        item, errors = _parse_item(index, raw)
        if item is not None:
            record = forms.get(item.form_id, item.form_version)
            if record is None:
                errors = [
                    _error(
                        "form_version",
                        "unknown_form",
                        f"Form '{item.form_id}' has no published version "
                        f"'{item.form_version}' on this server.",
                    )
                ]
            else:
                item.record_pk = record[0]
        if errors:
            results[index] = ItemResult(_raw_id(raw), INVALID, errors)
            quarantine.append(_quarantine_row(raw, item, INVALID, errors, context))
        else:
            parsed.append(item)

    accepted = _classify(session, parsed, forms, results, quarantine, context)
    if before_writing is not None:
        before_writing()
    if accepted:
        _write_accepted(session, accepted, results, quarantine, context)
    _insert_quarantine(session, quarantine)
    session.flush()
    return [r if r is not None else ItemResult(None, INVALID, []) for r in results]


# --- parsing ----------------------------------------------------------------------------


def _parse_item(index: int, raw: Any) -> tuple[_Item | None, list[dict]]:
    if not isinstance(raw, Mapping):
        return None, [_error("", "type", "Each item must be a JSON object.")]
    errors = []
    for key in ENVELOPE_TEXT:  # kept in text columns, where PostgreSQL refuses NUL
        if isinstance(raw.get(key), str) and "\x00" in raw[key]:
            errors.append(_error(key, "type", f"{key} contains a NUL character."))
    if errors:
        return None, errors
    item_id = _uuid(raw.get("id"))
    if raw.get("id") in (None, ""):
        errors.append(_error("id", "required", "The item has no id (a client-generated UUID)."))
    elif item_id is None:
        errors.append(_error("id", "uuid", f"The id {str(raw.get('id'))[:60]!r} is not a UUID."))
    base_version = raw.get("base_version")
    if base_version is not None and _uuid(base_version) is None:
        errors.append(_error("base_version", "uuid", "base_version must be null or a UUID."))
    for key in ("form_id", "form_version"):
        value = raw.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and key == "form_version":
            continue
        if not isinstance(value, str) or not value.strip():
            errors.append(_error(key, "required", f"{key} must be a non-empty string."))
        elif len(value) > MAX_ID_LENGTH:  # no form has a longer one; the store keeps 100
            errors.append(
                _error(key, "type", f"{key} may be at most {MAX_ID_LENGTH} characters long.")
            )
    collected_at = raw.get("collected_at")
    if collected_at is not None and not isinstance(collected_at, str):
        errors.append(_error("collected_at", "type", "collected_at must be an ISO 8601 string."))
    data = raw.get("data")
    if not isinstance(data, dict):
        errors.append(_error("data", "type", "data must be an object of answers."))
    if errors:
        return None, errors
    form_version = str(raw["form_version"])
    base = _uuid(base_version) if base_version is not None else None
    try:
        digest = content_hash(raw["form_id"], form_version, base, data)
    except TypeError:  # orjson writes at most 254 levels: nothing could store these answers
        return None, [_error("data", "type", "data is nested too deeply to be stored.")]
    return _Item(
        index=index,
        id=item_id,
        form_id=raw["form_id"],
        form_version=form_version,
        base_version=base,
        collected_at=collected_at[:64] if collected_at else None,
        raw_data=data,
        hash=digest,
        payload=raw,
    ), []


# A UUID in its canonical text (lowercase, hyphenated): uuid.UUID would give it back as it is.
_CANONICAL_UUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
).fullmatch


def _uuid(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if _CANONICAL_UUID(value):
        return value
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _raw_id(raw: Any) -> str | None:
    if isinstance(raw, Mapping) and isinstance(raw.get("id"), str | int):
        return _short(raw.get("id"), MAX_ID_LENGTH)
    return None


def _error(field_name: str, rule: str, message: str) -> dict:
    return {"field": field_name, "rule": rule, "message": message}


class _FormCache:
    """Form versions named in a batch: (primary key, FormDefinition) or None if unknown."""

    def __init__(self, session: Session, known: Mapping | None = None):
        self.session = session
        self.found: dict[tuple[str, str], tuple[int, FormDefinition] | None] = dict(known or {})

    def get(self, form_id: str, version: str) -> tuple[int, FormDefinition] | None:
        key = (form_id, version)
        if key not in self.found:
            self.found[key] = find_definition(self.session, form_id, version)
        return self.found[key]


# --- classification -------------------------------------------------------------------


def _classify(
    session, items: list[_Item], forms: _FormCache, results, quarantine, context
) -> list[_Item]:
    """Decide each item's fate in input order; return the items to store."""
    if not items:
        return []
    ids = [i.id for i in items]
    stored = dict(_rows_in(session, _STORED_HASHES, ids))
    refused = {}
    for sid, digest, errors in _rows_in(session, _REFUSED, ids):
        refused[(sid, digest)] = errors
    bases = {i.base_version for i in items if i.base_version}
    heads = {sid: (root, status) for sid, root, status in _rows_in(session, _HEADS, list(bases))}
    known_pcodes = open_store(session).known_pcodes()

    seen: dict[str, str] = {}
    accepted: list[_Item] = []
    for item in items:
        previous = stored.get(item.id) or seen.get(item.id)
        if previous is not None:
            _duplicate_or_conflict(item, previous, results, quarantine, context)
            continue
        if (item.id, item.hash) in refused:
            results[item.index] = ItemResult(item.id, INVALID, refused[(item.id, item.hash)])
            continue
        _, definition = forms.get(item.form_id, item.form_version)
        outcome = validate(definition, item.raw_data, known_pcodes)
        if not outcome.ok:
            results[item.index] = ItemResult(item.id, INVALID, outcome.errors)
            quarantine.append(_quarantine_row(item.payload, item, INVALID, outcome.errors, context))
            continue
        item.data = outcome.data
        if item.base_version:
            head = heads.get(item.base_version)
            if head is None:
                _conflict(
                    item,
                    results,
                    quarantine,
                    context,
                    "base_version",
                    "The version this edit replaces is not on the server; the edit was "
                    "kept for review.",
                )
                continue
            root, status = head
            if status != "current":
                _conflict(
                    item,
                    results,
                    quarantine,
                    context,
                    "base_version",
                    "This edit is based on a version that has since been replaced; both "
                    "were kept for review.",
                )
                continue
            item.root_id = root
            heads[item.base_version] = (root, "superseded")
        else:
            item.root_id = item.id
        heads[item.id] = (item.root_id, "current")
        seen[item.id] = item.hash
        accepted.append(item)
    return accepted


def _duplicate_or_conflict(item: _Item, stored_hash, results, quarantine, context) -> None:
    """An id the server already holds: the same content is a duplicate, other content a conflict."""
    if stored_hash == item.hash:
        results[item.index] = ItemResult(item.id, DUPLICATE)
    else:
        _conflict(item, results, quarantine, context, "id", ID_CONFLICT_MESSAGE)


def _conflict(item: _Item, results, quarantine, context, field_name: str, message: str) -> None:
    errors = [_error(field_name, "conflict", message)]
    results[item.index] = ItemResult(item.id, CONFLICT, errors)
    quarantine.append(_quarantine_row(item.payload, item, CONFLICT, errors, context))


# Reads by key, built once: Core statements with an expanding IN list, run on the
# connection (building and cache-keying a statement per call cost more than running it).
_SUBMISSIONS = Submission.__table__.c
_QUARANTINE = QuarantinedSubmission.__table__.c
_STORED_HASHES = select(_SUBMISSIONS.submission_id, _SUBMISSIONS.content_hash).where(
    InValues(_SUBMISSIONS.submission_id)
)
_REFUSED = select(_QUARANTINE.submission_id, _QUARANTINE.content_hash, _QUARANTINE.errors).where(
    _QUARANTINE.reason == INVALID, InValues(_QUARANTINE.submission_id)
)
_HEADS = select(_SUBMISSIONS.submission_id, _SUBMISSIONS.root_id, _SUBMISSIONS.status).where(
    InValues(_SUBMISSIONS.submission_id)
)
_ROUNDS = select(Round.__table__.c.number, Round.__table__.c.start_date, Round.__table__.c.end_date)


def _rows_in(session, statement, values: list):
    """Rows of `statement` (its InValues list parameter `values`) for `values`."""
    if not values:
        return []  # nothing to look up (a batch with no edits): no statement to run
    return session.connection().execute(statement, {"values": values}).all()


# --- writing ----------------------------------------------------------------------------


def _write_accepted(session, accepted: list[_Item], results, quarantine, context) -> None:
    """Store accepted items in bulk; if the database refuses, isolate items one by one."""
    try:
        with session.begin_nested():
            _store(session, accepted, results, quarantine, context)
        return
    except DBAPIError:
        pass  # fall through: find the item the database refuses, keep the others
    for item in accepted:
        try:
            with session.begin_nested():
                _store(session, [item], results, quarantine, context)
        except DBAPIError as exc:
            reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
            errors = [
                _error(
                    "",
                    "store",
                    f"The store refused this record ({reason}); it was kept for review.",
                )
            ]
            results[item.index] = ItemResult(item.id, INVALID, errors)
            quarantine.append(_quarantine_row(item.payload, item, INVALID, errors, context))


def _store(session, items: list[_Item], results, quarantine, context) -> None:
    # Writers of one store go one at a time from here: sites read below are then current.
    open_store(session).lock_sequence(SITE_SEQUENCE)
    rounds = session.connection().execute(_ROUNDS).all()
    for item in items:
        item.round_number = round_for(
            item.data.get("round"), _as_date(item.data.get("assessment_date")), rounds
        )
    # Region totals follow the batch: the pairs it may change are noted before it writes.
    totals = RegionTotalsChange.begin(
        session,
        [(i.data["site_id"], i.round_number) for i in items],
        [i.base_version for i in items if i.base_version],
    )
    items = _supersede_bases(session, items, results, quarantine, context)
    rows = [
        {
            "submission_id": i.id,
            "root_id": i.root_id,
            "base_version": i.base_version,
            "form_version_pk": i.record_pk,
            "form_id": i.form_id,
            "form_version": i.form_version,
            "content_hash": i.hash,
            "data": i.data,
            "raw_data": None if i.data == i.raw_data else i.raw_data,
            "status": "current",
            "source": context.source,
            "device_id": context.device_id,
            "submitted_by": context.submitted_by,
            "collected_at": i.collected_at,
            "received_at": context.received_at,
            "clock_skew_seconds": context.clock_skew_seconds,
            "batch_id": context.batch_id,
        }
        for i in items
    ]
    if not rows:
        return
    inserted = dict(
        open_store(session).insert_returning(
            Submission.__table__,
            rows,
            returning=["submission_id", "seq"],
            skip_conflicts_on=["submission_id"],
        )
    )
    raced = [i for i in items if i.id not in inserted]
    if raced:  # another request stored these ids between our read and our insert
        _classify_raced(session, raced, results, quarantine, context)
        items = [i for i in items if i.id in inserted]
    places = _Places(open_store(session).locator())
    sites = _upsert_sites(session, items, places)
    site_pks = {site_id: site["id"] for site_id, site in sites.items()}
    totals.finish(
        _insert_assessments(session, items, inserted, site_pks, context.received_at, places),
        placed={
            site["id"]: tuple(site[f"admin{lv}_pcode"] for lv in LEVELS) for site in sites.values()
        },
    )
    for item in items:
        results[item.index] = ItemResult(item.id, UPDATED if item.base_version else CREATED)


def _supersede_bases(session, items, results, quarantine, context) -> list[_Item]:
    """Mark each edit's base as superseded, if it still is current; else the edit conflicts."""
    kept = []
    for item in items:
        if not item.base_version:
            kept.append(item)
            continue
        changed = session.execute(
            update(Submission)
            .where(Submission.submission_id == item.base_version, Submission.status == "current")
            .values(status="superseded")
        ).rowcount
        if changed == 1:
            session.execute(
                update(Assessment)
                .where(Assessment.submission_id == item.base_version)
                .values(current=False)
            )
            kept.append(item)
        else:
            same = session.execute(
                select(Submission.content_hash).where(Submission.submission_id == item.id)
            ).scalar()
            if same == item.hash:
                results[item.index] = ItemResult(item.id, DUPLICATE)
            else:
                _conflict(
                    item,
                    results,
                    quarantine,
                    context,
                    "base_version",
                    "This edit is based on a version that has since been replaced; both "
                    "were kept for review.",
                )
    return kept


def _classify_raced(session, raced, results, quarantine, context) -> None:
    stored = dict(_rows_in(session, _STORED_HASHES, [i.id for i in raced]))
    for item in raced:
        _duplicate_or_conflict(item, stored.get(item.id), results, quarantine, context)


# The registry columns ingest reads: the ones it rewrites (Store.SITE_UPDATE_COLUMNS), less
# those it computes when writing, plus the keys.
SITE_COLUMNS = (
    "id",
    "site_id",
    *(c for c in Store.SITE_UPDATE_COLUMNS if c not in ("geom", "change_seq", "updated_at")),
)

# What a site's point decides, as read (geom follows lon and lat), and the other columns.
_PLACEMENT_READ = [c for c in Store.SITE_PLACEMENT_COLUMNS if c != "geom"]
_ATTRIBUTE_COLUMNS = [c for c in Store.SITE_UPDATE_COLUMNS if c not in Store.SITE_PLACEMENT_COLUMNS]

_SITES = select(*(Site.__table__.c[c] for c in SITE_COLUMNS)).where(
    InValues(Site.__table__.c.site_id)
)


def _upsert_sites(session, items: list[_Item], places: _Places) -> dict[str, dict]:
    """Match or create each item's site by site_id and keep its registry entry current.

    A site's attributes follow its newest round: a late submission for an older round does
    not move a site or rename it. Returns site_id -> the site's columns as stored (with
    its primary key, "id").
    """
    site_ids = list(dict.fromkeys(i.data["site_id"] for i in items))
    existing = {
        row.site_id: dict(zip(SITE_COLUMNS, row, strict=True))
        for row in _rows_in(session, _SITES, site_ids)
    }
    sites: dict[str, dict] = {}
    for site_id in site_ids:
        sites[site_id] = (
            dict(existing[site_id])
            if site_id in existing
            else {
                "id": None,
                "site_id": site_id,
                "name": None,
                "site_type": None,
                "status": "open",
                "lon": None,
                "lat": None,
                "declared_admin1_pcode": None,
                "declared_admin2_pcode": None,
                "first_round": None,
                "last_round": None,
                "location_status": "no_location",
                "admin_mismatch": False,
                **{f"admin{lv}_pcode": None for lv in range(5)},
            }
        )
    for item in items:
        _apply_assessment_to_site(sites[item.data["site_id"]], item.data)

    _place(places, list(sites.values()))
    changed = [s for sid, s in sites.items() if sid not in existing or s != existing[sid]]
    if not changed:
        return sites
    store = open_store(session)
    last = store.next_seq_block(SITE_SEQUENCE, len(changed))
    for offset, site in enumerate(changed):
        site["change_seq"] = last - len(changed) + 1 + offset
    now = utcnow()
    new = [s for s in changed if s["id"] is None]
    if new:
        rows = [
            {k: v for k, v in s.items() if k != "id"}
            | {"geom": _point(s), "created_at": now, "updated_at": now}
            for s in new
        ]
        for site_id, pk in store.insert_returning(Site.__table__, rows, ["site_id", "id"]):
            sites[site_id]["id"] = pk
    # A site that did not move keeps its point and placement as stored: leaving those
    # columns out of its UPDATE spares their indexes (half of SQLite's work per row).
    moved, kept = [], []
    for site in changed:
        stored = existing.get(site["site_id"])
        if stored is not None:
            placed = all(site[c] == stored[c] for c in _PLACEMENT_READ)
            (kept if placed else moved).append(site)
    store.update_sites([s | {"geom": _point(s), "updated_at": now} for s in moved])
    store.update_sites([s | {"updated_at": now} for s in kept], _ATTRIBUTE_COLUMNS)
    return sites


def _apply_assessment_to_site(site: dict, data: dict) -> None:
    round_number = data.get("round")
    if round_number is not None:
        site["first_round"] = min(filter(None, (site["first_round"], round_number)))
        newest = site["last_round"] is None or round_number >= site["last_round"]
        site["last_round"] = max(filter(None, (site["last_round"], round_number)))
    else:
        newest = site["last_round"] is None
    if not newest:
        return
    for key, source in (
        ("name", "site_name"),
        ("site_type", "site_type"),
        ("status", "site_status"),
        ("declared_admin1_pcode", "admin1_pcode"),
        ("declared_admin2_pcode", "admin2_pcode"),
    ):
        if data.get(source) is not None:
            site[key] = data[source]
    location = data.get("location")
    if location:
        site["lon"], site["lat"] = location["lon"], location["lat"]


def _place(places: _Places, sites: list[dict]) -> None:
    """Locate sites and set their located codes, status and mismatch flag."""
    located = places.of([(s["lon"], s["lat"]) for s in sites])
    has_levels = bool(places.locator.levels)
    for site, (codes, inside) in zip(sites, located, strict=True):
        for level in range(5):
            site[f"admin{level}_pcode"] = codes[level]
        if site["lon"] is None or not has_levels:
            site["location_status"] = "no_location" if site["lon"] is None else "located"
        else:
            site["location_status"] = "located" if inside else "outside"
        site["admin_mismatch"] = codes_disagree(
            site["declared_admin1_pcode"],
            site["declared_admin2_pcode"],
            site["admin1_pcode"],
            site["admin2_pcode"],
        )


class _Places:
    """Where one batch's points fall, each distinct point located once (in bulk): a site's
    point is usually its newest item's, so sites and assessments share most of them."""

    NOWHERE = ((None,) * 5, False)

    def __init__(self, locator):
        self.locator = locator
        self.found: dict[tuple[float, float], tuple[tuple, bool]] = {}

    def of(self, points: list[tuple[float | None, float | None]]) -> list[tuple[tuple, bool]]:
        """(admin0..admin4 codes, inside any area) per (lon, lat); a None point is nowhere."""
        found = self.found
        new = list(dict.fromkeys(p for p in points if p[0] is not None and p not in found))
        if new:
            placement = self.locator.locate(
                np.array([p[0] for p in new], dtype=float),
                np.array([p[1] for p in new], dtype=float),
            )
            nothing = [None] * len(new)
            columns = [
                placement.pcodes[lv].tolist() if lv in placement.pcodes else nothing
                for lv in range(5)
            ]
            inside = placement.inside_any.tolist()
            for n, (point, *codes) in enumerate(zip(new, *columns, strict=True)):
                found[point] = (tuple(codes), inside[n])
        nowhere = self.NOWHERE
        return [found[p] if p[0] is not None else nowhere for p in points]


def _point(site: dict) -> bytes | None:
    return point_wkb(site["lon"], site["lat"]) if site["lon"] is not None else None


def _insert_assessments(
    session,
    items: list[_Item],
    seqs: dict[str, int],
    site_pks: dict[str, int],
    now: datetime,
    places: _Places,
) -> list[AssessmentRow]:
    """Insert the items' assessments and origins; returns the assessment rows."""
    points = [i.data.get("location") or {} for i in items]
    located = places.of([(p.get("lon"), p.get("lat")) for p in points])
    rows = []
    for n, item in enumerate(items):
        data = item.data
        point = points[n]
        lon = point.get("lon")
        codes, inside = located[n]
        declared1, declared2 = data.get("admin1_pcode"), data.get("admin2_pcode")
        seq = seqs[item.id]
        rows.append(
            AssessmentRow(  # in its fields' order
                seq,
                seq,
                item.id,
                item.root_id,
                site_pks[data["site_id"]],
                data["site_id"],
                item.form_id,
                item.form_version,
                item.round_number,
                data.get("round") is not None,
                _as_date(data.get("assessment_date")),
                True,
                now,
                lon,
                point.get("lat"),
                declared1,
                declared2,
                *codes,  # admin0..admin4
                "no_location" if lon is None else "located" if inside else "outside",
                codes_disagree(declared1, declared2, codes[1], codes[2]),
                *map(data.get, ASSESSMENT_ANSWERS),
            )
        )
    store = open_store(session)
    store.insert_values(Assessment.__table__, AssessmentRow._fields, rows)
    origins = []
    for item in items:
        for position, origin in enumerate(item.data.get("origins") or []):
            origins.append(
                {
                    "assessment_id": seqs[item.id],
                    "position": position,
                    "origin_admin1_pcode": origin.get("origin_admin1_pcode"),
                    "origin_admin2_pcode": origin.get("origin_admin2_pcode"),
                    "households": origin.get("origin_households"),
                    "individuals": origin.get("origin_individuals"),
                    "displacement_reason": origin.get("displacement_reason"),
                }
            )
    store.insert_rows(AssessmentOrigin.__table__, origins)
    return rows


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _quarantine_row(raw, item: _Item | None, reason: str, errors: list[dict], context) -> dict:
    if item is not None:
        submission_id, digest = item.id, item.hash
        form_id, form_version, base = item.form_id, item.form_version, item.base_version
        collected = item.collected_at
    else:
        submission_id = _raw_id(raw) or ""
        try:
            digest = content_hash(None, None, None, raw)
        except TypeError:  # too deep to write (see _parse_item): keep what can be kept
            raw = {"id": submission_id, "unstorable": "nested too deeply to be stored"}
            digest = content_hash(None, None, None, raw)
        form_id = form_version = base = collected = None
        if isinstance(raw, Mapping):
            form_id = _short(raw.get("form_id"))
            form_version = _short(raw.get("form_version"))
            base = _short(raw.get("base_version"))
            collected = _short(raw.get("collected_at"), 64)
    return {
        "submission_id": submission_id,
        "reason": reason,
        "content_hash": digest,
        "form_id": form_id,
        "form_version": form_version,
        "base_version": base,
        "payload": raw,
        "errors": errors,
        "source": context.source,
        "device_id": context.device_id,
        "submitted_by": context.submitted_by,
        "collected_at": collected,
        "received_at": context.received_at,
        "status": "open",
    }


def _short(value, limit: int = 100) -> str | None:
    """A text column's copy of a refused item's value (the payload keeps it as sent)."""
    return None if value is None else str(value)[:limit].replace("\x00", "\ufffd")


def _insert_quarantine(session, rows: list[dict]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.connection().execute(
        insert(QuarantinedSubmission.__table__).on_conflict_do_nothing(
            index_elements=["submission_id", "content_hash", "reason"]
        ),
        rows,
    )
