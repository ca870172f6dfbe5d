"""Query parameter and path number parsing with errors that name the parameter."""

from flask import request
from werkzeug.routing import IntegerConverter

from dtm.errors import InvalidParameter
from geodata.store import LARGEST_STORED_INTEGER


class StoredIntegerConverter(IntegerConverter):
    """`<int:...>` in routes: a number beyond what the store holds matches no route (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST_STORED_INTEGER)
        super().__init__(map, *args, **kwargs)


def int_arg(name: str, default=None, minimum: int | None = None, maximum: int | None = None):
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(
            f"Parameter '{name}' must be a whole number, not {raw[:40]!r}.",
            details={"parameter": name},
        ) from None
    maximum = LARGEST_STORED_INTEGER if maximum is None else maximum
    if (minimum is not None and value < minimum) or value > maximum:
        allowed = (
            f"between {minimum} and {maximum}" if minimum is not None else f"at most {maximum}"
        )
        raise InvalidParameter(
            f"Parameter '{name}' must be {allowed}, not {raw[:40]}.",
            details={"parameter": name},
        )
    return value
