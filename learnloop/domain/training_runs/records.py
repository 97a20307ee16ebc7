"""Training runs as the domain sees them: types, the status machine, records and store protocols."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from learnloop.domain.datasets import DatasetRecord
from learnloop.domain.errors import Problem

MAX_AGENT_KEY_LENGTH = 200
MAX_NOTES_LENGTH = 5000
MAX_ATTEMPTS_LIMIT = 10
DEFAULT_MAX_ATTEMPTS = 3


class TrainingType(StrEnum):
    PROMPT_OPTIMIZATION = "PROMPT_OPTIMIZATION"
    RAG_TUNING = "RAG_TUNING"
    BEHAVIOR_CLONING = "BEHAVIOR_CLONING"
    FINE_TUNING = "FINE_TUNING"
    DPO = "DPO"
    RLHF = "RLHF"


class RunStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        return self in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED)


class RunReviewStatus(StrEnum):
    UNREVIEWED = "UNREVIEWED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ReviewDecision(StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"


# The run state machine: a worker claims PENDING runs, a lost lease puts RUNNING back to PENDING.
TRANSITIONS: Mapping[RunStatus, frozenset[RunStatus]] = {
    RunStatus.PENDING: frozenset({RunStatus.RUNNING, RunStatus.CANCELLED}),
    RunStatus.RUNNING: frozenset(
        {RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.PENDING}
    ),
    RunStatus.COMPLETED: frozenset(),
    RunStatus.FAILED: frozenset(),
    RunStatus.CANCELLED: frozenset(),
}


def can_transition(current: RunStatus, target: RunStatus) -> bool:
    return target in TRANSITIONS[current]


@dataclass(frozen=True)
class TrainingRunRecord:
    id: UUID
    org_id: UUID
    dataset_id: UUID | None  # None: a RAG_TUNING run that learns from retrieval feedback only
    agent_id: UUID | None
    agent_key: str | None
    training_type: TrainingType
    config: dict[str, Any]
    status: RunStatus
    progress: float
    metrics: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    max_attempts: int
    cancel_requested: bool
    review_status: RunReviewStatus
    review_notes: str | None
    reviewed_by_user_id: UUID | None
    reviewed_at: datetime | None
    created_by_user_id: UUID | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    provider_job_id: str | None = None  # the fine-tuning job an attempt started, if any


@dataclass(frozen=True)
class RunEventRecord:
    id: UUID
    run_id: UUID
    kind: str  # "status", "progress" or "log"
    message: str | None
    data: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class ArtifactRecord:
    """A file a run produced (its content is fetched separately, by download)."""

    id: UUID
    run_id: UUID
    name: str
    media_type: str
    size_bytes: int
    line_count: int
    sha256: str
    created_at: datetime


@dataclass(frozen=True)
class NewTrainingRun:
    dataset_id: UUID | None
    agent_key: str
    training_type: TrainingType
    config: dict[str, Any]
    max_attempts: int


@dataclass(frozen=True)
class RunFilter:
    status: RunStatus | None = None
    training_type: TrainingType | None = None
    agent_key: str | None = None
    dataset_id: UUID | None = None


class EngineCatalog(Protocol):
    """Which training types have an engine here, and each engine's config rules."""

    def supports(self, training_type: TrainingType) -> bool: ...
    def available(self) -> list[TrainingType]: ...
    def validate_config(
        self, training_type: TrainingType, config: Mapping[str, Any]
    ) -> dict[str, Any]: ...
    def dataset_problems(
        self, training_type: TrainingType, dataset: DatasetRecord
    ) -> list[Problem]: ...


class TrainingRunStore(Protocol):
    async def dataset(self, dataset_id: UUID) -> DatasetRecord | None: ...
    async def active_deployment_config(self, agent_key: str) -> dict[str, Any] | None: ...
    async def ensure_agent(self, key: str) -> UUID: ...
    async def has_retrieval_feedback(self, agent_key: str) -> bool: ...
    async def insert(
        self, org_id: UUID, new: NewTrainingRun, agent_id: UUID, created_by: UUID | None
    ) -> TrainingRunRecord: ...
    async def get_for_update(self, run_id: UUID) -> TrainingRunRecord | None: ...
    async def cancel_pending(self, run_id: UUID) -> TrainingRunRecord: ...
    async def request_cancel(self, run_id: UUID) -> TrainingRunRecord: ...
    async def record_review(
        self,
        run_id: UUID,
        status: RunReviewStatus,
        notes: str | None,
        user_id: UUID | None,
    ) -> TrainingRunRecord: ...
    async def add_event(
        self, org_id: UUID, run_id: UUID, kind: str, message: str, data: Mapping[str, Any]
    ) -> None: ...
