"""Canary deployments: an approved run goes live as an experiment; a MANAGER decides on the winner."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from learnloop.domain.audit import AuditEntry, AuditSink
from learnloop.domain.deployments import (
    DeploymentRecord,
    DeploymentStore,
    check_deployable,
    check_not_deployed,
    deploy_training_run,
    deployment_config,
)
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.experiments.lifecycle import ExperimentStore, change_status, create_experiment
from learnloop.domain.experiments.records import (
    ExperimentRecord,
    ExperimentStatus,
    NewExperiment,
    PromotionStatus,
)
from learnloop.domain.permissions import OPERATION_ROLES
from learnloop.domain.principal import Principal
from learnloop.domain.roles import Role
from learnloop.domain.training_runs import TrainingRunRecord, TrainingRunStore

# Who may decide a pending promotion: whoever may call the confirming mutation.
PROMOTION_ROLE = OPERATION_ROLES["promoteExperimentWinner"] or Role.MANAGER
MAX_NOTES = 5000
# The stored results a person needs to decide (the rest stays on the experiment).
STATISTICS = (
    "metric",
    "arms",
    "absoluteLift",
    "relativeLift",
    "ciLow",
    "ciHigh",
    "pValue",
    "sequential",
    "srmPValue",
)


@dataclass(frozen=True)
class LoopCanaries:
    """An agent's canary on the dashboard: the one serving traffic, the one waiting for a person."""

    running: ExperimentRecord | None = None
    pending_promotion: ExperimentRecord | None = None


def loop_canaries(newest_first: Iterable[ExperimentRecord]) -> dict[UUID, LoopCanaries]:
    """Per agent, its newest RUNNING/PAUSED canary and its newest canary with a pending promotion."""
    found: dict[UUID, LoopCanaries] = {}
    for r in newest_first:
        if not r.is_canary:
            continue
        current = found.get(r.agent_id, LoopCanaries())
        if current.running is None and r.status in (
            ExperimentStatus.RUNNING,
            ExperimentStatus.PAUSED,
        ):
            current = replace(current, running=r)
        if current.pending_promotion is None and r.promotion_status is PromotionStatus.PENDING:
            current = replace(current, pending_promotion=r)
        found[r.agent_id] = current
    return found


class CanaryStore(ExperimentStore, Protocol):
    async def active_config(self, agent_id: UUID) -> dict[str, Any]:
        """The agent's active deployment config ({} when it has none)."""
        ...


async def start_canary(
    runs: TrainingRunStore,
    store: CanaryStore,
    deployments: DeploymentStore,
    audit: AuditSink,
    principal: Principal,
    run_id: UUID,
    treatment_percentage: float,
    *,
    primary_metric: str | None,
    minimum_sample_size: int | None,
    max_running_per_agent: int,
) -> tuple[ExperimentRecord, TrainingRunRecord]:
    """Treatment = the run's outcome, control = what the agent uses now; nothing is deployed."""
    run = await runs.get_for_update(run_id)
    if run is None:
        raise UserInputError.single(
            ("runId",), "no such training run in this organisation", ErrorCode.NOT_FOUND
        )
    check_deployable(run)
    check_not_deployed(await deployments.for_run(run.id))
    assert run.agent_id is not None and run.agent_key is not None
    if not 0 < treatment_percentage < 100:
        raise UserInputError.single(
            ("canary", "treatmentPercentage"),
            "between 0 and 100 (exclusive)",
            ErrorCode.OUT_OF_RANGE,
        )
    new = NewExperiment(
        name=f"canary: {run.training_type.value.lower()} run {str(run.id)[:8]}",
        agent_key=run.agent_key,
        hypothesis="the trained configuration does better with real users than the active one",
        control_config=await store.active_config(run.agent_id),
        treatment_config=deployment_config(run),
        control_percentage=100 - treatment_percentage,
        treatment_percentage=treatment_percentage,
        primary_metric=primary_metric or "thumbs_up_rate",
        minimum_sample_size=minimum_sample_size or 100,
        training_run_id=run.id,
    )
    draft = await create_experiment(store, audit, principal, new)
    running = await change_status(
        store,
        audit,
        principal,
        draft,
        ExperimentStatus.RUNNING,
        max_running_per_agent=max_running_per_agent,
    )
    await runs.add_event(
        run.org_id,
        run.id,
        "log",
        f"canary experiment started with {treatment_percentage:g}% of traffic",
        {"experimentId": str(running.id)},
    )
    await audit(
        principal,
        AuditEntry(
            "training_run.canary",
            "TrainingRun",
            run.id,
            {"experimentId": str(running.id), "treatmentPercentage": treatment_percentage},
        ),
    )
    return running, run


def promotion_request(record: ExperimentRecord) -> dict[str, Any] | None:
    """What `experiment.concluded` asks a person to decide, or None when nothing waits."""
    if record.promotion_status is not PromotionStatus.PENDING:
        return None
    results = record.results
    return {
        "trainingRunId": str(record.training_run_id),
        "winner": record.winner.value if record.winner else None,
        "statistics": {key: results.get(key) for key in STATISTICS},
        "requiredRole": PROMOTION_ROLE.value,
        "confirmWith": "promoteExperimentWinner",
        "rejectWith": "rejectExperimentWinner",
    }


async def _pending(store: ExperimentStore, experiment_id: UUID) -> ExperimentRecord:
    """The locked experiment if its promotion waits for a decision; a userError otherwise."""
    experiment = await store.get_for_update(experiment_id)
    if experiment is None:
        raise UserInputError.single(
            ("experimentId",), "no such experiment in this organisation", ErrorCode.NOT_FOUND
        )
    problem = None
    if not experiment.is_canary:
        problem = "only canary experiments (deployTrainingRun with canary) deploy a run"
    elif experiment.status is not ExperimentStatus.COMPLETED:
        problem = f"the experiment is {experiment.status.value}; complete it first"
    elif experiment.promotion_status is PromotionStatus.PROMOTED:
        problem = "the winner was already promoted"
    elif experiment.promotion_status is PromotionStatus.REJECTED:
        problem = "the promotion was rejected; the active deployment stays as it is"
    elif experiment.promotion_status is not PromotionStatus.PENDING:
        winner = experiment.winner.value if experiment.winner else "none"
        problem = f"the winner is {winner}; the active deployment stays as it is"
    if problem:
        raise UserInputError.single(("experimentId",), problem, ErrorCode.INVALID_STATE)
    return experiment


def _decision(principal: Principal, status: PromotionStatus, notes: str | None) -> dict[str, Any]:
    return {
        "promotion_status": status.value,
        "promotion_decided_at": datetime.now(UTC),
        "promotion_decided_by_user_id": principal.user_id,
        "promotion_notes": notes.strip() if notes and notes.strip() else None,
    }


async def promote_winner(
    runs: TrainingRunStore,
    store: ExperimentStore,
    deployments: DeploymentStore,
    audit: AuditSink,
    principal: Principal,
    experiment_id: UUID,
    notes: str | None = None,
) -> tuple[ExperimentRecord, DeploymentRecord]:
    """A person confirms: a pending promotion's run becomes the agent's active deployment."""
    problems = _check_notes(notes, required=False)
    if problems:
        raise UserInputError(problems)
    experiment = await _pending(store, experiment_id)
    assert experiment.training_run_id is not None
    # The same rules and records as a plain deploy (its run event, deployment.create audit).
    deployment, _ = await deploy_training_run(
        runs, deployments, audit, principal, experiment.training_run_id
    )
    promoted = await store.update(
        experiment.id,
        {
            "promoted_deployment_id": deployment.id,
            **_decision(principal, PromotionStatus.PROMOTED, notes),
        },
    )
    await audit(
        principal,
        AuditEntry(
            "experiment.promote",
            "Experiment",
            experiment.id,
            {
                "deploymentId": str(deployment.id),
                "version": deployment.version,
                "notes": promoted.promotion_notes,
            },
        ),
    )
    return promoted, deployment


async def reject_winner(
    runs: TrainingRunStore,
    store: ExperimentStore,
    audit: AuditSink,
    principal: Principal,
    experiment_id: UUID,
    notes: str,
) -> ExperimentRecord:
    """A person declines: the active deployment stays; the run is never deployed by this canary."""
    problems = _check_notes(notes, required=True)
    if problems:
        raise UserInputError(problems)
    experiment = await _pending(store, experiment_id)
    assert experiment.training_run_id is not None
    rejected = await store.update(
        experiment.id, _decision(principal, PromotionStatus.REJECTED, notes)
    )
    await runs.add_event(
        experiment.org_id,
        experiment.training_run_id,
        "log",
        f"canary winner not promoted: {rejected.promotion_notes}",
        {"experimentId": str(experiment.id)},
    )
    await audit(
        principal,
        AuditEntry(
            "experiment.promotion_reject",
            "Experiment",
            experiment.id,
            {"notes": rejected.promotion_notes},
        ),
    )
    return rejected


def _check_notes(notes: str | None, *, required: bool) -> list[Problem]:
    if notes is not None and len(notes) > MAX_NOTES:
        return [Problem(("notes",), f"at most {MAX_NOTES} characters", ErrorCode.TOO_LONG)]
    if required and not (notes and notes.strip()):
        return [Problem(("notes",), "say why the winner is not promoted", ErrorCode.REQUIRED)]
    return []
