"""Requests and latency per GraphQL operation name, and errors by code, for GET /metrics."""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from strawberry.extensions import SchemaExtension

# Seconds; Prometheus' usual web latency buckets.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Operation names come from clients: a bounded, well-formed label set keeps /metrics small.
MAX_NAMES = 200
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass
class OperationStats:
    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    buckets: dict[str, list[int]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if not _NAME.match(name):
            return "other"
        if name not in self.requests and len(self.requests) >= MAX_NAMES:
            return "other"
        return name

    def observe(self, name: str | None, seconds: float, codes: list[str]) -> None:
        label = self.label(name)
        self.requests[label] += 1
        self.seconds[label] = self.seconds.get(label, 0.0) + seconds
        counts = self.buckets.setdefault(label, [0] * (len(BUCKETS) + 1))
        counts[bisect_left(BUCKETS, seconds)] += 1
        for code in codes:
            self.errors[code] += 1

    def render(self) -> list[str]:
        lines = [
            "# HELP learnloop_graphql_requests_total GraphQL operations by operation name.",
            "# TYPE learnloop_graphql_requests_total counter",
        ]
        lines += [
            f'learnloop_graphql_requests_total{{operation="{n}"}} {c}'
            for n, c in sorted(self.requests.items())
        ]
        lines += [
            "# HELP learnloop_graphql_duration_seconds GraphQL operation latency.",
            "# TYPE learnloop_graphql_duration_seconds histogram",
        ]
        for name, counts in sorted(self.buckets.items()):
            running = 0
            for bound, count in zip((*BUCKETS, float("inf")), counts, strict=True):
                running += count
                le = "+Inf" if bound == float("inf") else repr(bound)
                lines.append(
                    f'learnloop_graphql_duration_seconds_bucket{{operation="{name}",le="{le}"}} '
                    f"{running}"
                )
            lines.append(
                f'learnloop_graphql_duration_seconds_sum{{operation="{name}"}} '
                f"{self.seconds[name]:.6f}"
            )
            lines.append(
                f'learnloop_graphql_duration_seconds_count{{operation="{name}"}} {running}'
            )
        lines += [
            "# HELP learnloop_graphql_errors_total GraphQL errors by code.",
            "# TYPE learnloop_graphql_errors_total counter",
        ]
        lines += [
            f'learnloop_graphql_errors_total{{code="{c}"}} {n}'
            for c, n in sorted(self.errors.items())
        ]
        return lines


class OperationMetrics(SchemaExtension):
    """First in the extension list, so it sees the errors as the caller gets them (masked)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        state = getattr(self.execution_context.context, "state", None)
        stats = getattr(state, "operations", None)
        if stats is None:
            return
        result = self.execution_context.result
        codes = [
            str((e.extensions or {}).get("code") or "GRAPHQL_ERROR")
            for e in (result.errors or [] if result else [])
        ]
        stats.observe(self.execution_context.operation_name, time.perf_counter() - started, codes)
