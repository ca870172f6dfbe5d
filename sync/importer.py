"""Bulk import of CSV/XLSX exports from other tools through the same ingest pipeline.

A mapping (TOML, see sync/mappings/) says which column feeds which form question. Each row
gets a deterministic id (UUIDv5 of the mapping's namespace and the row's key column), so
importing the same file again finds every row already stored: nothing new is created, and
a row whose content changed since is kept for review as a conflict.

Mapping format:

    [source]
    id_column = "response_id"        # stable row key
    namespace = "iom-dtm-malawi-b2"  # keeps ids apart from other sources

    [form]
    form_id = "site_assessment"      # version: the latest published unless `version` is set

    [fields]
    site_name = "m0448_loc_site_name"                            # a column
    round = { value = 1 }                                        # a constant
    site_type = { column = "...", map = { dispersed = "host_community" }, unmapped = "other" }
    priority_need_2 = { column = "...", split = " ", index = 1, map = "needs" }  # [maps.needs]
    priority_need_1 = { column = "...", split = " ", index = 0, map = {...}, unmapped = "drop" }
    location = { lat = "...", lon = "...", altitude = "...", accuracy = "..." }  # geopoint
    site_id = { column = "...", fallback = "MWI-{response_id}" }  # when the column is blank
    individuals = { column = "...", default = 0 }                 # when the column is blank

    [[repeats.origins]]              # one repeat row per mapping table (if `only_if` is set)
    only_if = "m0310_loc_num_idp_ind"    # emitted only when this column is non-empty, not 0
    origin_admin1_pcode = "m2686_loc_arrivals_origin_adm1"

With `split`, a cell holding several space-separated values is split, mapped token by
token (tokens mapping to "drop" or unmapped with `unmapped = "drop"` are removed, repeats
of a token already seen too) and `index` picks one of the remaining tokens. Values are typed from the form's questions.
"""

from __future__ import annotations

import csv
import tomllib
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forms.definition import FormDefinition

CHUNK = 500


class ImportMappingError(ValueError):
    """A mapping or input file that cannot be used; the message is one line."""


@dataclass
class ImportMapping:
    name: str
    id_column: str
    namespace: uuid.UUID
    form_id: str
    form_version: str | None
    fields: dict[str, Any]
    repeats: dict[str, list[dict[str, Any]]]


@dataclass
class ImportReport:
    rows: int = 0
    statuses: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)

    def add(self, results) -> None:
        for result in results:
            self.rows += 1
            self.statuses[result.status] += 1
            for error in result.errors:
                self.reasons[f"{error['field'] or '(item)'}: {error['rule']}"] += 1

    def summary(self) -> str:
        order = ("created", "updated", "duplicate", "conflict", "invalid")
        counts = ", ".join(f"{self.statuses.get(s, 0)} {s}" for s in order)
        return f"{self.rows} rows: {counts}"


def load_mapping(path: str | Path) -> ImportMapping:
    path = Path(path)
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImportMappingError(f"{path}: no such mapping file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ImportMappingError(f"{path.name}: not a valid TOML mapping: {exc}") from None
    try:
        source, form = spec["source"], spec["form"]
        return ImportMapping(
            name=path.stem,
            id_column=source["id_column"],
            namespace=uuid.uuid5(uuid.NAMESPACE_URL, f"dtm-import:{source['namespace']}"),
            form_id=form["form_id"],
            form_version=str(form["version"]) if "version" in form else None,
            fields=_resolve_maps(spec.get("fields", {}), spec.get("maps", {}), path.name),
            repeats={
                name: [_resolve_maps(t, spec.get("maps", {}), path.name) for t in tables]
                for name, tables in spec.get("repeats", {}).items()
            },
        )
    except KeyError as exc:
        raise ImportMappingError(f"{path.name}: the mapping lacks {exc.args[0]!r}") from None


def _resolve_maps(rules: dict, maps: dict, filename: str) -> dict:
    """Replace `map = "name"` by the table `[maps.name]`, so long tables are written once."""
    resolved = {}
    for target, rule in rules.items():
        if isinstance(rule, dict) and isinstance(rule.get("map"), str):
            if rule["map"] not in maps:
                raise ImportMappingError(
                    f"{filename}: field {target} uses unknown map {rule['map']!r}"
                )
            rule = {**rule, "map": maps[rule["map"]]}
        resolved[target] = rule
    return resolved


def read_rows(path: str | Path) -> Iterator[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM) or of the first sheet of an XLSX file."""
    path = Path(path)
    if not path.is_file():
        raise ImportMappingError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _csv_rows(path)
    elif suffix == ".xlsx":
        yield from _xlsx_rows(path)
    else:
        raise ImportMappingError(f"{path.name}: unknown format {suffix}; expected .csv or .xlsx")


def _csv_rows(path: Path) -> Iterator[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            yield from csv.DictReader(handle)
    except UnicodeDecodeError:
        raise ImportMappingError(f"{path.name}: not UTF-8 text; save the CSV as UTF-8") from None


def _xlsx_rows(path: Path) -> Iterator[dict[str, str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for unreadable files
        raise ImportMappingError(f"{path.name}: cannot read it as XLSX: {exc}") from None
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    header = [str(h) if h is not None else "" for h in next(rows, [])]
    for values in rows:
        yield {h: "" if v is None else str(v) for h, v in zip(header, values, strict=False)}
    workbook.close()


def count_rows(path: str | Path) -> int:
    return sum(1 for _ in read_rows(path))


def items_from_rows(
    mapping: ImportMapping, definition: FormDefinition, rows: Iterable[dict[str, str]]
) -> Iterator[dict]:
    """Turn rows into sync items (the same shape a tablet sends)."""
    types = {q["name"]: q["type"] for q in definition.questions()}
    for line, row in enumerate(rows, start=2):
        if mapping.id_column not in row:
            raise ImportMappingError(
                f"the file has no column {mapping.id_column!r} (the mapping's id_column)"
            )
        key = row[mapping.id_column].strip() or f"line-{line}"
        data = _map_fields(mapping.fields, row, types)
        for repeat, tables in mapping.repeats.items():
            entries = []
            for table in tables:
                condition = table.get("only_if")
                if condition and _blank_or_zero(row.get(condition, "")):
                    continue
                entry = _map_fields({k: v for k, v in table.items() if k != "only_if"}, row, types)
                if entry:
                    entries.append(entry)
            if entries:
                data[repeat] = entries
        yield {
            "id": str(uuid.uuid5(mapping.namespace, key)),
            "form_id": definition.form_id,
            "form_version": definition.version,
            "base_version": None,
            "collected_at": None,
            "data": data,
        }


def chunked(items: Iterable[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _map_fields(rules: dict[str, Any], row: dict[str, str], types: dict[str, str]) -> dict:
    data = {}
    for target, rule in rules.items():
        value = _value(rule, row, types.get(target, "text"))
        if value is not None:
            data[target] = value
    return data


def _value(rule: Any, row: dict[str, str], kind: str) -> Any:
    if isinstance(rule, str):
        rule = {"column": rule}
    if "value" in rule:
        return rule["value"]
    if "lat" in rule and "lon" in rule:
        return _geopoint(rule, row)
    raw = (row.get(rule["column"]) or "").strip()
    if "split" in rule:
        mapped = (_mapped(t, rule) for t in raw.split(rule["split"] or None))
        tokens = list(dict.fromkeys(t for t in mapped if t is not None))  # ranked, distinct
        index = rule.get("index", 0)
        raw = tokens[index] if index < len(tokens) else ""
    elif raw:
        raw = _mapped(raw, rule)
    if raw in ("", None):
        if "fallback" in rule:
            return rule["fallback"].format(**row)
        return rule.get("default")
    return _typed(raw, kind)


def _mapped(token: str, rule: dict) -> Any:
    table = rule.get("map")
    if table is None:
        return token
    if token in table:
        result = table[token]
        return None if result == "drop" else result
    unmapped = rule.get("unmapped", "keep")
    if unmapped == "keep":
        return token
    return None if unmapped == "drop" else unmapped


def _typed(value: Any, kind: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if kind == "integer":
            return int(float(value))
        if kind == "decimal":
            return float(value)
    except ValueError:
        return value  # left as text: validation names the field and the problem
    if kind == "select_multiple":
        return value.split()
    return value


def _geopoint(rule: dict, row: dict[str, str]) -> dict | None:
    lat, lon = (row.get(rule["lat"]) or "").strip(), (row.get(rule["lon"]) or "").strip()
    if not lat or not lon:
        return None
    point: dict[str, Any] = {"lat": _number(lat), "lon": _number(lon)}
    for key in ("altitude", "accuracy"):
        raw = (row.get(rule.get(key, "")) or "").strip()
        if raw:
            point[key] = _number(raw)
    return point


def _number(raw: str) -> Any:
    try:
        return float(raw)
    except ValueError:
        return raw


def _blank_or_zero(raw: str) -> bool:
    raw = (raw or "").strip()
    if not raw:
        return True
    try:
        return float(raw) == 0
    except ValueError:
        return False
