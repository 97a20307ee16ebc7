"""Statement counts: listing experiments with live results, and agentConfig per request."""

from __future__ import annotations

from learnloop.domain.roles import Role
from tests.conftest import Api, OrgHandle
from tests.experiments.ops import AGENT_CONFIG, ASSIGN, OUTCOME, create, start

LIST = """{ experiments(first: 50) { edges { node { id status trainingRun { id }
  promotedDeployment { id } results { winner arms { n mean } secondary { metric pValue } } } } } }"""


async def _seed(org: OrgHandle, count: int) -> None:
    for i in range(count):
        experiment = await create(org, agentId=f"bot-{i}", name=f"e{i}")
        await start(org, experiment["id"])
        for unit in ("a", "b", "c"):
            await org.gql(ASSIGN, {"id": experiment["id"], "u": unit})
            await org.gql(OUTCOME, {"id": experiment["id"], "u": unit, "m": "cost", "v": 1.5})


async def _statements(api: Api, org: OrgHandle, query: str, variables: dict | None = None) -> int:  # type: ignore[type-arg]
    api.statements.reset()
    await org.gql(query, variables)
    return api.statements.count


async def test_listing_results_does_not_grow_statements_with_experiments(api: Api) -> None:
    few = await api.org(Role.MANAGER)
    many = await api.org(Role.MANAGER)
    await _seed(few, 1)
    await _seed(many, 5)
    assert await _statements(api, few, LIST) == await _statements(api, many, LIST)


async def test_agent_config_is_two_statements_besides_authentication(api: Api) -> None:
    org = await api.org(Role.MANAGER)
    experiment = await create(org)
    await start(org, experiment["id"])
    baseline = await _statements(api, org, "{ viewer { role } }")
    used = await _statements(api, org, AGENT_CONFIG, {"a": "support-bot", "u": "unit-1"})
    # One read (agent, active deployment, running experiments) and one exposure insert.
    assert used - baseline <= 2, api.statements.statements
