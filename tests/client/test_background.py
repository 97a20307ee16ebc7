"""The client never makes the caller wait, and everything it queued arrives exactly once."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from learnloop.client import AsyncLearnloopClient, LearnloopClient
from tests.client.conftest import KeyedOrg, Served

pytestmark = pytest.mark.timeout_sensitive


async def stored(keyed: KeyedOrg) -> tuple[int, int, int]:
    """(executions reported, distinct executions with feedback, feedback rows) in the org."""
    async with keyed.org.api.owner_engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM executions WHERE org_id = :o AND NOT is_stub),"
                    " (SELECT count(DISTINCT execution_id) FROM agent_feedback WHERE org_id = :o),"
                    " (SELECT count(*) FROM agent_feedback WHERE org_id = :o)"
                ),
                {"o": keyed.org.org_id},
            )
        ).one()
    return int(row[0]), int(row[1]), int(row[2])


def p99(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.99) - 1]


@pytest.mark.parametrize("outage", [0.0, 2.0])
async def test_1000_executions_with_feedback_in_the_background(
    served: Served, keyed: KeyedOrg, outage: float
) -> None:
    client = LearnloopClient(served.url, keyed.api_key)
    if outage:
        served.fail_for(outage)
    timings: list[float] = []
    for i in range(1000):
        started = time.perf_counter()
        client.record_execution(
            "agent-bg", f"e{i}", input=f"question {i}", output="answer", metadata={"n": i}
        )
        middle = time.perf_counter()
        client.submit_feedback("agent-bg", f"e{i}", "STAR_RATING", rating=1 + i % 5)
        timings += [middle - started, time.perf_counter() - middle]
        if i % 50 == 0:
            # An agent does work between calls; the sender runs meanwhile.
            time.sleep(0.005)  # noqa: ASYNC251 - a synchronous agent, on purpose
    assert p99(timings) < 0.001, f"p99 {p99(timings) * 1e3:.3f} ms"
    assert client.flush(timeout=60)
    client.close()
    assert (client.stats.sent, client.stats.dropped, client.stats.rejected) == (2000, 0, 0)
    assert await stored(keyed) == (1000, 1000, 1000)


async def test_a_full_queue_counts_what_it_drops(served: Served, keyed: KeyedOrg) -> None:
    client = LearnloopClient(served.url, keyed.api_key, max_queue=10, linger=0.5)
    for i in range(50):
        client.record_execution("agent-q", f"e{i}")
    client.close()
    assert client.stats.dropped >= 30
    assert client.stats.sent + client.stats.dropped == 50
    assert (await stored(keyed))[0] == client.stats.sent


async def test_refused_items_are_counted_not_retried(served: Served, keyed: KeyedOrg) -> None:
    with LearnloopClient(served.url, keyed.api_key) as client:
        client.submit_feedback("agent-r", "e1", "STAR_RATING", rating=9)
        client.submit_feedback("agent-r", "e2", "THUMBS_UP")
        assert client.flush(timeout=30)
    assert (client.stats.sent, client.stats.rejected) == (1, 1)
    assert "rating" in client.stats.last_errors[0]


async def test_async_client_sends_in_the_background(served: Served, keyed: KeyedOrg) -> None:
    served.fail_for(0.5)
    async with AsyncLearnloopClient(served.url, keyed.api_key) as client:
        for i in range(200):
            await client.record_execution("agent-async", f"e{i}", input="q", output="a")
            await client.submit_feedback("agent-async", f"e{i}", "THUMBS_UP")
        assert await client.flush(timeout=60)
    assert (client.stats.sent, client.stats.dropped) == (400, 0)
    assert await stored(keyed) == (200, 200, 200)
