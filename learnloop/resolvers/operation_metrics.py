"""Requests and latency per GraphQL operation name, and errors by code, for GET /metrics."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from strawberry.extensions import SchemaExtension

from learnloop.metrics import LATENCY_BUCKETS, Histogram

# Operation names come from clients: a bounded, well-formed label set keeps /metrics small.
MAX_NAMES = 200
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _latency() -> Histogram:
    return Histogram(
        "learnloop_graphql_duration_seconds",
        "GraphQL operation latency.",
        LATENCY_BUCKETS,
        ("operation",),
    )


@dataclass
class OperationStats:
    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latency: Histogram = field(default_factory=_latency)

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
        self.latency.observe(seconds, label)
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
        lines += self.latency.render()
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
