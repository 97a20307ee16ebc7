"""Idempotency keys belong to an author, or to one widget token: never to the whole organisation."""

from __future__ import annotations

import asyncio

from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.feedback.ops import CREATE_TOKEN, SUBMIT, count_rows, submit_ok

REF = {"agentId": "agent-k", "executionId": "exec-k"}


async def test_two_people_with_one_key_each_keep_their_own_feedback(api: Api) -> None:
    alice = await api.org(Role.MEMBER)
    bob = await alice.user(Role.MEMBER)
    mine = await submit_ok(alice, **REF, feedbackType="THUMBS_UP", idempotencyKey="req-1")
    theirs = await submit_ok(bob, **REF, feedbackType="THUMBS_DOWN", idempotencyKey="req-1")
    assert theirs["feedback"]["id"] != mine["feedback"]["id"]
    assert theirs["feedback"]["feedbackType"] == "THUMBS_DOWN"
    assert theirs["feedback"]["authorKey"] == f"user:{bob.user_id}"
    assert await count_rows(alice, "agent_feedback") == 2
    # Each one's retry still returns their own first result and writes nothing.
    again = await submit_ok(bob, **REF, feedbackType="THUMBS_UP", idempotencyKey="req-1")
    assert again["feedback"] == theirs["feedback"]
    assert await count_rows(alice, "feedback_idempotency_keys") == 2


async def test_concurrent_people_with_one_key_are_both_stored(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    people = [org, *[await org.user(Role.MEMBER) for _ in range(4)]]
    results = await asyncio.gather(
        *[
            submit_ok(p, **REF, feedbackType="STAR_RATING", rating=1 + i, idempotencyKey="same")
            for i, p in enumerate(people)
        ]
    )
    assert sorted(r["feedback"]["rating"] for r in results) == [1, 2, 3, 4, 5]
    assert await count_rows(org, "agent_feedback") == 5


async def test_a_widget_token_cannot_read_feedback_through_a_reused_key(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    other = {"agentId": "agent-k", "executionId": "exec-other"}
    secret = await submit_ok(
        org, **other, feedbackType="CORRECTION", correctionText="PRIVATE", idempotencyKey="k-7"
    )
    issued = await org.gql(CREATE_TOKEN, {"input": {**REF, "endUserId": "visitor"}})
    token = issued["createFeedbackToken"]["token"]
    body = await api.gql(
        SUBMIT, {"input": {**REF, "feedbackType": "THUMBS_UP", "idempotencyKey": "k-7"}}, token
    )
    feedback = body["submitFeedback"]["feedback"]
    assert feedback["id"] != secret["feedback"]["id"]
    assert feedback["authorKey"] == "enduser:visitor"
    assert "PRIVATE" not in str(body)
    assert await count_rows(org, "agent_feedback") == 2


async def test_tokens_of_one_end_user_on_two_executions_do_not_share_keys(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    refs = [REF, {"agentId": "agent-k", "executionId": "exec-2"}]
    tokens = []
    for ref in refs:
        issued = await org.gql(CREATE_TOKEN, {"input": {**ref, "endUserId": "same-visitor"}})
        tokens.append(issued["createFeedbackToken"]["token"])
    ids = []
    for ref, token in zip(refs, tokens, strict=True):
        body = await api.gql(
            SUBMIT, {"input": {**ref, "feedbackType": "THUMBS_DOWN", "idempotencyKey": "w"}}, token
        )
        assert body["submitFeedback"]["feedback"] is not None
        ids.append(body["submitFeedback"]["feedback"]["id"])
    assert ids[0] != ids[1]
    # The relaying agent's own use of the key is its own, too.
    relayed = await submit_ok(
        org, **REF, feedbackType="THUMBS_UP", endUserId="same-visitor", idempotencyKey="w"
    )
    assert relayed["feedback"]["feedbackType"] == "THUMBS_UP"
    assert await count_rows(org, "agent_feedback") == 2
