"""A small time-bounded cache for agent configs (the service is asked again after `ttl`)."""

from __future__ import annotations

import time
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: K, value: V) -> None:
        if len(self._entries) >= self.max_entries:
            # Bounded memory: unit ids are unbounded, so drop everything rather than grow.
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, value)
