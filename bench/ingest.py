"""Ingestion: submitFeedback at 1/8/32/128 clients and submitFeedbackBatch(100) at 1/8/32, each
against its HTTP floor and its raw floor at the same concurrency, in one run.

Every request carries a key no other request of any run used (run id + wrk thread + counter), so
each success must insert one new execution and one new feedback row; after every measurement the
rows are counted and must equal the successes (plus at most the requests in flight at the stop).
Run alone: `.venv/bin/python -m bench ingest` (after `make bench` installed wrk).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from bench import floor_sql, load, statements
from bench.cpu import CpuMeter
from bench.harness import Table
from bench.load import Drive, Measured
from bench.servers import (
    BenchDb,
    admin_dsn,
    analyze,
    bench_database,
    create_pool,
    floor_server,
    learnloop_server,
)
from learnloop.domain.roles import Role
from learnloop.domain.tokens import issue_user_token
from learnloop.storage.identity import admin_ensure_org_and_user

CLIENTS = (1, 8, 32, 128)
BATCH_CLIENTS = (1, 8, 32)
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
BATCH = 100
AGENT = "bench-agent"

SUBMIT_QUERY = (
    "mutation($i: SubmitFeedbackInput!) { submitFeedback(input: $i) "
    "{ feedback { id } userErrors { code field message } } }"
)
BATCH_QUERY = (
    "mutation($i: SubmitFeedbackBatchInput!) { submitFeedbackBatch(input: $i) "
    "{ storedCount userErrors { code field message } } }"
)
SUBMIT_ITEM = {"agentId": AGENT, "executionId": "{key}", "feedbackType": "THUMBS_UP"}
BATCH_ITEMS = [
    {"agentId": AGENT, "executionId": f"{{key}}-{n}", "feedbackType": "STAR_RATING", "rating": 4}
    for n in range(BATCH)
]
SUBMIT = json.dumps({"query": SUBMIT_QUERY, "variables": {"i": SUBMIT_ITEM}})
FLOOR_SUBMIT = json.dumps(SUBMIT_ITEM)
BATCH_BODY = json.dumps({"query": BATCH_QUERY, "variables": {"i": {"items": BATCH_ITEMS}}})
FLOOR_BATCH_BODY = json.dumps({"items": BATCH_ITEMS})

SINGLE_SIDES = {
    "learnloop": "`submitFeedback` over HTTP: JWT check, membership (role) check, rate-limit "
    "check, GraphQL parse/validate (cached) and execution, {n} SQL statements in one org-scoped "
    "transaction as the app role (RLS on), webhook outbox check, JSON response.",
    "HTTP floor": "Starlette route + asyncpg pool (10): json.loads, one transaction as the app role "
    "(RLS on): `set_config(app.org_id)` + one CTE upserting agent, stub execution and feedback; "
    "JSONResponse (json.dumps). No auth (org from a header), no rate limit, no GraphQL.",
    "raw floor": "The HTTP floor's two statements from asyncpg tasks in the bench process (pool "
    "10, same concurrency), no HTTP, no JSON.",
}
BATCH_SIDES = {
    "learnloop": "`submitFeedbackBatch` of 100 over HTTP (auth, role, rate limit, GraphQL, "
    "{n} SQL statements, RLS on).",
    "HTTP floor": "Starlette + asyncpg: set_config + one CTE over unnest() arrays of 100 items "
    "(RLS on), no auth.",
    "raw floor": "The same two statements from asyncpg tasks in the bench process, no HTTP.",
}


async def org_and_token(db: BenchDb, role: Role = Role.MEMBER) -> tuple[str, str]:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(db.target.owner_url)
    async with engine.begin() as conn:
        org_id, user_id = await admin_ensure_org_and_user(
            conn, org_slug=f"bench-{uuid.uuid4().hex[:6]}", email="bench@example.com", role=role
        )
    await engine.dispose()
    token = issue_user_token(db.tokens, user_id=user_id, org_id=org_id, role=role, ttl=7200)
    return str(org_id), token


def graphql_headers(token: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


def floor_headers(token: str, org: str) -> dict[str, str]:
    return {**graphql_headers(token), "X-Org": org}


@asynccontextmanager
async def raw_driver(
    db: BenchDb, org: str, clients: int, batch: bool, run_id: str
) -> AsyncIterator[Drive]:
    """The raw floor: `clients` asyncpg tasks over a pool of 10 for SECONDS."""
    pool = await create_pool(db.asyncpg_dsn(), 10)

    async def drive() -> tuple[int, int, float, list[float]]:
        ok = failed = 0
        samples: list[float] = []
        deadline = time.perf_counter() + SECONDS

        async def client(n: int) -> None:
            nonlocal ok, failed
            i = 0
            while time.perf_counter() < deadline:
                i += 1
                key = f"{run_id}-{n}-{i}"
                started = time.perf_counter()
                try:
                    async with pool.acquire() as conn:
                        if batch:
                            items = [
                                {
                                    "agentId": AGENT,
                                    "executionId": f"{key}-{k}",
                                    "feedbackType": "STAR_RATING",
                                    "rating": 4,
                                }
                                for k in range(BATCH)
                            ]
                            await floor_sql.submit_feedback_batch(conn, org, items)
                        else:
                            item = {
                                "agentId": AGENT,
                                "executionId": key,
                                "feedbackType": "THUMBS_UP",
                            }
                            await floor_sql.submit_feedback(conn, org, item)
                    ok += 1
                except asyncpg.PostgresError:
                    failed += 1
                samples.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        return ok, failed, time.perf_counter() - started, samples

    try:
        yield drive
    finally:
        await pool.close()


async def stored_rows(db: BenchDb, run_id: str) -> int:
    conn = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
    try:
        n: int = await conn.fetchval(
            "SELECT count(*) FROM agent_feedback f JOIN executions e ON e.id = f.execution_id "
            "WHERE e.key LIKE $1",
            f"{run_id}-%",
        )
        return n
    finally:
        await conn.close()


def rows_match(rows: int, ok: int, per_request: int, unanswered: int) -> bool:
    """Each success stored its rows; a request wrk never saw answered may have stored its too."""
    return 0 <= rows - ok * per_request <= unanswered * per_request


async def check_rows(db: BenchDb, m: Measured, per_request: int, checks: list[str]) -> None:
    """Rows inserted must equal successes (+ at most what was in flight when wrk stopped)."""
    await asyncio.sleep(0.5)  # let requests in flight at wrk's stop finish
    rows = await stored_rows(db, m.run_id)
    expected = m.ok * per_request
    in_flight = m.unanswered
    slack = rows - expected
    verdict = "ok" if rows_match(rows, m.ok, per_request, in_flight) else "MISMATCH"
    line = (
        f"{m.side} at {m.clients}: {rows:,} rows stored for {m.ok:,} successes x {per_request} "
        f"({slack:+,}; {in_flight} requests in flight at the stop) — {verdict}"
    )
    print("  rows:", line)
    checks.append(line)


async def measure_single(
    db: BenchDb,
    meter: CpuMeter,
    ours: str,
    floor: str,
    token: str,
    org: str,
    table: Table,
    checks: list[str],
) -> dict[int, dict[str, Measured]]:
    found: dict[int, dict[str, Measured]] = {}
    for clients in CLIENTS:
        m_ours = await load.with_wrk(
            meter, "learnloop", f"{ours}/graphql", SUBMIT, graphql_headers(token), clients, SECONDS
        )
        await check_rows(db, m_ours, 1, checks)
        m_floor = await load.with_wrk(
            meter,
            "HTTP floor",
            f"{floor}/floor/feedback",
            FLOOR_SUBMIT,
            floor_headers(token, org),
            clients,
            SECONDS,
        )
        await check_rows(db, m_floor, 1, checks)
        run_id = uuid.uuid4().hex[:10]
        m_raw = await load.with_driver(
            meter, "raw floor", clients, raw_driver(db, org, clients, False, run_id), run_id
        )
        await check_rows(db, m_raw, 1, checks)
        load.add(table, m_ours, m_floor, m_raw)
        load.add(table, m_floor, None, m_raw)
        load.add(table, m_raw, None, None)
        found[clients] = {"learnloop": m_ours, "HTTP floor": m_floor, "raw floor": m_raw}
    return found


async def measure_batch(
    db: BenchDb,
    meter: CpuMeter,
    ours: str,
    floor: str,
    token: str,
    org: str,
    table: Table,
    checks: list[str],
) -> None:
    for clients in BATCH_CLIENTS:
        m_ours = await load.with_wrk(
            meter,
            "learnloop",
            f"{ours}/graphql",
            BATCH_BODY,
            graphql_headers(token),
            clients,
            SECONDS,
        )
        await check_rows(db, m_ours, BATCH, checks)
        m_floor = await load.with_wrk(
            meter,
            "HTTP floor",
            f"{floor}/floor/feedback_batch",
            FLOOR_BATCH_BODY,
            floor_headers(token, org),
            clients,
            SECONDS,
        )
        await check_rows(db, m_floor, BATCH, checks)
        run_id = uuid.uuid4().hex[:10]
        m_raw = await load.with_driver(
            meter, "raw floor", clients, raw_driver(db, org, clients, True, run_id), run_id
        )
        await check_rows(db, m_raw, BATCH, checks)
        load.add(table, m_ours, m_floor, m_raw, scale=BATCH)
        load.add(table, m_floor, None, m_raw, scale=BATCH)
        load.add(table, m_raw, None, None, scale=BATCH)


def sides_note(sides: dict[str, str], n: int) -> list[str]:
    return [f"- **{side}**: {text.format(n=n)}" for side, text in sides.items()]


async def warm_up(meter: CpuMeter, ours: str, floor: str, token: str, org: str) -> None:
    """Both sides serve a few seconds first (imports, pools, caches), both untimed."""
    await load.with_wrk(meter, "warm-up", f"{ours}/graphql", SUBMIT, graphql_headers(token), 4, 3)
    await load.with_wrk(
        meter, "warm-up", f"{floor}/floor/feedback", FLOOR_SUBMIT, floor_headers(token, org), 4, 3
    )


async def main() -> None:
    async with bench_database() as db:
        org, token = await org_and_token(db)
        n_single, n_batch = await statements.count(
            db,
            token,
            [
                {
                    "query": SUBMIT_QUERY,
                    "variables": {
                        "i": {
                            "agentId": AGENT,
                            "executionId": "stmt-1",
                            "feedbackType": "THUMBS_UP",
                        }
                    },
                },
                {
                    "query": BATCH_QUERY,
                    "variables": {
                        "i": {
                            "items": [
                                {
                                    "agentId": AGENT,
                                    "executionId": f"stmt-b-{k}",
                                    "feedbackType": "STAR_RATING",
                                    "rating": 4,
                                }
                                for k in range(BATCH)
                            ]
                        }
                    },
                },
            ],
        )
        checks: list[str] = []
        with learnloop_server(db) as ours, floor_server(db) as floor:
            meter = CpuMeter([ours.pid, floor.pid], admin_dsn(db), db.name)
            await warm_up(meter, ours.url, floor.url, token, org)
            # Steady state: the planner has seen the tables, as autovacuum would have by now.
            await analyze(db)
            single = Table(
                "Ingestion: submitFeedback (one THUMBS_UP on a new execution per request)",
                [*load.COLUMNS, "vs HTTP floor", "vs raw floor"],
            )
            await measure_single(db, meter, ours.url, floor.url, token, org, single, checks)
            single.notes += sides_note(SINGLE_SIDES, n_single)
            single.notes.append(
                "Target: learnloop ≥ 0.50 of the HTTP floor at 32 clients; 0 failures at 128."
            )
            single.notes.append(rows_note(checks))
            single.publish()
            checks.clear()
            batch = Table(
                f"Ingestion: submitFeedbackBatch of {BATCH} (ok req/s shown as rows/s)",
                [*load.COLUMNS, "vs HTTP floor", "vs raw floor"],
            )
            await measure_batch(db, meter, ours.url, floor.url, token, org, batch, checks)
            batch.notes += sides_note(BATCH_SIDES, n_batch)
            batch.notes.append("Target: learnloop batch rows/s ≥ 0.50 of the raw floor's.")
            batch.notes.append(rows_note(checks))
            batch.publish()


def rows_note(checks: list[str]) -> str:
    return "Rows stored per measurement (unique keys, counted after each run):\n\n" + "\n".join(
        f"- {c}" for c in checks
    )


if __name__ == "__main__":
    asyncio.run(main())
