"""Query-parameter parsing shared by the OGC API (geodata.exports.ogc) and the DTM API
(geodata.exports.dtm_api)."""


def ascii_whole_number(raw: str, max_digits: int = 100) -> int | None:
    """`raw` as a whole number from 0, or None if it is not one written in ASCII digits.

    str.isdigit() alone lets through '²' and other digits that int() refuses, and int()
    refuses more than 4,300 digits: either would end in a ValueError, not a message."""
    if raw.isascii() and raw.isdigit() and len(raw) <= max_digits:
        return int(raw)
    return None
