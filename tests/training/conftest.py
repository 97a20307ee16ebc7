"""Fixtures for training tests: an API whose registry includes the test engine, worker processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from learnloop.storage.database import DatabaseTarget
from learnloop.storage.event_bus import EventBus
from learnloop.worker.registry import build_registry
from learnloop.worker.runner import Worker, WorkerSettings
from tests.conftest import Api, make_api, test_settings

ROOT = Path(__file__).resolve().parents[2]
TEST_ENGINES = "tests.training.engines"
# Short leases so crash recovery is observable in a second or two.
HEARTBEAT = 0.5
LEASE = 1.5
WORKER_ENV = {
    "LEARNLOOP_WORKER_HEARTBEAT_SECONDS": str(HEARTBEAT),
    "LEARNLOOP_WORKER_LEASE_SECONDS": str(LEASE),
    "LEARNLOOP_WORKER_POLL_SECONDS": "2",
    "LEARNLOOP_ENGINE_MODULES": TEST_ENGINES,
}


async def _training_api(target: DatabaseTarget) -> tuple[Api, list]:
    return await make_api(
        target,
        engine_modules=TEST_ENGINES,
        worker_heartbeat_seconds=HEARTBEAT,
        worker_lease_seconds=LEASE,
    )


async def _close(api: Api, engines: list) -> None:
    await api.app.state.learnloop.bus.stop()
    await api.client.aclose()
    for engine in engines:
        await engine.dispose()


@pytest.fixture
async def training_api(fresh_db: DatabaseTarget) -> AsyncIterator[Api]:
    """A database of the test's own: workers claim every queued run they can see."""
    api, engines = await _training_api(fresh_db)
    yield api
    await _close(api, engines)


class WorkerProcess:
    """`python -m learnloop.cli worker` against the test database, as an operator would run it."""

    def __init__(self, target: DatabaseTarget, log_dir: Path, name: str, **env: str) -> None:
        base = {
            k: v for k, v in os.environ.items() if not k.startswith(("LEARNLOOP_", "DATABASE_URL"))
        }
        self.env = {
            **base,
            **WORKER_ENV,
            "DATABASE_URL": target.owner_url.render_as_string(hide_password=False),
            "LEARNLOOP_APP_DATABASE_URL": target.app_url.render_as_string(hide_password=False),
            **env,
        }
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *args: str) -> WorkerProcess:
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "learnloop.cli", "worker", *args],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_started(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "worker.started" in self.log():
                return
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited early:\n{self.log()}")
            time.sleep(0.05)
        raise AssertionError(f"worker did not start:\n{self.log()}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._log.close()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    """Worker processes a test starts; all are killed at the end whatever happened."""
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.close()


@asynccontextmanager
async def running_worker(api: Api, concurrency: int = 1, **settings: Any) -> AsyncIterator[Worker]:
    """A worker in this process (its own listener, like a separate process would have)."""
    settings.setdefault("engine_modules", TEST_ENGINES)
    registry = build_registry(test_settings(**settings), api.engine)
    bus = EventBus(api.target.app_url)
    cfg = WorkerSettings(
        concurrency=concurrency, lease_seconds=LEASE, heartbeat_seconds=HEARTBEAT, poll_seconds=2
    )
    worker = Worker(api.engine, registry, bus, cfg)
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.stop()
        await asyncio.wait_for(task, timeout=10)
        await bus.stop()
