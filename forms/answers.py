"""marshmallow fields for XLSForm answer types, each with a cheap fast path.

The fields are the reference for what an answer of each type may look like and how it is
cleaned. Validation first tries ``fast(value)``, a plain function that accepts only values in
a clean, common form (an int for an integer, "150" as ODK sends it, a known choice name, ...)
and returns the cleaned value, or ``SLOW`` when it cannot decide; anything else goes through
the marshmallow field, which coerces or raises ``ValidationError`` with a ``rule`` code in its
kwargs. Both paths must agree; tests check that they do.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError, fields
from marshmallow.validate import Validator

SLOW = object()  # returned by a fast path that cannot decide
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1  # ODK stores integers as 32-bit
_NUMBER = (int, float)


# Up to 9 ASCII digits: always a valid non-negative 32-bit integer.
_DIGITS = re.compile(r"[0-9]{1,9}").fullmatch


def _fail(message: str, rule: str = "type") -> ValidationError:
    return ValidationError(message, rule=rule)


class Bounds(Validator):
    """A numeric range taken from a constraint that is only bounds (``. >= 0``).

    Raises with rule ``min`` or ``max``; validation then shows the form's constraint message
    in the submission's language, ``message`` (or a generic sentence) is the fallback.
    """

    def __init__(self, low=None, low_inclusive=True, high=None, high_inclusive=True, message=None):
        self.low, self.low_inclusive = low, low_inclusive
        self.high, self.high_inclusive = high, high_inclusive
        self.message = message

    def accepts(self, value: float) -> bool:
        low, high = self.low, self.high
        if low is not None and (value < low or (value == low and not self.low_inclusive)):
            return False
        return not (
            high is not None and (value > high or (value == high and not self.high_inclusive))
        )

    def __call__(self, value):
        if self.accepts(value):
            return value
        if self.low is not None and (value < self.low or value == self.low):
            word = "at least" if self.low_inclusive else "more than"
            raise ValidationError(
                self.message or f"Enter a number {word} {self.low:g}.", rule="min"
            )
        word = "at most" if self.high_inclusive else "less than"
        raise ValidationError(self.message or f"Enter a number {word} {self.high:g}.", rule="max")


def _bounds_of(field: fields.Field) -> Bounds | None:
    return next((v for v in field.validators if isinstance(v, Bounds)), None)


class IntegerAnswer(fields.Field):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        bounds = _bounds_of(self)
        if bounds is not None:
            accepts = bounds.accepts

            plain = IntegerAnswer.fast

            def fast(value: Any) -> Any:
                clean = plain(value)
                return clean if clean is not SLOW and accepts(clean) else SLOW

            self.fast = fast
            # `. >= 0` is by far the most common constraint: give it the cheapest test.
            if bounds.low == 0 and bounds.low_inclusive and bounds.high is None:

                def fast_non_negative(value: Any) -> Any:
                    if type(value) is int:
                        return value if 0 <= value <= INT32_MAX else SLOW
                    if type(value) is str and _DIGITS(value):
                        return int(value)
                    return SLOW

                self.fast = fast_non_negative

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is bool:
            raise _fail("Enter a whole number.")
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise _fail("Enter a whole number.") from None
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        elif not isinstance(value, int):
            raise _fail("Enter a whole number.")
        if not INT32_MIN <= value <= INT32_MAX:
            raise _fail("This number is too large.", "range")
        return value

    @staticmethod
    def fast(value: Any) -> Any:
        if type(value) is int:
            return value if INT32_MIN <= value <= INT32_MAX else SLOW
        if type(value) is str and _DIGITS(value):  # "150", as parsed from an ODK XML
            return int(value)
        return SLOW


class DecimalAnswer(fields.Field):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        bounds = _bounds_of(self)
        if bounds is not None:
            accepts, plain = bounds.accepts, DecimalAnswer.fast

            def fast(value: Any) -> Any:
                clean = plain(value)
                return clean if clean is not SLOW and accepts(clean) else SLOW

            self.fast = fast

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is bool:
            raise _fail("Enter a number.")
        try:
            number = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise _fail("Enter a number.") from None
        if not math.isfinite(number):
            raise _fail("Enter a number.")
        return number

    @staticmethod
    def fast(value: Any) -> Any:
        t = type(value)
        if (t is float or t is int) and math.isfinite(value):
            return float(value)
        return SLOW


class TextAnswer(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return value
        if isinstance(value, _NUMBER) and not isinstance(value, bool):
            return str(value)  # JSON clients sometimes send a phone number as a number
        raise _fail("Enter text.")

    @staticmethod
    def fast(value: Any) -> Any:
        return value if type(value) is str and value else SLOW  # "" means unanswered


class ChoiceAnswer(fields.Field):
    def __init__(self, choices: Iterable[str], **kwargs):
        super().__init__(**kwargs)
        self.choices = frozenset(choices)
        choices = self.choices

        def fast(value: Any) -> Any:
            return value if type(value) is str and value in choices else SLOW

        self.fast = fast

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # choice names like "1" arrive as numbers from some clients
        if not isinstance(value, str):
            raise _fail("Choose one answer from the list.")
        value = value.strip()
        if value not in self.choices:
            raise _fail(f"'{value}' is not one of the choices.", "choice")
        return value


class MultiChoiceAnswer(fields.Field):
    def __init__(self, choices: Iterable[str], **kwargs):
        super().__init__(**kwargs)
        self.choices = frozenset(choices)
        choices = self.choices

        def fast(value: Any) -> Any:
            if type(value) is str:
                value = value.split(" ")  # ODK's form; odd spacing takes the long way
            elif type(value) is not list:
                return SLOW
            if not value:
                return SLOW
            for item in value:
                if type(item) is not str or item not in choices:
                    return SLOW
            return list(value) if len(set(value)) == len(value) else SLOW

        self.fast = fast

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.split()
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise _fail("Choose answers from the list.")
        unknown = [v for v in value if v not in self.choices]
        if unknown:
            names = ", ".join(f"'{v}'" for v in unknown)
            raise _fail(
                f"{names} {'is' if len(unknown) == 1 else 'are'} not in the choices.", "choice"
            )
        return list(dict.fromkeys(value))  # drop repeats, keep order


class DateAnswer(fields.Field):
    """A calendar date, cleaned to ``YYYY-MM-DD``; a datetime keeps its date part."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, str):
            text = value.strip()
            if len(text) >= 10 and (len(text) == 10 or text[10] in "T "):
                try:
                    return date.fromisoformat(text[:10]).isoformat()
                except ValueError:
                    pass
        raise _fail("Enter a valid date as YYYY-MM-DD.")

    @staticmethod
    def fast(value: Any) -> Any:
        if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                date.fromisoformat(value)
            except ValueError:
                return SLOW
            return value
        return SLOW


class DateTimeAnswer(fields.Field):
    """A date and time in ISO 8601 (ODK's start/end/dateTime), kept as the text sent."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value.strip())
                return value.strip()
            except ValueError:
                pass
        raise _fail("Enter a valid date and time (ISO 8601).")

    @staticmethod
    def fast(value: Any) -> Any:
        if type(value) is str and len(value) >= 16 and value[10] == "T" and value == value.strip():
            try:
                datetime.fromisoformat(value)
            except ValueError:
                return SLOW
            return value
        return SLOW


_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")


class TimeAnswer(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and _TIME.match(value.strip()):
            return value.strip()
        raise _fail("Enter a valid time as HH:MM.")

    fast = staticmethod(lambda value: SLOW)


class GeopointAnswer(fields.Field):
    """A GPS point: ``{"lat", "lon", "accuracy"?, "altitude"?}`` or ODK's "lat lon alt acc".

    Exactly 0,0 is what a device records without a fix, so it is refused (rule ``no_gps_fix``).
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            parts = value.split()
            if not 2 <= len(parts) <= 4:
                raise _fail("Enter a GPS point as latitude and longitude.")
            value = dict(zip(("lat", "lon", "altitude", "accuracy"), parts, strict=False))
        if not isinstance(value, dict) or "lat" not in value or "lon" not in value:
            raise _fail("Enter a GPS point as latitude and longitude.")
        extra = set(value) - {"lat", "lon", "altitude", "accuracy"}
        if extra:
            raise _fail(f"Unexpected GPS point part(s): {', '.join(sorted(extra))}.")
        point: dict[str, float] = {}
        for key in ("lat", "lon", "altitude", "accuracy"):
            if value.get(key) in (None, ""):
                continue
            raw = value[key]
            try:
                if isinstance(raw, bool):
                    raise ValueError
                number = float(raw)
            except (TypeError, ValueError):
                raise _fail(f"The GPS {key} must be a number.") from None
            if not math.isfinite(number):
                raise _fail(f"The GPS {key} must be a number.")
            point[key] = number
        if "lat" not in point or "lon" not in point:
            raise _fail("Enter a GPS point as latitude and longitude.")
        if not -90 <= point["lat"] <= 90:
            raise _fail(f"Latitude {point['lat']:g} is outside -90 to 90.", "range")
        if not -180 <= point["lon"] <= 180:
            raise _fail(f"Longitude {point['lon']:g} is outside -180 to 180.", "range")
        if point.get("accuracy", 0) < 0:
            raise _fail("GPS accuracy cannot be negative.", "range")
        if point["lat"] == 0 and point["lon"] == 0:
            raise _fail("The GPS point is 0,0: the device had no GPS fix.", "no_gps_fix")
        return point

    @staticmethod
    def fast(value: Any) -> Any:
        if type(value) is str:
            return _fast_odk_point(value)
        if type(value) is not dict:
            return SLOW
        lat, lon = value.get("lat"), value.get("lon")
        if type(lat) is not float or type(lon) is not float:
            return SLOW
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
            return SLOW
        acc, alt = value.get("accuracy"), value.get("altitude")
        n = 2
        if acc is not None:
            if type(acc) is not float or not 0 <= acc < math.inf:
                return SLOW
            n += 1
        if alt is not None:
            if type(alt) is not float or not math.isfinite(alt):
                return SLOW
            n += 1
        if n != len(value):
            return SLOW
        return dict(value)


def _fast_odk_point(text: str) -> Any:
    """ODK's "lat lon altitude accuracy" string, when it is clean."""
    parts = text.split(" ")
    if len(parts) != 4:
        return SLOW
    try:
        lat, lon, altitude, accuracy = map(float, parts)
    except ValueError:
        return SLOW
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return SLOW
    if not (0 <= accuracy < math.inf and math.isfinite(altitude)):
        return SLOW
    return {"lat": lat, "lon": lon, "altitude": altitude, "accuracy": accuracy}


class RowsAnswer(fields.List):
    """A repeat: a list of row objects, each checked against the repeat's own scope."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise _fail("Expected a list of entries.")
        return value


def answer_field(question: dict[str, Any], bounds: Bounds | None = None) -> fields.Field:
    """The marshmallow field for one question of the JSON definition.

    ``bounds`` (for integer and decimal questions) is the range their constraint allows.
    """
    qtype = question["type"]
    if bounds is not None and qtype in ("integer", "decimal"):
        return _BY_TYPE[qtype](validate=[bounds])
    if qtype in ("select_one",) and question.get("choices") is not None:
        return ChoiceAnswer([c["name"] for c in question["choices"]])
    if qtype in ("select_multiple", "rank"):
        if question.get("choices") is None:
            return _AnyChoices()
        return MultiChoiceAnswer([c["name"] for c in question["choices"]])
    return _BY_TYPE.get(qtype, TextAnswer)()


class _AnyChoices(MultiChoiceAnswer):
    """select_multiple_from_file: the list is a media file we do not see; any names pass."""

    def __init__(self, **kwargs):
        fields.Field.__init__(self, **kwargs)

        def fast(value: Any) -> Any:
            if type(value) is list and value and all(type(v) is str for v in value):
                return list(value) if len(set(value)) == len(value) else SLOW
            return SLOW

        self.fast = fast

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.split()
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise _fail("Choose answers from the list.")
        return list(dict.fromkeys(value))


_BY_TYPE: dict[str, Callable[[], fields.Field]] = {
    "integer": IntegerAnswer,
    "decimal": DecimalAnswer,
    "range": DecimalAnswer,
    "date": DateAnswer,
    "today": DateAnswer,
    "datetime": DateTimeAnswer,
    "start": DateTimeAnswer,
    "end": DateTimeAnswer,
    "time": TimeAnswer,
    "geopoint": GeopointAnswer,
    "start_geopoint": GeopointAnswer,
}
