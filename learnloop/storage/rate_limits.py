"""Token buckets in PostgreSQL: an autocommit statement per mutation request (or per lease of
tokens when the limit is high), on a small pool of its own."""

from __future__ import annotations

import time
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from learnloop.domain.rate_limits import LEASE_SECONDS, RateLimit

_TAKE = text("SELECT learnloop_take_rate_tokens(:org, :principal, :cost, :interval, :window)")


class RateLimitStore:
    """Takes tokens from a principal's bucket; every API process shares the buckets.

    The statement runs in autocommit on connections of its own, so the bucket row is locked
    only for that one statement (never for a whole request), and a request holding its
    request connection never waits for a connection of the same pool (no deadlock).
    """

    def __init__(self, url: URL, limit: RateLimit, *, pool_size: int, timeout: float) -> None:
        self.limit = limit
        self._engine: AsyncEngine = create_async_engine(
            url,
            isolation_level="AUTOCOMMIT",
            pool_size=pool_size,
            max_overflow=0,
            connect_args={
                "timeout": timeout,
                "server_settings": {"application_name": "learnloop-rate-limits"},
            },
        )
        # (org, principal) -> (tokens taken ahead and not yet spent, monotonic expiry)
        self._leases: dict[tuple[UUID, str], tuple[int, float]] = {}

    async def take(self, org_id: UUID, principal: str, cost: int) -> float:
        """0 when `cost` tokens were taken; otherwise the seconds until they would be.

        Spends tokens leased earlier by this process first; otherwise takes `cost` plus a lease
        (RateLimit.lease) in one statement, and only `cost` when the bucket cannot spare both.
        """
        key = (org_id, principal)
        now = time.monotonic()
        left, until = self._leases.get(key, (0, 0.0))
        if now >= until:
            left = 0
        if left >= cost:
            self._leases[key] = (left - cost, until)
            return 0.0
        ahead = self.limit.lease - cost
        if ahead > 0 and await self._take(org_id, principal, cost + ahead) <= 0:
            if len(self._leases) > 10_000:
                self._leases = {k: v for k, v in self._leases.items() if v[1] > now}
            self._leases[key] = (left + ahead, now + LEASE_SECONDS)
            return 0.0
        return await self._take(org_id, principal, cost)

    async def _take(self, org_id: UUID, principal: str, cost: int) -> float:
        async with self._engine.connect() as conn:
            wait = await conn.scalar(
                _TAKE,
                {
                    "org": org_id,
                    "principal": principal,
                    "cost": cost,
                    "interval": self.limit.interval,
                    "window": self.limit.window,
                },
            )
        return float(wait or 0.0)

    async def close(self) -> None:
        await self._engine.dispose()
