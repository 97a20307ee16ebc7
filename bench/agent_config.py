"""agentConfig (a running experiment, a new unit per request: hash + first exposure) against the
HTTP floor, next to submitFeedback's ratio measured in the same run.

Run alone: `.venv/bin/python -m bench.agent_config` (after `make bench` installed wrk).
"""

from __future__ import annotations

import asyncio
import os

import asyncpg

from bench import wrk
from bench.harness import Table, ratio
from bench.ingest import FLOOR_SUBMIT, SUBMIT, lua_multi, org_and_token
from bench.servers import BenchDb, analyze, bench_database, floor_server, learnloop_server

CLIENTS = (1, 8, 32)
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
AGENT_CONFIG = (
    '{"query":"query($a: String!, $u: String) { agentConfig(agentId: $a, unitId: $u) '
    '{ variant experimentId deploymentVersion config } }",'
    '"variables":{"a":"bench-agent","u":"unit-%d"}}'
)
FLOOR_AGENT_CONFIG = '{"agentId":"bench-agent","unitId":"unit-%d"}'


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


async def main() -> None:
    async with bench_database() as db:
        org, token = await org_and_token(db)
        await seed_experiment(db, org)
        table = Table(
            "agentConfig (running experiment, new unit per request) vs submitFeedback, each "
            "against its HTTP floor",
            [
                "clients",
                "agentConfig req/s",
                "p50 ms",
                "p99 ms",
                "floor req/s",
                "agentConfig vs floor",
                "submitFeedback req/s",
                "its floor req/s",
                "submitFeedback vs floor",
                "errors",
            ],
        )
        with learnloop_server(db) as ours_url, floor_server(db) as floor_url:
            wrk.run(f"{ours_url}/graphql", lua_multi(AGENT_CONFIG, 1, token), 4, 3)
            await analyze(db)
            for clients in CLIENTS:
                ours = wrk.run(
                    f"{ours_url}/graphql", lua_multi(AGENT_CONFIG, 1, token), clients, SECONDS
                )
                floor = wrk.run(
                    f"{floor_url}/floor/agent_config",
                    lua_multi(FLOOR_AGENT_CONFIG, 1, token, org),
                    clients,
                    SECONDS,
                )
                feedback = wrk.run(
                    f"{ours_url}/graphql", lua_multi(SUBMIT, 1, token), clients, SECONDS
                )
                feedback_floor = wrk.run(
                    f"{floor_url}/floor/feedback",
                    lua_multi(FLOOR_SUBMIT, 1, token, org),
                    clients,
                    SECONDS,
                )
                table.add(
                    clients,
                    ours.requests_per_s,
                    ours.p50_ms,
                    ours.p99_ms,
                    floor.requests_per_s,
                    ratio(ours.requests_per_s, floor.requests_per_s),
                    feedback.requests_per_s,
                    feedback_floor.requests_per_s,
                    ratio(feedback.requests_per_s, feedback_floor.requests_per_s),
                    ours.errors + floor.errors + feedback.errors + feedback_floor.errors,
                )
        table.notes.append(
            "Target: agentConfig's ratio to its HTTP floor ≥ submitFeedback's ratio to its own."
        )
        table.publish()


if __name__ == "__main__":
    asyncio.run(main())
