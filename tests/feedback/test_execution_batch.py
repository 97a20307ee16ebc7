"""recordExecutionBatch: per-item errors, repeats, stubs filled, a fixed number of statements."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from learnloop.domain.roles import Role
from tests.conftest import Api, OrgHandle
from tests.feedback.ops import count_rows

BATCH = """mutation($input: RecordExecutionBatchInput!) {
  recordExecutionBatch(input: $input) {
    executions { id key input domain }
    outcomes
    recordedCount
    userErrors { field message code }
  }
}"""


async def batch(org: OrgHandle, items: list[dict[str, Any]]) -> dict[str, Any]:
    payload: dict[str, Any] = (await org.gql(BATCH, {"input": {"items": items}}))[
        "recordExecutionBatch"
    ]
    return payload


def run(agent: str, key: str, **more: Any) -> dict[str, Any]:
    return {"agentId": agent, "executionId": key, "input": f"in {key}", **more}


async def test_valid_items_are_recorded_and_refused_ones_named_by_index(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    payload = await batch(
        org,
        [
            run("agent-a", "e0", domain="billing"),
            run("agent-a", "", metadata=[1]),
            run("agent-a", "e2", domain="x" * 101),
            run("agent-b", "e0"),
        ],
    )
    assert payload["recordedCount"] == 2, payload
    assert payload["outcomes"] == ["CREATED", None, None, "CREATED"]
    assert [e["key"] if e else None for e in payload["executions"]] == ["e0", None, None, "e0"]
    assert payload["executions"][0]["domain"] == "billing"
    assert sorted((tuple(e["field"]), e["code"]) for e in payload["userErrors"]) == [
        (("input", "items", "1", "executionId"), "REQUIRED"),
        (("input", "items", "1", "metadata"), "INVALID"),
        (("input", "items", "2", "domain"), "TOO_LONG"),
    ]
    assert await count_rows(org, "executions") == 2


async def test_repeats_keep_the_first_report_and_stubs_are_filled(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await org.gql(
        'mutation { submitFeedback(input: {agentId: "a", executionId: "stub", '
        "feedbackType: THUMBS_UP}) { userErrors { message } } }"
    )
    await batch(org, [run("a", "old")])
    payload = await batch(
        org, [run("a", "old", input="changed"), run("a", "stub"), run("a", "n"), run("a", "n")]
    )
    assert payload["outcomes"] == ["EXISTING", "FILLED_STUB", "CREATED", "EXISTING"]
    assert payload["executions"][0]["input"] == "in old"
    assert payload["executions"][1]["input"] == "in stub"
    assert payload["executions"][2]["id"] == payload["executions"][3]["id"]
    assert await count_rows(org, "executions") == 3


async def test_500_items_cost_a_fixed_number_of_statements(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await batch(org, [run("agent-0", "warm")])
    small = [run(f"agent-{i % 7}", f"s{i}") for i in range(5)]
    large = [run(f"agent-{i % 7}", f"e{i}") for i in range(500)]
    api.statements.reset()
    await batch(org, small)
    few = api.statements.count
    api.statements.reset()
    payload = await batch(org, large)
    assert payload["recordedCount"] == 500
    assert api.statements.count <= few, api.statements.statements
    assert await count_rows(org, "executions") == 506


async def test_more_than_500_items_is_refused_whole(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    payload = await batch(org, [run("a", f"e{i}") for i in range(501)])
    assert payload["recordedCount"] == 0
    assert [e["code"] for e in payload["userErrors"]] == ["LIMIT_EXCEEDED"]
    assert await count_rows(org, "executions") == 0


async def test_viewers_may_not_record(api: Api) -> None:
    org = await api.org(Role.VIEWER)
    body = await org.raw(BATCH, {"input": {"items": [run("a", "e")]}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_unreadable_experiment_id_refuses_the_whole_batch(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    recorded = await batch(org, [run("a", "e0")])
    execution_id = recorded["executions"][0]["id"]  # an id, but of an Execution
    for wrong in (execution_id, "not-a-global-id"):
        payload = await batch(
            org, [run("a", "e1"), run("a", "e2", experimentId=wrong), run("a", "e3")]
        )
        assert payload["recordedCount"] == 0, payload
        assert payload["executions"] == [] and payload["outcomes"] == []
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            (["input", "items", "1", "experimentId"], "NOT_FOUND")
        ]
        assert await count_rows(org, "executions") == 1
    # A well-formed Experiment id that names nothing here refuses only its own item.
    missing = base64.b64encode(f"Experiment:{uuid.uuid4()}".encode()).decode()
    payload = await batch(org, [run("a", "e1"), run("a", "e2", experimentId=missing)])
    assert payload["outcomes"] == ["CREATED", None]
    assert [e["field"] for e in payload["userErrors"]] == [["input", "items", "1", "experimentId"]]
