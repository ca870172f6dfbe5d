"""Reading XLSForms: pyxform does the conversion, we shape the result for clients and checks.

pyxform keeps columns it does not know (our ``hxl`` and ``sensitive``) on each question of its
JSON form, so we read them from there rather than re-reading the sheet. Its JSON is called
internal (``ConvertResult._pyxform``); the test suite pins what we rely on, so a pyxform
upgrade that changes it fails loudly.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path
from typing import IO, Any
from warnings import catch_warnings, simplefilter

from pyxform.errors import PyXFormError
from pyxform.xls2xform import convert

from .definition import CONTAINER_TYPES, FormDefinition, hxl_and_sensitive
from .errors import FormError
from .validation import plan_for

Source = str | os.PathLike | bytes | bytearray | IO[bytes]

_LANGUAGE = re.compile(r"^\s*(?P<name>.*?)\s*\((?P<code>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)\)\s*$")
_PCODE_NAME = re.compile(r"admin(\d)_pcode$")
_TRUE = frozenset({"yes", "true", "true()", "1", "y"})
_FALSE = frozenset({"", "no", "false", "false()", "0", "n"})
_FILE_ITEMSET = re.compile(r"\.(csv|xml|geojson)$", re.IGNORECASE)

# pyxform's type names -> the names clients and validation use.
_TYPE_NAMES = {
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "dateTime": "datetime",
    "start-geopoint": "start_geopoint",
    "background-audio": "background_audio",
}


def pcode_level(name: str) -> int | None:
    """The admin level of a P-code question, from its name (``origin_admin2_pcode`` -> 2)."""
    m = _PCODE_NAME.search(name)
    return int(m.group(1)) if m else None


def load_xlsform(source: Source, filename: str | None = None) -> FormDefinition:
    """Load an XLSForm (.xlsx path, bytes or binary file object) into a FormDefinition.

    Raises ``FormError`` listing every problem: unreadable file, pyxform errors, a missing
    ``version`` setting, duplicate answer names (data is flat, so names must be unique outside
    repeats, and within each repeat), and expressions outside the supported subset.
    """
    content, filename = _read_source(source, filename)
    suffix = Path(filename).suffix.lower() if filename else ".xlsx"
    if suffix not in (".xlsx", ".xlsm"):
        raise FormError(f"{filename or 'The file'} is not an .xlsx XLSForm.")
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise FormError(f"{filename or 'The file'} is not a readable .xlsx file.")

    warnings: list[str] = []
    try:
        # openpyxl warns about Excel features it drops (data validation, styles); those are
        # harmless for a form, so they join pyxform's warnings instead of escaping as Python
        # warnings (which a strict test run would turn into errors).
        with catch_warnings(record=True) as caught:
            simplefilter("always")
            result = convert(content, warnings=warnings, file_type=suffix)
        warnings.extend(str(w.message) for w in caught)
    except PyXFormError as exc:
        raise FormError(str(exc)) from None
    except Exception as exc:  # a broken upload must be a FormError, never a server error
        raise FormError(
            f"{filename or 'The file'} could not be read as an XLSForm: {exc}"
        ) from None
    return _from_pyxform(result._pyxform, result.xform, tuple(warnings))


def _read_source(source: Source, filename: str | None) -> tuple[bytes, str | None]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), filename
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            return path.read_bytes(), filename or path.name
        except OSError as exc:
            raise FormError(f"Cannot read {path.name}: {exc.strerror or exc}.") from None
    if hasattr(source, "read"):
        data = source.read()
        if not isinstance(data, (bytes, bytearray)):
            raise FormError("The form file must be opened in binary mode.")
        return bytes(data), filename or Path(str(getattr(source, "name", "") or "")).name or None
    raise FormError(f"Cannot read a form from a {type(source).__name__}.")


def _from_pyxform(pyx: dict[str, Any], xform: str, warnings: tuple[str, ...]) -> FormDefinition:
    problems: list[str] = []
    form_id = pyx.get("id_string") or ""
    version = str(pyx.get("version") or "").strip()
    if not version:
        problems.append("The settings sheet has no 'version'; every published form needs one.")

    lang_keys = _language_keys(pyx)
    default_key = pyx.get("default_language") or "default"
    if default_key not in lang_keys:
        lang_keys.insert(0, default_key)
    codes = {key: _language(key)["code"] for key in lang_keys}
    # Languages with no label text at all (e.g. an unused 'default') are noise for clients;
    # without a default_language setting, the first language used is the default.
    used = _used_language_keys(pyx) or {default_key}
    languages = [_language(k) for k in lang_keys if k in used]
    if default_key not in used:
        default_key = next(k for k in lang_keys if k in used)
    default_code = codes[default_key]

    questions = [_question(q, codes, default_code) for q in pyx.get("children", [])]
    problems.extend(_duplicate_names(questions))

    definition = {
        "form_id": form_id,
        "version": version,
        "title": pyx.get("title") or form_id,
        "languages": languages,
        "default_language": default_code,
        "questions": questions,
    }
    if problems:
        raise FormError(problems)
    hxl_tags, sensitive_fields = hxl_and_sensitive(questions)
    loaded = FormDefinition(
        form_id=form_id,
        version=version,
        title=definition["title"],
        languages=languages,
        default_language=default_code,
        definition=definition,
        xform=xform,
        hxl_tags=hxl_tags,
        sensitive_fields=sensitive_fields,
        warnings=warnings,
    )
    plan_for(loaded)  # compiles every expression now: unsupported ones fail the upload
    return loaded


def _language(key: str) -> dict[str, str]:
    m = _LANGUAGE.match(key)
    if m:
        return {"code": m["code"], "name": m["name"] or m["code"]}
    return {"code": key, "name": key}


def _texts(pyx_node: Any) -> list[dict]:
    """Every translatable dict in the pyxform tree (labels, hints, messages, choice labels)."""
    found = []
    stack = [pyx_node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("label", "hint", "jr:constraintMsg", "jr:requiredMsg", "guidance_hint"):
                    found.append(value)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _language_keys(pyx: dict[str, Any]) -> list[str]:
    keys: list[str] = []
    for text in _texts(pyx):
        if isinstance(text, dict):
            keys.extend(k for k in text if k not in keys)
    return keys


def _used_language_keys(pyx: dict[str, Any]) -> set[str]:
    used: set[str] = set()
    for text in _texts(pyx):
        if isinstance(text, dict):
            used.update(k for k, v in text.items() if v not in (None, "", "-"))
        elif text:
            used.add(pyx.get("default_language") or "default")
    return used


def _translated(value: Any, codes: dict[str, str], default_code: str) -> dict[str, str] | None:
    if value in (None, ""):
        return None
    if isinstance(value, dict):
        # pyxform fills a missing translation with "-"; leave it out so clients fall back.
        out = {codes.get(k, k): v for k, v in value.items() if v not in (None, "", "-")}
        return out or None
    return {default_code: str(value)}


def _flag(value: Any) -> bool | str:
    """An XLSForm yes/no cell: True/False, or the expression text when it is one."""
    if value is None:
        return False
    text = str(value).strip()
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    return text


def _question(
    q: dict[str, Any], codes: dict[str, str], default_code: str, inherited_sensitive: bool = False
) -> dict[str, Any]:
    """One question of the JSON definition; a sensitive group makes its questions sensitive."""
    bind = q.get("bind") or {}
    control = q.get("control") or {}
    qtype = _TYPE_NAMES.get(q["type"], q["type"].replace(" ", "_"))
    out: dict[str, Any] = {
        "name": q["name"],
        "type": qtype,
        "label": _translated(q.get("label"), codes, default_code),
        "hint": _translated(q.get("hint"), codes, default_code),
        "required": _flag(bind.get("required")),
        "required_message": _translated(bind.get("jr:requiredMsg"), codes, default_code),
        "relevant": bind.get("relevant") or None,
        "constraint": bind.get("constraint") or None,
        "constraint_message": _translated(bind.get("jr:constraintMsg"), codes, default_code),
        "calculation": bind.get("calculate") or None,
        "read_only": _flag(bind.get("readonly")),
        "default": q.get("default"),
        "appearance": control.get("appearance") or None,
        "hxl": (str(q.get("hxl")).strip() or None) if q.get("hxl") else None,
        "sensitive": inherited_sensitive or _flag(q.get("sensitive")) is True,
        # P-codes are text (select_one also counts: lists from a COD file are not checked
        # as choices, so the P-code check is what catches a stale code).
        "pcode_level": pcode_level(q["name"]) if qtype in ("text", "select_one") else None,
    }
    if qtype in ("select_one", "select_multiple", "rank"):
        itemset = q.get("itemset") or ""
        if not q.get("list_name") and _FILE_ITEMSET.search(itemset):
            out["choices"] = None  # select_one_from_file: the list ships as a media file
            out["choice_file"] = itemset
        else:
            out["choices"] = [
                {"name": str(c["name"]), "label": _translated(c.get("label"), codes, default_code)}
                for c in q.get("choices") or []
            ]
            out["list_name"] = q.get("list_name")
        out["choice_filter"] = q.get("choice_filter") or None
    if q.get("parameters"):
        out["parameters"] = dict(q["parameters"])
    if qtype == "repeat" and q.get("control", {}).get("jr:count"):
        out["repeat_count"] = q["control"]["jr:count"]
    if qtype in CONTAINER_TYPES:
        out["children"] = [
            _question(c, codes, default_code, out["sensitive"]) for c in q.get("children", [])
        ]
    return out


def _duplicate_names(questions: list[dict[str, Any]]) -> list[str]:
    """Answer names must be unique per data scope: the form (groups are transparent), or a repeat."""
    problems: list[str] = []

    def walk(children: list[dict[str, Any]], seen: dict[str, str], where: str) -> None:
        for q in children:
            if q["type"] != "group":
                if q["name"] in seen:
                    problems.append(
                        f"Question name '{q['name']}' is used twice {where}; answers are stored "
                        "by name, so names must be unique (groups do not make them distinct)."
                    )
                seen[q["name"]] = q["type"]
            if q["type"] == "group":
                walk(q["children"], seen, where)
            elif q["type"] == "repeat":
                walk(q["children"], {}, f"in repeat '{q['name']}'")

    walk(questions, {}, "in the form")
    return problems
