"""A webhook receiver for tests, and helpers to create endpoints and read the delivery log."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from learnloop.worker.webhooks import WebhookSender
from tests.conftest import Api, OrgHandle
from tests.conftest import test_settings as settings_for_tests
from tests.training.ops import eventually

CREATE = """mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    endpoint { id url events } secret userErrors { field message code } } }"""


@dataclass
class Receiver:
    url: str
    fail_first: int = 0
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    calls: int = 0


@asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    """A webhook receiver on a free port, in this event loop; fails the first `fail_first`."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    state = Receiver(f"http://127.0.0.1:{port}/hook")

    async def hook(request: Request) -> Response:
        state.calls += 1
        if state.calls <= state.fail_first:
            return Response(status_code=500)
        state.got.append((dict(request.headers), await request.body()))
        return Response(status_code=204)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started)
    yield state
    server.should_exit = True
    await task


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks verification written from the spec, independent of learnloop."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return f"v1,{expected}" in headers["webhook-signature"].split(" ")


def sender(api: Api, **settings: Any) -> WebhookSender:
    """A delivering worker; it claims every due delivery in the database (tests share one)."""
    cfg = settings_for_tests(webhook_allow_private=True, webhook_retry_seconds="0,0", **settings)
    return WebhookSender(api.engine, cfg)


async def endpoint(org: OrgHandle, url: str, events: list[str]) -> tuple[str, str]:
    data = (await org.gql(CREATE, {"input": {"url": url, "events": events}}))[
        "createWebhookEndpoint"
    ]
    assert data["userErrors"] == []
    return data["endpoint"]["id"], data["secret"]


async def deliveries(org: OrgHandle) -> list[dict[str, Any]]:
    data = await org.gql(
        "{ webhookDeliveries { id eventType status attempts lastStatusCode lastError messageId } }"
    )
    found: list[dict[str, Any]] = data["webhookDeliveries"]
    return found
