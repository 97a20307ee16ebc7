"""Seeded benchmark databases (10k / 100k / 1M feedback rows), kept between runs: seeding is slow.

Every scale has the same 20 agents, so one agent's rows grow exactly as the org's do (100x from
10k to 1M), and an agents(first: 20) page has the same shape at every scale.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from bench.servers import BenchDb, bench_database
from learnloop.domain.roles import Role
from learnloop.domain.tokens import issue_user_token
from learnloop.storage.seed import seed_org

AGENTS = 20


@dataclass(frozen=True)
class Seeded:
    db: BenchDb
    scale: int
    org_id: uuid.UUID
    token: str
    agent_key: str


@asynccontextmanager
async def seeded(scale: int) -> AsyncIterator[Seeded]:
    """A database holding one org seeded at `scale`; created and seeded on first use only."""
    slug = f"bench-s{scale}"
    async with bench_database(keep=f"ll_bench_a{AGENTS}_s{scale}") as db:
        conn = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
        try:
            org_id = await conn.fetchval("SELECT id FROM organizations WHERE slug = $1", slug)
            if org_id is None:
                print(f"bench: seeding {scale:,} feedback rows (once; kept in {db.name})")
                report = await seed_org(
                    db.target.owner_url, scale=scale, slug=slug, n_agents=AGENTS
                )
                print(f"bench: seeded in {report.seconds}s")
                org_id = report.org_id
            user_id = await conn.fetchval(
                "SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'ADMIN'", org_id
            )
        finally:
            await conn.close()
        token = issue_user_token(
            db.tokens, user_id=user_id, org_id=org_id, role=Role.ADMIN, ttl=7200
        )
        yield Seeded(db, scale, org_id, token, "agent-0")
