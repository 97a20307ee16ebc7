"""`learnloop worker` fails fast, in one line, when it cannot work."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.scratch import PgServer
from tests.training.conftest import ROOT

ENV = {k: v for k, v in os.environ.items() if not k.startswith(("LEARNLOOP_", "DATABASE_URL"))}


def run_worker(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "learnloop.cli", "worker"],
        cwd=ROOT,
        env={**ENV, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_worker_on_an_unmigrated_database_says_to_migrate(pg_server: PgServer) -> None:
    name = await pg_server.create_database(prefix="ll_empty")
    try:
        url = pg_server.url(name).render_as_string(hide_password=False)
        result = run_worker(DATABASE_URL=url)
    finally:
        await pg_server.drop_database(name)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "run `learnloop migrate` first" in lines[0], result.stderr


def test_heartbeat_longer_than_half_the_lease_is_refused() -> None:
    result = run_worker(
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
        LEARNLOOP_WORKER_HEARTBEAT_SECONDS="20",
        LEARNLOOP_WORKER_LEASE_SECONDS="30",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "LEARNLOOP_WORKER_HEARTBEAT_SECONDS" in lines[0], result.stderr
