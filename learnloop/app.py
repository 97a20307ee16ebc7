"""ASGI app factory: /graphql (HTTP, WebSocket, GraphiQL), /healthz, /readyz, /metrics, /ui."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from learnloop.config import Settings, get_settings
from learnloop.http.downloads import download_artifact
from learnloop.http.errors import error_response, http_exception, unavailable
from learnloop.http.exports import export_dataset
from learnloop.http.graphiql import ASSETS_PATH
from learnloop.http.graphiql import assets as graphiql_assets
from learnloop.http.graphql_view import LearnloopGraphQL
from learnloop.http.health import healthz, readyz
from learnloop.http.limits import RequestLimits
from learnloop.http.metrics import metrics
from learnloop.http.ui import ui_routes
from learnloop.logging import configure_logging
from learnloop.resolvers.context import request_id_from
from learnloop.resolvers.state import AppState
from learnloop.schema.root import get_schema
from learnloop.storage.database import create_engine, is_unavailable, target_from_settings
from learnloop.worker.registry import build_registry
from learnloop.worker.runner import Worker, WorkerSettings
from learnloop.worker.webhooks import WebhookSender

log = structlog.get_logger("learnloop.http")


class RequestLogging:
    """Binds a request id to every log line of a request and logs one line when it ends."""

    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        request_id = request_id_from(headers)
        if headers.get("x-request-id") != request_id:
            # The context reads the id from the headers, so it must see the one we log.
            kept = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"x-request-id"]
            scope["headers"] = [*kept, (b"x-request-id", request_id.encode())]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id, path=scope.get("path"))
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                out = message.setdefault("headers", [])
                out.append((b"x-request-id", request_id.encode()))
                # No route's body may be sniffed into HTML (exports, artifacts, errors).
                if not any(k.lower() == b"x-content-type-options" for k, _ in out):
                    out.append((b"x-content-type-options", b"nosniff"))
            await send(message)

        self.state.counters["requests"] += 1
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            self.state.counters["errors"] += 1
            if is_unavailable(exc):
                log.warning("http.database_unavailable", error=str(exc).splitlines()[0])
            else:
                log.exception("http.unhandled_error")
            if status or scope["type"] != "http":
                raise  # the response has begun: only the server can end it
            await error_for(exc)(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http" and scope.get("path") not in ("/healthz", "/metrics"):
                log.info(
                    "http.request",
                    method=scope.get("method"),
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 2),
                )


def create_app(settings: Settings | None = None, *, engine: AsyncEngine | None = None) -> Starlette:
    """Build the app; without `engine` it connects as the app role to the configured database."""
    settings = settings or get_settings()
    owns_engine = engine is None
    if engine is None:
        engine = create_engine(target_from_settings(settings).app_url, settings)
    state = AppState.build(settings, engine, build_registry(settings, engine))
    graphql = LearnloopGraphQL(
        state,
        schema=get_schema(),
        graphql_ide="graphiql" if settings.graphiql else None,
        max_subscriptions_per_connection=settings.max_subscriptions_per_socket,
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await state.bus.start()
        worker = in_process_worker(state)
        task = asyncio.create_task(worker.run()) if worker else None
        try:
            yield
        finally:
            if worker is not None and task is not None:
                worker.stop()
                await task
            await state.bus.stop()
            await state.close()
            if owns_engine:
                await state.engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Mount(ASSETS_PATH, app=graphiql_assets(), name="graphiql-assets"),
            Route("/artifacts/training-runs/{run_id}/{name}", download_artifact),
            Route("/exports/datasets/{filename:path}", export_dataset, methods=["GET"]),
            *ui_routes(),
        ],
        lifespan=lifespan,
        middleware=[
            Middleware(RequestLogging, state=state),
            Middleware(RequestLimits, max_body_bytes=settings.max_body_bytes),
        ],
        exception_handlers={HTTPException: http_exception},
    )
    app.state.learnloop = state
    return app


def error_for(exc: Exception) -> Response:
    """Last resort (already logged): 503 when the database is away, else a 500, in the envelope."""
    if is_unavailable(exc):
        return unavailable()
    return error_response(500, "internal server error")


def in_process_worker(state: AppState) -> Worker | None:
    """`serve` runs a worker beside the API unless disabled or no engine is installed."""
    if not state.settings.worker_in_process or not state.engines.available():
        return None
    cfg = WorkerSettings.from_settings(state.settings)
    webhooks = WebhookSender(state.engine, state.settings, counters=state.counters)
    return Worker(state.engine, state.engines, state.bus, cfg, webhooks=webhooks)


def create_app_from_env() -> Starlette:
    """uvicorn factory for multi-worker serving (the CLI exports the resolved URLs first)."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)
