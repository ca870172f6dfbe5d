"""The loaded form: what the server stores, ships to clients and validates against."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Question types that hold other questions. Groups are transparent in the data (flat names);
# a repeat's answers are a list of row dicts under the repeat's name.
CONTAINER_TYPES = frozenset({"group", "repeat"})


@dataclass(frozen=True, eq=False)
class FormDefinition:
    """One version of one form, ready to render offline and to validate submissions.

    ``definition`` is the JSON-serialisable description clients render (see docs/forms.md);
    ``xform`` the ODK XForm XML produced by pyxform (byte-stable for the same source);
    ``hxl_tags`` maps question names to HXL hashtags; ``sensitive_fields`` lists the questions
    marked sensitive (personal data that must not reach every role or every export).
    Instances compare by identity; the validation plan is built once and cached on them.
    """

    form_id: str
    version: str
    title: str
    languages: list[dict[str, str]]
    default_language: str
    definition: dict[str, Any] = field(repr=False)
    xform: str = field(default="", repr=False)
    hxl_tags: dict[str, str] = field(default_factory=dict)
    sensitive_fields: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_dict(cls, definition: dict[str, Any], xform: str = "") -> FormDefinition:
        """Rebuild a FormDefinition from a stored ``definition`` dict (no spreadsheet needed).

        Expressions are compiled here, so a stored definition that no longer compiles raises
        ``FormError`` now rather than during validation.
        """
        from .validation import plan_for  # validation imports this module

        hxl = {q["name"]: q["hxl"] for q in iter_questions(definition["questions"]) if q["hxl"]}
        sensitive = tuple(
            q["name"] for q in iter_questions(definition["questions"]) if q["sensitive"]
        )
        loaded = cls(
            form_id=definition["form_id"],
            version=str(definition["version"]),
            title=definition.get("title") or definition["form_id"],
            languages=list(definition.get("languages") or []),
            default_language=definition.get("default_language") or "",
            definition=definition,
            xform=xform,
            hxl_tags=hxl,
            sensitive_fields=sensitive,
        )
        plan_for(loaded)
        return loaded

    def questions(self) -> Iterator[dict[str, Any]]:
        """Every question in form order, depth first (groups and repeats included)."""
        return iter_questions(self.definition["questions"])

    def question(self, name: str) -> dict[str, Any] | None:
        """The first question with this name (top level wins over repeat children)."""
        index = self._cache.get("index")
        if index is None:
            index = {}
            for q in self.questions():
                index.setdefault(q["name"], q)
            self._cache["index"] = index
        return index.get(name)


def hxl_and_sensitive(questions: list[dict[str, Any]]) -> tuple[dict[str, str], tuple[str, ...]]:
    """HXL tags by answer name, and the answer names marked sensitive (groups left out)."""
    hxl: dict[str, str] = {}
    sensitive: list[str] = []
    for q in iter_questions(questions):
        if q["type"] in ("group", "note"):
            continue
        if q.get("hxl"):
            hxl[q["name"]] = q["hxl"]
        if q.get("sensitive"):
            sensitive.append(q["name"])
    return hxl, tuple(sensitive)


def iter_questions(questions: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for q in questions:
        yield q
        if q.get("children"):
            yield from iter_questions(q["children"])
