"""GraphQL documents and small helpers shared by the feedback tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.conftest import OrgHandle

FEEDBACK_FIELDS = """
  id feedbackType rating feedbackText correctionText issueCategories authorKey
  createdAt updatedAt
  dimensions { accuracy helpfulness clarity completeness }
"""

EXAMPLE_FIELDS = """
  id exampleType reviewStatus inputText expectedOutput originalOutput authorKey
  sourceFeedback { id } execution { key } agent { key }
"""

SUBMIT = f"""
mutation($input: SubmitFeedbackInput!) {{
  submitFeedback(input: $input) {{
    feedback {{ {FEEDBACK_FIELDS} }}
    learningExample {{ {EXAMPLE_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}
"""

SUBMIT_BATCH = f"""
mutation($input: SubmitFeedbackBatchInput!) {{
  submitFeedbackBatch(input: $input) {{
    feedback {{ {FEEDBACK_FIELDS} }}
    storedCount
    userErrors {{ field message code }}
  }}
}}
"""

RECORD = """
mutation($input: RecordExecutionInput!) {
  recordExecution(input: $input) {
    execution { id key input output metadata isStub agent { key } }
    outcome
    userErrors { field message code }
  }
}
"""

CREATE_EXAMPLE = f"""
mutation($input: CreateLearningExampleInput!) {{
  createLearningExample(input: $input) {{
    learningExample {{ {EXAMPLE_FIELDS} domain taskType metadata author {{ id }} }}
    userErrors {{ field message code }}
  }}
}}
"""

CREATE_TOKEN = """
mutation($input: CreateFeedbackTokenInput!) {
  createFeedbackToken(input: $input) { token expiresAt userErrors { field message code } }
}
"""

EXECUTION_FEEDBACK = f"""
query($agent: String!, $execution: String!) {{
  execution(agentId: $agent, executionId: $execution) {{
    id key isStub input output
    feedback(first: 50) {{ totalCount edges {{ node {{ {FEEDBACK_FIELDS} }} }} }}
  }}
}}
"""

SEED = {
    "executionId": "exec-123",
    "agentId": "agent-456",
    "feedbackType": "CORRECTION",
    "rating": 3,
    "feedbackText": "The calculation was wrong",
    "correctionText": "The correct answer is $1,500",
    "issueCategories": ["INCORRECT"],
    "dimensions": {"accuracy": 2, "helpfulness": 4, "clarity": 4, "completeness": 3},
}


async def record(org: OrgHandle, agent: str, execution: str, **fields: Any) -> dict[str, Any]:
    data = await org.gql(RECORD, {"input": {"agentId": agent, "executionId": execution, **fields}})
    payload: dict[str, Any] = data["recordExecution"]
    assert payload["userErrors"] == [], payload
    return payload


async def submit(org: OrgHandle, **fields: Any) -> dict[str, Any]:
    """submitFeedback; returns the payload (userErrors included)."""
    data = await org.gql(SUBMIT, {"input": fields})
    payload: dict[str, Any] = data["submitFeedback"]
    return payload


async def submit_ok(org: OrgHandle, **fields: Any) -> dict[str, Any]:
    payload = await submit(org, **fields)
    assert payload["userErrors"] == [], payload
    return payload


async def feedback_of(org: OrgHandle, agent: str, execution: str) -> dict[str, Any]:
    data = await org.gql(EXECUTION_FEEDBACK, {"agent": agent, "execution": execution})
    found: dict[str, Any] = data["execution"]
    return found


async def count_rows(org: OrgHandle, table: str) -> int:
    """Rows of `table` in this org, counted by the owner (a superuser: no RLS in the way)."""
    async with org.api.owner_engine.connect() as conn:
        found = await conn.scalar(
            text(f"SELECT count(*) FROM {table} WHERE org_id = :org"), {"org": org.org_id}
        )
    return int(found or 0)


async def owner_sql(org: OrgHandle, sql: str, params: dict[str, Any] | None = None) -> Any:
    """Run SQL as the owner (to arrange fixtures other features would create)."""
    async with org.api.owner_engine.begin() as conn:
        result = await conn.execute(text(sql), params or {})
        return result.all() if result.returns_rows else None
