"""Stats at 10k / 100k / 1M feedback rows: latency must grow sub-linearly with the data.

Run alone: `.venv/bin/python -m bench.stats`.
"""

from __future__ import annotations

import asyncio
import os
import time

import asyncpg
import httpx

from bench import floor_sql
from bench.harness import Table, ratio, summary_ms
from bench.seeded import Seeded, seeded
from bench.servers import learnloop_server

SCALES = [int(s) for s in os.environ.get("BENCH_SCALES", "10000,100000,1000000").split(",")]
REPEATS = int(os.environ.get("BENCH_REPEATS", "40"))

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


async def ours(url: str, s: Seeded, query: str) -> tuple[float, float]:
    samples = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for i in range(REPEATS + 3):
            t = time.perf_counter()
            r = await client.post(
                "/graphql", json={"query": query}, headers={"authorization": f"Bearer {s.token}"}
            )
            elapsed = time.perf_counter() - t
            assert not r.json().get("errors"), r.text
            if i >= 3:  # warm-up
                samples.append(elapsed)
    return summary_ms(samples)


async def raw(s: Seeded, sql: str) -> tuple[float, float]:
    conn = await asyncpg.connect(s.db.asyncpg_dsn())
    samples = []
    for i in range(REPEATS + 3):
        t = time.perf_counter()
        async with conn.transaction():
            await conn.execute(floor_sql.SET_ORG, str(s.org_id))
            await conn.fetch(sql, s.agent_key)
        if i >= 3:
            samples.append(time.perf_counter() - t)
    await conn.close()
    return summary_ms(samples)


async def main() -> None:
    table = Table(
        "Stats for one agent as the data grows (sequential requests, ms)",
        [
            "query",
            "org feedback rows",
            "agent's rows",
            "learnloop p50",
            "p99",
            "raw SQL p50",
            "vs raw",
        ],
    )
    curve: dict[str, dict[int, float]] = {}
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
            with learnloop_server(s.db) as url:
                for name, query in QUERIES.items():
                    p50, p99 = await ours(url, s, query)
                    r50, _ = await raw(s, FLOOR[name])
                    curve.setdefault(name, {})[scale] = p50
                    table.add(name, f"{scale:,}", f"{agent_rows:,}", p50, p99, r50, ratio(p50, r50))
    for name, points in curve.items():
        lo, hi = min(points), max(points)
        if hi > lo:
            table.notes.append(
                f"{name}: {hi // lo}x the rows cost {ratio(points[hi], points[lo]):.1f}x the latency (target ≤ 10x at 1M vs 10k)."
            )
    table.publish()


if __name__ == "__main__":
    asyncio.run(main())
