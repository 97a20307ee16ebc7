"""Process metrics as Prometheus text: counters, gauges and labelled histograms, no client library."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Seconds; Prometheus' usual web latency buckets.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Seconds a training run attempt takes: from a second to a few hours.
RUN_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0)
# Seconds a caller waits for a pooled database connection.
WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _labels(names: tuple[str, ...], values: tuple[str, ...], *extra: tuple[str, str]) -> str:
    pairs = [*zip(names, values, strict=True), *extra]
    if not pairs:
        return ""
    return "{" + ",".join(f'{k}="{v}"' for k, v in pairs) + "}"


def scalar(kind: str, name: str, help_text: str, value: float) -> list[str]:
    """One unlabelled counter or gauge with its HELP and TYPE lines."""
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {value:g}"]


@dataclass
class Histogram:
    """A histogram with label values given per observation (callers keep label sets bounded)."""

    name: str
    help_text: str
    buckets: tuple[float, ...]
    label_names: tuple[str, ...] = ()
    counts: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    sums: dict[tuple[str, ...], float] = field(default_factory=dict)

    def observe(self, value: float, *labels: str) -> None:
        counts = self.counts.setdefault(labels, [0] * (len(self.buckets) + 1))
        counts[bisect_left(self.buckets, value)] += 1
        self.sums[labels] = self.sums.get(labels, 0.0) + value

    def count(self, *labels: str) -> int:
        return sum(self.counts.get(labels, ()))

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help_text}", f"# TYPE {self.name} histogram"]
        for labels, counts in sorted(self.counts.items()):
            running = 0
            for bound, count in zip((*self.buckets, float("inf")), counts, strict=True):
                running += count
                le = "+Inf" if bound == float("inf") else repr(bound)
                lines.append(
                    f"{self.name}_bucket{_labels(self.label_names, labels, ('le', le))} {running}"
                )
            tag = _labels(self.label_names, labels)
            lines.append(f"{self.name}_sum{tag} {self.sums[labels]:.6f}")
            lines.append(f"{self.name}_count{tag} {running}")
        return lines


@dataclass
class WorkerMetrics:
    """What a worker counts: runs by type and outcome, their durations, webhook attempts.

    The in-process worker of `learnloop serve` shares the API's instance (one /metrics);
    a `learnloop worker` process serves its own on --metrics-port.
    """

    counters: Counter[str] = field(default_factory=Counter)
    run_seconds: Histogram = field(
        default_factory=lambda: Histogram(
            "learnloop_training_run_duration_seconds",
            "Seconds from claim to recorded outcome of a run attempt, by type and outcome.",
            RUN_BUCKETS,
            ("training_type", "status"),
        )
    )

    def run_finished(self, training_type: str, status: str, seconds: float) -> None:
        self.run_seconds.observe(seconds, training_type, status)

    def render(self) -> list[str]:
        return [
            *self.run_seconds.render(),
            *scalar(
                "counter",
                "learnloop_webhook_deliveries_total",
                "Webhook attempts answered 2xx by this process's worker.",
                self.counters["webhook_deliveries"],
            ),
            *scalar(
                "counter",
                "learnloop_webhook_failures_total",
                "Webhook attempts that failed (refused, unreachable, non-2xx) in this process.",
                self.counters["webhook_failures"],
            ),
        ]


def pool_lines(pool: Any) -> list[str]:
    """The connection pool: in use, overflow, size, callers waiting now and how long they waited."""
    waits: Histogram | None = getattr(pool, "wait_seconds", None)
    lines = [
        *scalar(
            "gauge",
            "learnloop_db_pool_checked_out",
            "Connections in use (one per in-flight request or job step).",
            getattr(pool, "checkedout", lambda: 0)(),
        ),
        *scalar(
            "gauge",
            "learnloop_db_pool_overflow",
            "Connections open beyond the pool size (negative: room).",
            getattr(pool, "overflow", lambda: 0)(),
        ),
        *scalar(
            "gauge",
            "learnloop_db_pool_size",
            "Connections the pool keeps.",
            getattr(pool, "size", lambda: 0)(),
        ),
        *scalar(
            "gauge",
            "learnloop_db_pool_waiting",
            "Callers waiting for a connection right now (pool exhausted, or connecting).",
            getattr(pool, "waiting", 0),
        ),
    ]
    if waits is not None:
        lines += waits.render()
    return lines


@dataclass(frozen=True)
class QueueDepth:
    """Cluster-wide backlog read from the database: the same numbers on every process."""

    queued_runs: int
    running_runs: int
    oldest_queued_seconds: float
    pending_webhooks: int

    def render(self) -> list[str]:
        return [
            *scalar(
                "gauge",
                "learnloop_training_runs_queued",
                "PENDING training runs, all organisations (workers too few or down if it grows).",
                self.queued_runs,
            ),
            *scalar(
                "gauge",
                "learnloop_training_runs_running",
                "RUNNING training runs, all organisations.",
                self.running_runs,
            ),
            *scalar(
                "gauge",
                "learnloop_training_runs_oldest_queued_seconds",
                "Age of the oldest PENDING training run (0 when none).",
                self.oldest_queued_seconds,
            ),
            *scalar(
                "gauge",
                "learnloop_webhook_deliveries_pending",
                "Webhook deliveries not yet delivered or given up (due or awaiting a retry).",
                self.pending_webhooks,
            ),
        ]
