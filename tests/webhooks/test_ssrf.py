"""SSRF: private targets refused at endpoint creation and at delivery, DNS rebinding included."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from learnloop.domain.roles import Role
from learnloop.worker.webhooks import WebhookSender
from tests.conftest import Api, FakeDns, close_api, make_api
from tests.conftest import test_settings as settings_for_tests
from tests.webhooks.ops import CREATE, deliveries, endpoint, receiving

FEEDBACK = """mutation { submitFeedback(input: {agentId: "agent-s", executionId: "e1",
  feedbackType: THUMBS_UP}) { userErrors { code } } }"""


@pytest.fixture
async def strict(api: Api) -> AsyncIterator[Api]:
    """An API process on the same database that checks webhook targets, as in production."""
    built, engines = await make_api(api.target, webhook_allow_private=False)
    yield built
    await close_api(built, engines)


def dns(api: Api) -> FakeDns:
    resolver: FakeDns = api.app.state.learnloop.resolve_host
    return resolver


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/hook",
        "https://intranet.corp.test/hook",  # a name that resolves to a private address
        "https://split.test/hook",  # one public and one private answer: still refused
    ],
)
async def test_private_targets_are_refused_at_creation(strict: Api, url: str) -> None:
    dns(strict).names["intranet.corp.test"] = ["10.1.2.3"]
    dns(strict).names["split.test"] = ["93.184.215.14", "192.168.1.20"]
    org = await strict.org(Role.ADMIN)
    payload = (await org.gql(CREATE, {"input": {"url": url, "events": ["feedback.created"]}}))[
        "createWebhookEndpoint"
    ]
    assert payload["endpoint"] is None and payload["secret"] is None
    [error] = payload["userErrors"]
    assert (error["field"], error["code"]) == (["input", "url"], "NOT_ALLOWED")
    assert "non-public address" in error["message"]
    assert (await org.gql("{ webhookEndpoints { id } }"))["webhookEndpoints"] == []


async def test_public_and_not_yet_resolvable_names_are_accepted(strict: Api) -> None:
    org = await strict.org(Role.ADMIN)
    # Unresolvable now (a DNS record not published yet): accepted, delivery checks again.
    for url in ("https://example.com/hook", "https://not-published-yet.test/hook"):
        await endpoint(org, url, ["feedback.created"])
    assert {"example.com", "not-published-yet.test"} <= set(dns(strict).lookups)


async def test_a_name_rebound_to_loopback_after_creation_is_refused_at_delivery(
    strict: Api,
) -> None:
    async with receiving() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        dns(strict).names["rebind.test"] = ["93.184.215.14"]
        org = await strict.org(Role.ADMIN)
        await endpoint(org, f"http://rebind.test:{port}/hook", ["feedback.created"])
        await org.gql(FEEDBACK)
        # The attacker's DNS now answers with the address the receiver listens on.
        dns(strict).names["rebind.test"] = ["127.0.0.1"]
        cfg = settings_for_tests(webhook_allow_private=False, webhook_retry_seconds="0")
        await WebhookSender(strict.engine, cfg, resolver=dns(strict)).deliver_due()
        [log] = await deliveries(org)
        assert log["status"] == "PENDING" and log["attempts"] == 1
        assert (
            "refused: rebind.test resolves to the non-public address 127.0.0.1"
            in (log["lastError"])
        )
        assert receiver.calls == 0


async def test_delivery_connects_to_the_address_it_checked(api: Api) -> None:
    """One lookup per attempt, and the connection goes to its answer: the HTTP client never
    resolves the name itself (it could not: .test names exist only in the fake DNS)."""
    async with receiving() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        resolver = FakeDns()
        resolver.names["hooks.pinned.test"] = ["127.0.0.1"]
        org = await api.org(Role.ADMIN)
        await endpoint(org, f"http://hooks.pinned.test:{port}/hook", ["feedback.created"])
        await org.gql(FEEDBACK)
        cfg = settings_for_tests(webhook_allow_private=True)
        await WebhookSender(api.engine, cfg, resolver=resolver).deliver_due()
        assert resolver.lookups == ["hooks.pinned.test"]
        [(headers, _)] = receiver.got
        assert headers["host"] == f"hooks.pinned.test:{port}"
        assert (await deliveries(org))[0]["status"] == "DELIVERED"
