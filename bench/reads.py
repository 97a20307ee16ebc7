"""Nested reads at 10k and 1M feedback rows: latency vs both floors, statements per request.

Run alone: `.venv/bin/python -m bench.reads`.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import create_async_engine

from bench import floor_sql, wrk
from bench.harness import Table, ratio, summary_ms
from bench.seeded import Seeded, seeded
from bench.servers import floor_server, learnloop_server
from learnloop.app import create_app
from learnloop.config import Settings

SECONDS = int(os.environ.get("BENCH_SECONDS", "6"))
SCALES = [int(s) for s in os.environ.get("BENCH_SCALES", "10000,1000000").split(",")]

NESTED = """{ agents(first: 20) { edges { node { key executions(first: 20) { edges { node { key input output
  feedback(first: 10) { edges { node { feedbackType rating feedbackText createdAt } } } } } } } } } }"""
EXAMPLES = """{ learningExamples(first: 100) { edges { node { exampleType inputText expectedOutput reviewStatus
  qualityScore annotations(first: 5) { edges { node { approved technicalAccuracy clarity } } }
  datasets(first: 5) { edges { node { split weight dataset { name version } } } } } } } }"""

READS = {
    "agents→executions→feedback (20x20x10)": (NESTED, "/floor/nested", floor_sql.nested_read),
    "learningExamples(100){annotations, datasets}": (
        EXAMPLES,
        "/floor/examples",
        floor_sql.examples_read,
    ),
}


def lua_post(body: str, token: str, org: str) -> str:
    escaped = (
        json.dumps(body)[1:-1].replace('"', '\\"')
        if False
        else body.replace("\\", "\\\\").replace('"', '\\"')
    )
    return f"""
wrk.method = "POST"
wrk.body = "{escaped}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["X-Org"] = "{org}"
"""


def lua_get(token: str, org: str) -> str:
    return f"""
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["X-Org"] = "{org}"
"""


async def statements_per_request(s: Seeded, query: str, variants: list[str]) -> list[int]:
    """SQL statements one request runs, counted in-process on the real app."""
    engine = create_async_engine(s.db.target.app_url, pool_size=2)
    counted = {"n": 0}
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda *a: counted.__setitem__("n", counted["n"] + 1),
    )
    app = create_app(
        Settings(jwt_secret=s.db.tokens.secret, database_url="postgresql://unused/x"), engine=engine
    )
    counts = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://x"
    ) as client:
        for q in [query, *variants]:
            counted["n"] = 0
            r = await client.post(
                "/graphql", json={"query": q}, headers={"authorization": f"Bearer {s.token}"}
            )
            assert not r.json().get("errors"), r.text
            counts.append(counted["n"])
    await engine.dispose()
    return counts


async def raw_latency(s: Seeded, fn: object, n: int = 60) -> tuple[float, float]:
    conn = await asyncpg.connect(s.db.asyncpg_dsn())
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        await fn(conn, str(s.org_id))  # type: ignore[operator]
        samples.append(time.perf_counter() - t)
    await conn.close()
    return summary_ms(samples)


async def main() -> None:
    table = Table(
        "Nested reads (8 clients; latency ms)",
        [
            "read",
            "rows",
            "learnloop p50",
            "p99",
            "HTTP floor p50",
            "p99",
            "raw floor p50",
            "vs HTTP floor (p50)",
            "vs raw (p50)",
            "statements (page 5 / full)",
        ],
    )
    by_scale: dict[str, dict[int, float]] = {}
    for scale in SCALES:
        async with seeded(scale) as s:
            with learnloop_server(s.db) as ours_url, floor_server(s.db) as floor_url:
                for name, (query, floor_path, floor_fn) in READS.items():
                    small = query.replace("first: 20", "first: 5").replace("first: 100", "first: 5")
                    counts = await statements_per_request(s, query, [small])
                    ours = wrk.run(
                        f"{ours_url}/graphql",
                        lua_post(json.dumps({"query": query}), s.token, str(s.org_id)),
                        8,
                        SECONDS,
                    )
                    floor = wrk.run(
                        f"{floor_url}{floor_path}", lua_get(s.token, str(s.org_id)), 8, SECONDS
                    )
                    raw50, _ = await raw_latency(s, floor_fn)
                    by_scale.setdefault(name, {})[scale] = ours.p50_ms
                    table.add(
                        name,
                        f"{scale:,}",
                        ours.p50_ms,
                        ours.p99_ms,
                        floor.p50_ms,
                        floor.p99_ms,
                        raw50,
                        ratio(ours.p50_ms, floor.p50_ms),
                        ratio(ours.p50_ms, raw50),
                        f"{counts[1]} / {counts[0]}",
                    )
    for name, points in by_scale.items():
        if len(points) >= 2:
            lo, hi = min(points), max(points)
            table.notes.append(
                f"{name}: p50 at {hi:,} rows is {ratio(points[hi], points[lo]):.2f}x its p50 at {lo:,} (target ≤ 1.5x)."
            )
    table.notes.append(
        "Targets: p50 ≤ 3x the HTTP floor; statement count equal for page 5 and the full page."
    )
    table.publish()


if __name__ == "__main__":
    asyncio.run(main())
