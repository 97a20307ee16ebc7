"""A benchmark database, and uvicorn processes for learnloop and for the HTTP floor, same settings."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from learnloop.config import Settings
from learnloop.domain.tokens import TokenSettings
from learnloop.storage import migrations
from learnloop.storage.database import DatabaseTarget
from tests.scratch import PgServer

SECRET = "bench-secret-" + "z" * 40
UVICORN_FLAGS = ["--workers", "1", "--log-level", "warning", "--no-access-log"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class BenchDb:
    server: PgServer
    name: str
    target: DatabaseTarget

    @property
    def tokens(self) -> TokenSettings:
        cfg = Settings(jwt_secret=SECRET, database_url="postgresql://unused/unused")
        return TokenSettings(secret=SECRET, issuer=cfg.jwt_issuer, audience=cfg.jwt_audience)

    def asyncpg_dsn(self, app_role: bool = True) -> str:
        url = self.target.app_url if app_role else self.target.owner_url
        return url.set(drivername="postgresql").render_as_string(hide_password=False)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.target.owner_url.render_as_string(hide_password=False),
            "LEARNLOOP_APP_DATABASE_URL": self.target.app_url.render_as_string(hide_password=False),
            "LEARNLOOP_JWT_SECRET": SECRET,
            "LEARNLOOP_LOG_LEVEL": "WARNING",
            # Same connection budget as the floors' pools.
            "LEARNLOOP_DB_POOL_SIZE": "10",
            "LEARNLOOP_DB_MAX_OVERFLOW": "0",
            # The rate-limit check runs on every mutation (its cost is measured), but the
            # bench's one principal must never be refused.
            "LEARNLOOP_RATE_LIMIT_PER_MINUTE": "1000000000",
            # The in-process training worker would share (and skew) the measured pool.
            "LEARNLOOP_WORKER_IN_PROCESS": "false",
            "BENCH_DSN": self.asyncpg_dsn(),
        }


@asynccontextmanager
async def bench_database(keep: str | None = None) -> AsyncIterator[BenchDb]:
    """A migrated database of its own; `keep` names one to reuse across runs (seeding is slow)."""
    server = PgServer()
    if keep:
        await server.create_database_named(keep)
        name = keep
    else:
        name = await server.create_database(prefix="ll_bench")
    await migrations.upgrade(server.url(name))
    try:
        yield BenchDb(server, name, server.target(name))
    finally:
        if not keep:
            await server.drop_database(name)
        server.stop()


@dataclass(frozen=True)
class Served:
    url: str
    pid: int


@contextmanager
def uvicorn(app: str, env: dict[str, str], factory: bool = False) -> Iterator[Served]:
    """Serve `app` in a subprocess (one uvicorn process, no reloader): its base URL and pid."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *UVICORN_FLAGS,
    ]
    if factory:
        cmd.append("--factory")
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, f"{base}/healthz", app, 90)  # slow imports on a loaded 2-core box
        yield Served(base, proc.pid)
    finally:
        stop(proc)


def wait_until_up(proc: subprocess.Popen[Any], url: str, name: str, seconds: float) -> None:
    """Poll `url` until it answers 200; fail at once if the process exits first."""
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.2)


def stop(proc: subprocess.Popen[Any], seconds: float = 10) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()


def learnloop_server(db: BenchDb) -> AbstractContextManager[Served]:
    return uvicorn("learnloop.app:create_app_from_env", db.env(), factory=True)


def floor_server(db: BenchDb) -> AbstractContextManager[Served]:
    return uvicorn("bench.floor_app:app", db.env())


def admin_dsn(db: BenchDb) -> str:
    """The server's `postgres` database: the CPU monitor must not be one of the measured backends."""
    return (
        db.server.url("postgres").set(drivername="postgresql").render_as_string(hide_password=False)
    )


async def create_pool(dsn: str, size: int) -> Any:
    """An asyncpg pool, waiting (up to a minute) while the shared server has no slot free."""
    import asyncpg

    for attempt in range(60):
        try:
            return await asyncpg.create_pool(dsn, min_size=size, max_size=size)
        except asyncpg.TooManyConnectionsError:
            if attempt == 59:
                raise
            await asyncio.sleep(
                1
            )  # other engineers' suites hold the slots for seconds, not minutes
    raise RuntimeError("unreachable")


async def analyze(db: BenchDb) -> None:
    """Refresh planner statistics, as autovacuum would in a steady-state deployment."""
    import asyncpg

    conn = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
