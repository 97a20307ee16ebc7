"""Feedback tokens: a browser widget may submitFeedback on one execution and nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from learnloop.domain.roles import Role
from learnloop.domain.tokens import issue_feedback_token
from tests.conftest import Api, OrgHandle
from tests.feedback.ops import CREATE_TOKEN, RECORD, SUBMIT, SUBMIT_BATCH, count_rows

REF = {"agentId": "agent-w", "executionId": "exec-w"}


async def widget_token(org: OrgHandle, **more: Any) -> str:
    data = await org.gql(CREATE_TOKEN, {"input": {**REF, **more}})
    payload = data["createFeedbackToken"]
    assert payload["userErrors"] == [] and payload["expiresAt"]
    token: str = payload["token"]
    return token


async def test_token_submits_feedback_on_its_execution_as_the_end_user(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    token = await widget_token(org, endUserId="visitor-9")
    body = await api.raw(SUBMIT, {"input": {**REF, "feedbackType": "THUMBS_DOWN"}}, token)
    feedback = body["data"]["submitFeedback"]["feedback"]
    assert feedback["authorKey"] == "enduser:visitor-9"
    assert await count_rows(org, "agent_feedback") == 1


async def test_widget_and_relayed_opinions_of_one_end_user_are_one(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    token = await widget_token(org, endUserId="visitor-1")
    await api.gql(SUBMIT, {"input": {**REF, "feedbackType": "THUMBS_UP"}}, token)
    relayed = {**REF, "feedbackType": "THUMBS_DOWN", "endUserId": "visitor-1"}
    await org.gql(SUBMIT, {"input": relayed})
    assert await count_rows(org, "agent_feedback") == 1


async def test_token_for_another_execution_is_forbidden(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    token = await widget_token(org)
    other = {"agentId": "agent-w", "executionId": "exec-other", "feedbackType": "THUMBS_UP"}
    body = await api.raw(SUBMIT, {"input": other}, token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None
    assert await count_rows(org, "agent_feedback") == 0
    assert await count_rows(org, "executions") == 0


async def test_token_cannot_claim_another_end_user(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    token = await widget_token(org, endUserId="me")
    body = await api.raw(
        SUBMIT, {"input": {**REF, "feedbackType": "THUMBS_UP", "endUserId": "someone-else"}}, token
    )
    errors = body["data"]["submitFeedback"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["input", "endUserId"], "NOT_ALLOWED")]
    assert await count_rows(org, "agent_feedback") == 0


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ("{ viewer { role } }", {}),
        ('{ agent(key: "agent-w") { id } }', {}),
        ("{ feedbackStats { totalFeedback } }", {}),
        (RECORD, {"input": REF}),
        (SUBMIT_BATCH, {"input": {"items": [{**REF, "feedbackType": "THUMBS_UP"}]}}),
        (CREATE_TOKEN, {"input": REF}),
    ],
)
async def test_token_allows_nothing_else(
    api: Api, document: str, variables: dict[str, Any]
) -> None:
    org = await api.org(Role.MEMBER)
    token = await widget_token(org)
    body = await api.raw(document, variables, token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_expired_token_is_unauthenticated(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    token = issue_feedback_token(
        api.tokens,
        org_id=org.org_id,
        agent_key="agent-w",
        execution_key="exec-w",
        end_user_id=None,
        ttl=-5,
    )
    body = await api.raw(SUBMIT, {"input": {**REF, "feedbackType": "THUMBS_UP"}}, token)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_viewer_cannot_create_tokens(api: Api) -> None:
    org = await api.org(Role.VIEWER)
    body = await org.raw(CREATE_TOKEN, {"input": REF})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("seconds", [0, 59, 86_401])
async def test_token_lifetime_is_bounded(api: Api, seconds: int) -> None:
    org = await api.org(Role.MEMBER)
    data = await org.gql(CREATE_TOKEN, {"input": {**REF, "expiresInSeconds": seconds}})
    payload = data["createFeedbackToken"]
    assert payload["token"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "expiresInSeconds"], "OUT_OF_RANGE")
    ]
