"""WebSocket input: malformed messages close with 4400, a subscribe that does not parse gets an
`error` message, and a socket holds at most N subscriptions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect

from learnloop.domain.roles import Role
from learnloop.storage.database import DatabaseTarget
from tests.conftest import Api, close_api, make_api
from tests.training.ws import graphql_ws

RUNS = "subscription { trainingRunsUpdated { id } }"


@pytest.fixture
async def ws_api(db: DatabaseTarget) -> AsyncIterator[Api]:
    built, engines = await make_api(db, max_subscriptions_per_socket=2)
    yield built
    await close_api(built, engines)


async def _session(
    api: Api, token: str, protocol: str, script: Any
) -> tuple[list[dict[str, Any]], int | None]:
    """Run `script(ws)` after the handshake; the messages it collected and the close code."""
    received: list[dict[str, Any]] = []
    closed: int | None = None
    try:
        async with graphql_ws(api.app, token, protocol) as session:
            try:
                await script(session.ws, received)
            except WebSocketDisconnect as exc:
                closed = exc.code
    except* WebSocketDisconnect as group:
        closed = closed or group.exceptions[0].code  # type: ignore[attr-defined]
    return received, closed


async def _receive(ws: AsyncWebSocketSession, into: list[dict[str, Any]]) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await ws.receive_text(timeout=5))
    into.append(message)
    return message


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[1, 2]",
        '"subscribe"',
        '{"type": 7}',
        '{"type": "launch"}',
        '{"type": "subscribe", "id": "1"}',
        '{"type": "subscribe", "id": 1, "payload": {"query": "subscription { x }"}}',
        '{"type": "subscribe", "id": "1", "payload": {"query": 5}}',
        '{"type": "subscribe", "id": "1", "payload": {"query": "{ __typename }", "variables": [1]}}',
        '{"type": "complete"}',
        "[" * 5000 + "]" * 5000,
    ],
)
async def test_malformed_messages_close_with_4400(api: Api, raw: str) -> None:
    org = await api.org(Role.VIEWER)

    async def script(ws: AsyncWebSocketSession, received: list[dict[str, Any]]) -> None:
        await ws.send_text(raw)
        await _receive(ws, received)

    received, closed = await _session(api, org.token, "graphql-transport-ws", script)
    assert closed == 4400, received


async def test_legacy_protocol_closes_malformed_messages_with_4400(api: Api) -> None:
    org = await api.org(Role.VIEWER)

    async def script(ws: AsyncWebSocketSession, received: list[dict[str, Any]]) -> None:
        await ws.send_text('{"type": "launch"}')
        await _receive(ws, received)

    _, closed = await _session(api, org.token, "graphql-ws", script)
    assert closed == 4400


async def test_syntax_error_is_an_error_message_and_the_socket_lives_on(api: Api) -> None:
    org = await api.org(Role.VIEWER)

    async def script(ws: AsyncWebSocketSession, received: list[dict[str, Any]]) -> None:
        bad = {"type": "subscribe", "id": "bad", "payload": {"query": "subscription {"}}
        await ws.send_text(json.dumps(bad))
        await _receive(ws, received)
        good = {"type": "subscribe", "id": "ok", "payload": {"query": "{ viewer { role } }"}}
        await ws.send_text(json.dumps(good))
        await _receive(ws, received)

    received, closed = await _session(api, org.token, "graphql-transport-ws", script)
    assert closed is None
    assert received[0]["type"] == "error" and received[0]["id"] == "bad"
    assert "Syntax Error" in received[0]["payload"][0]["message"]
    assert received[1] == {
        "id": "ok",
        "type": "next",
        "payload": {"data": {"viewer": {"role": "VIEWER"}}},
    }


async def test_a_socket_holds_at_most_n_subscriptions(ws_api: Api) -> None:
    org = await ws_api.org(Role.VIEWER)

    async def script(ws: AsyncWebSocketSession, received: list[dict[str, Any]]) -> None:
        for n in range(3):
            message = {"type": "subscribe", "id": f"s{n}", "payload": {"query": RUNS}}
            await ws.send_text(json.dumps(message))
        await _receive(ws, received)
        await ws.send_text(json.dumps({"type": "complete", "id": "s0"}))
        again = {"type": "subscribe", "id": "s3", "payload": {"query": RUNS}}
        await ws.send_text(json.dumps(again))
        await ws.send_text(json.dumps({"type": "ping"}))
        await _receive(ws, received)

    received, closed = await _session(ws_api, org.token, "graphql-transport-ws", script)
    assert closed is None
    assert received[0]["type"] == "error" and received[0]["id"] == "s2"
    assert "limit" in received[0]["payload"][0]["message"].lower()
    # A freed slot can be used again: no error for s3 before the pong.
    assert received[1] == {"type": "pong"}


@pytest.mark.parametrize(
    "run_id",
    ["%%% not base64", "Og==", "VHJhaW5pbmdSdW46bm90LWEtdXVpZA==", "RGF0YXNldDox"],
)
async def test_malformed_subscription_ids_are_not_found_not_internal(api: Api, run_id: str) -> None:
    org = await api.org(Role.VIEWER)

    async def script(ws: AsyncWebSocketSession, received: list[dict[str, Any]]) -> None:
        query = "subscription($id: ID!) { trainingRunUpdated(runId: $id) { id } }"
        payload = {"query": query, "variables": {"id": run_id}}
        await ws.send_text(json.dumps({"type": "subscribe", "id": "s1", "payload": payload}))
        while True:
            message = await _receive(ws, received)
            if message.get("type") in ("error", "complete", "next"):
                return

    received, closed = await _session(api, org.token, "graphql-transport-ws", script)
    assert closed is None, received
    codes = [
        error.get("extensions", {}).get("code")
        for message in received
        for error in (
            message.get("payload")
            if isinstance(message.get("payload"), list)
            else (message.get("payload") or {}).get("errors") or []
        )
    ]
    assert "INTERNAL_SERVER_ERROR" not in codes, received
    assert codes and set(codes) <= {"NOT_FOUND"}, received
