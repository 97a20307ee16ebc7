"""Creating, editing and moving experiments through their states; refusals change nothing."""

from __future__ import annotations

import asyncio

from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.experiments.ops import CREATE, STATUS, UPDATE, create, errors, get, start, uuid_of
from tests.training.ops import audit_actions


async def test_create_is_a_manager_draft_with_a_stable_seed(api: Api) -> None:
    manager = await api.org(Role.MANAGER)
    member = await manager.user(Role.MEMBER)
    refused = await member.raw(CREATE, {"input": {"name": "x", "agentId": "bot"}})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    experiment = await create(
        manager, controlConfig={"prompt": "a"}, treatmentConfig={"prompt": "b"}
    )
    assert experiment["status"] == "DRAFT"
    assert experiment["coverage"] == 1.0 and experiment["primaryMetric"] == "thumbs_up_rate"
    assert experiment["hashSeed"] == str(uuid_of(experiment["id"]))
    bad = (
        await manager.gql(
            CREATE,
            {
                "input": {
                    "name": " ",
                    "agentId": "bot",
                    "controlPercentage": 30,
                    "treatmentPercentage": 30,
                    "coverage": 0,
                    "primaryMetric": "Bad Metric!",
                }
            },
        )
    )["createExperiment"]
    assert sorted(f[-1] for f, _ in errors(bad)) == [
        "coverage",
        "name",
        "primaryMetric",
        "treatmentPercentage",
    ]
    assert ("experiment.create", f"user:{manager.user_id}") in await audit_actions(
        api, manager.org_id
    )


async def test_illegal_transitions_are_user_errors_and_change_nothing(api: Api) -> None:
    org = await api.org(Role.MANAGER)
    experiment = await create(org)
    eid = experiment["id"]
    for target in ("PAUSED", "COMPLETED", "DRAFT"):
        payload = (await org.gql(STATUS, {"id": eid, "s": target}))["updateExperimentStatus"]
        assert errors(payload) == [(["input", "status"], "INVALID_STATE")]
        assert payload["experiment"] is None
        assert (await get(org, eid))["status"] == "DRAFT"

    running = await start(org, eid)
    assert running["status"] == "RUNNING" and running["startedAt"]
    paused = (await org.gql(STATUS, {"id": eid, "s": "PAUSED"}))["updateExperimentStatus"]
    assert paused["experiment"]["status"] == "PAUSED"
    await start(org, eid)  # PAUSED -> RUNNING
    done = (await org.gql(STATUS, {"id": eid, "s": "COMPLETED"}))["updateExperimentStatus"]
    assert done["experiment"]["status"] == "COMPLETED"
    assert done["experiment"]["winner"] == "INCONCLUSIVE" and done["experiment"]["endedAt"]
    for target in ("RUNNING", "CANCELLED", "PAUSED"):
        again = (await org.gql(STATUS, {"id": eid, "s": target}))["updateExperimentStatus"]
        assert errors(again) == [(["input", "status"], "INVALID_STATE")]
    assert (await get(org, eid))["status"] == "COMPLETED"
    actions = [a for a, _ in await audit_actions(api, org.org_id) if a == "experiment.status"]
    assert len(actions) == 4


async def test_running_experiments_freeze_arms_and_only_ramp_coverage_up(api: Api) -> None:
    org = await api.org(Role.MANAGER)
    experiment = await create(org, coverage=0.2, treatmentConfig={"prompt": "b"})
    eid = experiment["id"]
    draft_edit = (
        await org.gql(
            UPDATE,
            {"input": {"experimentId": eid, "controlPercentage": 20, "treatmentPercentage": 80}},
        )
    )["updateExperiment"]
    assert draft_edit["userErrors"] == []
    await start(org, eid)
    before = await get(org, eid)

    for change in (
        {"treatmentConfig": {"prompt": "c"}},
        {"controlPercentage": 50, "treatmentPercentage": 50},
        {"hashSeed": "other"},
        {"coverage": 0.1},
    ):
        payload = (await org.gql(UPDATE, {"input": {"experimentId": eid, **change}}))[
            "updateExperiment"
        ]
        assert payload["experiment"] is None
        assert {code for _, code in errors(payload)} == {"FROZEN"}, payload
        assert await get(org, eid) == before

    ramp = (await org.gql(UPDATE, {"input": {"experimentId": eid, "coverage": 0.6}}))[
        "updateExperiment"
    ]
    assert ramp["userErrors"] == [] and ramp["experiment"]["coverage"] == 0.6
    assert ramp["experiment"]["treatmentPercentage"] == 80


async def test_one_running_experiment_per_agent_even_when_started_concurrently(api: Api) -> None:
    org = await api.org(Role.MANAGER)
    ids = [(await create(org, name=f"e{i}"))["id"] for i in range(4)]
    results = await asyncio.gather(*(org.gql(STATUS, {"id": i, "s": "RUNNING"}) for i in ids))
    started = [r for r in results if not r["updateExperimentStatus"]["userErrors"]]
    refused = [r for r in results if r["updateExperimentStatus"]["userErrors"]]
    assert len(started) == 1 and len(refused) == 3
    assert all(
        errors(r["updateExperimentStatus"]) == [(["input", "status"], "LIMIT_EXCEEDED")]
        for r in refused
    )
    other = await create(org, agentId="other-bot")
    await start(org, other["id"])  # another agent is not limited
    stats = await org.gql("{ learningStats { activeExperiments } }")
    assert stats["learningStats"]["activeExperiments"] == 2
