"""The worker loop: fill free slots with claimed runs, wake on NOTIFY, reap expired leases."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from dataclasses import dataclass
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.config import Settings
from learnloop.domain.engines.registry import EngineRegistry
from learnloop.domain.run_queue import StopReason
from learnloop.storage.event_bus import CANCEL, QUEUE, EventBus, Inbox
from learnloop.storage.run_queue import JobQueue
from learnloop.worker.job import RunExecution
from learnloop.worker.learning_policies import check_due
from learnloop.worker.webhooks import WebhookSender

log = structlog.get_logger("learnloop.worker")


@dataclass(frozen=True)
class WorkerSettings:
    concurrency: int = 1
    lease_seconds: float = 30.0
    heartbeat_seconds: float = 10.0
    poll_seconds: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings, concurrency: int | None = None) -> WorkerSettings:
        return cls(
            concurrency=concurrency or settings.worker_concurrency,
            lease_seconds=settings.worker_lease_seconds,
            heartbeat_seconds=settings.worker_heartbeat_seconds,
            poll_seconds=settings.worker_poll_seconds,
        )


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    """Executes up to `concurrency` runs at once until `stop()`; then re-queues what it holds."""

    def __init__(
        self,
        engine: AsyncEngine,
        registry: EngineRegistry,
        bus: EventBus,
        cfg: WorkerSettings,
        worker_id: str | None = None,
        webhooks: WebhookSender | None = None,
    ) -> None:
        self.registry = registry
        self.webhooks = webhooks
        self.bus = bus
        self.cfg = cfg
        self.worker_id = worker_id or new_worker_id()
        self.engine = engine
        self.queue = JobQueue(engine, self.worker_id, cfg.lease_seconds)
        self.running: dict[UUID, tuple[RunExecution, asyncio.Task[None]]] = {}
        self._nudge = asyncio.Event()
        self._stopping = asyncio.Event()
        self.log = log.bind(worker=self.worker_id)

    def stop(self) -> None:
        self._stopping.set()
        self._nudge.set()

    async def run(self) -> None:
        await self.bus.start()
        self.log.info(
            "worker.started",
            concurrency=self.cfg.concurrency,
            types=[t.value for t in self.registry.available()],
        )
        with self.bus.subscribe(QUEUE) as wakeups, self.bus.subscribe(CANCEL) as cancels:
            helpers = [
                asyncio.create_task(self._forward_wakeups(wakeups)),
                asyncio.create_task(self._watch_cancels(cancels)),
                asyncio.create_task(self._reap_expired()),
                asyncio.create_task(self._check_policies()),
            ]
            if self.webhooks is not None:
                helpers.append(asyncio.create_task(self.webhooks.run(self._stopping)))
            try:
                while not self._stopping.is_set():
                    await self._fill_slots()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.cfg.poll_seconds):
                            await self._nudge.wait()
                    self._nudge.clear()
            finally:
                for helper in helpers:
                    helper.cancel()
                await asyncio.gather(*helpers, return_exceptions=True)
                await self._shutdown_runs()
        self.log.info("worker.stopped")

    async def _fill_slots(self) -> None:
        while len(self.running) < self.cfg.concurrency and not self._stopping.is_set():
            try:
                claimed = await self.queue.claim(self.registry.available())
            except Exception:
                self.log.warning("worker.claim_failed", exc_info=True)
                return
            if claimed is None:
                return
            execution = RunExecution(self.queue, self.registry, claimed, self.cfg.heartbeat_seconds)
            task = asyncio.create_task(self._execute(execution))
            self.running[claimed.run_id] = (execution, task)

    async def _execute(self, execution: RunExecution) -> None:
        try:
            await execution.run()
        except Exception:
            execution.log.error("worker.execution_error", exc_info=True)
        finally:
            self.running.pop(execution.claimed.run_id, None)
            self._nudge.set()  # a slot is free

    async def _forward_wakeups(self, inbox: Inbox) -> None:
        while True:
            await inbox.get()
            self._nudge.set()

    async def _watch_cancels(self, inbox: Inbox) -> None:
        """A NOTIFY stops a cancelled run at once; the heartbeat would notice it anyway."""
        while True:
            notice = await inbox.get()
            entry = self.running.get(notice.run_id) if notice and notice.run_id else None
            if entry is not None:
                entry[0].stop(StopReason.CANCEL_REQUESTED)

    async def _reap_expired(self) -> None:
        """Every worker reaps; row locks make each expired run move exactly once."""
        while True:
            try:
                for run_id, org_id in await self.queue.expired():
                    moved = await self.queue.reap(run_id, org_id)
                    if moved is not None:
                        self.log.info(
                            "worker.lease_expired", run_id=str(run_id), now=moved.status.value
                        )
            except Exception:
                self.log.warning("worker.reap_failed", exc_info=True)
            await asyncio.sleep(self.cfg.heartbeat_seconds)

    async def _check_policies(self) -> None:
        """Every poll, queue the next run of each learning policy that is due (ADR 0018)."""
        while True:
            try:
                await check_due(self.engine, self.registry)
            except Exception:
                self.log.warning("worker.policy_check_failed", exc_info=True)
            await asyncio.sleep(self.cfg.poll_seconds)

    async def _shutdown_runs(self) -> None:
        for execution, _ in list(self.running.values()):
            execution.stop(StopReason.SHUTDOWN)
        tasks = [task for _, task in list(self.running.values())]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
