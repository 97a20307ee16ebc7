"""`learnloop worker`: a standalone worker process with its own engine pool and listener."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.config import Settings
from learnloop.errors import ConfigurationError
from learnloop.http.metrics import worker_metrics_app
from learnloop.metrics import WorkerMetrics
from learnloop.storage.database import DatabaseTarget, create_engine
from learnloop.storage.event_bus import EventBus
from learnloop.storage.migrations import current_revision, head_revision
from learnloop.tracing import tracing_from_env
from learnloop.worker.registry import build_registry
from learnloop.worker.runner import Worker, WorkerSettings
from learnloop.worker.webhooks import WebhookSender


@asynccontextmanager
async def serving_metrics(
    settings: Settings, engine: AsyncEngine, metrics: WorkerMetrics
) -> AsyncIterator[None]:
    """GET /metrics on LEARNLOOP_HOST:LEARNLOOP_WORKER_METRICS_PORT while the worker runs."""
    if settings.worker_metrics_port is None:
        yield
        return
    app = worker_metrics_app(settings, engine, metrics)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.worker_metrics_port,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    # The worker owns SIGTERM/SIGINT (it hands runs back): uvicorn must not take them over.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve())
    try:
        yield
    finally:
        server.should_exit = True
        await task


async def run_worker(target: DatabaseTarget, settings: Settings, concurrency: int | None) -> None:
    """Run until SIGTERM/SIGINT; runs still held then are re-queued for another worker."""
    tracing = tracing_from_env(settings)  # first: a missing package fails before connecting
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
        metrics = WorkerMetrics()
        tracing.instrument(engine)
        worker = Worker(
            engine,
            registry,
            bus,
            WorkerSettings.from_settings(settings, concurrency),
            webhooks=WebhookSender(engine, settings, metrics=metrics, tracing=tracing),
            metrics=metrics,
            tracing=tracing,
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        async with serving_metrics(settings, engine, metrics):
            await worker.run()
    finally:
        await bus.stop()
        await engine.dispose()
        tracing.shutdown()
