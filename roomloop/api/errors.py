"""The one JSON error envelope of ``/v1``, and the HTTP meaning of every domain error."""

import logging

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from ..auth.google import SignInRefused
from ..booking import RuleViolation, SeriesRefused, SlotConflict
from ..errors import CheckInRefused, Forbidden, ImportRejected, NotFound, ValidationError
from ..logs import request_id
from .blueprint import bp

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "slot_conflict",
    413: "payload_too_large",
    422: "rule_violation",
    429: "rate_limited",
}


def error_response(status, code, message, headers=None, **extra):
    body = {"error": {"code": code, "message": message, **extra, "request_id": request_id()}}
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def is_api_request():
    return request.path == "/v1" or request.path.startswith("/v1/")


def http_error(exc):
    """Answer an HTTP error under ``/v1`` in the JSON envelope."""
    message = {
        404: "No such endpoint or resource.",
        405: f"{request.method} is not allowed here.",
        413: "The request body is too large.",
        429: f"Rate limit exceeded ({exc.description}); retry after the Retry-After seconds.",
    }.get(exc.code, exc.description)
    headers = {}
    if exc.code == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    return error_response(exc.code, HTTP_CODES.get(exc.code, "http_error"), message, headers)


def find(get, value, field):
    """``get(value)``, with its "not found" as an error on the body's ``field`` (a 400)."""
    try:
        return get(value)
    except NotFound as missing:
        raise ValidationError({field: missing.message}) from None


def unauthorized_response(message, **extra):
    return error_response(
        401, "unauthorized", message, {"WWW-Authenticate": 'Bearer realm="roomloop"'}, **extra
    )


@bp.errorhandler(SignInRefused)
def sign_in_refused(exc):
    return unauthorized_response(exc.message, reason=exc.reason)


@bp.errorhandler(ValidationError)
def validation_error(exc):
    return error_response(400, "validation_error", exc.message, fields=exc.fields)


@bp.errorhandler(ImportRejected)
def import_rejected(exc):
    """A CSV upload refused: every bad row by line, field and message."""
    return error_response(400, "validation_error", exc.message, fields=exc.fields, rows=exc.rows)


@bp.errorhandler(Forbidden)
def forbidden(exc):
    return error_response(403, "forbidden", exc.message, capability=exc.capability)


@bp.errorhandler(NotFound)
def not_found(exc):
    return error_response(404, "not_found", exc.message)


@bp.errorhandler(CheckInRefused)
def check_in_refused(exc):
    return error_response(409, "check_in_refused", exc.message, reason=exc.reason)


@bp.errorhandler(SlotConflict)
def slot_conflict(exc):
    return error_response(409, "slot_conflict", exc.message, **_slot_conflict_fields(exc))


@bp.errorhandler(RuleViolation)
def rule_violation(exc):
    return error_response(422, "rule_violation", exc.message, **_rule_violation_fields(exc))


@bp.errorhandler(SeriesRefused)
def series_refused(exc):
    """A series refused whole: the first refusal's answer, with every date's outcome."""
    occurrences = [o.as_json() for o in exc.occurrences]
    if exc.every_date or not isinstance(exc.first, SlotConflict):
        fields = _rule_violation_fields(exc.first)
        return error_response(422, "rule_violation", exc.message, **fields, occurrences=occurrences)
    fields = _slot_conflict_fields(exc.first)
    return error_response(409, "slot_conflict", exc.message, **fields, occurrences=occurrences)


def _slot_conflict_fields(exc):
    conflicts = [
        {
            "slot": slot,
            "reservation": {
                "id": holder.public_id,
                "status": holder.status,
                "user": {"name": holder.account_name},
            },
        }
        for slot, holder in exc.held
    ]
    return {"rule": exc.rule, "conflicts": conflicts, "suggestions": exc.suggestions}


def _rule_violation_fields(exc):
    return {"rule": exc.rule, **exc.details, "suggestions": exc.suggestions}


@bp.errorhandler(Exception)
def internal_error(exc):
    if isinstance(exc, HTTPException):
        return http_error(exc)
    log.exception(
        "Unhandled error in %s %s (request %s)", request.method, request.path, request_id()
    )
    return error_response(500, "internal_error", "Something went wrong on our side; it is logged.")
