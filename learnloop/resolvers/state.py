"""Process-wide state shared by every request: settings, the app-role engine, token settings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.config import Settings
from learnloop.domain.engines.registry import EngineRegistry
from learnloop.domain.tokens import TokenSettings
from learnloop.resolvers.shared_reads import SharedReads
from learnloop.storage.event_bus import EventBus
from learnloop.worker.registry import build_registry


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    tokens: TokenSettings
    engines: EngineRegistry
    bus: EventBus
    shared_reads: SharedReads = field(default_factory=SharedReads)
    counters: Counter[str] = field(default_factory=Counter)

    @classmethod
    def build(cls, settings: Settings, engine: AsyncEngine) -> AppState:
        return cls(
            settings=settings,
            engine=engine,
            tokens=TokenSettings(
                secret=settings.resolved_jwt_secret(),
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
            ),
            engines=build_registry(settings, engine),
            # One LISTEN connection per API process, started on first use or at app start.
            bus=EventBus(engine.url),
        )
