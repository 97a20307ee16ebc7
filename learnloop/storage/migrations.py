"""Applying alembic migrations from code: upgrade, downgrade and the 'is the schema at head' check."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(app_password: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["app_password"] = app_password
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def _run(owner_url: URL, action: str, revision: str, app_password: str | None) -> None:
    engine = create_async_engine(owner_url, poolclass=NullPool)
    cfg = alembic_config(app_password)

    def go(sync_conn: Connection) -> None:
        cfg.attributes["connection"] = sync_conn
        if action == "upgrade":
            command.upgrade(cfg, revision)
        else:
            command.downgrade(cfg, revision)

    try:
        async with engine.begin() as conn:
            await conn.run_sync(go)
    finally:
        await engine.dispose()


async def upgrade(owner_url: URL, revision: str = "head", app_password: str | None = None) -> None:
    await _run(owner_url, "upgrade", revision, app_password)


async def downgrade(owner_url: URL, revision: str, app_password: str | None = None) -> None:
    await _run(owner_url, "downgrade", revision, app_password)


async def current_revision(conn: AsyncConnection) -> str | None:
    def read(sync_conn: Connection) -> str | None:
        return MigrationContext.configure(sync_conn).get_current_revision()

    return await conn.run_sync(read)
