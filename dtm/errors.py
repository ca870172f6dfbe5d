"""The error catalogue: every error the HTTP API can answer, with a stable code.

API responses are always `{"error": {"code", "message", "details"}}`, including Flask's own
404/405/413 and unexpected 500s: never an HTML page or a traceback. Domain packages raise
their own exceptions (forms.FormError, geodata.GeodataError, ...); `DOMAIN_ERRORS` maps
them here so domain code never needs to know about HTTP.
"""

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from dtm.extensions import db
from geodata.errors import (
    GeodataError,
    RoundExists,
    RoundNotFound,
    SummaryParameterError,
    UnknownArea,
)

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with an HTTP status and a stable code. Subclass per kind of problem."""

    status = 400
    code = "bad_request"
    message = "The request is not valid."

    def __init__(self, message: str | None = None, details: dict | None = None, status=None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details or {}
        if status is not None:
            self.status = status

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(ApiError):
    status, code, message = 400, "bad_request", "The request is not valid."


class InvalidParameter(ApiError):
    status, code, message = 400, "invalid_parameter", "A query parameter is not valid."


class InvalidBody(ApiError):
    status, code, message = 400, "invalid_body", "The request body is not valid."


class UnsupportedMediaType(ApiError):
    status, code, message = 415, "unsupported_media_type", "The request has the wrong content type."


class Unauthorized(ApiError):
    status, code, message = 401, "unauthorized", "Sign in or send a valid API token."


class Forbidden(ApiError):
    status, code, message = 403, "forbidden", "Your role may not do this."


# Coordinator web: a cookie-authenticated write without the session's CSRF token.
class CsrfFailed(ApiError):
    status, code, message = (
        403,
        "csrf_failed",
        "The request's CSRF token is missing or expired: send the X-CSRFToken header "
        "(or reload the page and submit the form again).",
    )


class NotFound(ApiError):
    status, code, message = 404, "not_found", "There is nothing at this address."


class MethodNotAllowed(ApiError):
    status, code, message = 405, "method_not_allowed", "This address does not accept that method."


class Conflict(ApiError):
    status, code, message = 409, "conflict", "The request conflicts with the current state."


class PayloadTooLarge(ApiError):
    status, code, message = 413, "payload_too_large", "The request body is too large."


class Unprocessable(ApiError):
    status, code, message = 422, "unprocessable", "The content is well-formed but not acceptable."


class InvalidForm(ApiError):
    status, code, message = 422, "invalid_form", "The form cannot be published."


class TooManyRequests(ApiError):
    status, code, message = 429, "too_many_requests", "Too many requests; try again later."


class ServiceUnavailable(ApiError):
    status, code, message = 503, "service_unavailable", "The service cannot answer right now."


class InternalError(ApiError):
    status, code, message = 500, "internal_error", "The server failed; the error was logged."


# Domain exceptions and the API error each becomes (checked in order; first match wins).
DOMAIN_ERRORS: list[tuple[type[Exception], type[ApiError]]] = [
    (RoundNotFound, NotFound),
    (UnknownArea, NotFound),
    (RoundExists, Conflict),
    (SummaryParameterError, InvalidParameter),
    (GeodataError, Unprocessable),
]

_HTTP_ERRORS = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: Unprocessable,
    429: TooManyRequests,
    503: ServiceUnavailable,
}


def register_domain_error(exception: type[Exception], api_error: type[ApiError]) -> None:
    DOMAIN_ERRORS.insert(0, (exception, api_error))


def as_api_error(exc: Exception) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, HTTPException):
        kind = _HTTP_ERRORS.get(exc.code or 500)
        if kind is None:  # a status without its own entry keeps its code and description
            error = ApiError(exc.description, status=exc.code or 500)
            error.code = f"http_{exc.code}"
            return error
        error = kind()
        if exc.code == 405:
            error.details = {"allowed": sorted(getattr(exc, "valid_methods", None) or [])}
        return error
    for domain_type, api_type in DOMAIN_ERRORS:
        if isinstance(exc, domain_type):
            return api_type(str(exc), details=getattr(exc, "details", None) or {})
    return InternalError()


def error_response(error: ApiError):
    response = jsonify(error.to_dict())
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="dtm"'
    return response


# Paths whose clients read errors in another format register a renderer here
# (e.g. OpenRosa answers XML). Everything else answers JSON.
ERROR_RENDERERS: dict[str, object] = {}


def init_app(app: Flask) -> None:
    @app.errorhandler(Exception)
    def handle_any(exc: Exception):
        error = as_api_error(exc)
        if isinstance(error, InternalError) and not isinstance(exc, HTTPException):
            log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        for prefix, render in ERROR_RENDERERS.items():
            if request.path.startswith(prefix):
                return render(error)
        return error_response(error)
