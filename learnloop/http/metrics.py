"""GET /metrics: Prometheus text, behind a bearer token when LEARNLOOP_METRICS_TOKEN is set."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from learnloop.http.errors import error_response
from learnloop.resolvers.state import AppState


def _authorised(request: Request, state: AppState) -> bool:
    expected = state.settings.metrics_token
    if expected is None:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.get_secret_value().encode()
    )


async def metrics(request: Request) -> Response:
    state: AppState = request.app.state.learnloop
    if not _authorised(request, state):
        return error_response(401, "metrics need 'Authorization: Bearer <LEARNLOOP_METRICS_TOKEN>'")
    pool = state.engine.pool
    lines = [
        *state.operations.render(),
        "# TYPE learnloop_http_requests_total counter",
        f"learnloop_http_requests_total {state.counters['requests']}",
        "# TYPE learnloop_http_errors_total counter",
        f"learnloop_http_errors_total {state.counters['errors']}",
        "# HELP learnloop_webhook_deliveries_total Webhook attempts answered 2xx (in-process worker).",
        "# TYPE learnloop_webhook_deliveries_total counter",
        f"learnloop_webhook_deliveries_total {state.counters['webhook_deliveries']}",
        "# HELP learnloop_webhook_failures_total Webhook attempts that failed (in-process worker).",
        "# TYPE learnloop_webhook_failures_total counter",
        f"learnloop_webhook_failures_total {state.counters['webhook_failures']}",
        "# HELP learnloop_subscription_executions_total Subscription results executed (once per"
        " shared stream and event, however many sockets receive them).",
        "# TYPE learnloop_subscription_executions_total counter",
        f"learnloop_subscription_executions_total {state.counters['subscription_executions']}",
        "# HELP learnloop_subscription_streams Shared subscription streams open now.",
        "# TYPE learnloop_subscription_streams gauge",
        f"learnloop_subscription_streams {len(state.shared_streams)}",
        "# TYPE learnloop_db_pool_checked_out gauge",
        f"learnloop_db_pool_checked_out {getattr(pool, 'checkedout', lambda: 0)()}",
        "# HELP learnloop_db_pool_overflow Connections open beyond the pool size (negative: room).",
        "# TYPE learnloop_db_pool_overflow gauge",
        f"learnloop_db_pool_overflow {getattr(pool, 'overflow', lambda: 0)()}",
        "# HELP learnloop_db_pool_size Connections the pool keeps.",
        "# TYPE learnloop_db_pool_size gauge",
        f"learnloop_db_pool_size {getattr(pool, 'size', lambda: 0)()}",
    ]
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
