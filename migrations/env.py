"""Alembic environment: runs migrations on a connection handed over by learnloop, or on DATABASE_URL."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

config = context.config

# Serialises concurrent `migrate` runs (an API process and a worker starting together).
MIGRATION_LOCK_KEY = 7_240_531


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, compare_type=True)
    with context.begin_transaction():
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        context.run_migrations()


async def run_from_url(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as conn:
        await conn.run_sync(run_on)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    from learnloop.storage.database import parse_database_url

    raw = os.environ.get("DATABASE_URL")
    if not raw:
        raise SystemExit("set DATABASE_URL, or use `learnloop migrate` for the embedded server")
    asyncio.run(run_from_url(parse_database_url(raw).render_as_string(hide_password=False)))
