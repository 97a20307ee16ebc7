"""WebSocket connections authenticate in connection_init and are refused otherwise."""

from __future__ import annotations

import json

from httpx import AsyncClient
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from learnloop.domain.roles import Role
from tests.conftest import Api


async def _init(api: Api, payload: dict | None, protocol: str = "graphql-transport-ws") -> dict:
    """The server's answer to connection_init: its first message, or {"closed": code}."""
    reply: dict = {}
    try:
        async with (
            AsyncClient(
                transport=ASGIWebSocketTransport(api.app), base_url="http://testserver"
            ) as client,
            aconnect_ws("/graphql", client, subprotocols=[protocol]) as ws,
        ):
            await ws.send_text(json.dumps({"type": "connection_init", "payload": payload or {}}))
            try:
                reply = json.loads(await ws.receive_text(timeout=5))
            except WebSocketDisconnect as exc:
                reply = {"closed": exc.code}
    except* WebSocketDisconnect as group:
        reply = reply or {"closed": group.exceptions[0].code}  # type: ignore[attr-defined]
    return reply


async def test_connection_without_token_is_refused(api: Api) -> None:
    assert await _init(api, {}) == {"closed": 4403}


async def test_connection_with_bad_token_is_refused(api: Api) -> None:
    assert await _init(api, {"authorization": "Bearer not-a-token"}) == {"closed": 4403}


async def test_connection_with_token_is_acknowledged(api: Api) -> None:
    org = await api.org(Role.VIEWER)
    ack = await _init(api, {"authorization": f"Bearer {org.token}"})
    assert ack.get("type") == "connection_ack", ack
