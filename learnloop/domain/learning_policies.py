"""Learning policies: when an agent's newly approved examples should start its next training run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from learnloop.domain.audit import AuditEntry, AuditSink
from learnloop.domain.dataset_curation import (
    DatasetStore,
    add_examples,
    create_dataset,
    create_dataset_version,
    freeze_dataset,
)
from learnloop.domain.datasets import DatasetRecord, ExampleFilter, NewDataset
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.principal import Principal, system
from learnloop.domain.splits import SplitRatios
from learnloop.domain.training_runs.creation import (
    check_agent_key,
    check_config,
    check_engine_available,
    create_training_run,
)
from learnloop.domain.training_runs.records import (
    DEFAULT_MAX_ATTEMPTS,
    EngineCatalog,
    NewTrainingRun,
    RunReviewStatus,
    RunStatus,
    TrainingRunRecord,
    TrainingRunStore,
    TrainingType,
)

MAX_MIN_NEW_APPROVED = 100_000
MIN_PERIOD_SECONDS = 60
MAX_PERIOD_SECONDS = 366 * 86400
APPROVED = "APPROVED"
# Optimisers select and confirm on held-out examples; a policy's small batches need more of them.
POLICY_SPLITS = SplitRatios(train=0.5, validation=0.25, test=0.25)
DEFAULT_TREATMENT_PERCENTAGE = 10.0


@dataclass(frozen=True)
class LearningPolicyRecord:
    id: UUID
    org_id: UUID
    agent_id: UUID
    agent_key: str
    training_type: TrainingType
    min_new_approved_examples: int
    config: dict[str, Any]
    auto_experiment: bool
    treatment_percentage: float
    enabled: bool
    period_seconds: int | None
    last_run_id: UUID | None
    last_dataset_id: UUID | None
    last_triggered_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PolicySettings:
    """What setLearningPolicy writes; one policy per agent, so setting it again replaces it."""

    agent_key: str
    training_type: TrainingType
    min_new_approved_examples: int
    config: dict[str, Any]
    auto_experiment: bool
    treatment_percentage: float
    enabled: bool
    period_seconds: int | None = None


class LearningPolicyStore(Protocol):
    async def ensure_agent(self, key: str) -> UUID: ...
    async def upsert(
        self, org_id: UUID, agent_id: UUID, settings: PolicySettings
    ) -> LearningPolicyRecord: ...


def check_threshold(value: int) -> list[Problem]:
    if 1 <= value <= MAX_MIN_NEW_APPROVED:
        return []
    return [
        Problem(
            ("minNewApprovedExamples",),
            f"between 1 and {MAX_MIN_NEW_APPROVED}",
            ErrorCode.OUT_OF_RANGE,
        )
    ]


def check_treatment_percentage(value: float) -> list[Problem]:
    # Same bounds as a canary deploy: a share strictly between nobody and everybody.
    if 0 < value < 100:
        return []
    return [
        Problem(
            ("treatmentPercentage",),
            "a share of traffic greater than 0 and less than 100",
            ErrorCode.OUT_OF_RANGE,
        )
    ]


def check_period(value: int | None) -> list[Problem]:
    if value is None or MIN_PERIOD_SECONDS <= value <= MAX_PERIOD_SECONDS:
        return []
    return [
        Problem(
            ("periodSeconds",),
            f"between {MIN_PERIOD_SECONDS} seconds and {MAX_PERIOD_SECONDS // 86400} days, "
            "or null for the count trigger only",
            ErrorCode.OUT_OF_RANGE,
        )
    ]


async def set_learning_policy(
    store: LearningPolicyStore,
    catalog: EngineCatalog,
    audit: AuditSink,
    principal: Principal,
    settings: PolicySettings,
    config: object,
) -> LearningPolicyRecord:
    """Create or replace the agent's policy; config is checked by the engine like createTrainingRun."""
    assert principal.org_id is not None
    if not isinstance(config, Mapping):
        raise UserInputError.single(("config",), "give a JSON object", ErrorCode.INVALID)
    _, config_problems = check_config(catalog, settings.training_type, config)
    problems = [
        *check_engine_available(catalog, settings.training_type),
        *check_agent_key(settings.agent_key),
        *check_threshold(settings.min_new_approved_examples),
        *check_treatment_percentage(settings.treatment_percentage),
        *check_period(settings.period_seconds),
        *config_problems,
    ]
    if problems:
        raise UserInputError(problems)
    cleaned = PolicySettings(
        agent_key=settings.agent_key.strip(),
        training_type=settings.training_type,
        min_new_approved_examples=settings.min_new_approved_examples,
        # The raw config is kept: each run re-normalises it (e.g. basePrompt from the deployment).
        config=dict(config),
        auto_experiment=settings.auto_experiment,
        treatment_percentage=settings.treatment_percentage,
        enabled=settings.enabled,
        period_seconds=settings.period_seconds,
    )
    agent_id = await store.ensure_agent(cleaned.agent_key)
    policy = await store.upsert(principal.org_id, agent_id, cleaned)
    await audit(
        principal,
        AuditEntry(
            "learning_policy.set",
            "LearningPolicy",
            policy.id,
            {
                "agent": policy.agent_key,
                "trainingType": policy.training_type.value,
                "minNewApprovedExamples": policy.min_new_approved_examples,
                "autoExperiment": policy.auto_experiment,
                "treatmentPercentage": policy.treatment_percentage,
                "enabled": policy.enabled,
                "periodSeconds": policy.period_seconds,
            },
        ),
    )
    return policy


def run_is_open(run: TrainingRunRecord | None) -> bool:
    """A policy waits while its last run is queued, training, or finished but not yet reviewed."""
    if run is None:
        return False
    if run.status in (RunStatus.PENDING, RunStatus.RUNNING):
        return True
    return run.status is RunStatus.COMPLETED and run.review_status is RunReviewStatus.UNREVIEWED


class PolicyTriggerStore(Protocol):
    async def lock(self, policy_id: UUID) -> LearningPolicyRecord | None: ...
    async def run(self, run_id: UUID) -> TrainingRunRecord | None: ...
    async def frozen_dataset(self, dataset_id: UUID) -> UUID | None: ...
    async def count_new_approved(self, agent_id: UUID, dataset_id: UUID | None) -> int: ...
    async def mark_triggered(self, policy_id: UUID, run_id: UUID, dataset_id: UUID) -> None: ...


@dataclass(frozen=True)
class PolicyServices:
    """What a trigger writes through: the policy, datasets, runs, the engines and the audit log."""

    policies: PolicyTriggerStore
    datasets: DatasetStore
    runs: TrainingRunStore
    catalog: EngineCatalog
    audit: AuditSink


@dataclass(frozen=True)
class Triggered:
    policy: LearningPolicyRecord
    dataset: DatasetRecord
    run: TrainingRunRecord
    new_examples: int


async def _next_version(
    s: PolicyServices, policy: LearningPolicyRecord, principal: Principal, previous: UUID | None
) -> DatasetRecord:
    """A DRAFT: a fork of the policy's last frozen version, or the lineage's first version."""
    if previous is not None:
        return await create_dataset_version(s.datasets, s.audit, principal, previous)
    new = NewDataset(
        name=f"learning policy: {policy.agent_key}",
        description="Approved examples of the agent, versioned by its learning policy.",
        agent_ids=(policy.agent_key,),
        ratios=POLICY_SPLITS,
        # Stratified: each split gets its share as exactly as the counts allow, so the held-out
        # TEST split the verdict rests on is never left small by the luck of the hash.
        stratify_by_type=True,
    )
    return await create_dataset(s.datasets, s.audit, principal, new)


def due_reason(policy: LearningPolicyRecord, waiting: int, now: datetime) -> str | None:
    """Why the policy's next run is due now, or None: the count threshold, or its period.

    The period trigger needs something new (retraining on the same examples changes nothing)
    and fires at most once per period: it counts from the last trigger, or from when the policy
    was set when it never triggered.
    """
    if waiting >= policy.min_new_approved_examples:
        return f"threshold {policy.min_new_approved_examples}"
    if policy.period_seconds is None or waiting < 1:
        return None
    since = policy.last_triggered_at or policy.created_at
    if now - since < timedelta(seconds=policy.period_seconds):
        return None
    return f"period of {policy.period_seconds}s elapsed"


async def check_policy(s: PolicyServices, policy_id: UUID, now: datetime) -> Triggered | None:
    """Queue the policy's next run if it is due (see due_reason); None if not.

    The policy row stays locked until the caller commits, so concurrent checks (API processes,
    workers) run one after another and the later ones find the run just queued open.
    """
    policy = await s.policies.lock(policy_id)
    if policy is None or not policy.enabled:
        return None
    if policy.last_run_id is not None and run_is_open(await s.policies.run(policy.last_run_id)):
        return None
    previous = (
        await s.policies.frozen_dataset(policy.last_dataset_id) if policy.last_dataset_id else None
    )
    waiting = await s.policies.count_new_approved(policy.agent_id, previous)
    why = due_reason(policy, waiting, now)
    if why is None:
        return None
    principal = system(policy.org_id)
    draft = await _next_version(s, policy, principal, previous)
    wanted = ExampleFilter(agent_ids=(policy.agent_key,), review_statuses=(APPROVED,))
    added = await add_examples(
        s.datasets,
        principal,
        dataset_id=draft.id,
        example_ids=None,
        wanted=wanted,
        split=None,
        weight=None,
    )
    frozen = await freeze_dataset(s.datasets, s.audit, principal, draft.id)
    new = NewTrainingRun(
        frozen.id, policy.agent_key, policy.training_type, policy.config, DEFAULT_MAX_ATTEMPTS
    )
    run = await create_training_run(s.runs, s.catalog, s.audit, principal, new)
    reason = (
        f"learning policy: {added.count} newly approved examples of '{policy.agent_key}' "
        f"({why}) -> dataset '{frozen.name}' v{frozen.version}"
    )
    facts = {
        "policyId": str(policy.id),
        "newApprovedExamples": added.count,
        "threshold": policy.min_new_approved_examples,
        "trigger": "threshold" if why.startswith("threshold") else "period",
        "datasetId": str(frozen.id),
        "datasetVersion": frozen.version,
    }
    await s.runs.add_event(policy.org_id, run.id, "log", reason, facts)
    await s.audit(
        principal,
        AuditEntry(
            "learning_policy.trigger", "LearningPolicy", policy.id, {**facts, "runId": str(run.id)}
        ),
    )
    await s.policies.mark_triggered(policy.id, run.id, frozen.id)
    return Triggered(policy, frozen, run, added.count)


def auto_canary_share(policy: LearningPolicyRecord | None) -> float | None:
    """The canary share a deploy of this agent's runs gets by policy, or None to switch everyone."""
    if policy is None or not policy.enabled or not policy.auto_experiment:
        return None
    return policy.treatment_percentage
