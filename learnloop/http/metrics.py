"""GET /metrics: Prometheus text, behind a bearer token when LEARNLOOP_METRICS_TOKEN is set.

An API process shows its GraphQL, HTTP and pool metrics and those of its in-process worker; a
`learnloop worker` process serves its own (worker_metrics_app). The queue depth is read from the
database on every scrape, so every process shows the same cluster-wide backlog.
"""

from __future__ import annotations

import asyncio
import hmac

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from learnloop.config import Settings
from learnloop.http.errors import error_response
from learnloop.metrics import WorkerMetrics, pool_lines, scalar
from learnloop.resolvers.state import AppState
from learnloop.storage.run_queue import queue_depth

log = structlog.get_logger("learnloop.metrics")

# A scrape must answer even when the database does not: the backlog is then left out.
DEPTH_TIMEOUT_SECONDS = 5.0


def _authorised(request: Request, settings: Settings) -> bool:
    expected = settings.metrics_token
    if expected is None:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.get_secret_value().encode()
    )


async def backlog_lines(engine: AsyncEngine) -> list[str]:
    try:
        async with asyncio.timeout(DEPTH_TIMEOUT_SECONDS):
            depth = await queue_depth(engine)
    except Exception as exc:
        reason = (str(exc) or type(exc).__name__).splitlines()[0][:200]
        log.warning("metrics.queue_depth_unavailable", error=reason)
        return []
    return depth.render()


def _answer(lines: list[str]) -> Response:
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")


def _refused() -> Response:
    return error_response(401, "metrics need 'Authorization: Bearer <LEARNLOOP_METRICS_TOKEN>'")


async def metrics(request: Request) -> Response:
    state: AppState = request.app.state.learnloop
    if not _authorised(request, state.settings):
        return _refused()
    lines = [
        *state.operations.render(),
        *scalar(
            "counter",
            "learnloop_http_requests_total",
            "HTTP requests and WebSocket connections.",
            state.counters["requests"],
        ),
        *scalar(
            "counter",
            "learnloop_http_errors_total",
            "Requests that ended in an unhandled error.",
            state.counters["errors"],
        ),
        *state.worker_metrics.render(),
        *pool_lines(state.engine.pool),
        *await backlog_lines(state.engine),
        *scalar(
            "counter",
            "learnloop_subscription_executions_total",
            "Subscription results executed (once per shared stream and event, however many"
            " sockets receive them).",
            state.counters["subscription_executions"],
        ),
        *scalar(
            "gauge",
            "learnloop_subscription_streams",
            "Shared subscription streams open now.",
            len(state.shared_streams),
        ),
    ]
    return _answer(lines)


def worker_metrics_app(settings: Settings, engine: AsyncEngine, worker: WorkerMetrics) -> Starlette:
    """/metrics of a `learnloop worker` process (--metrics-port)."""

    async def route(request: Request) -> Response:
        if not _authorised(request, settings):
            return _refused()
        lines = [*worker.render(), *pool_lines(engine.pool), *await backlog_lines(engine)]
        return _answer(lines)

    return Starlette(routes=[Route("/metrics", route)])
