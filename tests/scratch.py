"""Throwaway databases for tests and benchmarks: the local server at :5432, else an embedded one."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import URL, make_url

from learnloop.config import APP_DB_ROLE
from learnloop.storage.database import DatabaseTarget
from learnloop.storage.embedded import EmbeddedPostgres

LOCAL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
ROOT = Path(__file__).resolve().parents[1]


def _local_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


class PgServer:
    """The local server at 127.0.0.1:5432 when it answers, otherwise one embedded server per run."""

    def __init__(self) -> None:
        self.embedded: EmbeddedPostgres | None = None
        forced = os.environ.get("LEARNLOOP_TEST_EMBEDDED") == "1"
        if not forced and _local_answers():
            self.admin = make_url(LOCAL)
        else:
            self.embedded = EmbeddedPostgres(ROOT / ".learnloop" / "test")
            self.embedded.start()
            self.admin = make_url(self.embedded.url())

    def url(self, database: str, user: str = "postgres") -> URL:
        """An owner (or `user`) URL for one database on this server."""
        return self.admin.set(database=database, username=user)

    def target(self, database: str) -> DatabaseTarget:
        return DatabaseTarget(owner_url=self.url(database), app_url=self.url(database, APP_DB_ROLE))

    async def _admin(self) -> Any:
        url = self.admin
        host = url.query.get("host") or url.host
        return await asyncpg.connect(user="postgres", host=host, port=url.port, database="postgres")

    async def create_database(self, template: str | None = None, prefix: str = "ll_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        conn = await self._admin()
        try:
            for attempt in range(20):
                try:
                    suffix = f' TEMPLATE "{template}"' if template else ""
                    await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
                    return name
                except asyncpg.ObjectInUseError:
                    # A template can be copied only while nobody is connected to it.
                    await asyncio.sleep(0.05 * (attempt + 1))
            raise RuntimeError(f"template {template} stayed busy")
        finally:
            await conn.close()

    async def create_database_named(self, name: str) -> None:
        """Create `name` unless it exists (benchmarks keep a seeded database between runs)."""
        conn = await self._admin()
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    async def drop_database(self, name: str) -> None:
        conn = await self._admin()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
