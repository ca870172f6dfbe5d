"""Errors raised by the spatial store. Each carries a one-line message for people."""


class GeodataError(ValueError):
    """Base class: a problem with spatial input that the caller should report, not crash on."""


class BoundaryImportError(GeodataError):
    """An admin boundary file could not be imported; nothing was changed."""
