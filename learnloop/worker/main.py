"""`learnloop worker`: a standalone worker process with its own engine pool and listener."""

from __future__ import annotations

import asyncio
import signal

from learnloop.config import Settings
from learnloop.errors import ConfigurationError
from learnloop.storage.database import DatabaseTarget, create_engine
from learnloop.storage.event_bus import EventBus
from learnloop.storage.migrations import current_revision, head_revision
from learnloop.worker.registry import build_registry
from learnloop.worker.runner import Worker, WorkerSettings
from learnloop.worker.webhooks import WebhookSender


async def run_worker(target: DatabaseTarget, settings: Settings, concurrency: int | None) -> None:
    """Run until SIGTERM/SIGINT; runs still held then are re-queued for another worker."""
    engine = create_engine(target.app_url, settings)
    bus = EventBus(target.app_url)
    try:
        async with engine.connect() as conn:
            current, head = await current_revision(conn), head_revision()
        if current != head:
            raise ConfigurationError(
                f"the database is at migration {current or '(none)'} but this worker needs {head}: "
                "run `learnloop migrate` first"
            )
        registry = build_registry(settings, engine)
        if not registry.available():
            raise ConfigurationError("no training engines are installed; nothing to run")
        worker = Worker(
            engine,
            registry,
            bus,
            WorkerSettings.from_settings(settings, concurrency),
            webhooks=WebhookSender(engine, settings),
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        await worker.run()
    finally:
        await bus.stop()
        await engine.dispose()
