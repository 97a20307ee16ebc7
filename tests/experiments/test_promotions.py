"""The promotion gate: a concluded canary whose treatment won waits for a MANAGER's decision."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from learnloop.domain.roles import Role
from tests.conftest import Api, OrgHandle
from tests.experiments.ops import (
    AGENT_CONFIG,
    PROMOTE,
    STATUS,
    errors,
    seed_thumbs,
    uuid_of,
)
from tests.experiments.test_canary import CANARY
from tests.training.ops import GET, audit_actions, run_uuid
from tests.training.seed import seed_finished_run
from tests.webhooks.ops import endpoint

PROMOTION = "promotion { status requiredRole decidedAt notes decidedBy { email } }"
READ = f"query($id: ID!) {{ experiment(id: $id) {{ status winner {PROMOTION} }} }}"
REJECT = f"""
mutation($id: ID!, $n: String!) {{
  rejectExperimentWinner(input: {{experimentId: $id, notes: $n}}) {{
    experiment {{ id {PROMOTION} }} userErrors {{ field message code }}
  }}
}}"""

PROMOTE_WITH_NOTES = """
mutation($id: ID!, $n: String) {
  promoteExperimentWinner(input: {experimentId: $id, notes: $n}) { userErrors { field code } }
}"""


async def _concluded_canary(
    api: Api, org: OrgHandle, up_rate: dict[str, float]
) -> tuple[dict[str, Any], str]:
    """A canary of agent "bot" concluded with thumbs at `up_rate` per arm; (experiment, run id)."""
    run = await seed_finished_run(api, org.org_id, agent_key="bot", marker="new", deploy=False)
    experiment = (await org.gql(CANARY, {"id": run["run"], "p": 50}))["deployTrainingRun"][
        "experiment"
    ]
    await seed_thumbs(org, experiment, 140, up_rate)
    done = (await org.gql(STATUS, {"id": experiment["id"], "s": "COMPLETED"}))[
        "updateExperimentStatus"
    ]
    assert done["userErrors"] == []
    return experiment, run["run"]


async def _concluded_webhook(api: Api, org: OrgHandle) -> dict[str, Any]:
    """The data of the one experiment.concluded delivery queued for the org's endpoint."""
    async with api.owner_engine.begin() as conn:
        bodies = (
            await conn.scalars(
                text(
                    "SELECT body FROM webhook_deliveries"
                    " WHERE org_id = :o AND event_type = 'experiment.concluded'"
                ),
                {"o": org.org_id},
            )
        ).all()
    assert len(bodies) == 1, bodies
    data: dict[str, Any] = json.loads(bodies[0])["data"]
    return data


async def test_a_won_canary_waits_for_a_manager_who_may_reject_it(api: Api) -> None:
    org = await api.org(Role.ADMIN)
    await endpoint(org, "http://127.0.0.1:9/hook", ["experiment.concluded"])
    experiment, run_id = await _concluded_canary(api, org, {"CONTROL": 0.2, "TREATMENT": 0.9})

    read = (await org.gql(READ, {"id": experiment["id"]}))["experiment"]
    assert read["winner"] == "TREATMENT"
    assert read["promotion"] == {
        "status": "PENDING",
        "requiredRole": "MANAGER",
        "decidedAt": None,
        "notes": None,
        "decidedBy": None,
    }
    # The webhook asks for the decision, with what a person needs to make it.
    hook = await _concluded_webhook(api, org)
    assert hook["experimentId"] == str(uuid_of(experiment["id"])) and hook["verdict"] == "TREATMENT"
    pending = hook["promotionPending"]
    assert pending["winner"] == "TREATMENT" and pending["requiredRole"] == "MANAGER"
    assert pending["trainingRunId"] == str(run_uuid(run_id))
    assert pending["confirmWith"] == "promoteExperimentWinner"
    assert pending["rejectWith"] == "rejectExperimentWinner"
    stats = pending["statistics"]
    assert stats["metric"] == "thumbs_up_rate" and stats["absoluteLift"] > 0.5
    assert {a["variant"] for a in stats["arms"]} == {"CONTROL", "TREATMENT"}
    assert stats["sequential"]["ciLow"] > 0

    member = await org.user(Role.MEMBER)
    refused = await member.raw(REJECT, {"id": experiment["id"], "n": "no"})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    blank = (await org.gql(REJECT, {"id": experiment["id"], "n": "  "}))["rejectExperimentWinner"]
    assert errors(blank) == [(["input", "notes"], "REQUIRED")]

    manager = await org.user(Role.MANAGER, email="decider@example.com")
    rejected = (await manager.gql(REJECT, {"id": experiment["id"], "n": " seasonal traffic "}))[
        "rejectExperimentWinner"
    ]
    assert rejected["userErrors"] == []
    promotion = rejected["experiment"]["promotion"]
    assert promotion["status"] == "REJECTED" and promotion["notes"] == "seasonal traffic"
    assert promotion["decidedAt"] is not None
    assert promotion["decidedBy"]["email"] == "decider@example.com"

    # Rejected is final: no promotion, no second decision; the active deployment is unchanged.
    late = (await org.gql(PROMOTE, {"id": experiment["id"]}))["promoteExperimentWinner"]
    assert errors(late) == [(["input", "experimentId"], "INVALID_STATE")]
    assert "rejected" in late["userErrors"][0]["message"]
    again = (await org.gql(REJECT, {"id": experiment["id"], "n": "x"}))["rejectExperimentWinner"]
    assert errors(again) == [(["input", "experimentId"], "INVALID_STATE")]
    config = (await org.gql(AGENT_CONFIG, {"a": "bot", "u": "user-1"}))["agentConfig"]
    assert config["deploymentVersion"] is None and config["variant"] is None

    events = (await org.gql(GET, {"id": run_id}))["trainingRun"]["events"]["edges"]
    assert "canary winner not promoted: seasonal traffic" in [e["node"]["message"] for e in events]
    assert "experiment.promotion_reject" in [a for a, _ in await audit_actions(api, org.org_id)]


async def test_a_confirmed_promotion_records_who_decided(api: Api) -> None:
    org = await api.org(Role.MANAGER)
    experiment, _ = await _concluded_canary(api, org, {"CONTROL": 0.2, "TREATMENT": 0.9})
    manager = await org.user(Role.MANAGER, email="confirmer@example.com")
    promoted = await manager.gql(PROMOTE_WITH_NOTES, {"id": experiment["id"], "n": "clear win"})
    assert promoted["promoteExperimentWinner"]["userErrors"] == []
    read = (await org.gql(READ, {"id": experiment["id"]}))["experiment"]
    assert read["promotion"]["status"] == "PROMOTED"
    assert read["promotion"]["notes"] == "clear win"
    assert read["promotion"]["decidedBy"]["email"] == "confirmer@example.com"
    rejected = (await org.gql(REJECT, {"id": experiment["id"], "n": "too late"}))[
        "rejectExperimentWinner"
    ]
    assert errors(rejected) == [(["input", "experimentId"], "INVALID_STATE")]
    assert "already promoted" in rejected["userErrors"][0]["message"]


async def test_a_canary_the_control_won_asks_nobody(api: Api) -> None:
    org = await api.org(Role.ADMIN)
    await endpoint(org, "http://127.0.0.1:9/hook", ["experiment.concluded"])
    experiment, _ = await _concluded_canary(api, org, {"CONTROL": 0.9, "TREATMENT": 0.2})
    read = (await org.gql(READ, {"id": experiment["id"]}))["experiment"]
    assert read["winner"] == "CONTROL" and read["promotion"] is None
    hook = await _concluded_webhook(api, org)
    assert hook["verdict"] == "CONTROL" and hook["promotionPending"] is None
    refused = (await org.gql(REJECT, {"id": experiment["id"], "n": "no"}))["rejectExperimentWinner"]
    assert errors(refused) == [(["input", "experimentId"], "INVALID_STATE")]
    assert "CONTROL" in refused["userErrors"][0]["message"]
