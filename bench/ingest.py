"""Ingestion: submitFeedback at 1/8/32/128 clients and submitFeedbackBatch(100), against both floors.

Run alone: `.venv/bin/python -m bench.ingest` (after `make bench` installed wrk).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid

import asyncpg

from bench import floor_sql, wrk
from bench.harness import Table, ratio
from bench.servers import BenchDb, analyze, bench_database, floor_server, learnloop_server
from learnloop.domain.roles import Role
from learnloop.domain.tokens import issue_user_token
from learnloop.storage.identity import admin_ensure_org_and_user

CLIENTS = (1, 8, 32, 128)
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
BATCH = 100

SUBMIT = (
    '{"query":"mutation($i: SubmitFeedbackInput!) { submitFeedback(input: $i) { feedback { id } userErrors { code } } }",'
    '"variables":{"i":{"agentId":"bench-agent","executionId":"exec-%d","feedbackType":"THUMBS_UP"}}}'
)
FLOOR_SUBMIT = '{"agentId":"bench-agent","executionId":"exec-%d","feedbackType":"THUMBS_UP"}'


def batch_body(graphql: bool) -> tuple[str, int]:
    items = ",".join(
        f'{{"agentId":"bench-agent","executionId":"b%d-{n}","feedbackType":"STAR_RATING","rating":4}}'
        for n in range(BATCH)
    )
    if graphql:
        body = (
            '{"query":"mutation($i: SubmitFeedbackBatchInput!) { submitFeedbackBatch(input: $i) { storedCount userErrors { code } } }",'
            f'"variables":{{"i":{{"items":[{items}]}}}}}}'
        )
    else:
        body = f'{{"items":[{items}]}}'
    # Lua's string.format needs every %d filled: the counter repeats once per item.
    return body, BATCH


def lua_multi(body: str, repeats: int, token: str, org: str | None = None) -> str:
    escaped = body.replace("\\", "\\\\").replace('"', '\\"')
    header = f'["X-Org"] = "{org}",' if org else ""
    args = ", ".join(["counter"] * repeats)
    return f"""
local counter = 0
local thread_id = 0
setup = function(thread) thread:set("thread_id", thread_id); thread_id = thread_id + 1 end
init = function(args) counter = thread_id * 100000000 end
request = function()
  counter = counter + 1
  local body = string.format("{escaped}", {args})
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json", {header}
    ["Authorization"] = "Bearer {token}"}}, body)
end
"""


async def org_and_token(db: BenchDb, role: Role = Role.MEMBER) -> tuple[str, str]:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(db.target.owner_url)
    async with engine.begin() as conn:
        org_id, user_id = await admin_ensure_org_and_user(
            conn,
            org_slug=f"bench-{uuid.uuid4().hex[:6]}",
            email="bench@example.com",
            role=role,
        )
    await engine.dispose()
    token = issue_user_token(db.tokens, user_id=user_id, org_id=org_id, role=role, ttl=3600 * 4)
    return str(org_id), token


async def raw_floor(db: BenchDb, org: str, clients: int, batch: bool) -> float:
    """Requests/s of the same SQL from `clients` tasks over an asyncpg pool of the app's size."""
    pool = await asyncpg.create_pool(db.asyncpg_dsn(), min_size=min(clients, 10), max_size=10)
    done = 0
    deadline = time.perf_counter() + SECONDS / 2
    prefix = uuid.uuid4().hex[:6]

    async def client(n: int) -> None:
        nonlocal done
        i = 0
        while time.perf_counter() < deadline:
            i += 1
            async with pool.acquire() as conn:
                if batch:
                    items = [
                        {
                            "agentId": "bench-agent",
                            "executionId": f"r{prefix}-{n}-{i}-{k}",
                            "feedbackType": "STAR_RATING",
                            "rating": 4,
                        }
                        for k in range(BATCH)
                    ]
                    await floor_sql.submit_feedback_batch(conn, org, items)
                else:
                    await floor_sql.submit_feedback(
                        conn,
                        org,
                        {
                            "agentId": "bench-agent",
                            "executionId": f"r{prefix}-{n}-{i}",
                            "feedbackType": "THUMBS_UP",
                        },
                    )
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    await pool.close()
    return done / elapsed


async def main() -> None:
    async with bench_database() as db:
        org, token = await org_and_token(db)
        single = Table(
            "Ingestion: submitFeedback (one THUMBS_UP on a new execution per request)",
            [
                "clients",
                "learnloop req/s",
                "p50 ms",
                "p99 ms",
                "HTTP floor req/s",
                "floor p50",
                "floor p99",
                "raw floor req/s",
                "vs HTTP floor",
                "vs raw floor",
                "errors",
            ],
        )
        with learnloop_server(db) as ours_url, floor_server(db) as floor_url:
            # Warm up (a table of thousands of executions), then let the planner see it: a
            # never-analyzed table makes PostgreSQL pick the wrong index (see RESULTS.md).
            body, repeats = batch_body(graphql=True)
            wrk.run(f"{ours_url}/graphql", lua_multi(body, repeats, token), 4, 3)
            await analyze(db)
            for clients in CLIENTS:
                ours = wrk.run(f"{ours_url}/graphql", lua_multi(SUBMIT, 1, token), clients, SECONDS)
                floor = wrk.run(
                    f"{floor_url}/floor/feedback",
                    lua_multi(FLOOR_SUBMIT, 1, token, org),
                    clients,
                    SECONDS,
                )
                raw = await raw_floor(db, org, clients, batch=False)
                single.add(
                    clients,
                    ours.requests_per_s,
                    ours.p50_ms,
                    ours.p99_ms,
                    floor.requests_per_s,
                    floor.p50_ms,
                    floor.p99_ms,
                    raw,
                    ratio(ours.requests_per_s, floor.requests_per_s),
                    ratio(ours.requests_per_s, raw),
                    ours.errors + floor.errors,
                )
            single.notes.append("Target: ≥ 0.50 of the HTTP floor at 32 clients.")
            single.publish()

            batch = Table(
                f"Ingestion: submitFeedbackBatch of {BATCH} (rows/s)",
                [
                    "clients",
                    "learnloop rows/s",
                    "p50 ms",
                    "p99 ms",
                    "HTTP floor rows/s",
                    "raw floor rows/s",
                    "vs HTTP floor",
                    "vs raw floor",
                    "errors",
                ],
            )
            for clients in (1, 8, 32):
                body, repeats = batch_body(graphql=True)
                ours = wrk.run(
                    f"{ours_url}/graphql", lua_multi(body, repeats, token), clients, SECONDS
                )
                fbody, frepeats = batch_body(graphql=False)
                floor = wrk.run(
                    f"{floor_url}/floor/feedback_batch",
                    lua_multi(fbody, frepeats, token, org),
                    clients,
                    SECONDS,
                )
                raw = await raw_floor(db, org, clients, batch=True)
                batch.add(
                    clients,
                    ours.requests_per_s * BATCH,
                    ours.p50_ms,
                    ours.p99_ms,
                    floor.requests_per_s * BATCH,
                    raw * BATCH,
                    ratio(ours.requests_per_s, floor.requests_per_s),
                    ratio(ours.requests_per_s, raw),
                    ours.errors + floor.errors,
                )
            batch.notes.append("Target: batch rows/s ≥ 0.30 of the raw floor.")
            batch.publish()
        await verify_counts(db, org)


async def verify_counts(db: BenchDb, org: str) -> None:
    """Sanity: every request stored a row (no silent failures inflating throughput)."""
    conn = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
    total = await conn.fetchval("SELECT count(*) FROM agent_feedback WHERE org_id = $1::uuid", org)
    await conn.close()
    print(json.dumps({"feedback_rows_written": total}))


if __name__ == "__main__":
    asyncio.run(main())
