"""Webhooks end to end: outbox written with the change, signed deliveries, retries, two workers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from learnloop.domain import webhooks as webhook_rules
from learnloop.domain.roles import Role
from learnloop.resolvers import webhooks
from learnloop.storage.unit_of_work import unit_of_work
from learnloop.worker.webhooks import WebhookSender
from tests.conftest import Api
from tests.conftest import test_settings as settings_for_tests
from tests.webhooks.ops import CREATE, Receiver, deliveries, endpoint, receiving, sender, verified

FEEDBACK = """mutation($e: String!, $r: Int) { submitFeedback(input: {agentId: "agent-w",
  executionId: $e, feedbackType: STAR_RATING, rating: $r}) { feedback { id } userErrors { code } } }"""


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as state:
        yield state


async def test_feedback_created_is_delivered_signed(api: Api, receiver: Receiver) -> None:
    org = await api.org(Role.ADMIN)
    _, secret = await endpoint(org, receiver.url, ["feedback.created"])
    await org.gql(FEEDBACK, {"e": "e1", "r": 4})
    await sender(api).deliver_due()  # claims every due delivery (other tests' too)
    [(headers, body)] = receiver.got
    assert verified(secret, headers, body)
    doc = json.loads(body)
    assert doc["type"] == "feedback.created" and doc["data"]["rating"] == 4
    assert doc["data"]["executionId"] == "e1" and "timestamp" in doc
    [log] = await deliveries(org)
    assert (log["status"], log["attempts"], log["lastStatusCode"]) == ("DELIVERED", 1, 204)
    assert log["messageId"] == headers["webhook-id"]


async def test_a_receiver_failing_twice_gets_it_on_the_third_try(
    api: Api, receiver: Receiver
) -> None:
    org = await api.org(Role.ADMIN)
    _, secret = await endpoint(org, receiver.url, ["feedback.created"])
    await org.gql(FEEDBACK, {"e": "e1", "r": 2})
    receiver.fail_first = 2
    worker = sender(api)
    statuses = []
    for _ in range(3):
        await worker.deliver_due()
        statuses.append((await deliveries(org))[0]["status"])
    assert statuses == ["PENDING", "PENDING", "DELIVERED"]
    assert receiver.calls == 3 and len(receiver.got) == 1
    assert verified(secret, *receiver.got[0])


async def test_retries_run_out_and_redelivery_sends_again(api: Api, receiver: Receiver) -> None:
    org = await api.org(Role.ADMIN)
    await endpoint(org, receiver.url, ["feedback.created"])
    await org.gql(FEEDBACK, {"e": "e1", "r": 2})
    receiver.fail_first = 3
    worker = sender(api)
    for _ in range(4):
        await worker.deliver_due()
    [log] = await deliveries(org)
    assert (log["status"], log["attempts"], log["lastError"]) == ("FAILED", 3, "HTTP 500")
    again = await org.gql(
        "mutation($id: ID!) { redeliverWebhook(input: {deliveryId: $id}) "
        "{ delivery { status } userErrors { code } } }",
        {"id": log["id"]},
    )
    assert again["redeliverWebhook"]["delivery"]["status"] == "PENDING"
    await worker.deliver_due()
    assert (await deliveries(org))[0]["status"] == "DELIVERED"
    assert len(receiver.got) == 1


async def test_rolled_back_and_replayed_changes_deliver_nothing(
    api: Api, receiver: Receiver
) -> None:
    org = await api.org(Role.ADMIN)
    await endpoint(org, receiver.url, ["feedback.created"])
    refused = await org.gql(FEEDBACK, {"e": "e1", "r": 9})
    assert refused["submitFeedback"]["userErrors"][0]["code"] == "OUT_OF_RANGE"
    # The outbox row is written, then the transaction fails: neither survives.
    happened = webhook_rules.event("feedback.created", datetime.now(UTC), {"id": "x"})
    with pytest.raises(RuntimeError):
        async with unit_of_work(api.engine, org.org_id) as uow:
            await webhooks.emit(uow, [happened])
            assert await uow.scalar(text("SELECT count(*) FROM webhook_deliveries")) == 1
            raise RuntimeError("the change failed after its event was written")
    assert await deliveries(org) == []
    # A replay (same idempotency key) stores nothing new and emits nothing new.
    idem = (
        'mutation { submitFeedback(input: {agentId: "agent-w", executionId: "e4", '
        'feedbackType: THUMBS_UP, idempotencyKey: "k"}) { feedback { id } } }'
    )
    await org.gql(idem)
    await org.gql(idem)
    assert [d["eventType"] for d in await deliveries(org)] == ["feedback.created"]
    await sender(api).deliver_due()  # claims every due delivery (other tests' too)
    assert len(receiver.got) == 1


async def test_two_workers_deliver_each_event_exactly_once(api: Api, receiver: Receiver) -> None:
    org = await api.org(Role.ADMIN)
    await endpoint(org, receiver.url, ["feedback.created"])
    items = ", ".join(
        f'{{agentId: "agent-w", executionId: "e{i}", feedbackType: THUMBS_UP}}' for i in range(40)
    )
    await org.gql(
        f"mutation {{ submitFeedbackBatch(input: {{items: [{items}]}}) {{ storedCount }} }}"
    )
    second_engine = create_async_engine(api.target.app_url)
    try:
        cfg = settings_for_tests(webhook_allow_private=True)
        one, two = (
            WebhookSender(api.engine, cfg, batch=5),
            WebhookSender(second_engine, cfg, batch=5),
        )

        async def drain(worker: WebhookSender) -> None:
            while await worker.deliver_due():
                pass

        await asyncio.gather(drain(one), drain(two), drain(one), drain(two))
    finally:
        await second_engine.dispose()
    ids = [h["webhook-id"] for h, _ in receiver.got]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert one.counters["webhook_deliveries"] > 0 and two.counters["webhook_deliveries"] > 0


async def test_private_targets_are_refused_unless_allowed(api: Api, receiver: Receiver) -> None:
    org = await api.org(Role.ADMIN)
    await endpoint(org, receiver.url, ["feedback.created"])
    await org.gql(FEEDBACK, {"e": "e1", "r": 3})
    strict = WebhookSender(
        api.engine, settings_for_tests(webhook_retry_seconds="0", webhook_allow_private=False)
    )
    await strict.deliver_due()
    [log] = await deliveries(org)
    assert log["status"] == "PENDING" and "127.0.0.1" in log["lastError"]
    assert receiver.calls == 0


async def test_endpoints_need_admin_and_valid_input(api: Api) -> None:
    org = await api.org(Role.ADMIN)
    bad = (await org.gql(CREATE, {"input": {"url": "ftp://x", "events": ["nope"]}}))[
        "createWebhookEndpoint"
    ]
    assert sorted(e["field"][-1] for e in bad["userErrors"]) == ["events", "url"]
    member = await org.user(Role.MANAGER)
    body = await member.raw("{ webhookEndpoints { id } }")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    endpoint_id, first = await endpoint(org, "https://example.com/h", ["dataset.frozen"])
    rotated = await org.gql(
        "mutation($id: ID!) { rotateWebhookSecret(input: {id: $id}) { secret userErrors { code } } }",
        {"id": endpoint_id},
    )
    assert rotated["rotateWebhookSecret"]["secret"].startswith("whsec_")
    assert rotated["rotateWebhookSecret"]["secret"] != first
    listed = await org.gql("{ webhookEndpoints { id url events } }")
    assert listed["webhookEndpoints"] == [
        {"id": endpoint_id, "url": "https://example.com/h", "events": ["dataset.frozen"]}
    ]
    deleted = await org.gql(
        "mutation($id: ID!) { deleteWebhookEndpoint(input: {id: $id}) { deleted } }",
        {"id": endpoint_id},
    )
    assert deleted["deleteWebhookEndpoint"]["deleted"] is True
    assert (await org.gql("{ webhookEndpoints { id } }"))["webhookEndpoints"] == []
