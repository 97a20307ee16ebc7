"""Experiments as the domain sees them: statuses, the transition table, records and metric names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class ExperimentStatus(StrEnum):
    DRAFT = "DRAFT"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        return self in (ExperimentStatus.COMPLETED, ExperimentStatus.CANCELLED)


class Variant(StrEnum):
    CONTROL = "CONTROL"
    TREATMENT = "TREATMENT"


class Winner(StrEnum):
    CONTROL = "CONTROL"
    TREATMENT = "TREATMENT"
    INCONCLUSIVE = "INCONCLUSIVE"


class PromotionStatus(StrEnum):
    """The human gate after a canary: its winning treatment waits for a MANAGER's decision."""

    PENDING = "PENDING"
    PROMOTED = "PROMOTED"
    REJECTED = "REJECTED"


# DRAFT -> RUNNING <-> PAUSED -> COMPLETED | CANCELLED; a draft may be abandoned, a running
# experiment concluded without pausing first.
TRANSITIONS: Mapping[ExperimentStatus, frozenset[ExperimentStatus]] = {
    ExperimentStatus.DRAFT: frozenset({ExperimentStatus.RUNNING, ExperimentStatus.CANCELLED}),
    ExperimentStatus.RUNNING: frozenset(
        {ExperimentStatus.PAUSED, ExperimentStatus.COMPLETED, ExperimentStatus.CANCELLED}
    ),
    ExperimentStatus.PAUSED: frozenset(
        {ExperimentStatus.RUNNING, ExperimentStatus.COMPLETED, ExperimentStatus.CANCELLED}
    ),
    ExperimentStatus.COMPLETED: frozenset(),
    ExperimentStatus.CANCELLED: frozenset(),
}

# Metrics read from feedback on executions tagged with an arm (one row of feedback, one value).
FEEDBACK_METRICS = (
    "thumbs_up_rate",
    "thumbs_down_rate",
    "mean_rating",
    "accuracy",
    "helpfulness",
    "clarity",
    "completeness",
    "correction_rate",
    "issue_rate",
)
# For these a lower value is the better arm.
LOWER_IS_BETTER = frozenset({"thumbs_down_rate", "correction_rate", "issue_rate"})
# Guardrails: a treatment that is surely worse on these pauses the experiment (when enabled).
GUARDRAIL_METRICS = ("thumbs_down_rate", "issue_rate")
CUSTOM_METRIC = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class ExperimentRecord:
    id: UUID
    org_id: UUID
    agent_id: UUID
    agent_key: str
    name: str
    hypothesis: str | None
    status: ExperimentStatus
    hash_seed: str
    coverage: float
    control_percentage: float
    treatment_percentage: float
    control_config: dict[str, Any]
    treatment_config: dict[str, Any]
    primary_metric: str
    minimum_sample_size: int
    guardrails: bool
    results: dict[str, Any]
    winner: Winner | None
    training_run_id: UUID | None
    promoted_deployment_id: UUID | None
    promotion_status: PromotionStatus | None
    promotion_decided_at: datetime | None
    promotion_decided_by_user_id: UUID | None
    promotion_notes: str | None
    created_by_user_id: UUID | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    ended_at: datetime | None

    def config_of(self, variant: Variant) -> dict[str, Any]:
        return self.control_config if variant is Variant.CONTROL else self.treatment_config

    @property
    def is_canary(self) -> bool:
        """Started by deployTrainingRun with a canary (by hand or by a learning policy)."""
        return self.training_run_id is not None


def promotion_on_conclusion(record: ExperimentRecord, winner: Winner) -> PromotionStatus | None:
    """A canary whose treatment won waits for a person; any other conclusion promotes nothing."""
    if record.is_canary and winner is Winner.TREATMENT:
        return PromotionStatus.PENDING
    return None


@dataclass(frozen=True)
class NewExperiment:
    name: str
    agent_key: str
    hypothesis: str | None = None
    # JSON from the caller; the lifecycle rules check that each is an object.
    control_config: Any = field(default_factory=dict)
    treatment_config: Any = field(default_factory=dict)
    control_percentage: float = 50.0
    treatment_percentage: float = 50.0
    primary_metric: str = "thumbs_up_rate"
    minimum_sample_size: int = 100
    hash_seed: str | None = None
    coverage: float = 1.0
    guardrails: bool = True
    training_run_id: UUID | None = None


@dataclass(frozen=True)
class ExperimentChanges:
    """updateExperiment: None means "leave as it is"."""

    name: str | None = None
    hypothesis: str | None = None
    control_config: Any = None
    treatment_config: Any = None
    control_percentage: float | None = None
    treatment_percentage: float | None = None
    primary_metric: str | None = None
    minimum_sample_size: int | None = None
    hash_seed: str | None = None
    coverage: float | None = None
    guardrails: bool | None = None


@dataclass(frozen=True)
class ExperimentFilter:
    agent_key: str | None = None
    status: ExperimentStatus | None = None


@dataclass(frozen=True)
class AgentConfig:
    """What an agent should use for one unit: its deployment, or an experiment arm's config."""

    agent_key: str
    variant: Variant | None
    experiment_id: UUID | None
    deployment_version: int | None
    config: dict[str, Any]
