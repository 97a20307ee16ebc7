"""GraphQL documents and seeding helpers shared by the learning policy tests."""

from __future__ import annotations

from typing import Any

from tests.annotations.ops import claim, submit
from tests.conftest import OrgHandle
from tests.feedback.ops import owner_sql

POLICY = """
  id agentId trainingType minNewApprovedExamples config autoExperiment treatmentPercentage
  enabled periodSeconds lastTriggeredAt lastRun { id status }
"""
SET = f"""
mutation($input: SetLearningPolicyInput!) {{
  setLearningPolicy(input: $input) {{ policy {{ {POLICY} }} userErrors {{ field message code }} }}
}}"""
LIST = f"query($a: String) {{ learningPolicies(agentId: $a) {{ {POLICY} }} }}"


async def set_policy(org: OrgHandle, **fields: Any) -> dict[str, Any]:
    values = {"agentId": "support-bot", "trainingType": "PROMPT_OPTIMIZATION", **fields}
    values.setdefault("minNewApprovedExamples", 5)
    payload: dict[str, Any] = (await org.gql(SET, {"input": values}))["setLearningPolicy"]
    return payload


async def pending_examples(org: OrgHandle, agent: str, rows: list[dict[str, Any]]) -> None:
    """PENDING demonstrations of `agent` (inserted by the owner: fast), waiting for review."""
    await owner_sql(
        org,
        "INSERT INTO learning_examples (org_id, agent_id, example_type, input_text,"
        " expected_output) SELECT :o, a.id, 'DEMONSTRATION', x.i, x.e FROM agents a,"
        " unnest(CAST(:i AS text[]), CAST(:e AS text[])) AS x(i, e)"
        " WHERE a.org_id = :o AND a.key = :k",
        {
            "o": org.org_id,
            "k": agent,
            "i": [r["input"] for r in rows],
            "e": [r["expected"] for r in rows],
        },
    )


async def approve_next(expert: OrgHandle) -> str:
    """An expert claims the next example and approves it (one annotation decides)."""
    example_id: str = (await claim(expert))["example"]["id"]
    payload = await submit(
        expert,
        example_id,
        approved=True,
        technicalAccuracy=0.9,
        professionalQuality=0.9,
        completeness=0.9,
        clarity=0.9,
    )
    assert payload["outcome"] == "APPROVED", payload
    return example_id


LOOP = """query($a: String) { learningPolicies(agentId: $a) {
  agentId minNewApprovedExamples waitingExamples lastRun { id status reviewStatus verdict }
  canary { id status controlPercentage treatmentPercentage results { winner arms { variant units mean } } }
  pendingPromotion { id winner promotion { status requiredRole } results { absoluteLift } }
} }"""


async def loop_state(org: OrgHandle, agent: str = "support-bot") -> dict[str, Any]:
    """The agent's loop as the dashboard reads it."""
    (policy,) = (await org.gql(LOOP, {"a": agent}))["learningPolicies"]
    state: dict[str, Any] = policy
    return state
