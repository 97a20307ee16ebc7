"""Annotation claims: 50 concurrent experts claiming until the queue is empty; zero double claims.

Run alone: `.venv/bin/python -m bench.claims` (BENCH_EXAMPLES, default 5000).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import time
import uuid

import asyncpg
import httpx

from bench import floor_sql
from bench.cpu import CpuMeter, CpuUse
from bench.harness import Table, ratio
from bench.servers import (
    BenchDb,
    admin_dsn,
    bench_database,
    create_pool,
    floor_server,
    learnloop_server,
)
from learnloop.domain.roles import Role
from learnloop.domain.tokens import issue_user_token

EXPERTS = int(os.environ.get("BENCH_EXPERTS", "50"))
EXAMPLES = int(os.environ.get("BENCH_EXAMPLES", "5000"))
CLAIM = "mutation { claimAnnotationTask(input: {}) { example { id } leaseExpiresAt userErrors { code message } } }"


async def setup(db: BenchDb) -> tuple[str, list[tuple[uuid.UUID, str]]]:
    conn = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
    try:
        org = await conn.fetchval(
            "INSERT INTO organizations (slug, name, settings) VALUES ($1, 'claims', $2::jsonb) RETURNING id",
            f"claims-{uuid.uuid4().hex[:6]}",
            json.dumps({"maxLeasesPerExpert": 100_000}),
        )
        experts = []
        for i in range(EXPERTS):
            uid = await conn.fetchval(
                "INSERT INTO users (email) VALUES ($1) RETURNING id",
                f"e{i}-{uuid.uuid4().hex[:6]}@x.example",
            )
            await conn.execute(
                "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'EXPERT')",
                org,
                uid,
            )
            experts.append(
                (
                    uid,
                    issue_user_token(
                        db.tokens, user_id=uid, org_id=org, role=Role.EXPERT, ttl=3600
                    ),
                )
            )
    finally:
        await conn.close()
    return str(org), experts


async def refill(db: BenchDb, org: str) -> None:
    conn = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
    try:
        await conn.execute("DELETE FROM learning_examples WHERE org_id = $1::uuid", org)
        await conn.execute(
            "INSERT INTO learning_examples (org_id, example_type, input_text, expected_output, priority, created_at) "
            "SELECT $1::uuid, 'CORRECTION', 'q' || g, 'a' || g, (g % 7), now() - g * interval '1 second' "
            "FROM generate_series(1, $2) g",
            org,
            EXAMPLES,
        )
        await conn.execute("ANALYZE learning_examples")
    finally:
        await conn.close()


async def claim_over_http(
    url: str, experts: list[tuple[uuid.UUID, str]], org: str | None = None
) -> tuple[float, list[str]]:
    """Each expert claims until nothing is left; with `org`, through the HTTP floor instead."""
    claimed: list[str] = []
    limits = httpx.Limits(max_connections=EXPERTS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def expert(uid: uuid.UUID, token: str) -> None:
            while True:
                if org is None:
                    r = await client.post(
                        "/graphql",
                        json={"query": CLAIM},
                        headers={"authorization": f"Bearer {token}"},
                    )
                else:
                    r = await client.post(
                        "/floor/claim", headers={"x-org": org, "x-user": str(uid)}
                    )
                payload = r.json()["data"]["claimAnnotationTask"]
                assert not payload["userErrors"], payload
                if payload["example"] is None:
                    return
                claimed.append(payload["example"]["id"])

        started = time.perf_counter()
        await asyncio.gather(*(expert(uid, t) for uid, t in experts))
    return len(claimed) / (time.perf_counter() - started), claimed


async def claim_raw(
    pool: asyncpg.Pool, org: str, experts: list[tuple[uuid.UUID, str]]
) -> tuple[float, list[uuid.UUID]]:
    """Opened before and closed after the CPU snapshots, so its backends are counted."""
    claimed: list[uuid.UUID] = []

    async def expert(uid: uuid.UUID) -> None:
        while True:
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT set_config('app.org_id', $1, true)", org)
                got = await conn.fetchval(floor_sql.CLAIM, uid)
            if got is None:
                return
            claimed.append(got)

    started = time.perf_counter()
    await asyncio.gather(*(expert(uid) for uid, _ in experts))
    return len(claimed) / (time.perf_counter() - started), claimed


def doubles(ids: list[object]) -> int:
    return sum(n - 1 for n in collections.Counter(ids).values() if n > 1)


async def main() -> None:
    async with bench_database() as db:
        org, experts = await setup(db)
        pool = await create_pool(db.asyncpg_dsn(), 10)
        with learnloop_server(db) as ours, floor_server(db) as floor:
            meter = CpuMeter([ours.pid, floor.pid], admin_dsn(db), db.name)
            runs: list[tuple[str, float, list[object], CpuUse]] = []
            for name, claim in (
                (
                    "learnloop claimAnnotationTask over HTTP",
                    lambda: claim_over_http(ours.url, experts),
                ),
                (
                    "HTTP floor (same claim SQL, Starlette + asyncpg, no auth, RLS on)",
                    lambda: claim_over_http(floor.url, experts, org),
                ),
                (
                    "raw asyncpg SKIP LOCKED claim (pool 10, no HTTP)",
                    lambda: claim_raw(pool, org, experts),
                ),
            ):
                await refill(db, org)
                before = await meter.start()
                rate, ids = await claim()  # type: ignore[operator]
                runs.append((name, rate, list(ids), await meter.stop(before)))
        await pool.close()
    table = Table(
        f"Annotation claims: {EXPERTS} concurrent experts draining {EXAMPLES:,} pending examples",
        [
            "path",
            "claims/s",
            "claimed",
            "double claims",
            "CPU ms/claim server + PG",
            "experts' CPU (cores)",
            "others' CPU (cores)",
            "load1",
            "vs HTTP floor",
            "vs raw floor",
        ],
    )
    http_rate, raw_rate = runs[1][1], runs[2][1]
    for name, rate, ids, use in runs:
        server, pg = use.per_request_ms(len(ids))
        table.add(
            name,
            rate,
            len(ids),
            doubles(ids),
            f"{server:.2f} + {pg:.2f}",
            use.client / use.wall,
            use.others_cores,
            use.load1,
            ratio(rate, http_rate),
            ratio(rate, raw_rate),
        )
    table.notes.append(
        "The experts are httpx clients in the bench process (50 at once, same 2 cores). "
        "Target: zero double claims; claims/s ≥ 0.5 of the floor doing the same claim."
    )
    table.publish()


if __name__ == "__main__":
    asyncio.run(main())
