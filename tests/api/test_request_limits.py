"""Request limits: body size (413), invalid UTF-8 (400), NUL in paths (404), aliases, page budget."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from learnloop.domain.roles import Role
from learnloop.storage.database import DatabaseTarget
from tests.conftest import Api, close_api, make_api


@pytest.fixture
async def small_api(db: DatabaseTarget) -> AsyncIterator[Api]:
    built, engines = await make_api(db, max_body_bytes=4096, max_page_budget=1000)
    yield built
    await close_api(built, engines)


def _envelope_code(response: object) -> str:
    body = response.json()  # type: ignore[attr-defined]
    return str(body["errors"][0]["extensions"]["code"])


async def test_declared_body_over_the_limit_is_413(small_api: Api) -> None:
    query = "{ __typename }" + " " * 5000
    response = await small_api.post(query)
    assert response.status_code == 413
    assert _envelope_code(response) == "PAYLOAD_TOO_LARGE"


async def test_streamed_body_over_the_limit_is_413(small_api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 1000

    response = await small_api.client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert _envelope_code(response) == "PAYLOAD_TOO_LARGE"


async def test_body_under_the_limit_passes(small_api: Api) -> None:
    response = await small_api.post("{ __typename }" + " " * 3000)
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_invalid_utf8_body_is_400(api: Api) -> None:
    response = await api.client.post(
        "/graphql",
        content=b'{"query": "{ __typename \xff\xfe }"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert _envelope_code(response) == "BAD_REQUEST"


@pytest.mark.parametrize(
    "path", ["/graphql%00", "/exports/datasets/%00.jsonl", "/artifacts/training-runs/%00/x"]
)
async def test_nul_in_the_path_is_404(api: Api, path: str) -> None:
    org = await api.org(Role.ADMIN)
    response = await api.client.get(path, headers={"authorization": f"Bearer {org.token}"})
    assert response.status_code == 404
    assert _envelope_code(response) == "NOT_FOUND"


async def test_1100_aliases_are_refused_fast_before_any_sql(api: Api) -> None:
    org = await api.org(Role.VIEWER)
    query = (
        "{ " + " ".join(f"a{i}: agents(first: 100) {{ totalCount }}" for i in range(1100)) + " }"
    )
    api.statements.reset()
    started = time.perf_counter()
    response = await api.post(query, token=org.token)
    elapsed = time.perf_counter() - started
    body = response.json()
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"
    assert api.statements.count == 0
    assert elapsed < 2.0, elapsed  # 4 s and 6 MB before the limit
    assert len(response.content) < 2000


async def test_page_budget_counts_nested_connections(small_api: Api) -> None:
    org = await small_api.org(Role.VIEWER)
    nested = "{ agents(first: 20) { edges { node { executions(first: 50) { totalCount } } } } }"
    small_api.statements.reset()
    body = await small_api.raw(nested, token=org.token)
    error = body["errors"][0]
    assert error["extensions"] == {"code": "PAGE_BUDGET_EXCEEDED", "cost": 1020, "budget": 1000}
    assert small_api.statements.count == 0
    # The same shape within the budget runs; variables count like literals.
    query = "query($n: Int!) { agents(first: $n) { edges { node { executions(first: 49) { totalCount } } } } }"
    assert "errors" not in await small_api.raw(query, {"n": 20}, token=org.token)
    body = await small_api.raw(query, {"n": 21}, token=org.token)
    assert body["errors"][0]["extensions"]["code"] == "PAGE_BUDGET_EXCEEDED"


async def test_page_budget_sums_aliases_and_fragments(small_api: Api) -> None:
    org = await small_api.org(Role.VIEWER)
    query = (
        """
      fragment A on Query { agents(first: 100) { totalCount } }
      { ...A """
        + " ".join(f"a{i}: agents(first: 100) {{ totalCount }}" for i in range(10))
        + " }"
    )
    body = await small_api.raw(query, token=org.token)
    assert body["errors"][0]["extensions"]["cost"] == 1100
