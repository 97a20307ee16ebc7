"""experimentUpdated: the current state, then a fresh one after each outcome; other orgs refused."""

from __future__ import annotations

from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.experiments.ops import ASSIGN, OUTCOME, create, start
from tests.training.ws import graphql_ws

UPDATED = """subscription($id: ID!) {
  experimentUpdated(experimentId: $id) { id status results { arms { variant n } secondary { metric } } }
}"""


async def test_subscribers_see_outcomes_and_status_changes_live(api: Api) -> None:
    org = await api.org(Role.MANAGER)
    other = await api.org(Role.MANAGER)
    experiment = await create(org)
    await start(org, experiment["id"])
    arm = (await org.gql(ASSIGN, {"id": experiment["id"], "u": "u1"}))["assignVariant"]["variant"]
    async with graphql_ws(api.app, org.token) as ws:
        await ws.subscribe("1", UPDATED, {"id": experiment["id"]})
        first = (await ws.receive())["payload"]["data"]["experimentUpdated"]
        assert first["status"] == "RUNNING" and first["results"]["secondary"] == []
        await org.gql(OUTCOME, {"id": experiment["id"], "u": "u1", "m": "task_success", "v": 1})
        second = (await ws.receive())["payload"]["data"]["experimentUpdated"]
        assert [m["metric"] for m in second["results"]["secondary"]] == ["task_success"]
        await org.gql(
            "mutation($id: ID!) { updateExperimentStatus(input: {experimentId: $id, status: PAUSED}) { userErrors { code } } }",
            {"id": experiment["id"]},
        )
        third = (await ws.receive())["payload"]["data"]["experimentUpdated"]
        assert third["status"] == "PAUSED"
    assert arm in ("CONTROL", "TREATMENT")

    async with graphql_ws(api.app, other.token) as ws:
        await ws.subscribe("1", UPDATED, {"id": experiment["id"]})
        refused = await ws.receive()
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "NOT_FOUND"
