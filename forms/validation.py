"""Validating one submission's answers against a form version.

Why this shape: the server ingests thousands of assessments per second, so everything that
depends only on the form (marshmallow schema, compiled expressions, choice sets, messages) is
built once per FormDefinition into a *plan* and cached on it. Validating an item is then:
  1. one pass over its answers: type cleaning, fast path first, marshmallow when needed;
  2. one pass, in form order, over the questions that can matter whether answered or not
     (relevance, required, repeats); unanswered optional questions cost nothing;
  3. one pass over the answers that remain and have a constraint or are P-codes;
  4. the form family's rules (forms/rules.py).

Order matters for relevance: questions are visited in form order and a non-relevant answer is
dropped before later questions are evaluated, as ODK clears non-relevant answers. A question
whose relevance refers to a *later* question sees that question's submitted value.
Constraints run after all relevance decisions, on the answers that remain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError, fields

from . import rules
from .answers import SLOW, Bounds, RowsAnswer, answer_field
from .definition import FormDefinition
from .errors import FormError
from .expressions import (
    EVALUATION_ERRORS,
    Compiled,
    compile_expression,
    constraint_bounds,
    to_bool,
    to_string,
)

_REF = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """``ok`` when there are no errors; ``data`` holds the cleaned answers either way.

    Each error is ``{"field": dotted path, "rule": stable code, "message": plain words}``; a
    repeat row is addressed by its 0-based index (``origins.0.origin_individuals``).
    """

    ok: bool
    data: dict[str, Any]
    errors: list[dict[str, str]] = field(default_factory=list)


def validate(
    definition: FormDefinition,
    data: Mapping[str, Any],
    known_pcodes: Mapping[int, Container[str]] | None = None,
    language: str | None = None,
) -> ValidationResult:
    """Check and clean one submission's answers (flat by question name, groups transparent).

    ``known_pcodes`` maps an admin level to the P-codes loaded for it; P-code questions (names
    ending in ``admin<N>_pcode``) are checked only for levels present in the mapping.
    ``language`` picks the form's own messages and labels (default: the form's default).
    """
    plan = definition._cache.get("plan") or plan_for(definition)
    if type(data) is not dict and not isinstance(data, Mapping):
        error = {"field": "", "rule": "type", "message": "Expected an object of answers."}
        return ValidationResult(False, {}, [error])
    lang = language or plan.default_language
    errors: list[dict[str, str]] = []
    cleaned = _check_scope(plan.root, data, [], "", errors, known_pcodes, lang)
    if plan.apply_rules:
        rules.apply(cleaned, errors)
    return ValidationResult(not errors, cleaned, errors)


def schema_for(definition: FormDefinition) -> Schema:
    """The marshmallow schema of the form's top-level answers (repeats nest their own)."""
    return plan_for(definition).root.schema


# ---------------------------------------------------------------------------------------------
# The plan: everything derived from the form, built once per FormDefinition.


class _Field:
    __slots__ = (
        "name",
        "labels",
        "fast",
        "field",
        "conditions",
        "relevant",
        "required",
        "required_message",
        "constraint",
        "constraint_message",
        "constraint_text",
        "pcode_level",
        "rows",
    )


class _Scope:
    """The answers of the form root, or of one repeat row."""

    def __init__(self, name: str):
        self.name = name
        self.fields: list[_Field] = []
        self.by_name: dict[str, _Field] = {}
        self.passive: set[str] = set()  # notes: accepted when empty, never stored
        self.repeats: dict[str, _Scope] = {}
        self.schema: Schema | None = None
        # Questions visited for every item (relevance, required, repeat rows), in form order,
        # and questions checked only when answered (constraint, P-code): most questions of a
        # long form are unanswered and should cost nothing.
        self.gated: list[_Field] = []
        self.checked: list[_Field] = []


class _Plan:
    def __init__(self, root: _Scope, default_language: str, apply_rules: bool):
        self.root = root
        self.default_language = default_language
        self.apply_rules = apply_rules


def plan_for(definition: FormDefinition) -> _Plan:
    """The cached validation plan; compiling it raises FormError for unsupported expressions."""
    plan = definition._cache.get("plan")
    if plan is None:
        plan = _build_plan(definition.definition)
        definition._cache["plan"] = plan
    return plan


def _build_plan(definition: dict[str, Any]) -> _Plan:
    default_language = definition.get("default_language") or ""
    root = _Scope("")
    problems: list[str] = []
    _collect_names(definition["questions"], root)
    _fill_scope(root, definition["questions"], [root], (), problems)
    if problems:
        raise FormError(problems)
    names = set(root.by_name)
    return _Plan(root, default_language, apply_rules=bool(names & rules.FIELDS))


def _collect_names(questions: list[dict[str, Any]], scope: _Scope) -> None:
    """First pass: every scope knows its names, so expressions can refer forwards."""
    for q in questions:
        if q["type"] == "group":
            _collect_names(q["children"], scope)
        elif q["type"] == "note":
            scope.passive.add(q["name"])
        else:
            scope.by_name[q["name"]] = None  # type: ignore[assignment]  # filled later
            if q["type"] == "repeat":
                child = _Scope(q["name"])
                scope.repeats[q["name"]] = child
                _collect_names(q["children"], child)


def _resolver(chain: list[_Scope]) -> Callable[[str], tuple]:
    last = len(chain) - 1

    def resolve(name: str) -> tuple:
        for depth in range(last, -1, -1):
            if name in chain[depth].by_name or name in chain[depth].passive:
                return ("value", -1 if depth == last else depth)  # a note is always empty
        for depth in range(last, -1, -1):
            for repeat_name, repeat in chain[depth].repeats.items():
                if name in repeat.by_name and (depth == last or chain[depth + 1] is not repeat):
                    return ("nodeset", -1 if depth == last else depth, repeat_name)
        raise KeyError(name)

    return resolve


def _compile(text: Any, chain: list[_Scope], q: dict, column: str, problems: list[str]):
    if text is None or text is False:
        return None
    try:
        return compile_expression(str(text), _resolver(chain), question=q["name"], column=column)
    except FormError as exc:
        problems.extend(exc.problems)
        return None


def _fill_scope(
    scope: _Scope,
    questions: list[dict[str, Any]],
    chain: list[_Scope],
    conditions: tuple[Compiled, ...],
    problems: list[str],
) -> None:
    schema_fields: dict[str, fields.Field] = {}
    _fill_fields(scope, questions, chain, conditions, problems, schema_fields)
    scope.schema = Schema.from_dict(schema_fields, name=f"Answers_{scope.name or 'root'}")()
    for f in scope.fields:
        f.field = scope.schema.fields[f.name]  # the bound field is the one the schema uses
        f.relevant = _all_of(f.conditions)
        f.constraint = _as_bool(f.constraint)
        if callable(f.required):
            f.required = _as_bool(f.required)
        if f.conditions or f.required is not False or f.rows is not None:
            scope.gated.append(f)
        if f.constraint is not None or f.pcode_level is not None:
            scope.checked.append(f)


def _fill_fields(scope, questions, chain, conditions, problems, schema_fields) -> None:
    for q in questions:
        qtype = q["type"]
        relevant = _compile(q.get("relevant"), chain, q, "relevant", problems)
        own = (*conditions, relevant) if relevant else conditions
        if qtype == "group":
            _fill_fields(scope, q["children"], chain, own, problems, schema_fields)
            continue
        if qtype == "note":
            continue
        f = _Field()
        f.name = q["name"]
        f.labels = q.get("label") or {}
        f.conditions = own
        required = q.get("required")
        if isinstance(required, str):
            required = _compile(required, chain, q, "required", problems) or False
        f.required = required if required is not None else False
        f.required_message = _message(q.get("required_message"))
        f.constraint_text = q.get("constraint")
        f.constraint_message = _message(q.get("constraint_message"))
        bounds = None
        if qtype in ("integer", "decimal") and f.constraint_text:
            limits = constraint_bounds(f.constraint_text)
            if limits is not None:
                bounds = Bounds(**limits)
        if bounds is None:
            f.constraint = _compile(f.constraint_text, chain, q, "constraint", problems)
        else:
            f.constraint = None  # checked by the answer field instead
        f.pcode_level = q.get("pcode_level")
        if qtype == "repeat":
            child = scope.repeats[f.name]
            _fill_scope(child, q["children"], [*chain, child], (), problems)
            f.rows = child
            schema_fields[f.name] = RowsAnswer(fields.Nested(type(child.schema)))
            f.fast = _rows_fast
        else:
            f.rows = None
            schema_fields[f.name] = answer_field(q, bounds)
            f.fast = getattr(schema_fields[f.name], "fast", _always_slow)
        scope.fields.append(f)
        scope.by_name[f.name] = f


def _as_bool(fn: Compiled | None) -> Compiled | None:
    """Make a compiled expression return a Python bool, at plan time rather than per call."""
    if fn is None or fn.returns_bool:
        return fn
    return lambda scopes, dot: to_bool(fn(scopes, dot))


def _all_of(conditions: tuple[Compiled, ...]) -> Compiled | None:
    """One closure for a question's own relevance and those of its enclosing groups."""
    conditions = tuple(_as_bool(c) for c in conditions)
    if not conditions:
        return None
    if len(conditions) == 1:
        return conditions[0]
    if len(conditions) == 2:
        first, second = conditions
        return lambda scopes, dot: first(scopes, dot) and second(scopes, dot)
    return lambda scopes, dot: all(c(scopes, dot) for c in conditions)


def _always_slow(value: Any) -> Any:
    return SLOW


def _rows_fast(value: Any) -> Any:
    if type(value) is list and value:
        for row in value:
            if type(row) is not dict:
                return SLOW
        return value
    return SLOW


def _message(texts: dict[str, str] | None) -> dict[str, Callable[[list], str]] | None:
    """Form messages may show answers (``${households}``); prepare each language once."""
    if not texts:
        return None
    out = {}
    for lang, text in texts.items():
        if "${" not in text:
            out[lang] = lambda scopes, text=text: text
        else:
            out[lang] = lambda scopes, text=text: _REF.sub(lambda m: _lookup(scopes, m[1]), text)
    return out


def _lookup(scopes: list[dict], name: str) -> str:
    for values in reversed(scopes):
        if name in values:
            return to_string(values[name])
    return ""


# ---------------------------------------------------------------------------------------------
# Checking one item


def _text(texts: dict | None, lang: str, fallback: str) -> Any:
    if not texts:
        return fallback
    return texts.get(lang) or next(iter(texts.values()))


def _check_scope(
    scope: _Scope,
    raw: Mapping[str, Any],
    parents: list[dict[str, Any]],
    prefix: str,
    errors: list[dict[str, str]],
    known_pcodes: Mapping[int, Container[str]] | None,
    lang: str,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    invalid: set[str] = set()
    by_name = scope.by_name
    slow = SLOW
    for key, value in raw.items():
        f = by_name.get(key)
        if f is None:
            if key in scope.passive and value in (None, ""):
                continue
            errors.append(
                {
                    "field": prefix + str(key),
                    "rule": "unknown_field",
                    "message": f"'{key}' is not a question of this form.",
                }
            )
            continue
        clean = f.fast(value)  # clean values pass here; empty or odd ones go the long way
        if clean is slow:
            if value is None or value == "" or value == []:
                continue  # unanswered, as ODK sends empty elements
            try:
                clean = f.field.deserialize(value)
            except ValidationError as exc:
                invalid.add(key)
                rule = exc.kwargs.get("rule", "type")
                if rule in ("min", "max") and f.constraint_message:  # the form's own words
                    message = _text(f.constraint_message, lang, "")([*parents, raw])
                else:
                    message = exc.messages[0] if isinstance(exc.messages, list) else str(exc)
                    message = f"{_text(f.labels, lang, key)}: {message}"
                errors.append({"field": prefix + key, "rule": rule, "message": message})
                continue
        values[key] = clean

    scopes = [*parents, values]
    # Pass 1, in form order: relevance (dropping answers that do not apply), required, repeats.
    for f in scope.gated:
        name = f.name
        relevant = f.relevant
        if relevant is not None:
            try:
                applies = relevant(scopes, None)
            except EVALUATION_ERRORS:
                applies = False
            if not applies:
                values.pop(name, None)  # ODK clears answers to questions that do not apply
                continue
        value = values.get(name)
        if value is None:
            required = f.required
            if required is not False and name not in invalid:
                if required is not True:
                    try:
                        required = required(scopes, None)
                    except EVALUATION_ERRORS:
                        required = False
                if required:
                    errors.append(_required_error(f, prefix, scopes, lang))
            continue
        if f.rows is not None:
            values[name] = [
                _check_scope(
                    f.rows, row, scopes, f"{prefix}{name}.{i}.", errors, known_pcodes, lang
                )
                for i, row in enumerate(value)
            ]

    # Pass 2, on the answers that remain: constraints and P-codes.
    for f in scope.checked:
        name = f.name
        value = values.get(name)
        if value is None:
            continue
        if f.constraint is not None:
            try:
                passed = f.constraint(scopes, value)
            except EVALUATION_ERRORS:
                passed = False
            if not passed:
                errors.append(_constraint_error(f, value, prefix, scopes, lang))
        if f.pcode_level is not None and known_pcodes is not None:
            codes = known_pcodes.get(f.pcode_level)
            if codes is not None and value not in codes:
                errors.append(
                    {
                        "field": prefix + name,
                        "rule": "pcode",
                        "message": f"'{value}' is not a known admin{f.pcode_level} P-code.",
                    }
                )
    return values


def _required_error(f: _Field, prefix: str, scopes: list, lang: str) -> dict[str, str]:
    if f.required_message:
        message = _text(f.required_message, lang, "")(scopes)
    else:
        message = f"{_text(f.labels, lang, f.name)}: an answer is required."
    return {"field": prefix + f.name, "rule": "required", "message": message}


def _constraint_error(f: _Field, value: Any, prefix: str, scopes: list, lang: str) -> dict:
    if f.constraint_message:
        message = _text(f.constraint_message, lang, "")(scopes)
    else:
        message = (
            f"{_text(f.labels, lang, f.name)}: the answer {to_string(value)!r} "
            f"is not accepted ({f.constraint_text})."
        )
    return {"field": prefix + f.name, "rule": "constraint", "message": message}
