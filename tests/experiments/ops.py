"""GraphQL documents and seeding helpers shared by the experiment tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from strawberry import relay

from learnloop.domain.experiments.hashing import assign
from tests.conftest import OrgHandle

FIELDS = """
  id name agentId status hashSeed coverage controlPercentage treatmentPercentage
  controlConfig treatmentConfig primaryMetric minimumSampleSize guardrails winner startedAt endedAt
"""
RESULTS = """
  results {
    metric arms { variant units n mean variance } absoluteLift relativeLift ciLow ciHigh
    pValue test srmPValue srmPassed minimumSampleReached winner sequential { ciLow ciHigh }
    power { minimumDetectableEffect powerAtObservedLift unitsPerArmNeeded unitsStillNeeded }
    secondary { metric pValue adjustedPValue arms { variant n mean } }
    guardrailBreaches
  }
"""
ERRORS = "userErrors { field message code }"
CREATE = f"""
mutation($input: CreateExperimentInput!) {{
  createExperiment(input: $input) {{ experiment {{ {FIELDS} }} {ERRORS} }}
}}"""
UPDATE = f"""
mutation($input: UpdateExperimentInput!) {{
  updateExperiment(input: $input) {{ experiment {{ {FIELDS} }} {ERRORS} }}
}}"""
STATUS = f"""
mutation($id: ID!, $s: ExperimentStatus!) {{
  updateExperimentStatus(input: {{experimentId: $id, status: $s}}) {{ experiment {{ {FIELDS} }} {ERRORS} }}
}}"""
ASSIGN = f"""
mutation($id: ID!, $u: String!) {{
  assignVariant(input: {{experimentId: $id, unitId: $u}}) {{ variant config {ERRORS} }}
}}"""
OUTCOME = f"""
mutation($id: ID!, $u: String!, $m: String!, $v: Float!) {{
  recordExperimentOutcome(input: {{experimentId: $id, unitId: $u, metric: $m, value: $v}}) {{
    variant experiment {{ status }} {ERRORS}
  }}
}}"""
GET = f"query($id: ID!) {{ experiment(id: $id) {{ {FIELDS} {RESULTS} }} }}"
AGENT_CONFIG = """
query($a: String!, $u: String) { agentConfig(agentId: $a, unitId: $u) { variant experimentId deploymentVersion config } }
"""
PROMOTE = f"""
mutation($id: ID!) {{
  promoteExperimentWinner(input: {{experimentId: $id}}) {{
    experiment {{ id }} deployment {{ id version active config }} {ERRORS}
  }}
}}"""


def errors(payload: dict[str, Any]) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def uuid_of(global_id: str) -> uuid.UUID:
    return uuid.UUID(relay.GlobalID.from_id(global_id).node_id)


async def create(org: OrgHandle, **fields: Any) -> dict[str, Any]:
    values = {"name": "shorter answers", "agentId": "support-bot", **fields}
    payload = (await org.gql(CREATE, {"input": values}))["createExperiment"]
    assert payload["userErrors"] == [], payload["userErrors"]
    experiment: dict[str, Any] = payload["experiment"]
    return experiment


async def start(org: OrgHandle, experiment_id: str) -> dict[str, Any]:
    payload = (await org.gql(STATUS, {"id": experiment_id, "s": "RUNNING"}))[
        "updateExperimentStatus"
    ]
    assert payload["userErrors"] == [], payload["userErrors"]
    experiment: dict[str, Any] = payload["experiment"]
    return experiment


async def get(org: OrgHandle, experiment_id: str) -> dict[str, Any]:
    experiment: dict[str, Any] = (await org.gql(GET, {"id": experiment_id}))["experiment"]
    return experiment


async def seed_thumbs(
    org: OrgHandle,
    experiment: dict[str, Any],
    units: int,
    up_rate: dict[str, float],
    *,
    feedback_type_down: str = "THUMBS_DOWN",
) -> dict[str, int]:
    """`units` exposed units, each with one tagged execution (written as the owner, like an
    agent's traffic) and one thumbs feedback over the API: the first up_rate[arm] share of each
    arm's units say THUMBS_UP, the rest `feedback_type_down`. Returns units per arm."""
    experiment_id = uuid_of(experiment["id"])
    arms: dict[str, list[str]] = {"CONTROL": [], "TREATMENT": []}
    for i in range(units):
        unit = f"user-{i}"
        variant = assign(
            experiment["hashSeed"],
            unit,
            experiment["coverage"],
            experiment["controlPercentage"],
            experiment["treatmentPercentage"],
        )
        if variant:
            arms[variant].append(unit)
    async with org.api.owner_engine.begin() as conn:
        agent_id = await conn.scalar(
            text("SELECT agent_id FROM learning_experiments WHERE id = :e"), {"e": experiment_id}
        )
        for variant, members in arms.items():
            for unit in members:
                await conn.execute(
                    text(
                        "INSERT INTO experiment_assignments (org_id, experiment_id, unit_id, variant)"
                        " VALUES (:o, :e, :u, :v);"
                    ),
                    {"o": org.org_id, "e": experiment_id, "u": unit, "v": variant},
                )
                await conn.execute(
                    text(
                        "INSERT INTO executions (org_id, agent_id, key, input, output,"
                        " experiment_id, variant, unit_id)"
                        " VALUES (:o, :a, :k, 'q', 'a', :e, :v, :u)"
                    ),
                    {
                        "o": org.org_id,
                        "a": agent_id,
                        "k": f"exec-{unit}",
                        "e": experiment_id,
                        "v": variant,
                        "u": unit,
                    },
                )
    items = []
    for variant, members in arms.items():
        ups = round(len(members) * up_rate[variant])
        for index, unit in enumerate(members):
            kind = "THUMBS_UP" if index < ups else feedback_type_down
            item: dict[str, Any] = {
                "agentId": experiment["agentId"],
                "executionId": f"exec-{unit}",
                "feedbackType": kind,
            }
            if kind == "REPORT_ISSUE":
                item["issueCategories"] = ["INCORRECT"]
            items.append(item)
    batch = """mutation($items: [SubmitFeedbackInput!]!) {
      submitFeedbackBatch(input: {items: $items}) { storedCount userErrors { field code } }
    }"""
    for start_at in range(0, len(items), 500):
        done = (await org.gql(batch, {"items": items[start_at : start_at + 500]}))[
            "submitFeedbackBatch"
        ]
        assert done["userErrors"] == [], done["userErrors"]
    return {v: len(m) for v, m in arms.items()}
