"""GraphQL documents and helpers shared by the annotation queue tests."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from strawberry import relay

from tests.conftest import OrgHandle
from tests.feedback.ops import owner_sql

EXAMPLE = """
  id reviewStatus qualityScore expectedOutput priority needsAdjudication annotationsCount
  leaseExpiresAt leaseHolder { id } assignedTo { id } isGold goldVerdict decidedAt
"""

CLAIM = f"""
mutation($input: ClaimAnnotationTaskInput!) {{
  claimAnnotationTask(input: $input) {{
    example {{ {EXAMPLE} }} leaseExpiresAt userErrors {{ field message code }}
  }}
}}
"""

RELEASE = f"""
mutation($id: ID!) {{
  releaseAnnotationTask(input: {{exampleId: $id}}) {{
    example {{ {EXAMPLE} }} userErrors {{ field message code }}
  }}
}}
"""

SUBMIT = f"""
mutation($input: SubmitAnnotationInput!) {{
  submitAnnotation(input: $input) {{
    annotation {{ id approved technicalAccuracy notes annotator {{ id }} }}
    example {{ {EXAMPLE} history(first: 5) {{ totalCount edges {{ node {{ field previousValue changedBy {{ id }} }} }} }} }}
    outcome
    userErrors {{ field message code }}
  }}
}}
"""

ADJUDICATE = f"""
mutation($input: AdjudicateExampleInput!) {{
  adjudicateExample(input: $input) {{ example {{ {EXAMPLE} }} userErrors {{ field message code }} }}
}}
"""

ASSIGN = f"""
mutation($input: AssignAnnotationTasksInput!) {{
  assignAnnotationTasks(input: $input) {{ examples {{ {EXAMPLE} }} userErrors {{ field message code }} }}
}}
"""

GOLD = f"""
mutation($input: MarkGoldExampleInput!) {{
  markGoldExample(input: $input) {{ example {{ {EXAMPLE} }} userErrors {{ field message code }} }}
}}
"""

SETTINGS = """
mutation($input: UpdateAnnotationSettingsInput!) {
  updateAnnotationSettings(input: $input) {
    settings { annotationsRequired queueOrder leaseSeconds maxLeasesPerExpert blindAnnotations
      routingPriorities { signal priority } }
    userErrors { field message code }
  }
}
"""

QUEUE = f"""
query($filter: AnnotationQueueFilter, $first: Int!, $after: String) {{
  annotationQueue(filter: $filter, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ {EXAMPLE} inputText }} }}
  }}
}}
"""

SEED_ANNOTATION = {
    "approved": True,
    "technicalAccuracy": 0.95,
    "professionalQuality": 0.90,
    "completeness": 0.85,
    "clarity": 0.92,
    "correctedOutput": "Corrected text here...",
    "notes": "Minor clarification needed",
    "improvementSuggestions": "Add more context about X",
}


def gid(example_id: UUID | str) -> str:
    return str(relay.GlobalID("LearningExample", str(example_id)))


def user_gid(user_id: UUID) -> str:
    return str(relay.GlobalID("User", str(user_id)))


async def make_examples(
    org: OrgHandle,
    n: int,
    *,
    domain: str | None = None,
    priority: int = 0,
    prefix: str = "q",
) -> list[str]:
    """n PENDING examples inserted by the owner (fast), oldest first; their global ids."""
    rows = await owner_sql(
        org,
        "INSERT INTO learning_examples (org_id, example_type, input_text, expected_output,"
        " domain, priority, created_at)"
        " SELECT :o, 'DEMONSTRATION', :p || '-' || i, 'original answer ' || i, :d, :prio,"
        "   now() - make_interval(secs => :n - i)"
        " FROM generate_series(1, :n) AS i ORDER BY i RETURNING id",
        {"o": org.org_id, "p": prefix, "d": domain, "prio": priority, "n": n},
    )
    return [gid(r[0]) for r in rows]


async def settings(org: OrgHandle, **values: Any) -> dict[str, Any]:
    data = await org.gql(SETTINGS, {"input": values})
    payload: dict[str, Any] = data["updateAnnotationSettings"]
    assert payload["userErrors"] == [], payload
    return payload


async def claim(org: OrgHandle, **filters: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await org.gql(CLAIM, {"input": filters}))["claimAnnotationTask"]
    return payload


async def submit(org: OrgHandle, example_id: str, **fields: Any) -> dict[str, Any]:
    data = await org.gql(SUBMIT, {"input": {"exampleId": example_id, **fields}})
    payload: dict[str, Any] = data["submitAnnotation"]
    return payload


def scores(approved: bool, value: float = 0.8) -> dict[str, Any]:
    return {
        "approved": approved,
        "technicalAccuracy": value,
        "professionalQuality": value,
        "completeness": value,
        "clarity": value,
    }


def codes(payload: dict[str, Any]) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]
