"""Process-wide state shared by every request: settings, the app-role engine, token settings."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.config import Settings
from learnloop.domain.engines.registry import EngineRegistry
from learnloop.domain.rate_limits import RateLimit
from learnloop.domain.tokens import TokenSettings
from learnloop.domain.webhooks import HostResolver
from learnloop.metrics import WorkerMetrics
from learnloop.resolvers.operation_metrics import OperationStats
from learnloop.resolvers.shared_reads import SharedReads
from learnloop.resolvers.shared_streams import SharedStreams
from learnloop.storage.event_bus import EventBus
from learnloop.storage.rate_limits import RateLimitStore
from learnloop.tracing import Tracing, tracing_from_env


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    tokens: TokenSettings
    engines: EngineRegistry
    bus: EventBus
    # Webhook URLs are checked at creation with it (tests swap in a fake DNS).
    resolve_host: HostResolver
    rate_limits: RateLimitStore | None = None
    shared_reads: SharedReads = field(default_factory=SharedReads)
    counters: Counter[str] = field(default_factory=Counter)
    operations: OperationStats = field(default_factory=OperationStats)
    # The in-process worker's runs and webhook attempts (shown on this process's /metrics).
    worker_metrics: WorkerMetrics = field(default_factory=WorkerMetrics)
    tracing: Tracing = field(default_factory=Tracing)
    shared_streams: SharedStreams = field(init=False)

    def __post_init__(self) -> None:
        self.shared_streams = SharedStreams(self.counters)

    @classmethod
    def build(
        cls,
        settings: Settings,
        engine: AsyncEngine,
        engines: EngineRegistry,
        resolve_host: HostResolver,
    ) -> AppState:
        """`engines` and `resolve_host` come from the composition root (app.py), which knows
        the worker's registry and the system resolver."""
        tracing = tracing_from_env(settings)
        tracing.instrument(engine)
        return cls(
            tracing=tracing,
            settings=settings,
            engine=engine,
            tokens=token_settings(settings),
            engines=engines,
            resolve_host=resolve_host,
            # One LISTEN connection per API process, started on first use or at app start.
            bus=EventBus(engine.url),
            rate_limits=rate_limit_store(settings, engine),
        )

    async def close(self) -> None:
        """Release what the state opened besides the request engine."""
        if self.rate_limits is not None:
            await self.rate_limits.close()
        # Flushing exports over the network: off the event loop.
        await asyncio.to_thread(self.tracing.shutdown)


def token_settings(settings: Settings) -> TokenSettings:
    return TokenSettings(
        secret=settings.resolved_jwt_secret(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


def rate_limit_store(settings: Settings, engine: AsyncEngine) -> RateLimitStore | None:
    """The shared token buckets, or None when LEARNLOOP_RATE_LIMIT_PER_MINUTE is 0."""
    if settings.rate_limit_per_minute <= 0:
        return None
    return RateLimitStore(
        engine.url,
        RateLimit(settings.rate_limit_per_minute),
        pool_size=max(2, settings.db_pool_size // 2),
        timeout=settings.db_connect_timeout,
    )
