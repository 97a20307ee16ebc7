"""Statistics stay fast as feedback grows: index-only scans of the covering feedback indexes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from learnloop.domain.feedback_stats import TrendBucket, trend_window
from learnloop.domain.roles import Role
from learnloop.storage.feedback_stats import issues_query, stats_query, trend_query
from tests.conftest import Api

ROWS = 3000


async def _populate(api: Api) -> Any:
    org = await api.org(Role.MEMBER)
    async with api.owner_engine.begin() as conn:
        await conn.execute(
            text(
                "WITH a AS (INSERT INTO agents (org_id, key)"
                "  SELECT :o, CASE WHEN g = 0 THEN 'big' ELSE 'agent-' || g END"
                "  FROM generate_series(0, 9) g RETURNING id),"
                " e AS (INSERT INTO executions (org_id, agent_id, key)"
                "  SELECT :o, a.id, 'e' || i FROM a, generate_series(1, :n / 10) i"
                "  RETURNING id, agent_id)"
                " INSERT INTO agent_feedback (org_id, execution_id, agent_id, author_key,"
                "  feedback_type, type_group, rating, issue_categories, created_at)"
                " SELECT :o, e.id, e.agent_id, 'user:x', 'STAR_RATING', 'RATING',"
                "  1 + (random() * 4)::int, ARRAY['INCORRECT'], now() - random() * interval '20 days'"
                " FROM e"
            ),
            {"o": org.org_id, "n": ROWS},
        )
    async with api.owner_engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE agent_feedback"))
    return org


async def _plan(api: Api, org: Any, stmt: Any) -> str:
    """EXPLAIN as the app role, inside the org scope, with sequential scans priced out of reach
    (on a table this small the planner would rightly prefer them; we check what the index covers)."""
    async with api.engine.begin() as conn:
        await conn.execute(
            text("SELECT set_config('app.org_id', :o, true)"), {"o": str(org.org_id)}
        )
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        await conn.execute(text("SET LOCAL enable_bitmapscan = off"))
        compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        params = compiled.construct_params()
        positional = tuple(params[name] for name in compiled.positiontup)
        result = await conn.exec_driver_sql("EXPLAIN " + str(compiled), positional)
        return "\n".join(r[0] for r in result)


@pytest.mark.parametrize(
    "build",
    [
        lambda: stats_query("big", None),
        lambda: stats_query("big", datetime.now(UTC) - timedelta(days=7)),
        lambda: stats_query(None, datetime.now(UTC) - timedelta(days=7)),
        lambda: issues_query("big", None, 5),
        lambda: trend_query("big", trend_window(TrendBucket.DAY, None, datetime.now(UTC))),
    ],
)
async def test_statistics_read_only_the_covering_index(api: Api, build: Any) -> None:
    org = await _populate(api)
    plan = await _plan(api, org, build())
    assert "Index Only Scan using ix_agent_feedback_org_id" in plan, plan
    assert "Seq Scan on agent_feedback" not in plan, plan
