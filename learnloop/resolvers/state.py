"""Process-wide state shared by every request: settings, the app-role engine, token settings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.config import Settings
from learnloop.domain.tokens import TokenSettings


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    tokens: TokenSettings
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
        )
