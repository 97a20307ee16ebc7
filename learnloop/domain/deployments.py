"""Deployments: an approved run's outcome becomes the config version an agent uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from learnloop.domain.audit import AuditEntry, AuditSink
from learnloop.domain.errors import ErrorCode, UserInputError
from learnloop.domain.global_ids import TRAINING_RUN, global_id
from learnloop.domain.principal import Principal
from learnloop.domain.training_runs.records import (
    RunReviewStatus,
    RunStatus,
    TrainingRunRecord,
    TrainingRunStore,
)


class ResultKind(StrEnum):
    """What a finished run produced (`result.kind`); only some of it can be deployed."""

    FILES_ONLY = "FILES_ONLY"  # training files, no fine-tuning API configured
    JOB_SUBMITTED = "JOB_SUBMITTED"  # a provider job was started but not followed to its model
    FINE_TUNED_MODEL = "FINE_TUNED_MODEL"  # the provider's job succeeded: a model id to use
    PROMPT = "PROMPT"  # a prompt (system text and demos) to send: `deployable.prompt`


@dataclass(frozen=True)
class DeploymentRecord:
    id: UUID
    agent_id: UUID
    agent_key: str
    training_run_id: UUID
    version: int
    config: dict[str, Any]
    deployed_by_user_id: UUID | None
    created_at: datetime
    active: bool


class DeploymentStore(Protocol):
    async def create(
        self,
        org_id: UUID,
        agent_id: UUID,
        run_id: UUID,
        config: dict[str, Any],
        user_id: UUID | None,
    ) -> DeploymentRecord:
        """Insert the agent's next version and make it the agent's active deployment."""
        ...

    async def for_run(self, run_id: UUID) -> DeploymentRecord | None:
        """The deployment made from this run, if there is one."""
        ...


# Result kinds that leave nothing an agent could use, and what to do instead.
NOT_DEPLOYABLE_KINDS: dict[str, str] = {
    ResultKind.FILES_ONLY: (
        "this run produced training files but no model, because no fine-tuning API was "
        "configured. Download the files (trainingRun.artifacts) to train elsewhere, or set "
        "LEARNLOOP_LLM_BASE_URL and LEARNLOOP_LLM_API_KEY for the API and its workers and start "
        "a new run with config {waitForJob: true}"
    ),
    ResultKind.JOB_SUBMITTED: (
        "this run submitted a fine-tuning job but did not wait for its model (waitForJob was "
        "false), so there is no model to deploy; start a new run with config {waitForJob: true}"
    ),
}


def check_deployable(run: TrainingRunRecord) -> None:
    """Nothing reaches an agent without a person's approval."""
    if run.status is not RunStatus.COMPLETED or run.review_status is not RunReviewStatus.APPROVED:
        state = (
            run.status.value if run.status is not RunStatus.COMPLETED else run.review_status.value
        )
        raise UserInputError.single(
            ("runId",),
            f"only APPROVED runs can be deployed; this one is {state}"
            + (" — approve it first with reviewTrainingRun" if state == "UNREVIEWED" else ""),
            ErrorCode.INVALID_STATE,
        )
    if run.agent_id is None:
        raise UserInputError.single(
            ("runId",), "the run's agent no longer exists", ErrorCode.INVALID_STATE
        )
    kind = (run.result or {}).get("kind")
    if isinstance(kind, str) and kind in NOT_DEPLOYABLE_KINDS:
        raise UserInputError.single(
            ("runId",), NOT_DEPLOYABLE_KINDS[kind], ErrorCode.NOT_DEPLOYABLE
        )


def check_not_deployed(existing: DeploymentRecord | None) -> None:
    """A run becomes one deployment; deploying it again would silently add a version."""
    if existing is not None:
        raise UserInputError.single(
            ("runId",),
            f"this run is already deployed to agent '{existing.agent_key}' as version "
            f"{existing.version}; start a new run to deploy a new version",
            ErrorCode.ALREADY_DEPLOYED,
        )


def deployment_config(run: TrainingRunRecord) -> dict[str, Any]:
    """What the agent now uses: the run's own config plus what its engine marked deployable."""
    return {
        "trainingRunId": global_id(TRAINING_RUN, run.id),
        "trainingRunUuid": str(run.id),
        "trainingType": run.training_type.value,
        "runConfig": run.config,
        "deployable": (run.result or {}).get("deployable", {}),
    }


async def deploy_training_run(
    runs: TrainingRunStore,
    deployments: DeploymentStore,
    audit: AuditSink,
    principal: Principal,
    run_id: UUID,
) -> tuple[DeploymentRecord, TrainingRunRecord]:
    run = await runs.get_for_update(run_id)
    if run is None:
        raise UserInputError.single(
            ("runId",), "no such training run in this organisation", ErrorCode.NOT_FOUND
        )
    check_deployable(run)
    # The run row is locked (get_for_update), so a concurrent deploy of it waits and sees ours.
    check_not_deployed(await deployments.for_run(run.id))
    assert run.agent_id is not None
    deployment = await deployments.create(
        run.org_id, run.agent_id, run.id, deployment_config(run), principal.user_id
    )
    await runs.add_event(
        run.org_id,
        run.id,
        "log",
        f"deployed to agent '{deployment.agent_key}' as version {deployment.version}",
        {"deploymentId": str(deployment.id), "version": deployment.version},
    )
    await audit(
        principal,
        AuditEntry(
            "deployment.create",
            "Deployment",
            deployment.id,
            {
                "agent": deployment.agent_key,
                "version": deployment.version,
                "trainingRunId": str(run.id),
            },
        ),
    )
    return deployment, run
