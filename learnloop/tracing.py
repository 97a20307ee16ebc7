"""OpenTelemetry tracing: spans for GraphQL operations, SQL statements and worker jobs.

Off by default. `tracing_from_env` turns it on when LEARNLOOP_TRACING=true, or when an OTLP
endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and
LEARNLOOP_TRACING is not false; OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it off.
Everything else is the SDK's standard environment (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
OTEL_TRACES_SAMPLER, OTEL_EXPORTER_OTLP_HEADERS, ...). When off, OpenTelemetry is never
imported and every hook below is a shared no-op.

Attributes are chosen, never copied: operation names, ids, SQL text with its placeholders
(parameters are never recorded), statuses. Tokens, keys, documents and variables stay out.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.config import Settings
from learnloop.errors import ConfigurationError

Attributes = Mapping[str, str | int | float | bool]
# Long statements are cut: a span is a pointer to the query, not its archive.
MAX_STATEMENT_CHARS = 2000
_SPAN_KEY = "learnloop_span"
_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def tracing_wanted(settings: Settings, environ: Mapping[str, str]) -> bool:
    """The decision, from LEARNLOOP_TRACING and the standard OTEL_* variables (no import)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return False
    if settings.tracing is not None:
        return settings.tracing
    return any(environ.get(name, "").strip() for name in _ENDPOINTS)


class Tracing:
    """Starts spans on its own tracer provider (never the global one, so apps in one process
    and their tests stay apart); `Tracing()` is the no-op used when tracing is off."""

    def __init__(self, provider: Any = None) -> None:
        self._provider = provider
        self._tracer = provider.get_tracer("learnloop") if provider is not None else None

    @property
    def enabled(self) -> bool:
        return self._tracer is not None

    @contextlib.contextmanager
    def span(self, name: str, attributes: Attributes | None = None) -> Iterator[Any]:
        """A child of the current span (or a root); yields the span, or None when off."""
        if self._tracer is None:
            yield None
            return
        with self._tracer.start_as_current_span(name, attributes=attributes) as span:
            yield span

    def instrument(self, engine: AsyncEngine) -> None:
        """A client span per SQL statement the engine runs (inside the current span)."""
        if self._tracer is None:
            return
        tracer = self._tracer
        from opentelemetry.trace import SpanKind, Status, StatusCode

        sync = engine.sync_engine
        database = sync.url.database or ""

        def before(
            conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool
        ) -> None:
            text = " ".join(statement.split())
            verb = text.split(" ", 1)[0].upper() if text else "SQL"
            span = tracer.start_span(
                f"{verb} {database}".strip(),
                kind=SpanKind.CLIENT,
                attributes={
                    "db.system": "postgresql",
                    "db.name": database,
                    "db.operation": verb,
                    "db.statement": text[:MAX_STATEMENT_CHARS],
                },
            )
            if ctx is not None:
                setattr(ctx, _SPAN_KEY, span)

        def after(
            conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool
        ) -> None:
            span = getattr(ctx, _SPAN_KEY, None)
            if span is not None:
                rows = getattr(cursor, "rowcount", -1)
                if isinstance(rows, int) and rows >= 0:
                    span.set_attribute("db.rows", rows)
                span.end()

        def failed(exc_ctx: Any) -> None:
            span = getattr(exc_ctx.execution_context, _SPAN_KEY, None)
            if span is not None:
                span.set_status(Status(StatusCode.ERROR, type(exc_ctx.original_exception).__name__))
                span.end()

        event.listen(sync, "before_cursor_execute", before)
        event.listen(sync, "after_cursor_execute", after)
        event.listen(sync, "handle_error", failed)

    def shutdown(self) -> None:
        """Export what is buffered; called when the process stops."""
        if self._provider is not None:
            self._provider.shutdown()


def tracing_from_env(settings: Settings, environ: Mapping[str, str] | None = None) -> Tracing:
    """Tracing as configured; imports OpenTelemetry only when it is wanted."""
    env = os.environ if environ is None else environ
    if not tracing_wanted(settings, env):
        return Tracing()
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
    except ImportError:
        raise ConfigurationError(
            "tracing is on (LEARNLOOP_TRACING or OTEL_EXPORTER_OTLP_ENDPOINT) but OpenTelemetry "
            "is not installed: pip install 'learnloop[tracing]'"
        ) from None
    exporter_name = env.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() or "otlp"
    exporter: Any
    if exporter_name == "console":
        exporter = ConsoleSpanExporter()
    elif exporter_name in ("otlp", "otlp_proto_http"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()  # endpoint, headers, timeout: OTEL_EXPORTER_OTLP_*
    else:
        raise ConfigurationError(
            f"OTEL_TRACES_EXPORTER={exporter_name} is not supported: use otlp (OTLP over "
            "HTTP/protobuf), console or none"
        )
    # Resource.create reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME") or "learnloop"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return Tracing(provider)
