"""submitFeedbackBatch: per-item errors, partial success, duplicates, limits, set-based cost."""

from __future__ import annotations

from typing import Any

from learnloop.domain.roles import Role
from tests.conftest import Api, OrgHandle
from tests.feedback.ops import SUBMIT_BATCH, count_rows, feedback_of


async def batch(org: OrgHandle, items: list[dict[str, Any]]) -> dict[str, Any]:
    data = await org.gql(SUBMIT_BATCH, {"input": {"items": items}})
    payload: dict[str, Any] = data["submitFeedbackBatch"]
    return payload


def thumbs(agent: str, execution: str, kind: str = "THUMBS_UP", **more: Any) -> dict[str, Any]:
    return {"agentId": agent, "executionId": execution, "feedbackType": kind, **more}


async def test_valid_items_are_stored_and_refused_ones_named_by_index(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    items = [
        thumbs("agent-b", "e0"),
        thumbs("agent-b", "e1", "STAR_RATING", rating=9),
        thumbs("agent-b", "e2", "CORRECTION", correctionText="right"),
        thumbs("agent-b", "e3", "CORRECTION", dimensions={"clarity": 0}),
        thumbs("agent-b", "e4", "THUMBS_DOWN"),
    ]
    payload = await batch(org, items)
    assert payload["storedCount"] == 3
    assert [f["feedbackType"] if f else None for f in payload["feedback"]] == [
        "THUMBS_UP",
        None,
        "CORRECTION",
        None,
        "THUMBS_DOWN",
    ]
    assert sorted((tuple(e["field"]), e["code"]) for e in payload["userErrors"]) == [
        (("input", "items", "1", "rating"), "OUT_OF_RANGE"),
        (("input", "items", "3", "correctionText"), "REQUIRED"),
        (("input", "items", "3", "dimensions", "clarity"), "OUT_OF_RANGE"),
    ]
    assert await count_rows(org, "agent_feedback") == 3
    assert await count_rows(org, "learning_examples") == 1
    # Refused items created nothing, not even a stub execution.
    assert await count_rows(org, "executions") == 3


async def test_more_than_500_items_is_refused_whole(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    payload = await batch(org, [thumbs("agent-x", f"e{i}") for i in range(501)])
    assert payload["storedCount"] == 0
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "items"], "LIMIT_EXCEEDED")
    ]
    assert await count_rows(org, "agent_feedback") == 0


async def test_500_items_cost_a_handful_of_statements(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    items = [
        thumbs(
            f"agent-{i % 7}",
            f"e{i}",
            "CORRECTION",
            correctionText=f"fix {i}",
            idempotencyKey=f"k{i}",
        )
        for i in range(500)
    ]
    api.statements.reset()
    payload = await batch(org, items)
    assert payload["storedCount"] == 500
    # auth, org, savepoint(2), key lock + lookup, execution lookup, agents (lookup + insert),
    # stub insert + re-lookup, routing facts for the corrections' queue priority (org policy and
    # the executions' feedback signals), the upsert, examples of the payload: independent of
    # the item count.
    assert api.statements.count <= 13, api.statements.statements
    assert await count_rows(org, "agent_feedback") == 500
    assert await count_rows(org, "learning_examples") == 500
    assert await count_rows(org, "agents") == 7


async def test_duplicates_inside_one_batch(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    payload = await batch(
        org,
        [
            thumbs("agent-d", "e1", "THUMBS_UP"),
            thumbs("agent-d", "e1", "THUMBS_DOWN"),  # same opinion: the later one wins
            thumbs("agent-d", "e2", "STAR_RATING", rating=2, idempotencyKey="same"),
            thumbs("agent-d", "e2", "STAR_RATING", rating=5, idempotencyKey="same"),  # first wins
        ],
    )
    assert payload["userErrors"] == []
    first, second, third, fourth = payload["feedback"]
    assert first["id"] == second["id"] and second["feedbackType"] == "THUMBS_DOWN"
    assert third == fourth and third["rating"] == 2
    assert await count_rows(org, "agent_feedback") == 2


async def test_a_batch_retry_writes_nothing_new(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    items = [thumbs("agent-r", f"e{i}", idempotencyKey=f"r{i}") for i in range(20)]
    first = await batch(org, items)
    flipped = [{**item, "feedbackType": "THUMBS_DOWN"} for item in items]
    again = await batch(org, flipped)
    assert again["feedback"] == first["feedback"]
    assert await count_rows(org, "agent_feedback") == 20
    listed = await feedback_of(org, "agent-r", "e3")
    assert [e["node"]["feedbackType"] for e in listed["feedback"]["edges"]] == ["THUMBS_UP"]


async def test_viewer_cannot_submit_a_batch(api: Api) -> None:
    org = await api.org(Role.VIEWER)
    body = await org.raw(SUBMIT_BATCH, {"input": {"items": [thumbs("agent-v", "e")]}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await count_rows(org, "agent_feedback") == 0
