"""The event bus: one LISTEN connection per process, fanning NOTIFYs out to in-process inboxes."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from sqlalchemy.engine import URL

log = structlog.get_logger("learnloop.events")

RUNS = "learnloop_training_runs"  # a run changed: {"org", "run"}
QUEUE = "learnloop_training_run_queue"  # a run became PENDING: wake workers
CANCEL = "learnloop_training_run_cancel"  # a running run was asked to stop
EXPERIMENTS = "learnloop_experiments"  # an experiment or its outcomes changed: {"org", "run"}
CHANNELS = (RUNS, QUEUE, CANCEL, EXPERIMENTS)


_SEQUENCE = itertools.count(1)


@dataclass(frozen=True)
class Notice:
    channel: str
    org_id: UUID | None = None
    run_id: UUID | None = None
    # Which notification this is (equal notices about the same run compare equal regardless).
    seq: int = field(default=0, compare=False)


# Offered to every inbox after the listener reconnects: notices may have been missed meanwhile.
RESYNC = Notice("*")


def parse(channel: str, payload: str) -> Notice:
    try:
        data = json.loads(payload)
        return Notice(channel, UUID(data["org"]), UUID(data["run"]), next(_SEQUENCE))
    except (ValueError, KeyError, TypeError):
        return Notice(channel)


class Inbox:
    """Unread notices of one subscriber, oldest first; a notice already waiting is not queued twice.

    Subscribers re-read the row for each notice, so coalescing duplicates loses nothing, and a
    slow subscriber holds at most one entry per run.
    """

    def __init__(self, channel: str, org_id: UUID | None, run_id: UUID | None) -> None:
        self.channel = channel
        self.org_id = org_id
        self.run_id = run_id
        self._pending: dict[Notice, None] = {}
        self._ready = asyncio.Event()

    def matches(self, notice: Notice) -> bool:
        if notice is RESYNC:
            return True
        return (
            notice.channel == self.channel
            and (self.org_id is None or notice.org_id == self.org_id)
            and (self.run_id is None or notice.run_id == self.run_id)
        )

    def offer(self, notice: Notice) -> None:
        self._pending.pop(notice, None)  # keep the newest of equal notices (its seq)
        self._pending[notice] = None
        self._ready.set()

    async def get(self, within: float | None = None) -> Notice | None:
        """The next notice, or None when none arrives `within` seconds."""
        try:
            async with asyncio.timeout(within):
                await self._ready.wait()
        except TimeoutError:
            return None
        notice = next(iter(self._pending))
        del self._pending[notice]
        if not self._pending:
            self._ready.clear()
        return notice


def connect_args(url: URL) -> dict[str, Any]:
    """asyncpg.connect arguments for an SQLAlchemy URL (host may be a unix socket directory)."""
    return {
        "user": url.username,
        "password": url.password,
        "host": url.query.get("host") or url.host,
        "port": url.port,
        "database": url.database,
        "server_settings": {"application_name": "learnloop-listener"},
    }


class EventBus:
    """Owns the process's listener connection; started lazily, reconnects when it drops."""

    def __init__(self, url: URL, *, retry_seconds: float = 1.0) -> None:
        self._args = connect_args(url)
        self._retry = retry_seconds
        self._conn: asyncpg.Connection | None = None
        self._inboxes: set[Inbox] = set()
        self._lock = asyncio.Lock()
        self._reconnecting: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def start(self) -> None:
        async with self._lock:
            self._stopped = False
            if not self.connected:
                await self._connect()

    async def _connect(self) -> None:
        conn = await asyncpg.connect(**self._args)
        for channel in CHANNELS:
            await conn.add_listener(channel, self._on_notify)
        conn.add_termination_listener(self._on_terminated)
        self._conn = conn
        log.debug("event_bus.listening", channels=CHANNELS)

    async def stop(self) -> None:
        async with self._lock:
            self._stopped = True
            if self._reconnecting is not None:
                self._reconnecting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._reconnecting
                self._reconnecting = None
            conn, self._conn = self._conn, None
            if conn is not None and not conn.is_closed():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), timeout=2)

    @contextlib.contextmanager
    def subscribe(
        self, channel: str, *, org_id: UUID | None = None, run_id: UUID | None = None
    ) -> Iterator[Inbox]:
        """An inbox of notices on `channel`, filtered by org (and run) id, while the block runs."""
        inbox = Inbox(channel, org_id, run_id)
        self._inboxes.add(inbox)
        try:
            yield inbox
        finally:
            self._inboxes.discard(inbox)

    def publish_local(self, notice: Notice) -> None:
        """Deliver a notice to this process's inboxes as if it came from PostgreSQL."""
        for inbox in list(self._inboxes):
            if inbox.matches(notice):
                inbox.offer(notice)

    def _on_notify(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        self.publish_local(parse(channel, payload))

    def _on_terminated(self, conn: Any) -> None:
        if self._stopped or conn is not self._conn:
            return
        log.warning("event_bus.connection_lost")
        self._conn = None
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        while not self._stopped:
            try:
                async with self._lock:
                    await self._connect()
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("event_bus.reconnect_failed", error=str(exc))
                await asyncio.sleep(self._retry)
                continue
            log.info("event_bus.reconnected")
            self.publish_local(RESYNC)
            return
