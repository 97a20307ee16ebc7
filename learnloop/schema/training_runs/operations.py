"""Root fields for training runs and deployments: queries, mutations and live subscriptions."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from learnloop.domain.training_runs import DEFAULT_MAX_ATTEMPTS, RunFilter, TrainingRunRecord
from learnloop.resolvers import experiments as resolve_experiments
from learnloop.resolvers import learning_policies as resolve_policies
from learnloop.resolvers import run_updates
from learnloop.resolvers import training_runs as resolve
from learnloop.resolvers.context import Info
from learnloop.schema import fields
from learnloop.schema.deployments import Deployment
from learnloop.schema.errors import UserError, user_errors_field
from learnloop.schema.experiments.types import Experiment
from learnloop.schema.nodes import decode_global_id
from learnloop.schema.pagination import After, Connection, First, page_request
from learnloop.schema.training_runs.types import (
    DATASET_TYPE,
    ReviewDecision,
    RunStatus,
    TrainingRun,
    TrainingType,
)


@strawberry.input(description="Narrows trainingRuns; all given criteria must match.")
class TrainingRunFilter:
    status: RunStatus | None = strawberry.field(
        default=None, description="Only runs in this status."
    )
    training_type: TrainingType | None = strawberry.field(
        default=None, description="Only runs of this type."
    )
    agent_id: str | None = strawberry.field(default=None, description="The agent's own id.")
    dataset_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Only runs on this TrainingDataset version."
    )

    def to_domain(self) -> RunFilter:
        dataset = (
            decode_global_id(self.dataset_id, DATASET_TYPE, "datasetId")
            if self.dataset_id
            else None
        )
        return RunFilter(self.status, self.training_type, self.agent_id, dataset)


@strawberry.input(description="A training run to queue.")
class CreateTrainingRunInput:
    dataset_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="A FROZEN TrainingDataset version; required except for RAG_TUNING (which "
        "learns from the agent's retrieval feedback).",
    )
    training_type: TrainingType = strawberry.field(
        description="What kind of training; types without an engine are refused."
    )
    agent_id: str = strawberry.field(description='The agent\'s own id, e.g. "agent-456".')
    config: JSON | None = strawberry.field(
        default=None, description="Options of the training type; unknown ones are refused."
    )
    max_attempts: int | None = strawberry.field(
        default=DEFAULT_MAX_ATTEMPTS,
        description="Tries before a run whose worker keeps dying is FAILED.",
    )


@strawberry.type(description="The queued run.")
class CreateTrainingRunPayload:
    training_run: TrainingRun | None = strawberry.field(
        description="The new PENDING run; null when refused."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="The run to cancel.")
class CancelTrainingRunInput:
    run_id: relay.GlobalID = strawberry.field(description="The TrainingRun's global id.")


@strawberry.type(description="The run after the request.")
class CancelTrainingRunPayload:
    training_run: TrainingRun | None = strawberry.field(
        description="CANCELLED when it was queued; still RUNNING with cancelRequested when it was running. Null when refused."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="A person's verdict on a COMPLETED run.")
class ReviewTrainingRunInput:
    run_id: relay.GlobalID = strawberry.field(description="The TrainingRun's global id.")
    decision: ReviewDecision = strawberry.field(
        description="APPROVE lets it be deployed; REJECT ends it."
    )
    notes: str | None = strawberry.field(default=None, description="Why; required when rejecting.")


@strawberry.type(description="The reviewed run.")
class ReviewTrainingRunPayload:
    training_run: TrainingRun | None = strawberry.field(
        description="The run with its review; null when refused."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="Deploy to a share of traffic as an A/B experiment first.")
class CanaryInput:
    treatment_percentage: float = strawberry.field(
        description="Share of units (0-100) that get the run's outcome; the rest keep the active config."
    )
    primary_metric: str | None = strawberry.field(
        default=None, description="Default thumbs_up_rate."
    )
    minimum_sample_size: int | None = strawberry.field(
        default=None, description="Units per arm before a winner can be declared (default 100)."
    )


@strawberry.input(description="The APPROVED run to deploy, to everyone or as a canary.")
class DeployTrainingRunInput:
    run_id: relay.GlobalID = strawberry.field(description="The TrainingRun's global id.")
    canary: CanaryInput | None = strawberry.field(
        default=None,
        description="Start a RUNNING experiment instead of switching everyone; the winner becomes "
        "the active deployment once a MANAGER calls promoteExperimentWinner. Without it, an "
        "agent whose learning policy has autoExperiment gets a canary at the policy's share.",
    )


@strawberry.type(description="The new deployment.")
class DeployTrainingRunPayload:
    deployment: Deployment | None = strawberry.field(
        description="The agent's new active deployment; null when refused or when deployed as a canary."
    )
    training_run: TrainingRun | None = strawberry.field(description="The deployed run.")
    experiment: Experiment | None = strawberry.field(
        default=None, description="The canary experiment, when `canary` was given."
    )
    user_errors: list[UserError] = user_errors_field()


def _run_payload_parts(record: TrainingRunRecord | None) -> TrainingRun | None:
    return TrainingRun.from_record(record) if record else None


@strawberry.type
class TrainingQuery:
    @fields.query(description="A training run by global id; null if not visible.")
    async def training_run(
        self,
        info: Info,
        id: Annotated[
            relay.GlobalID, strawberry.argument(description="The TrainingRun's global id.")
        ],
    ) -> TrainingRun | None:
        record = await resolve.training_run(info.context, decode_global_id(id, TrainingRun, "id"))
        return TrainingRun.from_record(record) if record else None

    @fields.query(description="Training runs, newest first.")
    async def training_runs(
        self,
        info: Info,
        filter: Annotated[
            TrainingRunFilter | None,
            strawberry.argument(description="Narrow the list; null lists every run."),
        ] = None,
        first: First = 20,
        after: After = None,
    ) -> Connection[TrainingRun]:
        f = filter.to_domain() if filter else RunFilter()
        page = await resolve.run_page(info.context, page_request(first, after), f)
        return Connection[TrainingRun].from_page(
            page, TrainingRun.from_record, lambda: resolve.count_runs(info.context, f)
        )

    @fields.query(description="An agent's deployments, newest first.")
    async def deployments(
        self,
        info: Info,
        agent_id: Annotated[
            str, strawberry.argument(description="The agent's key, e.g. agent-456.")
        ],
        first: First = 20,
        after: After = None,
    ) -> Connection[Deployment]:
        page = await resolve.deployment_page(info.context, agent_id, page_request(first, after))
        return Connection[Deployment].from_page(
            page, Deployment.from_record, lambda: resolve.count_deployments(info.context, agent_id)
        )


@strawberry.type
class TrainingMutation:
    @fields.mutation(description="Queue a training run on a frozen dataset version.")
    async def create_training_run(
        self, info: Info, input: CreateTrainingRunInput
    ) -> CreateTrainingRunPayload:
        record, problems = await resolve.create_training_run(
            info.context,
            dataset_id=(
                decode_global_id(input.dataset_id, DATASET_TYPE, "datasetId")
                if input.dataset_id is not None
                else None
            ),
            training_type=input.training_type,
            agent_key=input.agent_id,
            config=input.config if input.config is not None else {},
            max_attempts=(
                input.max_attempts if input.max_attempts is not None else DEFAULT_MAX_ATTEMPTS
            ),
        )
        return CreateTrainingRunPayload(
            training_run=_run_payload_parts(record), user_errors=UserError.from_problems(problems)
        )

    @fields.mutation(description="Cancel a queued run now, or ask a running one to stop.")
    async def cancel_training_run(
        self, info: Info, input: CancelTrainingRunInput
    ) -> CancelTrainingRunPayload:
        run_id = decode_global_id(input.run_id, TrainingRun, "runId")
        record, problems = await resolve.cancel_training_run(info.context, run_id)
        return CancelTrainingRunPayload(
            training_run=_run_payload_parts(record), user_errors=UserError.from_problems(problems)
        )

    @fields.mutation(description="Approve or reject a COMPLETED run (rejections need notes).")
    async def review_training_run(
        self, info: Info, input: ReviewTrainingRunInput
    ) -> ReviewTrainingRunPayload:
        run_id = decode_global_id(input.run_id, TrainingRun, "runId")
        record, problems = await resolve.review_training_run(
            info.context, run_id, input.decision, input.notes
        )
        return ReviewTrainingRunPayload(
            training_run=_run_payload_parts(record), user_errors=UserError.from_problems(problems)
        )

    @fields.mutation(description="Make an APPROVED run's outcome the agent's active config.")
    async def deploy_training_run(
        self, info: Info, input: DeployTrainingRunInput
    ) -> DeployTrainingRunPayload:
        run_id = decode_global_id(input.run_id, TrainingRun, "runId")
        canary = input.canary
        if canary is None and (share := await resolve_policies.canary_share(info.context, run_id)):
            canary = CanaryInput(treatment_percentage=share)
        if canary is not None:
            return await _deploy_canary(info, run_id, canary)
        done, problems = await resolve.deploy_training_run(info.context, run_id)
        deployment, run = done if done else (None, None)
        return DeployTrainingRunPayload(
            deployment=Deployment.from_record(deployment) if deployment else None,
            training_run=_run_payload_parts(run),
            user_errors=UserError.from_problems(problems),
        )


async def _deploy_canary(info: Info, run_id: UUID, canary: CanaryInput) -> DeployTrainingRunPayload:
    done, problems = await resolve_experiments.start_canary(
        info.context,
        run_id,
        canary.treatment_percentage,
        canary.primary_metric,
        canary.minimum_sample_size,
    )
    experiment, run = done if done else (None, None)
    return DeployTrainingRunPayload(
        deployment=None,
        training_run=_run_payload_parts(run),
        experiment=Experiment.from_record(experiment) if experiment else None,
        user_errors=UserError.from_problems(problems),
    )


@strawberry.type
class TrainingSubscription:
    @fields.subscription(
        description="The run's current state, then every change; completes after it ends."
    )
    async def training_run_updated(
        self,
        info: Info,
        run_id: Annotated[
            relay.GlobalID, strawberry.argument(description="The TrainingRun's global id.")
        ],
    ) -> AsyncGenerator[TrainingRun, None]:
        stream = await run_updates.run_updates(
            info.context, decode_global_id(run_id, TrainingRun, "runId")
        )
        return _as_runs(stream)

    @fields.subscription(description="Every change of any run of your organisation.")
    async def training_runs_updated(self, info: Info) -> AsyncGenerator[TrainingRun, None]:
        return _as_runs(run_updates.org_run_updates(info.context))


async def _as_runs(
    stream: AsyncGenerator[TrainingRunRecord, None],
) -> AsyncGenerator[TrainingRun, None]:
    # Closing this stream closes the inner one here, in the operation's own task.
    async with aclosing(stream):
        async for record in stream:
            yield TrainingRun.from_record(record)
