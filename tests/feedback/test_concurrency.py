"""Concurrent submissions against the real app: stored exactly once, never failing, no deadlocks."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.feedback.ops import CREATE_TOKEN, SUBMIT, count_rows


async def test_200_concurrent_submissions_are_all_stored_exactly_once(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    # 100 opinions of one user on 100 new executions of 5 new agents: agents and stubs are
    # created by racing requests...
    own = [
        {"agentId": f"agent-{i % 5}", "executionId": f"exec-{i}", "feedbackType": "THUMBS_UP"}
        for i in range(100)
    ]
    # ...and 100 end users (widget tokens) on one shared new execution.
    tokens = []
    for i in range(100):
        data = await org.gql(
            CREATE_TOKEN,
            {"input": {"agentId": "agent-0", "executionId": "shared", "endUserId": f"u{i}"}},
        )
        tokens.append(data["createFeedbackToken"]["token"])
    shared = {"agentId": "agent-0", "executionId": "shared", "feedbackType": "STAR_RATING"}

    async def send(variables: dict[str, Any], token: str) -> dict[str, Any]:
        return await api.raw(SUBMIT, {"input": variables}, token)

    calls = [send(v, org.token) for v in own]
    calls += [send({**shared, "rating": 1 + i % 5}, t) for i, t in enumerate(tokens)]
    bodies = await asyncio.gather(*calls)
    assert all(not b.get("errors") for b in bodies), [
        b["errors"] for b in bodies if b.get("errors")
    ]
    payloads = [b["data"]["submitFeedback"] for b in bodies]
    assert all(p["userErrors"] == [] for p in payloads)
    assert len({p["feedback"]["id"] for p in payloads}) == 200
    assert await count_rows(org, "agent_feedback") == 200
    assert await count_rows(org, "agents") == 5
    assert await count_rows(org, "executions") == 101


async def test_50_concurrent_duplicates_of_one_idempotency_key_store_one_row(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    variables = {
        "input": {
            "agentId": "agent-dup",
            "executionId": "exec-dup",
            "feedbackType": "CORRECTION",
            "correctionText": "the fix",
            "idempotencyKey": "client-retry-7",
        }
    }
    bodies = await asyncio.gather(*[org.raw(SUBMIT, variables) for _ in range(50)])
    assert all(not b.get("errors") for b in bodies)
    ids = {b["data"]["submitFeedback"]["feedback"]["id"] for b in bodies}
    examples = {b["data"]["submitFeedback"]["learningExample"]["id"] for b in bodies}
    assert len(ids) == 1 and len(examples) == 1
    assert await count_rows(org, "agent_feedback") == 1
    assert await count_rows(org, "learning_examples") == 1
    assert await count_rows(org, "feedback_idempotency_keys") == 1


async def test_concurrent_changes_of_one_opinion_leave_one_record(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    kinds = ["THUMBS_UP", "THUMBS_DOWN"] * 25
    bodies = await asyncio.gather(
        *[
            org.raw(
                SUBMIT,
                {"input": {"agentId": "agent-f", "executionId": "exec-f", "feedbackType": k}},
            )
            for k in kinds
        ]
    )
    assert all(not b.get("errors") for b in bodies)
    assert len({b["data"]["submitFeedback"]["feedback"]["id"] for b in bodies}) == 1
    assert await count_rows(org, "agent_feedback") == 1


async def test_concurrent_overlapping_batches_do_not_deadlock(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    from tests.feedback.ops import SUBMIT_BATCH

    def items(order: range) -> list[dict[str, Any]]:
        return [
            {"agentId": "agent-o", "executionId": f"e{i}", "feedbackType": "THUMBS_UP"}
            for i in order
        ]

    bodies = await asyncio.gather(
        *[
            org.raw(SUBMIT_BATCH, {"input": {"items": items(r)}})
            for r in [range(40), range(39, -1, -1)] * 5
        ]
    )
    assert all(not b.get("errors") for b in bodies), [b.get("errors") for b in bodies]
    assert await count_rows(org, "agent_feedback") == 40


async def test_a_correction_racing_the_recording_of_its_stub_gets_the_input(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    stub = {"agentId": "agent-race", "executionId": "exec-race"}
    await org.gql(SUBMIT, {"input": {**stub, "feedbackType": "THUMBS_UP"}})
    other = await org.user(Role.MEMBER)
    async with api.engine.connect() as conn:  # a recordExecution caught mid-transaction
        tx = await conn.begin()
        await conn.execute(
            text("SELECT set_config('app.org_id', :o, true)"), {"o": str(org.org_id)}
        )
        await conn.execute(
            text(
                "UPDATE executions SET input = 'Q?', output = 'A.', is_stub = false"
                " WHERE key = 'exec-race'"
            )
        )
        correction = {**stub, "feedbackType": "CORRECTION", "correctionText": "B."}
        pending = asyncio.create_task(other.raw(SUBMIT, {"input": correction}))
        await asyncio.sleep(0.5)
        assert not pending.done()  # it waits for the recording instead of reading the stub
        await tx.commit()
        body = await pending
    example = body["data"]["submitFeedback"]["learningExample"]
    assert (example["inputText"], example["originalOutput"]) == ("Q?", "A.")
