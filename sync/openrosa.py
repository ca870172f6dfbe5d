"""OpenRosa, the protocol ODK Collect and KoboCollect speak: instances in, form lists out.

Framework-free: the HTTP view (`dtm/api/openrosa.py`) hands bytes in and gets plain values or
XML bytes back. Why it works this way:

* A Collect submission becomes exactly the item the JSON sync takes, so both channels share
  one pipeline (validation, dedupe, sites, assessments, quarantine). The instance XML is
  typed from the form version it names: groups are transparent (flat names), repeats become
  lists of row dicts, integers and decimals become numbers, a select_multiple becomes a list,
  a geopoint "lat lon alt acc" becomes ``{"lat", "lon", "altitude", "accuracy"}`` and empty
  elements are left out, which is what `forms.validate` would make of the same answers. The
  content hash ingest dedupes on is computed over that data, so a byte-different resend of
  the same answers (whitespace, attribute order) is still a duplicate.
* The `meta` block is the envelope, not answers: `instanceID` ("uuid:...") is the item id,
  `deprecatedID` the version an edit replaces (`base_version`); `instanceName` is a display
  label Collect computes and is not kept as an answer.
* Values that cannot be typed (an integer question holding "abc") stay text, so validation
  names the problem instead of this module guessing; elements the form does not know stay
  too and are reported as unknown answers.
* XML is parsed with defusedxml: entity expansion and external references are refused.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree import ElementTree
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.definition import FormDefinition
from forms.registry import find_definition
from geodata.models import Site
from sync.attachments import StoredAttachment, safe_filename, store_attachment
from sync.canonical import content_hash
from sync.ingest import BatchContext, ItemResult, ingest_batch

FORM_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
RESPONSE_NS = "http://openrosa.org/http/response"

SITES_CSV = "sites.csv"
SITES_CSV_COLUMNS = (
    "name",
    "label",
    "site_name",
    "site_type",
    "admin1_pcode",
    "admin2_pcode",
    "lat",
    "lon",
)
# A form uses the site list if it names the file or reads the 'sites' instance
# (select_one_from_file sites.csv, search('sites'), pulldata('sites', ...), instance('sites')).
_USES_SITES = re.compile(r"""sites\.csv|\(\s*['"]sites['"]""")
_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMERIC = frozenset({"decimal", "range"})
_LISTS = frozenset({"select_multiple", "rank"})
_POINTS = frozenset({"geopoint", "start_geopoint"})
_POINT_PARTS = ("lat", "lon", "altitude", "accuracy")


class OpenRosaError(ValueError):
    """A submission that cannot be read at all (malformed XML, no form id, no instanceID)."""


@dataclass(frozen=True)
class Instance:
    """One parsed instance document: its identity and the XML root holding the answers."""

    form_id: str
    form_version: str | None
    instance_id: str
    deprecated_id: str | None
    root: Element

    def values(self) -> set[str]:
        """Every non-empty leaf text (the names of the files the instance refers to)."""
        return {
            (e.text or "").strip()
            for e in self.root.iter()
            if len(e) == 0 and (e.text or "").strip()
        }


def parse_instance(xml: bytes) -> Instance:
    """Read an instance's identity. Raises OpenRosaError naming what is wrong."""
    try:
        root = fromstring(xml)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise OpenRosaError(f"The submission is not well-formed XML ({exc}).") from None
    except LookupError as exc:  # the XML declaration names an encoding Python does not know
        raise OpenRosaError(f"The submission's XML declares an unknown encoding ({exc}).") from None
    form_id = (root.get("id") or "").strip()
    if not form_id:
        raise OpenRosaError("The submission's root element has no 'id' attribute naming its form.")
    version = root.get("version")
    meta = _child(root, "meta")
    instance_id = _meta_text(meta, "instanceID") or _meta_text(root, "instanceID")
    if not instance_id:
        raise OpenRosaError(
            "The submission has no meta/instanceID; every ODK form has one (pyxform adds it)."
        )
    deprecated = _meta_text(meta, "deprecatedID")
    return Instance(
        form_id=form_id,
        form_version=version.strip() if version is not None else None,
        instance_id=_strip_uuid(instance_id),
        deprecated_id=_strip_uuid(deprecated) if deprecated else None,
        root=root,
    )


def sync_item(instance: Instance, definition: FormDefinition | None) -> dict:
    """The JSON sync item for an instance (see module docstring). Without a definition (an
    unknown form version) answers stay text; ingest then refuses the item by its version."""
    shape = _shape(definition) if definition is not None else {}
    data: dict[str, Any] = {}
    _read(instance.root, shape, data, top=True)
    return {
        "id": instance.instance_id,
        "form_id": instance.form_id,
        "form_version": instance.form_version,
        "base_version": instance.deprecated_id,
        "collected_at": _collected_at(data, definition),
        "data": data,
    }


def _shape(definition: FormDefinition) -> dict:
    """name -> ("group"|"repeat", child shape) or (question type, None); cached per version."""
    shape = definition._cache.get("openrosa_shape")
    if shape is None:
        shape = _shape_of(definition.definition["questions"])
        definition._cache["openrosa_shape"] = shape
    return shape


def _shape_of(questions: Iterable[Mapping[str, Any]]) -> dict:
    shape: dict[str, tuple] = {}
    for q in questions:
        if q["type"] in ("group", "repeat"):
            shape[q["name"]] = (q["type"], _shape_of(q.get("children") or ()))
        else:
            shape[q["name"]] = (q["type"], None)
    return shape


def _read(element: Element, shape: dict, out: dict, top: bool = False) -> None:
    for child in element:
        name = _local(child.tag)
        if top and name == "meta":
            continue  # the envelope: id, base version, display name
        kind, inner = shape.get(name, (None, None))
        if kind == "group":
            _read(child, inner, out)
        elif kind == "repeat":
            row: dict[str, Any] = {}
            _read(child, inner, row)
            if row:  # a row with no answers says nothing
                out.setdefault(name, []).append(row)
        elif kind is None and len(child):
            _read(child, {}, out)  # an element the form does not know: its leaves are reported
        else:
            value = _typed(kind, child.text)
            if value is not None:
                out[name] = value


def _typed(kind: str | None, text: str | None) -> Any:
    if text is None or text == "":
        return None
    if kind == "integer":
        stripped = text.strip()
        return int(stripped) if _INTEGER.match(stripped) else text
    if kind in _NUMERIC:
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    if kind in _LISTS:
        return text.split() or None
    if kind in _POINTS:
        parts = text.split()
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            return text
        if not 2 <= len(numbers) <= 4:
            return text
        return dict(zip(_POINT_PARTS, numbers, strict=False))
    return text


def _collected_at(data: dict, definition: FormDefinition | None) -> str | None:
    """Device time the form was finished (its `end`), else started: stored, never trusted."""
    if definition is None:
        return None
    names = definition._cache.get("openrosa_times")
    if names is None:
        questions = list(definition.questions())
        names = [q["name"] for wanted in ("end", "start") for q in questions if q["type"] == wanted]
        definition._cache["openrosa_times"] = names
    for name in names:
        if isinstance(data.get(name), str):
            return data[name]
    return None


def _local(tag: str) -> str:
    if not isinstance(tag, str):
        return ""  # a comment or processing instruction
    return tag if tag[:1] != "{" else tag.rsplit("}", 1)[-1]


def _child(parent: Element | None, name: str) -> Element | None:
    if parent is None:
        return None
    for child in parent:
        if _local(child.tag) == name:
            return child
    return None


def _meta_text(parent: Element | None, name: str) -> str | None:
    found = _child(parent, name)
    text = (found.text or "").strip() if found is not None else ""
    return text or None


def _strip_uuid(value: str) -> str:
    return value[5:] if value[:5].lower() == "uuid:" else value


def instance_xml(
    definition: FormDefinition,
    data: Mapping[str, Any],
    instance_id: str,
    deprecated_id: str | None = None,
) -> bytes:
    """The instance document Collect would send for these answers (the inverse of
    `sync_item`): every question's element in form order, empty when unanswered."""
    match = _INSTANCE_ROOT.search(definition.xform)
    root = ElementTree.Element(match.group(1) if match else "data")
    root.set("id", definition.form_id)
    root.set("version", definition.version)
    _write(root, definition.definition["questions"], data)
    meta = ElementTree.SubElement(root, "meta")
    ElementTree.SubElement(meta, "instanceID").text = "uuid:" + instance_id
    if deprecated_id:
        ElementTree.SubElement(meta, "deprecatedID").text = "uuid:" + deprecated_id
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=False)


_INSTANCE_ROOT = re.compile(r"<instance>\s*<([\w.-]+)\s")


def _write(parent: Element, questions: Iterable[Mapping[str, Any]], data: Mapping) -> None:
    for q in questions:
        name, kind = q["name"], q["type"]
        if name == "meta" and kind == "group":
            continue
        if kind == "group":
            _write(ElementTree.SubElement(parent, name), q.get("children") or (), data)
        elif kind == "repeat":
            for row in data.get(name) or ():
                _write(ElementTree.SubElement(parent, name), q.get("children") or (), row)
        else:
            ElementTree.SubElement(parent, name).text = _odk_text(data.get(name))


def _odk_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return " ".join(
            str(float(value.get(key) or 0.0))
            if key in ("altitude", "accuracy")
            else str(value[key])
            for key in _POINT_PARTS
        )
    return str(value)


# --- receiving a submission -------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    filename: str | None
    content_type: str | None
    stream: BinaryIO


@dataclass
class Receipt:
    """What happened to one POST: the ingest result and the files kept with it."""

    instance: Instance
    result: ItemResult
    attachments: list[StoredAttachment] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)

    @property
    def new_attachments(self) -> int:
        return sum(1 for a in self.attachments if a.status != "unchanged")


def receive_submission(
    session: Session,
    xml: bytes,
    files: Iterable[UploadedFile],
    context: BatchContext,
    attachments_root: Path,
) -> Receipt:
    """Ingest one OpenRosa POST: the instance through the sync pipeline, then its files.

    Files are kept with the submission copy they came with (accepted, duplicate, conflict or
    invalid alike: nothing sent is dropped); a file the instance does not name is ignored,
    as ODK Central does. Raises OpenRosaError when the XML cannot be read. Flushes only.
    """
    instance = parse_instance(xml)
    found = (
        find_definition(session, instance.form_id, instance.form_version)
        if instance.form_version
        else None
    )
    item = sync_item(instance, found[1] if found is not None else None)
    # Ingest ignores this key; a quarantined copy keeps the document exactly as sent.
    item["openrosa_xml"] = xml.decode("utf-8", errors="replace")
    forms = {(found[1].form_id, found[1].version): found} if found is not None else None
    [result] = ingest_batch(session, [item], context, forms=forms)
    receipt = Receipt(instance, result)
    named = digest = None
    owner = _canonical_uuid(instance.instance_id)  # None: ingest refused the id, keep no files
    for upload in files:
        name = safe_filename(upload.filename)
        if named is None:
            named, digest = instance.values(), _item_hash(item)
        if owner is None or name is None or name not in named:
            receipt.ignored_files.append(upload.filename or "")
            continue
        receipt.attachments.append(
            store_attachment(
                session,
                attachments_root,
                owner,
                digest,
                name,
                upload.content_type,
                upload.stream,
            )
        )
    return receipt


def _canonical_uuid(value: str) -> str | None:
    """The id as ingest stores it (canonical UUID text), or None if it is no UUID."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _item_hash(item: dict) -> str:
    """The content hash ingest gives this item (see sync.ingest._parse_item)."""
    base = item["base_version"]
    return content_hash(
        item["form_id"],
        str(item["form_version"]) if item["form_version"] is not None else None,
        (_canonical_uuid(base) or base) if base else None,
        item["data"],
    )


# --- documents the server sends ---------------------------------------------------------


@dataclass(frozen=True)
class FormListEntry:
    form_id: str
    name: str
    version: str
    hash: str  # "md5:<hex>" of the exact bytes served at download_url
    download_url: str
    manifest_url: str | None = None


@dataclass(frozen=True)
class MediaFile:
    filename: str
    hash: str  # "md5:<hex>"
    download_url: str


def form_list_xml(entries: Iterable[FormListEntry]) -> bytes:
    """The OpenRosa form list (docs.getodk.org/openrosa-form-list)."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<xforms xmlns="{FORM_LIST_NS}">']
    for e in entries:
        parts.append(
            "<xform>"
            f"<formID>{_esc(e.form_id)}</formID>"
            f"<name>{_esc(e.name)}</name>"
            f"<version>{_esc(e.version)}</version>"
            f"<hash>{_esc(e.hash)}</hash>"
            f"<downloadUrl>{_esc(e.download_url)}</downloadUrl>"
            + (f"<manifestUrl>{_esc(e.manifest_url)}</manifestUrl>" if e.manifest_url else "")
            + "</xform>"
        )
    parts.append("</xforms>")
    return "".join(parts).encode()


def manifest_xml(files: Iterable[MediaFile]) -> bytes:
    """The OpenRosa manifest of a form's media files."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest xmlns="{MANIFEST_NS}">']
    for f in files:
        parts.append(
            "<mediaFile>"
            f"<filename>{_esc(f.filename)}</filename>"
            f"<hash>{_esc(f.hash)}</hash>"
            f"<downloadUrl>{_esc(f.download_url)}</downloadUrl>"
            "</mediaFile>"
        )
    parts.append("</manifest>")
    return "".join(parts).encode()


def response_xml(message: str, nature: str = "") -> bytes:
    """An OpenRosaResponse: Collect shows the first <message> to the enumerator."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<OpenRosaResponse xmlns="{RESPONSE_NS}" '
        f'items="0"><message nature="{_esc(nature)}">{_esc(message)}</message>'
        "</OpenRosaResponse>"
    ).encode()


def _esc(value: Any) -> str:
    text = "" if value is None else str(value)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def md5_hash(content: bytes) -> str:
    return "md5:" + hashlib.md5(content).hexdigest()  # noqa: S324 - OpenRosa's hash, not security


# --- the site list as form media --------------------------------------------------------


def uses_site_list(definition: FormDefinition) -> bool:
    """Whether a form reads the site list (so its manifest offers sites.csv).

    Central lists only media a form references, and Collect fetches a manifest only when
    there is one; a form that never reads the list should not make tablets download it.
    """
    found = definition._cache.get("uses_site_list")
    if found is None:
        found = any(
            _USES_SITES.search(str(q.get(key) or ""))
            for q in definition.questions()
            for key in ("choice_file", "appearance", "calculation", "relevant", "constraint")
        ) or bool(_USES_SITES.search(definition.xform))
        definition._cache["uses_site_list"] = found
    return found


def sites_csv(session: Session) -> bytes:
    """The site registry as Collect's media CSV (`name` = site_id), ordered by site_id.

    Deterministic for the same registry, so its md5 (the manifest hash) changes exactly
    when a site is added, removed or changes one of these columns.
    """
    rows = session.execute(
        select(
            Site.site_id,
            Site.name,
            Site.site_type,
            Site.admin1_pcode,
            Site.admin2_pcode,
            Site.declared_admin1_pcode,
            Site.declared_admin2_pcode,
            Site.lat,
            Site.lon,
        )
        .where(Site.deleted_at.is_(None))
        .order_by(Site.site_id)
    ).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SITES_CSV_COLUMNS)
    for site_id, name, site_type, adm1, adm2, declared1, declared2, lat, lon in rows:
        writer.writerow(
            (
                site_id,
                f"{name} ({site_id})" if name else site_id,
                name or "",
                site_type or "",
                adm1 or declared1 or "",
                adm2 or declared2 or "",
                "" if lat is None else repr(lat),
                "" if lon is None else repr(lon),
            )
        )
    return buffer.getvalue().encode()
