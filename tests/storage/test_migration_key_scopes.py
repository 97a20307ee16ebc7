"""Migration 0007 keeps every stored idempotency key, now scoped to the feedback's author;
its downgrade folds keys shared by several authors back into one."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from learnloop.storage import migrations
from tests.scratch import PgServer

ARRANGE = [
    "INSERT INTO organizations (id, slug, name) VALUES "
    "('00000000-0000-0000-0000-0000000000a1', 'm7', 'm7')",
    "INSERT INTO agents (id, org_id, key) VALUES ('00000000-0000-0000-0000-0000000000a2', "
    "'00000000-0000-0000-0000-0000000000a1', 'agent')",
    "INSERT INTO executions (id, org_id, agent_id, key) VALUES "
    "('00000000-0000-0000-0000-0000000000a3', '00000000-0000-0000-0000-0000000000a1', "
    "'00000000-0000-0000-0000-0000000000a2', 'exec')",
    "INSERT INTO agent_feedback (id, org_id, execution_id, agent_id, author_key, feedback_type, "
    "type_group, idempotency_key) VALUES ('00000000-0000-0000-0000-0000000000a4', "
    "'00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a3', "
    "'00000000-0000-0000-0000-0000000000a2', 'user:ann', 'THUMBS_UP', 'THUMBS', 'k-1')",
    "INSERT INTO feedback_idempotency_keys (org_id, key, feedback_id) VALUES "
    "('00000000-0000-0000-0000-0000000000a1', 'k-1', '00000000-0000-0000-0000-0000000000a4')",
]

BOB = [
    ARRANGE[3].replace("a4", "b4").replace("user:ann", "user:bob"),
    "INSERT INTO feedback_idempotency_keys (org_id, scope, key, feedback_id) VALUES "
    "('00000000-0000-0000-0000-0000000000a1', 'user:bob', 'k-1', "
    "'00000000-0000-0000-0000-0000000000b4')",
]


async def test_stored_keys_are_scoped_to_their_authors_and_survive_a_downgrade(
    pg_server: PgServer,
) -> None:
    name = await pg_server.create_database(prefix="ll_mig7")
    url = pg_server.url(name)
    engine = create_async_engine(url)
    try:
        await migrations.upgrade(url, "0010_execution_domains")
        async with engine.begin() as conn:
            for statement in ARRANGE:
                await conn.execute(text(statement))
        await migrations.upgrade(url)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT scope, key FROM feedback_idempotency_keys"))
            ).all()
        assert [tuple(r) for r in rows] == [("user:ann", "k-1")]
        async with engine.begin() as conn:  # another author uses the same key text
            for statement in BOB:
                await conn.execute(text(statement))
        await migrations.downgrade(url, "0010_execution_domains")
        async with engine.connect() as conn:
            kept = await conn.scalar(text("SELECT count(*) FROM feedback_idempotency_keys"))
        assert kept == 1
    finally:
        await engine.dispose()
        await pg_server.drop_database(name)
