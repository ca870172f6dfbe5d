"""Errors raised by the spatial store. Each carries a one-line message for people."""


class GeodataError(ValueError):
    """Base class: a problem with spatial input that the caller should report, not crash on."""


class BoundaryImportError(GeodataError):
    """An admin boundary file could not be imported; nothing was changed."""


class RoundError(GeodataError):
    """A round cannot be created or changed as asked; nothing was changed."""


class RoundNotFound(RoundError):
    """No round has the given number."""


class RoundExists(RoundError):
    """A round with that number already exists."""


class SummaryParameterError(GeodataError):
    """A summary was asked for with a level, round, area or filter that does not exist.

    `details["parameter"]` names the parameter at fault."""

    def __init__(self, message: str, parameter: str):
        super().__init__(message)
        self.details = {"parameter": parameter}


class UnknownArea(GeodataError):
    """No admin area has the given P-code."""
