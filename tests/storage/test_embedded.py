"""The embedded server survives a start that pg_ctl reports as failed while postgres comes up."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

import asyncpg

from learnloop.storage.embedded import EmbeddedPostgres
from tests.test_cli import _postgres_processes


class SlowStart(EmbeddedPostgres):
    """The first attempt starts the server but reports a timeout, as pg_ctl does under load."""

    attempts = 0

    def _get_server(self, pgserver: Any) -> Any:
        self.attempts += 1
        server = super()._get_server(pgserver)
        if self.attempts == 1:
            raise subprocess.TimeoutExpired("pg_ctl", 10)
        return server


def test_start_attaches_to_a_server_that_came_up_late(tmp_path: Path) -> None:
    embedded = SlowStart(tmp_path)
    embedded.start()
    try:
        assert embedded.attempts == 2
        url = embedded.url()

        async def ask() -> int:
            conn = await asyncpg.connect(
                user="postgres", host=url.split("host=")[1], database="postgres"
            )
            try:
                return int(await conn.fetchval("SELECT 1"))
            finally:
                await conn.close()

        assert asyncio.run(ask()) == 1
    finally:
        embedded.stop()
    deadline = time.monotonic() + 10
    while _postgres_processes(embedded.pgdata) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _postgres_processes(embedded.pgdata) == []
