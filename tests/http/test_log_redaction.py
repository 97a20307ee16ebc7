"""No credential reaches the log on any error path, and errors do not stall the event loop."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
import structlog
from httpx import AsyncClient
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from learnloop.domain.roles import Role
from learnloop.http.graphql_view import LearnloopGraphQL
from learnloop.logging import configure_logging
from learnloop.resolvers.errors import ErrorReporting, LearnloopSchema
from tests.conftest import Api


@strawberry.type
class BrokenQuery:
    @strawberry.field
    def boom(self, info: strawberry.Info) -> str:
        authorization = info.context.authorization  # a local a rich traceback would print
        raise RuntimeError(f"resolver failed for {authorization}")


async def broken_route(request: Request) -> Response:
    headers = dict(request.headers)
    raise RuntimeError(f"route failed with {headers}")


@pytest.fixture
def console_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    # Console rendering is where rich used to print locals; JSON is checked in test_secrets.
    configure_logging("INFO", json=False)
    yield capsys
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()
    logging.setLogRecordFactory(logging.LogRecord)


def add_broken_routes(api: Api) -> None:
    state = api.app.state.learnloop
    schema = LearnloopSchema(query=BrokenQuery, extensions=[ErrorReporting])
    api.app.router.routes[:0] = [
        Route("/broken", broken_route),
        Route("/broken-graphql", LearnloopGraphQL(state, schema=schema), methods=["POST"]),
    ]


async def ws_init(api: Api, authorization: str) -> Any:
    reply = None
    try:
        async with (
            AsyncClient(
                transport=ASGIWebSocketTransport(api.app), base_url="http://testserver"
            ) as client,
            aconnect_ws("/graphql", client, subprotocols=["graphql-transport-ws"]) as ws,
        ):
            init = {"type": "connection_init", "payload": {"authorization": authorization}}
            await ws.send_text(json.dumps(init))
            reply = await ws.receive_text(timeout=5)
    except* WebSocketDisconnect:
        pass
    return reply


async def test_no_secret_in_the_log_on_any_error_path(
    api: Api, console_logs: pytest.CaptureFixture[str]
) -> None:
    add_broken_routes(api)
    admin = await api.org(Role.ADMIN)
    created = await admin.gql(
        'mutation { createApiKey(input: {name: "log", role: MEMBER}) { secret } }'
    )
    key = created["createApiKey"]["secret"]
    header, payload, signature = admin.token.split(".")
    bad_jwt = f"{header}.{payload}.{signature[::-1]}"
    bad_key = "ll_" + "Z" * 43
    secrets = [key, admin.token, bad_jwt, bad_key, f"{header}.{payload}"]

    for token in secrets[:4]:
        auth = {"authorization": f"Bearer {token}"}
        # Unauthenticated malformed request, failing route, failing resolver, auth refusals.
        await api.client.post(
            "/graphql",
            content=b'{"query": "{',
            headers={**auth, "content-type": "application/json"},
        )
        assert (await api.client.get("/broken", headers=auth)).status_code == 500
        await api.client.post("/broken-graphql", json={"query": "{ boom }"}, headers=auth)
        await api.client.post("/graphql", json={"query": "{ viewer { role } }"}, headers=auth)
        await api.client.post(
            "/graphql", json={"query": "{ apiKeys(first: 1) { totalCount } }"}, headers=auth
        )
        await ws_init(api, f"Bearer {token}")
    # Libraries log through the stdlib (uvicorn, sqlalchemy): the same redaction applies.
    try:
        raise ValueError(f"handshake with {key}")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("request %s failed", f"Bearer {bad_jwt}")

    logged = console_logs.readouterr()
    text = logged.err + logged.out
    assert "graphql.unexpected_error" in text and "http.unhandled_error" in text
    assert "Traceback (most recent call last)" in text and "[redacted]" in text
    for secret in secrets:
        assert secret not in text
    assert "╭" not in text and "│" not in text  # plain tracebacks: no rich panels with locals


async def test_refusals_are_info_without_traceback(
    api: Api, console_logs: pytest.CaptureFixture[str]
) -> None:
    viewer = await api.org(Role.VIEWER)
    console_logs.readouterr()
    await api.raw("{ viewer { role } }", token="not-a-token")
    await api.raw("{ apiKeys(first: 1) { totalCount } }", token=viewer.token)  # FORBIDDEN
    text = console_logs.readouterr().err
    refused = [line for line in text.splitlines() if "graphql.refused" in line]
    # Console or JSON rendering (structlog caches loggers configured by earlier tests).
    levels = [("[info" in line or '"level": "info"' in line) for line in refused]
    assert len(refused) == 2 and all(levels), text
    assert "Traceback" not in text and "[error" not in text and '"level": "error"' not in text


async def test_errors_do_not_stall_the_event_loop(
    api: Api, console_logs: pytest.CaptureFixture[str]
) -> None:
    add_broken_routes(api)
    org = await api.org(Role.VIEWER)
    auth = {"authorization": f"Bearer {org.token}"}

    async def bad() -> None:
        await api.client.post("/broken-graphql", json={"query": "{ boom }"}, headers=auth)
        await api.client.get("/broken", headers=auth)

    async def healthz_while(work: asyncio.Future[Any]) -> float:
        """The slowest /healthz answer while `work` runs (the wait for the loop included)."""
        slowest = 0.0
        while not work.done():
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            assert (await api.client.get("/healthz")).status_code == 200
            slowest = max(slowest, time.perf_counter() - started)
        return slowest

    await bad()  # warm up imports and caches
    work = asyncio.gather(*[bad() for _ in range(8)])
    started = time.perf_counter()
    slowest = await healthz_while(work)
    await work
    total = time.perf_counter() - started
    print(f"16 failing requests: {total * 1000:.0f} ms; slowest /healthz {slowest * 1000:.0f} ms")
    # Rich tracebacks blocked the loop 0.3-1.7 s per error (60 s for these 16 with locals);
    # plain ones take milliseconds. The bounds leave room for a loaded 2-core CI machine.
    assert slowest < 2.0 and total < 3.0
