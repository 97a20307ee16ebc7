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

    def admits(self, cost: int) -> bool:
        """Whether a request of `cost` tokens could ever pass (a full bucket is enough)."""
        return cost <= self.per_minute


def retry_after_seconds(wait: float) -> int:
    """Whole seconds a client should wait (rounded up, at least 1)."""
    return max(1, math.ceil(wait))
