"""Stats at 10k / 100k / 1M feedback rows: latency must grow sub-linearly with the data.

Run alone: `.venv/bin/python -m bench.stats`.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from bench import floor_sql, load
from bench.cpu import CpuMeter
from bench.harness import Table, ratio
from bench.ingest import graphql_headers
from bench.load import Drive
from bench.seeded import Seeded, seeded
from bench.servers import admin_dsn, learnloop_server

SCALES = [int(s) for s in os.environ.get("BENCH_SCALES", "10000,100000,1000000").split(",")]
SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))

QUERIES = {
    "feedbackStats": '{ feedbackStats(agentId: "agent-0") { totalFeedback avgRating satisfactionRate thumbsUpCount thumbsDownCount dimensionAverages { accuracy helpfulness clarity completeness } } }',
    "commonIssues": '{ commonIssues(agentId: "agent-0", limit: 5) { category count avgRating } }',
    "feedbackTrend": '{ feedbackTrend(agentId: "agent-0", bucket: DAY) { bucketStart stats { totalFeedback avgRating } } }',
}
FLOOR = {
    "feedbackStats": floor_sql.STATS,
    "commonIssues": floor_sql.ISSUES,
    "feedbackTrend": floor_sql.TREND,
}


@asynccontextmanager
async def raw_driver(s: Seeded, sql: str, seconds: float) -> AsyncIterator[Drive]:
    """The floor: the query's SQL on one asyncpg connection (app role, RLS on), sequentially."""
    conn = await asyncpg.connect(s.db.asyncpg_dsn())

    async def drive() -> tuple[int, int, float, list[float]]:
        samples: list[float] = []
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            t = time.perf_counter()
            async with conn.transaction():
                await conn.execute(floor_sql.SET_ORG, str(s.org_id))
                await conn.fetch(sql, s.agent_key)
            samples.append(time.perf_counter() - t)
        return len(samples), 0, time.perf_counter() - started, samples

    try:
        yield drive
    finally:
        await conn.close()


async def main() -> None:
    table = Table(
        "Stats for one agent as the data grows (1 client, sequential requests)",
        ["query", "org feedback rows", "agent's rows", *load.COLUMNS, "p50 vs raw SQL's"],
    )
    curve: dict[str, dict[int, tuple[int, float]]] = {}
    for scale in SCALES:
        async with seeded(scale) as s:
            conn = await asyncpg.connect(s.db.asyncpg_dsn(app_role=False))
            agent_rows = await conn.fetchval(
                "SELECT count(*) FROM agent_feedback f JOIN agents a ON a.id = f.agent_id "
                "WHERE a.org_id = $1 AND a.key = $2",
                s.org_id,
                s.agent_key,
            )
            await conn.close()
            with learnloop_server(s.db) as ours:
                meter = CpuMeter([ours.pid], admin_dsn(s.db), s.db.name)
                g = graphql_headers(s.token)
                for name, query in QUERIES.items():
                    body = json.dumps({"query": query})
                    await load.with_wrk(meter, "warm-up", f"{ours.url}/graphql", body, g, 1, 1)
                    m = await load.with_wrk(
                        meter, "learnloop", f"{ours.url}/graphql", body, g, 1, SECONDS
                    )
                    raw = await load.with_driver(
                        meter, "raw SQL", 1, raw_driver(s, FLOOR[name], SECONDS)
                    )
                    curve.setdefault(name, {})[scale] = (agent_rows, m.p50_ms)
                    cells = [name, f"{scale:,}", f"{agent_rows:,}"]
                    table.add(*cells, *m.cells(), ratio(m.p50_ms, raw.p50_ms))
                    table.add(*cells, *raw.cells(), "—")
    for name, points in curve.items():
        lo, hi = min(points), max(points)
        if hi > lo:
            (rows_lo, p50_lo), (rows_hi, p50_hi) = points[lo], points[hi]
            table.notes.append(
                f"{name}: {rows_hi / rows_lo:.0f}x the agent's rows ({rows_lo:,} → {rows_hi:,}) "
                f"cost {ratio(p50_hi, p50_lo):.1f}x the p50 (target ≤ 10x at 1M vs 10k)."
            )
    table.notes += [
        "- **learnloop**: the GraphQL query over HTTP (JWT and membership checks, one org-scoped "
        "transaction, RLS on).",
        "- **raw SQL**: the floor's one aggregate statement (floor_sql.STATS / ISSUES / TREND) "
        "after set_config, on one asyncpg connection as the app role (RLS on), no HTTP; its CPU "
        "column counts the bench process as client.",
    ]
    table.publish()


if __name__ == "__main__":
    asyncio.run(main())
