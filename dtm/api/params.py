"""Query parameter parsing with errors that name the parameter."""

from flask import request

from dtm.errors import InvalidParameter


def int_arg(name: str, default=None, minimum: int | None = None, maximum: int | None = None):
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(
            f"Parameter '{name}' must be a whole number, not {raw!r}.", details={"parameter": name}
        ) from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise InvalidParameter(
            f"Parameter '{name}' must be between {minimum} and {maximum}, not {value}.",
            details={"parameter": name},
        )
    return value
