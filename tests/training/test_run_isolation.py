"""Another organisation's runs: invisible to queries, downloads and subscriptions alike."""

from __future__ import annotations

import pytest

from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.training.conftest import running_worker
from tests.training.ops import ORG_UPDATED, UPDATED, create_run, eventually, wait_for
from tests.training.ws import LEGACY_WS, graphql_ws


async def test_other_orgs_subscriber_gets_an_error_and_never_an_event(training_api: Api) -> None:
    api = training_api
    a = await api.org(Role.MANAGER)
    b = await api.org(Role.ADMIN)
    run = await create_run(a, config={"steps": 3, "stepSeconds": 0.05})
    async with graphql_ws(api.app, b.token) as ws_b, graphql_ws(api.app, a.token) as ws_a:
        await ws_b.subscribe("theirs", UPDATED, {"id": run["id"]})
        refused = await ws_b.receive()
        assert refused["type"] == "error" and refused["id"] == "theirs", refused
        assert refused["payload"][0]["extensions"]["code"] == "NOT_FOUND"
        await ws_b.subscribe("org-b", ORG_UPDATED)
        await ws_a.subscribe("org-a", ORG_UPDATED)
        async with running_worker(api):
            await wait_for(a, run["id"], {"COMPLETED"})
        seen_by_a = []
        while not seen_by_a or seen_by_a[-1] != "COMPLETED":
            seen_by_a.append(
                (await ws_a.receive())["payload"]["data"]["trainingRunsUpdated"]["status"]
            )
        assert "RUNNING" in seen_by_a  # the org stream works ...
        with pytest.raises(TimeoutError):
            print(await ws_b.receive(within=0.5))  # ... and B got nothing at all


async def test_other_orgs_run_is_null_by_id_and_not_downloadable(training_api: Api) -> None:
    a = await training_api.org(Role.MANAGER)
    b = await training_api.org(Role.ADMIN)
    run = await create_run(a)
    query = "query($id: ID!) { trainingRun(id: $id) { id } node(id: $id) { id } }"
    assert await b.gql(query, {"id": run["id"]}) == {"trainingRun": None, "node": None}
    assert await a.gql(query, {"id": run["id"]}) == {
        "trainingRun": {"id": run["id"]},
        "node": {"id": run["id"]},
    }
    response = await training_api.client.get(
        f"/artifacts/training-runs/{run['id']}/train.jsonl",
        headers={"authorization": f"Bearer {b.token}"},
    )
    assert response.status_code == 404
    anonymous = await training_api.client.get(f"/artifacts/training-runs/{run['id']}/train.jsonl")
    assert anonymous.status_code == 401


async def test_one_socket_two_subscriptions_each_see_their_own_run(training_api: Api) -> None:
    """Concurrent subscriptions on one connection keep separate scopes (no shared transaction)."""
    org = await training_api.org(Role.MANAGER)
    first = await create_run(org, config={"steps": 3, "stepSeconds": 0.05}, agent="one")
    second = await create_run(org, config={"steps": 4, "stepSeconds": 0.03}, agent="two")
    query = "subscription($id: ID!) { trainingRunUpdated(runId: $id) { id status agentKey events(first: 1) { edges { node { message } } } } }"
    async with graphql_ws(training_api.app, org.token) as ws:
        await ws.subscribe("1", query, {"id": first["id"]})
        await ws.subscribe("2", query, {"id": second["id"]})
        done: set[str] = set()
        by_op: dict[str, list[dict]] = {"1": [], "2": []}
        for _ in range(2):  # both current states before any worker starts
            message = await ws.receive()
            by_op[message["id"]].append(message["payload"]["data"]["trainingRunUpdated"])
        async with running_worker(training_api, concurrency=2):
            while done != {"1", "2"}:
                message = await ws.receive()
                if message["type"] == "complete":
                    done.add(message["id"])
                    continue
                assert message["type"] == "next", message
                by_op[message["id"]].append(message["payload"]["data"]["trainingRunUpdated"])
    for op, run, agent in (("1", first, "one"), ("2", second, "two")):
        states = by_op[op]
        assert {s["id"] for s in states} == {run["id"]}
        assert {s["agentKey"] for s in states} == {agent}
        assert states[0]["status"] == "PENDING" and states[-1]["status"] == "COMPLETED"


async def test_legacy_graphql_ws_protocol(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    run = await create_run(org)
    async with graphql_ws(training_api.app, org.token, protocol=LEGACY_WS) as ws:
        await ws.subscribe("1", UPDATED, {"id": run["id"]})
        assert (await ws.receive())["payload"]["data"]["trainingRunUpdated"]["status"] == "PENDING"
        await org.gql(
            "mutation($id: ID!) { cancelTrainingRun(input: {runId: $id}) { userErrors { message } } }",
            {"id": run["id"]},
        )
        assert (await ws.receive())["payload"]["data"]["trainingRunUpdated"][
            "status"
        ] == "CANCELLED"
        assert (await ws.receive())["type"] == "complete"


async def test_stopped_subscriptions_release_inboxes_and_connections(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    run = await create_run(org)
    bus = training_api.app.state.learnloop.bus
    async with graphql_ws(training_api.app, org.token) as ws:
        await ws.subscribe("one", UPDATED, {"id": run["id"]})
        await ws.subscribe("all", ORG_UPDATED)
        assert (await ws.receive())["id"] == "one"
        await eventually(lambda: len(bus._inboxes) == 2)
        # Between events a subscription holds no database connection.
        await eventually(lambda: training_api.engine.pool.checkedout() == 0, within=2)
        await ws.stop("one")
        await ws.stop("all")
        await eventually(lambda: not bus._inboxes)
    assert training_api.engine.pool.checkedout() == 0
