"""Mutation rate limits: a token bucket per principal, as GCRA parameters (no I/O here)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """`per_minute` mutations per principal: a bucket of that many tokens, refilled evenly.

    Stored as GCRA: one timestamp per principal (the "theoretical arrival time"), moved
    forward by `interval` seconds per token; a request is admitted while it stays within
    `window` seconds of now. That is exactly a token bucket of `per_minute` tokens.
    """

    per_minute: int

    @property
    def interval(self) -> float:
        """Seconds one token takes to come back."""
        return 60.0 / self.per_minute

    @property
    def window(self) -> float:
        """How far ahead of now the bucket's timestamp may run: the whole bucket, 60 s."""
        return self.interval * self.per_minute

    @property
    def lease(self) -> int:
        """Tokens a process may take from the shared bucket at once and spend locally.

        A tenth of a second of budget (1 below 1,200 per minute: then every mutation asks the
        bucket, and one principal cannot send enough for that to cost anything). Above that,
        the bucket is asked a few times a second instead of once per mutation; a process
        never spends more than it took, so the limit still holds, at most a lease early.
        """
        return max(1, self.per_minute // 600)

    def admits(self, cost: int) -> bool:
        """Whether a request of `cost` tokens could ever pass (a full bucket is enough)."""
        return cost <= self.per_minute


# Leased tokens not spent within this many seconds are dropped (they were taken from the bucket,
# so dropping them is only ever stricter).
LEASE_SECONDS = 1.0


def retry_after_seconds(wait: float) -> int:
    """Whole seconds a client should wait (rounded up, at least 1)."""
    return max(1, math.ceil(wait))
