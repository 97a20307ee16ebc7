"""/metrics parses as Prometheus text and counts operations by name, latency and error codes."""

from __future__ import annotations

import asyncio

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from learnloop.domain.roles import Role
from learnloop.metrics import WorkerMetrics
from learnloop.storage.database import DatabaseTarget, MeasuredPool, create_engine
from tests.conftest import Api
from tests.conftest import test_settings as settings_for_tests
from tests.training.ops import eventually


async def scrape(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


async def test_operation_counters_latency_and_error_codes_move(api: Api) -> None:
    org = await api.org(Role.VIEWER)
    before = await scrape(api)
    op = (("operation", "MetricsProbe"),)
    for _ in range(3):
        await org.gql("query MetricsProbe { viewer { role } }")
    refused = await org.raw(
        'mutation MetricsWrite { recordExecution(input: {agentId: "a", executionId: "e"}) '
        "{ userErrors { message } } }"
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    after = await scrape(api)

    def moved(name: str, labels: tuple[tuple[str, str], ...]) -> float:
        return after.get((name, labels), 0) - before.get((name, labels), 0)

    assert moved("learnloop_graphql_requests_total", op) == 3
    assert moved("learnloop_graphql_duration_seconds_count", op) == 3
    assert moved("learnloop_graphql_duration_seconds_bucket", (("le", "+Inf"), *op)) == 3
    assert moved("learnloop_graphql_duration_seconds_sum", op) > 0
    assert moved("learnloop_graphql_requests_total", (("operation", "MetricsWrite"),)) == 1
    assert moved("learnloop_graphql_errors_total", (("code", "FORBIDDEN"),)) >= 1
    assert ("learnloop_db_pool_checked_out", ()) in after
    assert ("learnloop_db_pool_size", ()) in after
    assert ("learnloop_webhook_deliveries_total", ()) in after


async def test_backlog_pool_and_webhook_metrics_move(fresh_api: Api) -> None:
    """Queue depth is read from the database; pool wait time is measured at every checkout."""
    api = fresh_api
    org = await api.org(Role.ADMIN)
    before = await scrape(api)
    await org.gql(
        'mutation { createWebhookEndpoint(input: {url: "https://example.com/h", '
        'events: ["feedback.created"]}) { userErrors { code } } }'
    )
    for n in range(3):
        await org.gql(
            f'mutation {{ submitFeedback(input: {{agentId: "a", executionId: "e{n}", '
            "feedbackType: THUMBS_UP}) { userErrors { code } } }"
        )
    after = await scrape(api)
    assert before[("learnloop_webhook_deliveries_pending", ())] == 0
    assert after[("learnloop_webhook_deliveries_pending", ())] == 3
    assert after[("learnloop_training_runs_queued", ())] == 0
    assert after[("learnloop_training_runs_oldest_queued_seconds", ())] == 0
    assert after[("learnloop_db_pool_waiting", ())] == 0
    waits = after[("learnloop_db_pool_wait_seconds_count", ())]
    assert waits - before.get(("learnloop_db_pool_wait_seconds_count", ()), 0) >= 4
    assert after[("learnloop_db_pool_wait_seconds_bucket", (("le", "+Inf"),))] == waits


async def test_a_caller_queued_for_a_connection_is_counted(fresh_db: DatabaseTarget) -> None:
    engine = create_engine(fresh_db.app_url, settings_for_tests(db_pool_size=1, db_max_overflow=0))
    pool = engine.pool
    assert isinstance(pool, MeasuredPool)
    try:
        held = await engine.connect().start()

        async def second_caller() -> None:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))

        queued = asyncio.create_task(second_caller())
        await eventually(lambda: pool.waiting == 1)
        await asyncio.sleep(0.1)
        await held.close()
        await queued
        assert pool.waiting == 0
        assert pool.wait_seconds.count() == 2
        assert pool.wait_seconds.sums[()] >= 0.1  # the second caller waited for the first
    finally:
        await engine.dispose()


async def test_worker_metrics_render_run_durations_by_type_and_outcome() -> None:
    metrics = WorkerMetrics()
    metrics.run_finished("PROMPT_OPTIMIZATION", "COMPLETED", 42.0)
    metrics.run_finished("PROMPT_OPTIMIZATION", "FAILED", 2.0)
    metrics.counters["webhook_failures"] += 2
    parsed = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families("\n".join(metrics.render()) + "\n")
        for s in family.samples
    }
    done = (("status", "COMPLETED"), ("training_type", "PROMPT_OPTIMIZATION"))
    assert parsed[("learnloop_training_run_duration_seconds_count", done)] == 1
    assert parsed[("learnloop_training_run_duration_seconds_sum", done)] == 42.0
    assert parsed[("learnloop_training_run_duration_seconds_bucket", (("le", "30.0"), *done))] == 0
    assert parsed[("learnloop_training_run_duration_seconds_bucket", (("le", "60.0"), *done))] == 1
    assert parsed[("learnloop_webhook_failures_total", ())] == 2
