"""Query parameter and path number parsing with errors that name the parameter."""

from flask import request
from werkzeug.routing import IntegerConverter

from dtm.errors import BadRequest, InvalidParameter
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


def refuse_nul_characters() -> None:
    """Before every request: a NUL character in the address, a query parameter or a form
    field is never meaningful, and PostgreSQL refuses it in text (a 500 there)."""
    if "\x00" in request.path:
        raise BadRequest("The address contains a NUL character (%00).")
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise InvalidParameter(
                f"Parameter {name.replace(chr(0), '%00')!r} contains a NUL character (%00).",
                details={"parameter": name},
            )
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            if "\x00" in name or "\x00" in value:
                raise BadRequest(
                    f"The form field {name.replace(chr(0), '%00')!r} contains a NUL character.",
                    details={"field": name},
                )
