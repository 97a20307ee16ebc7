"""Pages of 100: a frozen dataset's examples and `learningExamples(first: 100)`, against their HTTP
floors, at 1 and 8 clients, for datasets of 10k / 100k / 1M examples — first right after the bulk
load (no ANALYZE by the bench), then in steady state (after ANALYZE).

The examples and the dataset's memberships are bulk-inserted with one SQL statement each (as an
import outside the service would); the dataset is created and frozen through the service's own
mutations (createDataset, freezeDataset: a snapshot UPDATE of every membership), so any ANALYZE
the service does after its bulk writes is part of what is measured.
Run alone: `.venv/bin/python -m bench pages` (BENCH_PAGE_SCALES, default 10000,100000,1000000).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid

import asyncpg
import httpx

from bench import load
from bench.cpu import CpuMeter
from bench.harness import Table, ratio
from bench.ingest import floor_headers, graphql_headers
from bench.load import Measured
from bench.servers import (
    BenchDb,
    admin_dsn,
    analyze,
    bench_database,
    floor_server,
    learnloop_server,
)
from learnloop.domain.roles import Role
from learnloop.domain.tokens import issue_user_token

SCALES = [int(s) for s in os.environ.get("BENCH_PAGE_SCALES", "10000,100000,1000000").split(",")]
SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))

DATASET_PAGE = (
    "query($d: ID!) { dataset(id: $d) { examples(first: 100) { edges { node "
    "{ id exampleId split weight inputText expectedOutput originalOutput } } } } }"
)
EXAMPLES_PAGE = (
    "{ learningExamples(first: 100) { edges { node { id exampleType inputText expectedOutput "
    "originalOutput reviewStatus qualityScore createdAt } } } }"
)
SIDES = [
    "- **learnloop dataset page**: `dataset(id) { examples(first: 100) { edges { node { id "
    "exampleId split weight inputText expectedOutput originalOutput } } } }` over HTTP: JWT and "
    "membership checks, GraphQL, one org-scoped transaction (RLS on), global ids, JSON.",
    "- **dataset page floor**: Starlette + asyncpg, no auth: set_config + `SELECT id, example_id, "
    "split, weight, input_text, expected_output, original_output FROM dataset_example_contents "
    "WHERE dataset_id = $1 ORDER BY split, id LIMIT 100` (the same view learnloop reads, app "
    "role, RLS on), raw uuids, json.dumps.",
    "- **learnloop learningExamples**: `learningExamples(first: 100) { edges { node { id "
    "exampleType inputText expectedOutput originalOutput reviewStatus qualityScore createdAt } } } }`"
    " (newest first), same auth and transaction as above.",
    "- **learningExamples floor**: set_config + `SELECT id, example_type, input_text, "
    "expected_output, original_output, review_status, quality_score, created_at FROM "
    "learning_examples ORDER BY created_at DESC, id DESC LIMIT 100` (RLS on), json.dumps.",
]


async def seed(db: BenchDb, base: str, n: int) -> tuple[str, str, str, dict[str, float]]:
    """An org with `n` approved examples (one INSERT) and a frozen dataset of all of them."""
    conn = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
    timings: dict[str, float] = {}
    try:
        org = await conn.fetchval(
            "INSERT INTO organizations (slug, name) VALUES ($1, 'pages') RETURNING id",
            f"pages-{uuid.uuid4().hex[:6]}",
        )
        user = await conn.fetchval(
            "INSERT INTO users (email) VALUES ($1) RETURNING id",
            f"{uuid.uuid4().hex[:8]}@pages.example",
        )
        await conn.execute(
            "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'ADMIN')", org, user
        )
        agent = await conn.fetchval(
            "INSERT INTO agents (org_id, key) VALUES ($1, 'page-agent') RETURNING id", org
        )
        started = time.perf_counter()
        await conn.execute(
            "INSERT INTO learning_examples (org_id, agent_id, example_type, review_status,"
            " input_text, expected_output, original_output, quality_score, created_at)"
            " SELECT $1, $2, 'CORRECTION', 'APPROVED',"
            " 'Question ' || g || ': what is the refund for order ' || g || '?',"
            " 'The refund is $' || (g % 997) || '.', 'I do not know.', 0.8,"
            " now() - g * interval '1 second' FROM generate_series(1, $3) g",
            org,
            agent,
            n,
        )
        timings["insert examples"] = time.perf_counter() - started
    finally:
        await conn.close()
    token = issue_user_token(db.tokens, user_id=user, org_id=org, role=Role.ADMIN, ttl=7200)
    async with httpx.AsyncClient(base_url=base, timeout=3600) as client:

        async def gql(query: str, variables: dict[str, object]) -> dict[str, object]:
            r = await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"authorization": f"Bearer {token}"},
            )
            body = r.json()
            assert not body.get("errors"), r.text
            payload: dict[str, object] = next(iter(body["data"].values()))
            assert not payload.get("userErrors"), r.text
            return payload

        created = await gql(
            "mutation($i: CreateDatasetInput!) { createDataset(input: $i) "
            "{ dataset { id } userErrors { code message } } }",
            {"i": {"name": f"pages-{n}"}},
        )
        dataset = str(created["dataset"]["id"])  # type: ignore[index]
        # addExamplesToDataset pages through examples in Python (minutes for 1M): the
        # memberships are bulk-inserted like the examples; freezing goes through the service.
        conn = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
        try:
            started = time.perf_counter()
            await conn.execute(
                "INSERT INTO dataset_examples (org_id, dataset_id, example_id, split, weight)"
                " SELECT org_id, (SELECT id FROM training_datasets WHERE org_id = $1), id,"
                " CASE WHEN abs(hashtext(id::text)) % 10 < 8 THEN 'TRAIN'"
                " WHEN abs(hashtext(id::text)) % 10 = 8 THEN 'VALIDATION' ELSE 'TEST' END, 1.0"
                " FROM learning_examples WHERE org_id = $1",
                org,
            )
            timings["insert memberships"] = time.perf_counter() - started
        finally:
            await conn.close()
        started = time.perf_counter()
        await gql(
            "mutation($i: FreezeDatasetInput!) { freezeDataset(input: $i) "
            "{ dataset { status } userErrors { code message } } }",
            {"i": {"datasetId": dataset}},
        )
        timings["freezeDataset"] = time.perf_counter() - started
    return str(org), token, dataset, timings


async def raw_dataset_id(db: BenchDb) -> str:
    conn = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
    try:
        # Each scale has a database of its own, holding this one frozen dataset.
        return str(await conn.fetchval("SELECT id FROM training_datasets WHERE status = 'FROZEN'"))
    finally:
        await conn.close()


async def measure(
    meter: CpuMeter,
    ours: str,
    floor: str,
    token: str,
    org: str,
    dataset: str,
    raw_dataset: str,
    clients: int,
    seconds: float,
) -> list[tuple[str, Measured, Measured]]:
    g, f = graphql_headers(token), floor_headers(token, org)
    body = json.dumps({"query": DATASET_PAGE, "variables": {"d": dataset}})
    pairs = []
    m = await load.with_wrk(meter, "learnloop", f"{ours}/graphql", body, g, clients, seconds)
    fm = await load.with_wrk(
        meter,
        "HTTP floor",
        f"{floor}/floor/dataset_page?dataset={raw_dataset}",
        None,
        f,
        clients,
        seconds,
        method="GET",
    )
    pairs.append(("dataset page", m, fm))
    body = json.dumps({"query": EXAMPLES_PAGE})
    m = await load.with_wrk(meter, "learnloop", f"{ours}/graphql", body, g, clients, seconds)
    fm = await load.with_wrk(
        meter,
        "HTTP floor",
        f"{floor}/floor/examples_page",
        None,
        f,
        clients,
        seconds,
        method="GET",
    )
    pairs.append(("learningExamples", m, fm))
    return pairs


async def main() -> None:
    table = Table(
        "Pages of 100: frozen dataset page and learningExamples(first: 100), by table size",
        ["read", "examples", "state", *load.COLUMNS, "vs floor (req/s)", "p50 vs floor's"],
    )
    p50s: dict[tuple[str, str], dict[int, float]] = {}
    notes: list[str] = []
    for n in SCALES:
        async with bench_database() as db:
            with learnloop_server(db) as ours, floor_server(db) as floor:
                meter = CpuMeter([ours.pid, floor.pid], admin_dsn(db), db.name)
                org, token, dataset, timings = await seed(db, ours.url, n)
                raw = await raw_dataset_id(db)
                notes.append(
                    f"- {n:,} examples: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
                )
                for state, clients in [
                    ("right after the bulk load", 1),
                    ("after ANALYZE", 1),
                    ("after ANALYZE", 8),
                ]:
                    if state == "after ANALYZE" and clients == 1:
                        await analyze(db)
                    # Right after the load, one short sequential pass: autovacuum may analyze soon.
                    seconds = 3 if state != "after ANALYZE" else SECONDS
                    for read, m, fm in await measure(
                        meter, ours.url, floor.url, token, org, dataset, raw, clients, seconds
                    ):
                        cells = [read, f"{n:,}", state]
                        table.add(
                            *cells,
                            *m.cells(),
                            ratio(m.ok_per_s, fm.ok_per_s),
                            ratio(m.p50_ms, fm.p50_ms),
                        )
                        table.add(*cells, *fm.cells(), "—", "—")
                        if clients == 1:
                            p50s.setdefault((read, state), {})[n] = m.p50_ms
    for (read, state), points in p50s.items():
        lo, hi = min(points), max(points)
        if hi > lo:
            table.notes.append(
                f"{read} ({state}, 1 client): p50 at {hi:,} examples is "
                f"{ratio(points[hi], points[lo]):.2f}x its p50 at {lo:,} (target ≤ 1.2x for 100x rows)."
            )
    table.notes += [
        *SIDES,
        "Seeding (examples and memberships by INSERT … SELECT; createDataset and freezeDataset through the service):",
        *notes,
        "Targets: p50 ≤ 2x the floor's at 1 client; ok req/s ≥ 0.4x the floor's at 8 clients; "
        "cost independent of table size.",
    ]
    table.publish()


if __name__ == "__main__":
    asyncio.run(main())
