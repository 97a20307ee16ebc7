"""How the annotation queue is ordered and leased: per-org policy, routing priority, lease bounds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from learnloop.domain.errors import ErrorCode, Problem, UserInputError


class QueueOrder(StrEnum):
    PRIORITY_OLDEST_FIRST = "PRIORITY_OLDEST_FIRST"  # routing priority, then oldest
    LOWEST_QUALITY_FIRST = "LOWEST_QUALITY_FIRST"  # unscored first, then lowest quality score
    MOST_NEGATIVE_FIRST = "MOST_NEGATIVE_FIRST"  # most negative feedback on the source execution


# Routing: examples born from these signals jump the queue (higher = sooner).
DEFAULT_ROUTING: dict[str, int] = {
    "THUMBS_DOWN": 20,
    "REPORT_ISSUE": 30,
    "HALLUCINATION": 50,
    "UNSAFE": 100,
}


# MOST_NEGATIVE_FIRST counts the feedback on an example's execution that is one of these
# types or rates it at most NEGATIVE_MAX_RATING (of 5).
NEGATIVE_FEEDBACK_TYPES = ("THUMBS_DOWN", "REPORT_ISSUE", "CORRECTION")
NEGATIVE_MAX_RATING = 2


@dataclass(frozen=True)
class QueuePolicy:
    order: QueueOrder = QueueOrder.PRIORITY_OLDEST_FIRST
    lease_seconds: int = 15 * 60
    max_leases_per_expert: int = 5
    annotations_required: int = 1
    blind: bool = True
    routing: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_ROUTING))

    def lease_until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.lease_seconds)


SETTING_KEYS = {
    "queueOrder": "order",
    "leaseSeconds": "lease_seconds",
    "maxLeasesPerExpert": "max_leases_per_expert",
    "annotationsRequired": "annotations_required",
    "blindAnnotations": "blind",
    "routingPriorities": "routing",
}


def policy_from_settings(settings: Mapping[str, Any]) -> QueuePolicy:
    """Read the org's queue settings (stored camelCase in organizations.settings), defaults elsewhere."""
    base = QueuePolicy()
    order = settings.get("queueOrder")
    routing = settings.get("routingPriorities")
    return QueuePolicy(
        order=QueueOrder(str(order)) if order in QueueOrder.__members__ else base.order,
        lease_seconds=int(settings.get("leaseSeconds", base.lease_seconds)),
        max_leases_per_expert=int(settings.get("maxLeasesPerExpert", base.max_leases_per_expert)),
        annotations_required=int(settings.get("annotationsRequired", base.annotations_required)),
        blind=bool(settings.get("blindAnnotations", base.blind)),
        routing={**DEFAULT_ROUTING, **routing}
        if isinstance(routing, dict)
        else dict(DEFAULT_ROUTING),
    )


def validate_policy_update(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check a settings change; returns the camelCase keys to store."""
    problems: list[Problem] = []
    bounds = {
        "leaseSeconds": (30, 24 * 3600),
        "maxLeasesPerExpert": (1, 100),
        "annotationsRequired": (1, 10),
    }
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if key in bounds:
            lo, hi = bounds[key]
            if not lo <= int(value) <= hi:
                problems.append(Problem((key,), f"between {lo} and {hi}", ErrorCode.OUT_OF_RANGE))
                continue
        if key == "routingPriorities":
            bad = [k for k, v in value.items() if not -1000 <= int(v) <= 1000]
            if bad:
                problems.append(
                    Problem(
                        (key,), f"priorities must be within ±1000: {bad}", ErrorCode.OUT_OF_RANGE
                    )
                )
                continue
        cleaned[key] = value.value if isinstance(value, StrEnum) else value
    if problems:
        raise UserInputError(problems)
    return cleaned


def routing_priority(policy: QueuePolicy, signals: Iterable[str]) -> int:
    """Priority of a new example from its source feedback's type and issue categories."""
    return sum(policy.routing.get(signal, 0) for signal in set(signals))
