"""Canary deployments: an approved run runs as an experiment; only a MANAGER's promotion deploys it."""

from __future__ import annotations

from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.experiments.ops import AGENT_CONFIG, PROMOTE, STATUS, errors, get, seed_thumbs
from tests.training.ops import DEPLOY, audit_actions
from tests.training.seed import seed_finished_run

CANARY = """
mutation($id: ID!, $p: Float!) {
  deployTrainingRun(input: {runId: $id, canary: {treatmentPercentage: $p, minimumSampleSize: 20}}) {
    deployment { id } trainingRun { id }
    experiment { id agentId status hashSeed coverage controlPercentage treatmentPercentage
                 controlConfig treatmentConfig trainingRun { id } }
    userErrors { field message code }
  }
}"""


async def _active_version(org, agent: str) -> int | None:  # type: ignore[no-untyped-def]
    found = await org.gql(AGENT_CONFIG, {"a": agent, "u": None})
    version: int | None = found["agentConfig"]["deploymentVersion"]
    return version


async def test_canary_run_becomes_active_only_after_a_manager_confirms(api: Api) -> None:
    org = await api.org(Role.MANAGER)
    old = await seed_finished_run(api, org.org_id, agent_key="bot", marker="old", deploy=False)
    first = (await org.gql(DEPLOY, {"id": old["run"]}))["deployTrainingRun"]
    assert first["deployment"]["version"] == 1
    new = await seed_finished_run(api, org.org_id, agent_key="bot", marker="new", deploy=False)

    bad = (await org.gql(CANARY, {"id": new["run"], "p": 100}))["deployTrainingRun"]
    assert errors(bad) == [(["input", "canary", "treatmentPercentage"], "OUT_OF_RANGE")]
    payload = (await org.gql(CANARY, {"id": new["run"], "p": 50}))["deployTrainingRun"]
    assert payload["userErrors"] == [] and payload["deployment"] is None
    experiment = payload["experiment"]
    assert experiment["status"] == "RUNNING" and experiment["trainingRun"]["id"] == new["run"]
    assert experiment["controlConfig"]["runConfig"] == {"marker": "old"}
    assert experiment["treatmentConfig"]["runConfig"] == {"marker": "new"}
    assert await _active_version(org, "bot") == 1  # nothing deployed yet

    await seed_thumbs(org, experiment, 140, {"CONTROL": 0.2, "TREATMENT": 0.9})
    early = (await org.gql(PROMOTE, {"id": experiment["id"]}))["promoteExperimentWinner"]
    assert errors(early) == [(["input", "experimentId"], "INVALID_STATE")]
    done = (await org.gql(STATUS, {"id": experiment["id"], "s": "COMPLETED"}))[
        "updateExperimentStatus"
    ]
    assert done["experiment"]["winner"] == "TREATMENT"
    assert await _active_version(org, "bot") == 1  # concluded, still waiting for a person

    viewer = await org.user(Role.MEMBER)
    refused = await viewer.raw(PROMOTE, {"id": experiment["id"]})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    promoted = (await org.gql(PROMOTE, {"id": experiment["id"]}))["promoteExperimentWinner"]
    assert promoted["userErrors"] == []
    assert promoted["deployment"]["version"] == 2 and promoted["deployment"]["active"]
    assert promoted["deployment"]["config"]["runConfig"] == {"marker": "new"}
    assert await _active_version(org, "bot") == 2
    twice = (await org.gql(PROMOTE, {"id": experiment["id"]}))["promoteExperimentWinner"]
    assert errors(twice) == [(["input", "experimentId"], "INVALID_STATE")]
    stored = await get(org, experiment["id"])
    assert stored["results"]["winner"] == "TREATMENT"

    actions = [a for a, _ in await audit_actions(api, org.org_id)]
    for step in (
        "experiment.create",
        "experiment.status",
        "training_run.canary",
        "experiment.promote",
        "deployment.create",
    ):
        assert step in actions, step


async def test_a_canary_that_loses_is_never_deployed(api: Api) -> None:
    org = await api.org(Role.MANAGER)
    run = await seed_finished_run(api, org.org_id, agent_key="bot", marker="m", deploy=False)
    payload = (await org.gql(CANARY, {"id": run["run"], "p": 30}))["deployTrainingRun"]
    experiment = payload["experiment"]
    assert experiment["controlConfig"] == {}  # no active deployment yet
    await seed_thumbs(org, experiment, 200, {"CONTROL": 0.9, "TREATMENT": 0.3})
    await org.gql(STATUS, {"id": experiment["id"], "s": "COMPLETED"})
    refused = (await org.gql(PROMOTE, {"id": experiment["id"]}))["promoteExperimentWinner"]
    assert errors(refused) == [(["input", "experimentId"], "INVALID_STATE")]
    assert "CONTROL" in refused["userErrors"][0]["message"]
    assert await _active_version(org, "bot") is None
