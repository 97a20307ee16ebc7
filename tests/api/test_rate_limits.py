"""Mutation rate limits: one token bucket per principal in PostgreSQL, shared by every API process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, make_url, text

from learnloop.domain.rate_limits import RateLimit
from learnloop.domain.roles import Role
from learnloop.storage.database import DatabaseTarget
from learnloop.storage.rate_limits import RateLimitStore
from tests.conftest import Api, close_api, make_api

RECORD = """
mutation($input: RecordExecutionInput!) {
  recordExecution(input: $input) { execution { key } userErrors { code } }
}
"""
TWO = """
mutation($a: RecordExecutionInput!, $b: RecordExecutionInput!) {
  a: recordExecution(input: $a) { execution { key } }
  b: recordExecution(input: $b) { execution { key } }
}
"""


def record_input(agent: str, key: str) -> dict[str, str]:
    return {"agentId": agent, "executionId": key, "input": "q", "output": "a"}


@pytest.fixture
async def two_apps(db: DatabaseTarget) -> AsyncIterator[tuple[Api, Api]]:
    """Two app instances (two processes' worth of state and pools) on one database."""
    first, first_engines = await make_api(db, rate_limit_per_minute=10)
    second, second_engines = await make_api(db, rate_limit_per_minute=10)
    yield first, second
    await close_api(first, first_engines)
    await close_api(second, second_engines)


async def executions(api: Api, agent: str) -> int:
    async with api.owner_engine.connect() as conn:
        return int(
            await conn.scalar(
                text(
                    "SELECT count(*) FROM executions e JOIN agents a ON a.id = e.agent_id "
                    "WHERE a.key = :agent"
                ),
                {"agent": agent},
            )
        )


async def test_two_processes_share_one_bucket_and_refusals_write_nothing(
    two_apps: tuple[Api, Api],
) -> None:
    first, second = two_apps
    org = await first.org(Role.MEMBER)
    agent = "rate-agent"

    async def call(i: int) -> dict:
        api = (first, second)[i % 2]
        response = await api.post(RECORD, {"input": record_input(agent, f"e{i}")}, token=org.token)
        assert response.status_code == 200
        return {"body": response.json(), "retry": response.headers.get("retry-after")}

    results = await asyncio.gather(*(call(i) for i in range(24)))
    granted = [r for r in results if "errors" not in r["body"]]
    refused = [r for r in results if "errors" in r["body"]]
    # A bucket of 10 that refills one token every 6 s: the test takes far less than that.
    assert len(granted) == 10, [r["body"] for r in results]
    assert len(refused) == 14
    for r in refused:
        error = r["body"]["errors"][0]
        assert r["body"]["data"] is None
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert 1 <= error["extensions"]["retryAfter"] <= 6
        assert r["retry"] == str(error["extensions"]["retryAfter"])
    # Nothing refused was written.
    assert await executions(first, agent) == 10


async def test_buckets_are_per_principal_and_queries_are_free(
    two_apps: tuple[Api, Api],
) -> None:
    first, _ = two_apps
    org = await first.org(Role.MEMBER)
    other = await org.user(Role.MEMBER)
    for i in range(10):
        await org.gql(RECORD, {"input": record_input("per-principal", f"a{i}")})
    refused = await org.raw(RECORD, {"input": record_input("per-principal", "a10")})
    assert refused["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    # Another person of the same organisation has a bucket of their own.
    await other.gql(RECORD, {"input": record_input("per-principal", "b0")})
    # Queries are not mutations.
    for _ in range(15):
        await org.gql("{ viewer { role } }")


async def test_a_request_pays_for_each_mutation_it_holds_or_runs_none(
    two_apps: tuple[Api, Api],
) -> None:
    first, _ = two_apps
    org = await first.org(Role.MEMBER)
    agent = "multi-agent"
    for i in range(4):
        pair = {"a": record_input(agent, f"x{i}"), "b": record_input(agent, f"y{i}")}
        assert "errors" not in await org.raw(TWO, pair)
    await org.gql(RECORD, {"input": record_input(agent, "z")})
    # One token left, two needed: the whole request is refused, neither mutation runs.
    body = await org.raw(TWO, {"a": record_input(agent, "p"), "b": record_input(agent, "q")})
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert await executions(first, agent) == 9
    await org.gql(RECORD, {"input": record_input(agent, "last")})


async def test_unauthenticated_mutations_are_not_counted(two_apps: tuple[Api, Api]) -> None:
    first, _ = two_apps
    count = text("SELECT count(*) FROM rate_limits")
    async with first.owner_engine.connect() as conn:
        before = await conn.scalar(count)
    for _ in range(12):
        body = await first.raw(RECORD, {"input": record_input("anon", "e")}, token="ll_bogus")
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    async with first.owner_engine.connect() as conn:
        assert await conn.scalar(count) == before


async def test_a_high_limit_takes_tokens_ahead_and_never_grants_more_than_the_bucket(
    api: Api,
) -> None:
    org = await api.org(Role.MEMBER)
    store = RateLimitStore(
        make_url(str(api.target.app_url)), RateLimit(6_000), pool_size=2, timeout=5
    )
    statements: list[str] = []
    event.listen(
        store._engine.sync_engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *args: statements.append(statement),
    )
    try:
        # A lease is 10 tokens (a tenth of a second of 6,000 a minute): 25 mutations, 3 asks.
        for _ in range(25):
            assert await store.take(org.org_id, "user:lease", 1) == 0
        assert len([s for s in statements if "learnloop_take_rate_tokens" in s]) == 3

        # A bucket of 1,200 with a lease of 2: 1,199 + the 1 leased with them, then refusals
        # (of 100: the bucket refills 20 tokens a second, more than a slow machine's pause).
        tight = RateLimitStore(
            make_url(str(api.target.app_url)), RateLimit(1_200), pool_size=1, timeout=5
        )
        try:
            assert await tight.take(org.org_id, "user:tight", 1_199) == 0
            assert await tight.take(org.org_id, "user:tight", 1) == 0  # spent from the lease
            assert await tight.take(org.org_id, "user:tight", 100) > 0
        finally:
            await tight.close()
    finally:
        await store.close()
