"""The nested read agents(20) → executions(20) → feedback(10) at 10k and 1M feedback rows, against
its HTTP floor at the same concurrency (1 and 8 clients), with statements per request.

Run alone: `.venv/bin/python -m bench reads` (BENCH_SCALES, default 10000,1000000).
"""

from __future__ import annotations

import asyncio
import json
import os

from bench import load, statements
from bench.cpu import CpuMeter
from bench.harness import Table, ratio
from bench.ingest import floor_headers, graphql_headers
from bench.seeded import AGENTS, seeded
from bench.servers import admin_dsn, floor_server, learnloop_server

SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))
SCALES = [int(s) for s in os.environ.get("BENCH_SCALES", "10000,1000000").split(",")]

NESTED = (
    "{ agents(first: 20) { edges { node { key executions(first: 20) { edges { node { key input "
    "output feedback(first: 10) { edges { node { feedbackType rating feedbackText createdAt } } } "
    "} } } } } } }"
)
SMALL = NESTED.replace("first: 20", "first: 5")
SIDES = [
    "- **learnloop**: the query above over HTTP (JWT and membership checks, GraphQL, "
    "{n} SQL statements — one per level, batched — in one org-scoped transaction, RLS on, "
    "cursors computed, JSON).",
    "- **HTTP floor**: Starlette + asyncpg, no auth: set_config + 3 statements (agents page; "
    "LATERAL top-20 executions per agent; LATERAL top-10 feedback per execution), RLS on, "
    "nested in Python, json.dumps; no cursors, no global ids.",
    f"- The seed gives each of the {AGENTS} agents its executions and 2 feedback rows per "
    "execution, so the page holds 20 x 20 executions and up to 800 feedback rows at every scale.",
]


async def main() -> None:
    table = Table(
        "Nested read agents(20) → executions(20) → feedback(10), by table size",
        ["feedback rows", *load.COLUMNS, "vs floor (req/s)", "p50 vs floor's"],
    )
    p50s: dict[int, dict[int, float]] = {}
    counts: list[int] = []
    for scale in SCALES:
        async with seeded(scale) as s:
            counts = await statements.count(s.db, s.token, [{"query": NESTED}, {"query": SMALL}])
            org = str(s.org_id)
            with learnloop_server(s.db) as ours, floor_server(s.db) as floor:
                meter = CpuMeter([ours.pid, floor.pid], admin_dsn(s.db), s.db.name)
                body = json.dumps({"query": NESTED})
                g, f = graphql_headers(s.token), floor_headers(s.token, org)
                await load.with_wrk(meter, "warm-up", f"{ours.url}/graphql", body, g, 2, 2)
                await load.with_wrk(
                    meter, "warm-up", f"{floor.url}/floor/nested", None, f, 2, 2, method="GET"
                )
                for clients in (1, 8):
                    m = await load.with_wrk(
                        meter, "learnloop", f"{ours.url}/graphql", body, g, clients, SECONDS
                    )
                    fm = await load.with_wrk(
                        meter,
                        "HTTP floor",
                        f"{floor.url}/floor/nested",
                        None,
                        f,
                        clients,
                        SECONDS,
                        method="GET",
                    )
                    table.add(
                        f"{scale:,}",
                        *m.cells(),
                        ratio(m.ok_per_s, fm.ok_per_s),
                        ratio(m.p50_ms, fm.p50_ms),
                    )
                    table.add(f"{scale:,}", *fm.cells(), "—", "—")
                    p50s.setdefault(clients, {})[scale] = m.p50_ms
    for clients, points in p50s.items():
        lo, hi = min(points), max(points)
        if hi > lo:
            table.notes.append(
                f"At {clients} client(s): learnloop's p50 at {hi:,} rows is "
                f"{ratio(points[hi], points[lo]):.2f}x its p50 at {lo:,} (target ≤ 1.2x)."
            )
    table.notes += [line.format(n=counts[0] if counts else "?") for line in SIDES]
    if counts:
        table.notes.append(
            f"Statements per request: {counts[0]} for the full page, {counts[1]} for 5x5x10 "
            "(constant in page size)."
        )
    table.notes.append("Target: learnloop p50 ≤ 3x the floor's p50 at the same concurrency.")
    table.publish()


if __name__ == "__main__":
    asyncio.run(main())
