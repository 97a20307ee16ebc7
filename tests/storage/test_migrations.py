"""Migrations: upgrade, downgrade and upgrade again; the models match the migrated schema."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from learnloop.storage import migrations
from learnloop.storage.database import DatabaseTarget
from tests.scratch import PgServer
from tests.storage.drift import schema_drift


async def _tables(url) -> set[str]:  # type: ignore[no-untyped-def]
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            return {r[0] for r in rows}
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade(pg_server: PgServer) -> None:
    name = await pg_server.create_database(prefix="ll_mig")
    url = pg_server.url(name)
    try:
        await migrations.upgrade(url)
        assert {
            "agent_feedback",
            "learning_examples",
            "training_runs",
            "audit_log",
        } <= await _tables(url)
        await migrations.downgrade(url, "base")
        assert await _tables(url) == {"alembic_version"}
        await migrations.upgrade(url)
        assert "learning_examples" in await _tables(url)
    finally:
        await pg_server.drop_database(name)


async def test_models_match_migrations(db: DatabaseTarget) -> None:
    engine = create_async_engine(db.owner_url)
    try:
        async with engine.connect() as conn:
            drift = await conn.run_sync(schema_drift)
    finally:
        await engine.dispose()
    assert drift == []


async def test_migrations_are_at_head(db: DatabaseTarget) -> None:
    engine = create_async_engine(db.app_url)
    try:
        async with engine.connect() as conn:
            assert await migrations.current_revision(conn) == migrations.head_revision()
    finally:
        await engine.dispose()
