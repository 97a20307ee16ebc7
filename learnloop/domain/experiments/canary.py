"""Canary deployments: an approved run goes live as an experiment; a MANAGER promotes the winner."""

from __future__ import annotations

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
from learnloop.domain.errors import ErrorCode, UserInputError
from learnloop.domain.experiments.lifecycle import ExperimentStore, change_status, create_experiment
from learnloop.domain.experiments.records import (
    ExperimentRecord,
    ExperimentStatus,
    NewExperiment,
    Winner,
)
from learnloop.domain.principal import Principal
from learnloop.domain.training_runs.records import TrainingRunRecord, TrainingRunStore


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


async def promote_winner(
    runs: TrainingRunStore,
    store: ExperimentStore,
    deployments: DeploymentStore,
    audit: AuditSink,
    principal: Principal,
    experiment_id: UUID,
) -> tuple[ExperimentRecord, DeploymentRecord]:
    """A person confirms: a COMPLETED canary whose winner is TREATMENT becomes the active deployment."""
    experiment = await store.get_for_update(experiment_id)
    if experiment is None:
        raise UserInputError.single(
            ("experimentId",), "no such experiment in this organisation", ErrorCode.NOT_FOUND
        )
    problem = None
    if experiment.training_run_id is None:
        problem = "only canary experiments (deployTrainingRun with canary) deploy a run"
    elif experiment.status is not ExperimentStatus.COMPLETED:
        problem = f"the experiment is {experiment.status.value}; complete it first"
    elif experiment.promoted_deployment_id is not None:
        problem = "the winner was already promoted"
    elif experiment.winner is not Winner.TREATMENT:
        winner = experiment.winner.value if experiment.winner else "none"
        problem = f"the winner is {winner}; the active deployment stays as it is"
    if problem:
        raise UserInputError.single(("experimentId",), problem, ErrorCode.INVALID_STATE)
    assert experiment.training_run_id is not None
    # The same rules and records as a plain deploy (its run event, deployment.create audit).
    deployment, _ = await deploy_training_run(
        runs, deployments, audit, principal, experiment.training_run_id
    )
    promoted = await store.update(experiment.id, {"promoted_deployment_id": deployment.id})
    await audit(
        principal,
        AuditEntry(
            "experiment.promote",
            "Experiment",
            experiment.id,
            {"deploymentId": str(deployment.id), "version": deployment.version},
        ),
    )
    return promoted, deployment
