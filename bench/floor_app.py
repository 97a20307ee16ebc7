"""The HTTP floor: minimal Starlette endpoints running the same SQL as learnloop with plain asyncpg.

Served by the same uvicorn settings as learnloop, it answers what the hardware, the driver and
HTTP cost, without GraphQL, auth or our layering. Each endpoint mirrors one benchmarked operation.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench import floor_sql

POOL_SIZE = int(os.environ.get("LEARNLOOP_DB_POOL_SIZE", "10"))
_pool: Any = None
_listener: Any = None
# Subscription floor: every socket that subscribed, with the id it subscribed under.
_subscribers: dict[WebSocket, str] = {}
RUN_STATE = "SELECT id, status, progress FROM training_runs WHERE id = $1::uuid"


@asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    global _pool, _listener
    _pool = await asyncpg.create_pool(
        os.environ["BENCH_DSN"], min_size=POOL_SIZE, max_size=POOL_SIZE
    )
    _listener = await asyncpg.connect(os.environ["BENCH_DSN"])
    await _listener.add_listener("learnloop_training_runs", _on_run_changed)
    yield
    await _listener.close()
    await _pool.close()


def _on_run_changed(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
    import asyncio

    ids = json.loads(payload)
    asyncio.get_running_loop().create_task(_broadcast(ids["org"], ids["run"]))


async def _broadcast(org: str, run: str) -> None:
    """One read of the run (RLS on), one serialisation, the same text to every subscriber."""
    async with _pool.acquire() as conn, conn.transaction():
        await conn.execute(floor_sql.SET_ORG, org)
        row = await conn.fetchrow(RUN_STATE, run)
    if row is None:
        return
    data = {"id": str(row["id"]), "status": row["status"], "progress": row["progress"]}
    by_id: dict[str, str] = {}
    for ws, sub_id in list(_subscribers.items()):
        text = by_id.get(sub_id)
        if text is None:
            text = by_id[sub_id] = json.dumps(
                {"id": sub_id, "type": "next", "payload": {"data": {"trainingRunsUpdated": data}}}
            )
        try:
            await ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError):
            _subscribers.pop(ws, None)


async def subscriptions(ws: WebSocket) -> None:
    """The least of graphql-transport-ws a subscriber needs: ack, then `next` messages. No auth."""
    await ws.accept(subprotocol="graphql-transport-ws")
    try:
        while True:
            msg = json.loads(await ws.receive_text())
            if msg.get("type") == "connection_init":
                await ws.send_text('{"type":"connection_ack"}')
            elif msg.get("type") == "subscribe":
                _subscribers[ws] = msg["id"]
    except WebSocketDisconnect:
        _subscribers.pop(ws, None)


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def feedback(request: Request) -> Response:
    body = json.loads(await request.body())
    async with _pool.acquire() as conn:
        row = await floor_sql.submit_feedback(conn, request.headers["x-org"], body)
    return JSONResponse(
        {"data": {"submitFeedback": {"feedback": {"id": str(row)}, "userErrors": []}}}
    )


async def feedback_batch(request: Request) -> Response:
    body = json.loads(await request.body())
    async with _pool.acquire() as conn:
        ids = await floor_sql.submit_feedback_batch(conn, request.headers["x-org"], body["items"])
    return JSONResponse(
        {"data": {"submitFeedbackBatch": {"storedCount": len(ids), "userErrors": []}}}
    )


async def nested(request: Request) -> Response:
    async with _pool.acquire() as conn:
        data = await floor_sql.nested_read(conn, request.headers["x-org"])
    return JSONResponse({"data": data})


async def examples(request: Request) -> Response:
    async with _pool.acquire() as conn:
        data = await floor_sql.examples_read(conn, request.headers["x-org"])
    return JSONResponse({"data": data})


async def dataset_page(request: Request) -> Response:
    async with _pool.acquire() as conn:
        data = await floor_sql.dataset_page(
            conn, request.headers["x-org"], request.query_params["dataset"]
        )
    return JSONResponse({"data": data})


async def examples_page(request: Request) -> Response:
    async with _pool.acquire() as conn:
        data = await floor_sql.examples_page(conn, request.headers["x-org"])
    return JSONResponse({"data": data})


async def stats(request: Request) -> Response:
    async with _pool.acquire() as conn:
        data = await floor_sql.stats(conn, request.headers["x-org"], request.query_params["agent"])
    return JSONResponse({"data": data})


async def claim(request: Request) -> Response:
    async with _pool.acquire() as conn:
        got = await floor_sql.claim(conn, request.headers["x-org"], request.headers["x-user"])
    example = {"id": str(got)} if got else None
    return JSONResponse({"data": {"claimAnnotationTask": {"example": example, "userErrors": []}}})


async def agent_config(request: Request) -> Response:
    body = json.loads(await request.body())
    async with _pool.acquire() as conn:
        data = await floor_sql.agent_config(
            conn, request.headers["x-org"], body["agentId"], body["unitId"]
        )
    return JSONResponse({"data": {"agentConfig": data}})


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/floor/feedback", feedback, methods=["POST"]),
        Route("/floor/feedback_batch", feedback_batch, methods=["POST"]),
        Route("/floor/nested", nested),
        Route("/floor/examples", examples),
        Route("/floor/dataset_page", dataset_page),
        Route("/floor/examples_page", examples_page),
        Route("/floor/stats", stats),
        Route("/floor/claim", claim, methods=["POST"]),
        Route("/floor/agent_config", agent_config, methods=["POST"]),
        WebSocketRoute("/floor/subscriptions", subscriptions),
    ],
    lifespan=lifespan,
)
