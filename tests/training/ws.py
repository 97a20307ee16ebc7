"""A GraphQL-over-WebSocket test client (graphql-transport-ws, or legacy graphql-ws)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from httpx import AsyncClient
from httpx_ws import AsyncWebSocketSession, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


class Session:
    def __init__(self, ws: AsyncWebSocketSession, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_text(json.dumps(message))

    async def receive(self, within: float = 10) -> dict[str, Any]:
        """The next message, skipping legacy keep-alives; normalised to graphql-transport-ws names."""
        deadline = time.monotonic() + within
        while True:
            message: dict[str, Any] = json.loads(
                await self.ws.receive_text(timeout=max(0.01, deadline - time.monotonic()))
            )
            kind = message.get("type")
            if kind == "ka":
                continue
            if self.protocol == LEGACY_WS and kind == "data":
                message["type"] = "next"
            return message

    async def init(self, token: str | None) -> dict[str, Any]:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def subscribe(
        self, op_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self.send(
            {"id": op_id, "type": kind, "payload": {"query": query, "variables": variables or {}}}
        )

    async def stop(self, op_id: str) -> None:
        await self.send(
            {"id": op_id, "type": "complete" if self.protocol == TRANSPORT_WS else "stop"}
        )


@asynccontextmanager
async def graphql_ws(
    app: Any, token: str | None, protocol: str = TRANSPORT_WS
) -> AsyncIterator[Session]:
    async with (
        AsyncClient(transport=ASGIWebSocketTransport(app), base_url="http://testserver") as client,
        aconnect_ws("/graphql", client, subprotocols=[protocol]) as ws,
    ):
        session = Session(ws, protocol)
        ack = await session.init(token)
        assert ack["type"] == "connection_ack", ack
        yield session
