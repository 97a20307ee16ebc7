"""agentConfig (a running experiment, a new unit per request: hash + first exposure) against its
HTTP floor, next to submitFeedback against its own floor, at the same concurrency in one run (F13).

Run alone: `.venv/bin/python -m bench agent_config` (after `make bench` installed wrk).
"""

from __future__ import annotations

import asyncio
import json
import os

import asyncpg

from bench import load, statements
from bench.cpu import CpuMeter
from bench.harness import Table, ratio
from bench.ingest import FLOOR_SUBMIT, SUBMIT, floor_headers, graphql_headers, org_and_token
from bench.servers import (
    BenchDb,
    admin_dsn,
    analyze,
    bench_database,
    floor_server,
    learnloop_server,
)

CLIENTS = (1, 8, 32)
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
QUERY = (
    "query($a: String!, $u: String) { agentConfig(agentId: $a, unitId: $u) "
    "{ variant experimentId deploymentVersion config } }"
)
AGENT_CONFIG = json.dumps({"query": QUERY, "variables": {"a": "bench-agent", "u": "{key}"}})
FLOOR_AGENT_CONFIG = json.dumps({"agentId": "bench-agent", "unitId": "{key}"})


async def seed_experiment(db: BenchDb, org: str) -> None:
    conn = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
    agent = await conn.fetchval(
        "INSERT INTO agents (org_id, key) VALUES ($1::uuid, 'bench-agent') RETURNING id", org
    )
    await conn.execute(
        "INSERT INTO learning_experiments (org_id, agent_id, name, status, primary_metric,"
        " hash_seed, control_config, treatment_config, started_at)"
        " VALUES ($1::uuid, $2, 'bench', 'RUNNING', 'thumbs_up_rate', 'bench-seed',"
        ' \'{"prompt": "a"}\', \'{"prompt": "b"}\', now())',
        org,
        agent,
    )
    await conn.close()


async def exposures(db: BenchDb, run_id: str) -> int:
    conn = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
    try:
        n: int = await conn.fetchval(
            "SELECT count(*) FROM experiment_assignments WHERE unit_id LIKE $1", f"{run_id}-%"
        )
        return n
    finally:
        await conn.close()


async def main() -> None:
    async with bench_database() as db:
        org, token = await org_and_token(db)
        await seed_experiment(db, org)
        (n_config,) = await statements.count(
            db, token, [{"query": QUERY, "variables": {"a": "bench-agent", "u": "stmt-unit"}}]
        )
        table = Table(
            "agentConfig (running experiment, new unit per request) and submitFeedback, "
            "each against its HTTP floor",
            ["operation", *load.COLUMNS, "vs its HTTP floor"],
        )
        summary: list[str] = []
        with learnloop_server(db) as ours, floor_server(db) as floor:
            meter = CpuMeter([ours.pid, floor.pid], admin_dsn(db), db.name)
            g, f = graphql_headers(token), floor_headers(token, org)
            for body, url, headers in (
                (AGENT_CONFIG, f"{ours.url}/graphql", g),
                (FLOOR_AGENT_CONFIG, f"{floor.url}/floor/agent_config", f),
                (SUBMIT, f"{ours.url}/graphql", g),
                (FLOOR_SUBMIT, f"{floor.url}/floor/feedback", f),
            ):
                await load.with_wrk(meter, "warm-up", url, body, headers, 4, 3)
            await analyze(db)
            for clients in CLIENTS:
                cfg = await load.with_wrk(
                    meter, "learnloop", f"{ours.url}/graphql", AGENT_CONFIG, g, clients, SECONDS
                )
                exposed = await exposures(db, cfg.run_id)
                cfg_floor = await load.with_wrk(
                    meter,
                    "HTTP floor",
                    f"{floor.url}/floor/agent_config",
                    FLOOR_AGENT_CONFIG,
                    f,
                    clients,
                    SECONDS,
                )
                fb = await load.with_wrk(
                    meter, "learnloop", f"{ours.url}/graphql", SUBMIT, g, clients, SECONDS
                )
                fb_floor = await load.with_wrk(
                    meter,
                    "HTTP floor",
                    f"{floor.url}/floor/feedback",
                    FLOOR_SUBMIT,
                    f,
                    clients,
                    SECONDS,
                )
                table.add("agentConfig", *cfg.cells(), ratio(cfg.ok_per_s, cfg_floor.ok_per_s))
                table.add("agentConfig", *cfg_floor.cells(), "—")
                table.add("submitFeedback", *fb.cells(), ratio(fb.ok_per_s, fb_floor.ok_per_s))
                table.add("submitFeedback", *fb_floor.cells(), "—")
                a, b = (
                    ratio(cfg.ok_per_s, cfg_floor.ok_per_s),
                    ratio(fb.ok_per_s, fb_floor.ok_per_s),
                )
                summary.append(
                    f"- {clients} clients: agentConfig {a:.2f} of its floor vs submitFeedback "
                    f"{b:.2f} of its own — {'met' if a >= b else 'missed'}; {exposed:,} exposures "
                    f"stored for {cfg.ok:,} successful agentConfig calls"
                )
        table.notes += [
            f"- **learnloop agentConfig**: GraphQL query over HTTP with JWT and membership checks, "
            f"{n_config} SQL statements in one org-scoped transaction (RLS on): agent, active "
            "deployment and running experiments, then the unit's first exposure (an INSERT).",
            "- **agentConfig HTTP floor**: Starlette + asyncpg, no auth: set_config + one SELECT "
            "(agent ⟕ deployment ⟕ running experiments) + the GrowthBook hash in Python + one "
            "exposure INSERT … ON CONFLICT DO NOTHING, RLS on, json.dumps.",
            "- **submitFeedback** and its floor: as in the ingestion table.",
            *summary,
            "Target (F13): agentConfig's ratio to its HTTP floor ≥ submitFeedback's ratio to its "
            "own, at the same concurrency.",
        ]
        table.publish()


if __name__ == "__main__":
    asyncio.run(main())
