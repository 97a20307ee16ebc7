"""Each mutation of a request is all-or-nothing on its own, whichever of them fails."""

from __future__ import annotations

from learnloop.domain.roles import Role
from tests.conftest import Api

TWO = """
mutation($a: String!, $b: String!) {
  first: createApiKey(input: {name: $a, role: VIEWER}) { apiKey { name } userErrors { code } }
  second: createApiKey(input: {name: $b, role: VIEWER}) { apiKey { name } userErrors { code } }
}"""
NAMES = "{ apiKeys(first: 10) { edges { node { name } } } auditEvents(first: 10) { edges { node { action } } } }"


async def _state(org) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    data = await org.gql(NAMES)
    return sorted(e["node"]["name"] for e in data["apiKeys"]["edges"]), len(
        data["auditEvents"]["edges"]
    )


async def test_failing_first_mutation_keeps_the_second(api: Api) -> None:
    org = await api.org(Role.ADMIN)
    body = await org.gql(TWO, {"a": " ", "b": "kept"})
    assert body["first"] == {"apiKey": None, "userErrors": [{"code": "REQUIRED"}]}
    assert body["second"]["apiKey"] == {"name": "kept"}
    assert await _state(org) == (["kept"], 1)


async def test_failing_second_mutation_keeps_the_first(api: Api) -> None:
    org = await api.org(Role.ADMIN)
    body = await org.gql(TWO, {"a": "kept", "b": ""})
    assert body["first"]["apiKey"] == {"name": "kept"}
    assert body["second"]["userErrors"] == [{"code": "REQUIRED"}]
    assert await _state(org) == (["kept"], 1)
