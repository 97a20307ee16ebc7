"""Statement counts: the dashboard's loop query does not grow with the number of agents."""

from __future__ import annotations

from sqlalchemy import text

from learnloop.domain.roles import Role
from tests.conftest import Api, OrgHandle
from tests.experiments.ops import STATUS, uuid_of
from tests.experiments.test_canary import CANARY
from tests.learning_policies.ops import LOOP, pending_examples, set_policy
from tests.training.seed import seed_finished_run


async def _seed(api: Api, org: OrgHandle, agents: int) -> None:
    """Per agent: a policy, approved examples, a running canary and a pending promotion."""
    for i in range(agents):
        agent = f"bot-{i}"
        set_ = await set_policy(
            org, agentId=agent, trainingType="FINE_TUNING", minNewApprovedExamples=1000
        )
        assert set_["userErrors"] == []
        await pending_examples(org, agent, [{"input": f"q{n}", "expected": "a"} for n in range(3)])
        concluded = await seed_finished_run(
            api, org.org_id, agent_key=agent, marker=f"{agent}-old", deploy=False
        )
        old = (await org.gql(CANARY, {"id": concluded["run"], "p": 20}))["deployTrainingRun"]
        await org.gql(STATUS, {"id": old["experiment"]["id"], "s": "COMPLETED"})
        async with api.owner_engine.begin() as conn:
            # A treatment win without seeding hundreds of units: the gate is what is read here.
            await conn.execute(
                text(
                    "UPDATE learning_experiments SET winner = 'TREATMENT',"
                    " promotion_status = 'PENDING' WHERE id = :e"
                ),
                {"e": uuid_of(old["experiment"]["id"])},
            )
        running = await seed_finished_run(
            api, org.org_id, agent_key=agent, marker=f"{agent}-new", deploy=False
        )
        live = (await org.gql(CANARY, {"id": running["run"], "p": 20}))["deployTrainingRun"]
        assert live["userErrors"] == []
    async with api.owner_engine.begin() as conn:
        await conn.execute(
            text("UPDATE learning_examples SET review_status = 'APPROVED' WHERE org_id = :o"),
            {"o": org.org_id},
        )


async def _statements(api: Api, org: OrgHandle) -> int:
    api.statements.reset()
    policies = (await org.gql(LOOP))["learningPolicies"]
    assert all(p["canary"] and p["pendingPromotion"] for p in policies)
    assert all(p["waitingExamples"] == 3 for p in policies)
    return api.statements.count


async def test_the_loop_of_many_agents_costs_what_one_costs(api: Api) -> None:
    one = await api.org(Role.MANAGER)
    five = await api.org(Role.MANAGER)
    await _seed(api, one, 1)
    await _seed(api, five, 5)
    assert await _statements(api, one) == await _statements(api, five)
