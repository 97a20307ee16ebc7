"""Training runs as the domain sees them: records, the status machine, and create/cancel/review."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from learnloop.domain.audit import AuditEntry, AuditSink
from learnloop.domain.datasets import DatasetRecord, DatasetStatus
from learnloop.domain.engines.prompts import deployed_prompt
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.principal import Principal

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


def check_engine_available(catalog: EngineCatalog, training_type: TrainingType) -> list[Problem]:
    if catalog.supports(training_type):
        return []
    available = ", ".join(t.value for t in catalog.available()) or "none"
    return [
        Problem(
            ("trainingType",),
            f"no engine for {training_type.value} is installed yet; available: {available}",
            ErrorCode.INVALID,
        )
    ]


def check_agent_key(agent_key: str) -> list[Problem]:
    if not agent_key.strip():
        return [Problem(("agentId",), "name the agent this run trains", ErrorCode.REQUIRED)]
    if len(agent_key) > MAX_AGENT_KEY_LENGTH:
        return [
            Problem(("agentId",), f"at most {MAX_AGENT_KEY_LENGTH} characters", ErrorCode.TOO_LONG)
        ]
    return []


def check_max_attempts(max_attempts: int) -> list[Problem]:
    if 1 <= max_attempts <= MAX_ATTEMPTS_LIMIT:
        return []
    return [
        Problem(("maxAttempts",), f"between 1 and {MAX_ATTEMPTS_LIMIT}", ErrorCode.OUT_OF_RANGE)
    ]


def check_config(
    catalog: EngineCatalog, training_type: TrainingType, config: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Problem]]:
    """The engine's normalised config, or its problems (paths start at `config`)."""
    if not catalog.supports(training_type):
        return {}, []
    try:
        return catalog.validate_config(training_type, config), []
    except UserInputError as exc:
        return {}, list(exc.problems)


def check_agent_covered(dataset: DatasetRecord | None, agent_key: str) -> list[Problem]:
    """A dataset scoped to some agents trains only those; another agent is a typo, not new."""
    key = agent_key.strip()
    if dataset is None or not dataset.agent_ids or not key or key in dataset.agent_ids:
        return []
    covered = ", ".join(dataset.agent_ids)
    message = f"dataset '{dataset.name}' v{dataset.version} covers agents {covered}, not '{key}'"
    return [Problem(("agentId",), f"{message}; pick one of those", ErrorCode.INVALID)]


def check_dataset_trainable(dataset: DatasetRecord | None) -> list[Problem]:
    """Runs train on frozen versions only, so a result can always be traced to its exact data."""
    if dataset is None:
        return [
            Problem(("datasetId",), "no such dataset in this organisation", ErrorCode.NOT_FOUND)
        ]
    if dataset.status is not DatasetStatus.FROZEN:
        return [
            Problem(
                ("datasetId",),
                f"dataset '{dataset.name}' v{dataset.version} is a {dataset.status.value}; "
                "freeze it first (freezeDataset) so the run trains on data that never changes",
                ErrorCode.INVALID_STATE,
            )
        ]
    if dataset.total_examples == 0:
        return [
            Problem(
                ("datasetId",),
                f"dataset '{dataset.name}' v{dataset.version} has no examples to train on",
                ErrorCode.INVALID_STATE,
            )
        ]
    return []


def check_dataset_fits(
    catalog: EngineCatalog, training_type: TrainingType, dataset: DatasetRecord | None
) -> list[Problem]:
    """The engine's own needs (e.g. the splits it uses), once the dataset itself is trainable."""
    if dataset is None or check_dataset_trainable(dataset) or not catalog.supports(training_type):
        return []
    return catalog.dataset_problems(training_type, dataset)


def check_dataset_needed(training_type: TrainingType) -> list[Problem]:
    """Every type but RAG_TUNING trains on a dataset version."""
    if training_type is TrainingType.RAG_TUNING:
        return []
    return [
        Problem(
            ("datasetId",),
            f"{training_type.value} trains on a frozen dataset version: name one",
            ErrorCode.REQUIRED,
        )
    ]


async def check_engine_data(
    store: TrainingRunStore, catalog: EngineCatalog, new: NewTrainingRun
) -> list[Problem]:
    """RAG_TUNING learns from the agent's retrieval feedback, not the dataset: it must have some."""
    agent_key = new.agent_key.strip()
    if new.training_type is not TrainingType.RAG_TUNING or not catalog.supports(new.training_type):
        return []
    if not agent_key or await store.has_retrieval_feedback(agent_key):
        return []
    return [
        Problem(
            ("agentId",),
            f"agent '{agent_key}' has no retrieval feedback yet; send some with "
            "recordRetrievalFeedback before starting RAG_TUNING",
            ErrorCode.INVALID_STATE,
        )
    ]


async def _with_deployed_prompt(
    store: TrainingRunStore, new: NewTrainingRun, config: dict[str, Any]
) -> dict[str, Any]:
    """An engine that leaves `basePrompt` open starts from the agent's active deployed prompt."""
    if "basePrompt" not in config or config["basePrompt"] is not None:
        return config
    deployed = deployed_prompt(await store.active_deployment_config(new.agent_key.strip()))
    return {**config, "basePrompt": deployed if deployed is not None else ""}


async def create_training_run(
    store: TrainingRunStore,
    catalog: EngineCatalog,
    audit: AuditSink,
    principal: Principal,
    new: NewTrainingRun,
) -> TrainingRunRecord:
    """Queue a run (PENDING) for a frozen dataset; every problem with the input is reported at once."""
    assert principal.org_id is not None
    config, config_problems = check_config(catalog, new.training_type, new.config)
    dataset = await store.dataset(new.dataset_id) if new.dataset_id is not None else None
    dataset_checks = (
        [
            *check_dataset_trainable(dataset),
            *check_agent_covered(dataset, new.agent_key),
            *check_dataset_fits(catalog, new.training_type, dataset),
        ]
        if new.dataset_id is not None
        else check_dataset_needed(new.training_type)
    )
    problems = [
        *check_engine_available(catalog, new.training_type),
        *check_agent_key(new.agent_key),
        *check_max_attempts(new.max_attempts),
        *config_problems,
        *dataset_checks,
        *await check_engine_data(store, catalog, new),
    ]
    if problems:
        raise UserInputError(problems)
    config = await _with_deployed_prompt(store, new, config)
    cleaned = NewTrainingRun(
        dataset_id=new.dataset_id,
        agent_key=new.agent_key.strip(),
        training_type=new.training_type,
        config=config,
        max_attempts=new.max_attempts,
    )
    agent_id = await store.ensure_agent(cleaned.agent_key)
    run = await store.insert(principal.org_id, cleaned, agent_id, principal.user_id)
    await store.add_event(
        run.org_id, run.id, "status", "queued", {"status": RunStatus.PENDING.value}
    )
    await audit(
        principal,
        AuditEntry(
            "training_run.create",
            "TrainingRun",
            run.id,
            {"trainingType": run.training_type.value, "datasetId": str(run.dataset_id or "")},
        ),
    )
    return run


async def _existing(store: TrainingRunStore, run_id: UUID, field: str) -> TrainingRunRecord:
    run = await store.get_for_update(run_id)
    if run is None:
        raise UserInputError.single(
            (field,), "no such training run in this organisation", ErrorCode.NOT_FOUND
        )
    return run


def check_cancellable(run: TrainingRunRecord) -> None:
    if not can_transition(run.status, RunStatus.CANCELLED):
        raise UserInputError.single(
            ("runId",),
            f"the run is already {run.status.value}; there is nothing to cancel",
            ErrorCode.INVALID_STATE,
        )


async def cancel_training_run(
    store: TrainingRunStore, audit: AuditSink, principal: Principal, run_id: UUID
) -> TrainingRunRecord:
    """A queued run is cancelled at once; a running one is asked to stop (its worker confirms)."""
    run = await _existing(store, run_id, "runId")
    check_cancellable(run)
    if run.status is RunStatus.PENDING:
        run = await store.cancel_pending(run_id)
        await store.add_event(
            run.org_id,
            run.id,
            "status",
            "cancelled before it started",
            {"status": RunStatus.CANCELLED.value},
        )
        await audit(principal, AuditEntry("training_run.cancel", "TrainingRun", run.id))
        return run
    if not run.cancel_requested:
        run = await store.request_cancel(run_id)
        await store.add_event(run.org_id, run.id, "log", "cancellation requested", {})
        await audit(principal, AuditEntry("training_run.cancel_request", "TrainingRun", run.id))
    return run


def check_reviewable(run: TrainingRunRecord) -> None:
    if run.status is not RunStatus.COMPLETED:
        raise UserInputError.single(
            ("runId",),
            f"only COMPLETED runs can be reviewed; this one is {run.status.value}",
            ErrorCode.INVALID_STATE,
        )
    if run.review_status is not RunReviewStatus.UNREVIEWED:
        raise UserInputError.single(
            ("runId",),
            f"the run was already reviewed ({run.review_status.value}); start a new run to "
            "change the outcome",
            ErrorCode.INVALID_STATE,
        )


def check_review_notes(decision: ReviewDecision, notes: str | None) -> list[Problem]:
    cleaned = (notes or "").strip()
    if decision is ReviewDecision.REJECT and not cleaned:
        return [Problem(("notes",), "say why the run is rejected", ErrorCode.REQUIRED)]
    if len(cleaned) > MAX_NOTES_LENGTH:
        return [Problem(("notes",), f"at most {MAX_NOTES_LENGTH} characters", ErrorCode.TOO_LONG)]
    return []


async def review_training_run(
    store: TrainingRunStore,
    audit: AuditSink,
    principal: Principal,
    run_id: UUID,
    decision: ReviewDecision,
    notes: str | None,
) -> TrainingRunRecord:
    """A person approves or rejects a completed run; only approved runs can be deployed."""
    run = await _existing(store, run_id, "runId")
    check_reviewable(run)
    problems: Sequence[Problem] = check_review_notes(decision, notes)
    if problems:
        raise UserInputError(problems)
    status = (
        RunReviewStatus.APPROVED if decision is ReviewDecision.APPROVE else RunReviewStatus.REJECTED
    )
    cleaned = (notes or "").strip() or None
    run = await store.record_review(run_id, status, cleaned, principal.user_id)
    await store.add_event(
        run.org_id, run.id, "log", f"review: {status.value}", {"notes": cleaned or ""}
    )
    await audit(
        principal,
        AuditEntry(
            "training_run.review",
            "TrainingRun",
            run.id,
            {"decision": decision.value, "notes": cleaned},
        ),
    )
    return run
