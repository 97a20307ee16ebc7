"""One error shape on every HTTP route: `{"errors":[{"message","extensions":{"code"}}]}`."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from learnloop.errors import RETRY_AFTER_SECONDS

CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    500: "INTERNAL_SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
}

# Every response a download route sends: browsers must not sniff an export into HTML.
NOSNIFF = {"x-content-type-options": "nosniff"}


def error_body(message: str, code: str, **extensions: object) -> dict[str, object]:
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


def error_response(
    status: int,
    message: str,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The GraphQL error envelope with an HTTP status; the code defaults from the status."""
    code = code or CODES.get(status, "BAD_REQUEST")
    extra = dict(headers or {})
    if status == 401:
        extra.setdefault("www-authenticate", "Bearer")
    if status == 503:
        extra.setdefault("retry-after", str(RETRY_AFTER_SECONDS))
    return JSONResponse(error_body(message, code), status, headers=extra)


def unavailable() -> Response:
    """503 while the database cannot be reached: retryable, says when to retry."""
    return error_response(503, f"the database is unavailable, retry in {RETRY_AFTER_SECONDS} s")


async def http_exception(_: Request, exc: Exception) -> Response:
    """Starlette's 404/405 (unknown path, wrong method) in the shared shape."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    message = {404: "no such route", 405: "method not allowed"}.get(status, str(exc.detail))
    return error_response(status, message, headers=exc.headers)
