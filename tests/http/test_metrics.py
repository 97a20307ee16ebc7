"""/metrics parses as Prometheus text and counts operations by name, latency and error codes."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from learnloop.domain.roles import Role
from tests.conftest import Api


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
