"""submitFeedback: the seed example, validation, corrections, one person one opinion, stubs."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry import relay

from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.feedback.ops import (
    SEED,
    SUBMIT,
    count_rows,
    feedback_of,
    owner_sql,
    record,
    submit,
    submit_ok,
)


async def test_seed_example_creates_feedback_and_pending_correction_example(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await record(org, "agent-456", "exec-123", input="What is 3 x $500?", output="$1,200")
    payload = await submit_ok(org, **SEED)
    feedback = payload["feedback"]
    assert feedback["feedbackType"] == "CORRECTION"
    assert feedback["rating"] == 3
    assert feedback["feedbackText"] == "The calculation was wrong"
    assert feedback["correctionText"] == "The correct answer is $1,500"
    assert feedback["issueCategories"] == ["INCORRECT"]
    assert feedback["dimensions"] == {
        "accuracy": 2,
        "helpfulness": 4,
        "clarity": 4,
        "completeness": 3,
    }
    example = payload["learningExample"]
    assert example["exampleType"] == "CORRECTION"
    assert example["reviewStatus"] == "PENDING"
    assert example["inputText"] == "What is 3 x $500?"
    assert example["originalOutput"] == "$1,200"
    assert example["expectedOutput"] == "The correct answer is $1,500"
    assert example["sourceFeedback"] == {"id": feedback["id"]}
    assert example["execution"] == {"key": "exec-123"}
    assert example["agent"] == {"key": "agent-456"}
    assert example["authorKey"] == feedback["authorKey"] == f"user:{org.user_id}"


NOTHING_STORED_TABLES = ("agents", "executions", "agent_feedback", "learning_examples")


async def _assert_nothing_stored(org) -> None:  # type: ignore[no-untyped-def]
    for table in NOTHING_STORED_TABLES:
        assert await count_rows(org, table) == 0, table


BASE = {"agentId": "agent-v", "executionId": "exec-v", "feedbackType": "STAR_RATING", "rating": 4}


@pytest.mark.parametrize(
    ("changes", "path", "code"),
    [
        ({"rating": 0}, ["input", "rating"], "OUT_OF_RANGE"),
        ({"rating": 6}, ["input", "rating"], "OUT_OF_RANGE"),
        ({"dimensions": {"accuracy": 9}}, ["input", "dimensions", "accuracy"], "OUT_OF_RANGE"),
        ({"dimensions": {"clarity": 0}}, ["input", "dimensions", "clarity"], "OUT_OF_RANGE"),
        (
            {"feedbackType": "CORRECTION", "correctionText": ""},
            ["input", "correctionText"],
            "REQUIRED",
        ),
        (
            {"feedbackType": "CORRECTION", "correctionText": "   "},
            ["input", "correctionText"],
            "REQUIRED",
        ),
        ({"feedbackType": "CORRECTION"}, ["input", "correctionText"], "REQUIRED"),
        ({"feedbackText": "x" * 1_000_000}, ["input", "feedbackText"], "TOO_LONG"),
        ({"rating": None}, ["input", "rating"], "REQUIRED"),
        (
            {"feedbackType": "REPORT_ISSUE", "rating": None},
            ["input", "issueCategories"],
            "REQUIRED",
        ),
        ({"executionId": "  "}, ["input", "executionId"], "REQUIRED"),
        ({"agentId": "a" * 201}, ["input", "agentId"], "TOO_LONG"),
        ({"idempotencyKey": ""}, ["input", "idempotencyKey"], "REQUIRED"),
    ],
)
async def test_invalid_input_is_a_user_error_and_stores_nothing(
    api: Api, changes: dict[str, Any], path: list[str], code: str
) -> None:
    org = await api.org(Role.MEMBER)
    payload = await submit(org, **{**BASE, **changes})
    assert payload["feedback"] is None
    assert payload["learningExample"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(path, code)]
    await _assert_nothing_stored(org)


async def test_every_problem_is_reported_at_once(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    payload = await submit(
        org, **{**BASE, "rating": 6, "dimensions": {"accuracy": 9, "completeness": -1}}
    )
    assert sorted(tuple(e["field"]) for e in payload["userErrors"]) == [
        ("input", "dimensions", "accuracy"),
        ("input", "dimensions", "completeness"),
        ("input", "rating"),
    ]
    await _assert_nothing_stored(org)


async def test_unknown_enum_is_a_graphql_validation_error(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    body = await org.raw(SUBMIT, {"input": {**BASE, "feedbackType": "LOVE_IT"}})
    assert body.get("data") is None
    assert "LOVE_IT" in body["errors"][0]["message"]
    body = await org.raw(SUBMIT, {"input": {**BASE, "issueCategories": ["WRONG"]}})
    assert body.get("data") is None
    await _assert_nothing_stored(org)


async def test_viewer_cannot_submit(api: Api) -> None:
    org = await api.org(Role.VIEWER)
    body = await org.raw(SUBMIT, {"input": BASE})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await _assert_nothing_stored(org)


async def test_thumbs_up_then_down_is_one_thumbs_down(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    ref = {"agentId": "agent-t", "executionId": "exec-t"}
    up = (await submit_ok(org, **ref, feedbackType="THUMBS_UP"))["feedback"]
    down = (await submit_ok(org, **ref, feedbackType="THUMBS_DOWN"))["feedback"]
    assert down["id"] == up["id"]
    assert down["feedbackType"] == "THUMBS_DOWN"
    assert down["updatedAt"] > up["updatedAt"]
    listed = await feedback_of(org, "agent-t", "exec-t")
    assert listed["feedback"]["totalCount"] == 1
    stats = await org.gql(
        '{ feedbackStats(agentId: "agent-t") { totalFeedback thumbsUpCount thumbsDownCount } }'
    )
    assert stats["feedbackStats"] == {"totalFeedback": 1, "thumbsUpCount": 0, "thumbsDownCount": 1}


async def test_one_opinion_per_type_group_and_per_person(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    other = await org.user(Role.MEMBER)
    ref = {"agentId": "agent-g", "executionId": "exec-g"}
    await submit_ok(org, **ref, feedbackType="THUMBS_UP")
    await submit_ok(org, **ref, feedbackType="STAR_RATING", rating=2)
    await submit_ok(org, **ref, feedbackType="STAR_RATING", rating=5)  # replaces the 2
    await submit_ok(other, **ref, feedbackType="THUMBS_UP")
    await submit_ok(org, **ref, feedbackType="THUMBS_UP", endUserId="customer-1")
    listed = await feedback_of(org, "agent-g", "exec-g")
    got = sorted(
        (e["node"]["authorKey"], e["node"]["feedbackType"], e["node"]["rating"])
        for e in listed["feedback"]["edges"]
    )
    assert got == sorted(
        [
            (f"user:{org.user_id}", "THUMBS_UP", None),
            (f"user:{org.user_id}", "STAR_RATING", 5),
            (f"user:{other.user_id}", "THUMBS_UP", None),
            ("enduser:customer-1", "THUMBS_UP", None),
        ]
    )


async def test_edited_correction_updates_its_pending_example(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    await record(org, "agent-c", "exec-c", input="2+2?", output="5")
    first = await submit_ok(
        org, agentId="agent-c", executionId="exec-c", feedbackType="CORRECTION", correctionText="4"
    )
    second = await submit_ok(
        org,
        agentId="agent-c",
        executionId="exec-c",
        feedbackType="CORRECTION",
        correctionText="It is 4.",
    )
    assert second["feedback"]["id"] == first["feedback"]["id"]
    assert second["learningExample"]["id"] == first["learningExample"]["id"]
    assert second["learningExample"]["expectedOutput"] == "It is 4."
    assert await count_rows(org, "learning_examples") == 1


async def test_a_reviewed_example_is_not_changed_by_an_edited_correction(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    ref = {"agentId": "agent-r", "executionId": "exec-r", "feedbackType": "CORRECTION"}
    first = await submit_ok(org, **ref, correctionText="A")
    await owner_sql(
        org,
        "UPDATE learning_examples SET review_status = 'APPROVED' WHERE id = :id",
        {"id": _uuid(first["learningExample"]["id"])},
    )
    second = await submit_ok(org, **ref, correctionText="B")
    assert second["feedback"]["correctionText"] == "B"
    assert second["learningExample"]["expectedOutput"] == "A"
    assert second["learningExample"]["reviewStatus"] == "APPROVED"


def _uuid(global_id: str) -> str:
    return relay.GlobalID.from_id(global_id).node_id


async def test_feedback_first_creates_a_stub_that_recording_fills_in(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    payload = await submit_ok(
        org,
        agentId="agent-s",
        executionId="exec-s",
        feedbackType="CORRECTION",
        correctionText="Paris",
    )
    assert payload["learningExample"]["inputText"] == ""
    stub = await feedback_of(org, "agent-s", "exec-s")
    assert stub["isStub"] is True and stub["input"] is None
    recorded = await record(org, "agent-s", "exec-s", input="Capital of France?", output="Lyon")
    assert recorded["outcome"] == "FILLED_STUB"
    assert recorded["execution"]["id"] == stub["id"]
    assert recorded["execution"]["isStub"] is False
    filled = await feedback_of(org, "agent-s", "exec-s")
    assert filled["input"] == "Capital of France?"
    assert filled["feedback"]["totalCount"] == 1
    assert await count_rows(org, "executions") == 1
    example = await org.gql(
        "query($id: ID!) { node(id: $id) { ... on LearningExample { inputText originalOutput } } }",
        {"id": payload["learningExample"]["id"]},
    )
    assert example["node"] == {"inputText": "Capital of France?", "originalOutput": "Lyon"}


async def test_same_idempotency_key_returns_the_first_result_and_writes_nothing(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    ref = {"agentId": "agent-i", "executionId": "exec-i", "idempotencyKey": "req-1"}
    first = await submit_ok(org, **ref, feedbackType="STAR_RATING", rating=2)
    again = await submit_ok(org, **ref, feedbackType="STAR_RATING", rating=5)
    assert again["feedback"] == first["feedback"]
    assert await count_rows(org, "agent_feedback") == 1
    assert await count_rows(org, "feedback_idempotency_keys") == 1


async def test_a_late_retry_never_overwrites_a_newer_opinion(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    ref = {"agentId": "agent-l", "executionId": "exec-l"}
    await submit_ok(org, **ref, feedbackType="THUMBS_UP", idempotencyKey="k-up")
    await submit_ok(org, **ref, feedbackType="THUMBS_DOWN", idempotencyKey="k-down")
    retry = await submit_ok(org, **ref, feedbackType="THUMBS_UP", idempotencyKey="k-up")
    assert retry["feedback"]["feedbackType"] == "THUMBS_DOWN"
    listed = await feedback_of(org, "agent-l", "exec-l")
    assert [e["node"]["feedbackType"] for e in listed["feedback"]["edges"]] == ["THUMBS_DOWN"]


async def test_feedback_on_a_new_execution_of_a_known_agent_finds_the_agent_in_the_lookup(
    api: Api,
) -> None:
    """The execution lookup also returns the agent's id: no separate agent query (the hot path
    of feedback arriving before its execution)."""
    org = await api.org(Role.MEMBER)
    await submit_ok(org, agentId="known", executionId="first", feedbackType="THUMBS_UP")
    api.statements.reset()
    await submit_ok(org, agentId="known", executionId="second", feedbackType="THUMBS_UP")
    agent_queries = [s for s in api.statements.statements if s.lstrip().startswith("SELECT agents")]
    assert agent_queries == [], api.statements.statements
    assert await count_rows(org, "executions") == 2
