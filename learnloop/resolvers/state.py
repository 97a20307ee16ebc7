"""Process-wide state shared by every request: settings, the app-role engine, token settings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.config import Settings
from learnloop.domain.engines.registry import EngineRegistry
from learnloop.domain.rate_limits import RateLimit
from learnloop.domain.tokens import TokenSettings
from learnloop.resolvers.operation_metrics import OperationStats
from learnloop.resolvers.shared_reads import SharedReads
from learnloop.storage.event_bus import EventBus
from learnloop.storage.rate_limits import RateLimitStore


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    tokens: TokenSettings
    engines: EngineRegistry
    bus: EventBus
    rate_limits: RateLimitStore | None = None
    shared_reads: SharedReads = field(default_factory=SharedReads)
    counters: Counter[str] = field(default_factory=Counter)
    operations: OperationStats = field(default_factory=OperationStats)

    @classmethod
    def build(cls, settings: Settings, engine: AsyncEngine, engines: EngineRegistry) -> AppState:
        """`engines` comes from the composition root (app.py), which knows the worker's registry."""
        return cls(
            settings=settings,
            engine=engine,
            tokens=token_settings(settings),
            engines=engines,
            # One LISTEN connection per API process, started on first use or at app start.
            bus=EventBus(engine.url),
            rate_limits=rate_limit_store(settings, engine),
        )

    async def close(self) -> None:
        """Release what the state opened besides the request engine."""
        if self.rate_limits is not None:
            await self.rate_limits.close()


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
