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
from starlette.routing import Route

from bench import floor_sql

POOL_SIZE = int(os.environ.get("LEARNLOOP_DB_POOL_SIZE", "10"))
_pool: Any = None


@asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    global _pool
    _pool = await asyncpg.create_pool(
        os.environ["BENCH_DSN"], min_size=POOL_SIZE, max_size=POOL_SIZE
    )
    yield
    await _pool.close()


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
        Route("/floor/stats", stats),
        Route("/floor/claim", claim, methods=["POST"]),
        Route("/floor/agent_config", agent_config, methods=["POST"]),
    ],
    lifespan=lifespan,
)
