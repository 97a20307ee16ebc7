"""Experiment root fields: queries, mutations (with their inputs and payloads) and the subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from learnloop.domain.experiments import records as domain
from learnloop.resolvers import experiments as resolve
from learnloop.resolvers.context import Info
from learnloop.schema import fields
from learnloop.schema.deployment import Deployment
from learnloop.schema.errors import UserError
from learnloop.schema.experiments.types import AgentConfig, Experiment, ExperimentStatus, Variant
from learnloop.schema.node import decode_global_id
from learnloop.schema.pagination import Connection, page_request


@strawberry.input(description="Narrow the experiment list.")
class ExperimentFilter:
    agent_id: str | None = strawberry.field(default=None, description="The agent's own id.")
    status: ExperimentStatus | None = None  # type: ignore[valid-type]


_SETTINGS = (
    "hypothesis",
    "control_config",
    "treatment_config",
    "control_percentage",
    "treatment_percentage",
    "primary_metric",
    "minimum_sample_size",
    "hash_seed",
    "coverage",
)


def _settings(source: object, **extra: Any) -> dict[str, Any]:
    """The experiment settings both inputs carry, by their shared field names."""
    return {**{name: getattr(source, name) for name in _SETTINGS}, **extra}


@strawberry.input
class CreateExperimentInput:
    name: str
    agent_id: str = strawberry.field(description='The agent\'s own id, e.g. "agent-456".')
    hypothesis: str | None = None
    control_config: JSON | None = strawberry.field(default=None, description="Control arm config.")
    treatment_config: JSON | None = strawberry.field(
        default=None, description="Treatment arm config."
    )
    control_percentage: float = 50.0
    treatment_percentage: float = 50.0
    primary_metric: str = strawberry.field(
        default="thumbs_up_rate", description="The metric the winner is decided on."
    )
    minimum_sample_size: int = strawberry.field(
        default=100, description="Units per arm before a winner can be declared."
    )
    hash_seed: str | None = strawberry.field(
        default=None, description="Assignment seed; default: the experiment's id."
    )
    coverage: float = strawberry.field(default=1.0, description="Share of units included.")
    guardrails: bool = strawberry.field(
        default=True, description="Pause automatically on a surely worse guardrail metric."
    )

    def to_domain(self) -> domain.NewExperiment:
        return domain.NewExperiment(
            agent_key=self.agent_id,
            **_settings(self, name=self.name, guardrails=self.guardrails),
        )


@strawberry.type
class ExperimentPayload:
    experiment: Experiment | None
    user_errors: list[UserError]


@strawberry.input(description="Fields left out stay as they are.")
class UpdateExperimentInput:
    experiment_id: relay.GlobalID
    name: str | None = None
    hypothesis: str | None = None
    control_config: JSON | None = None
    treatment_config: JSON | None = None
    control_percentage: float | None = None
    treatment_percentage: float | None = None
    primary_metric: str | None = None
    minimum_sample_size: int | None = None
    hash_seed: str | None = None
    coverage: float | None = strawberry.field(
        default=None, description="May only grow while RUNNING or PAUSED."
    )
    guardrails: bool | None = None

    def to_domain(self) -> domain.ExperimentChanges:
        return domain.ExperimentChanges(
            **_settings(self, name=self.name, guardrails=self.guardrails)
        )


@strawberry.input
class UpdateExperimentStatusInput:
    experiment_id: relay.GlobalID
    status: ExperimentStatus  # type: ignore[valid-type]


@strawberry.input
class AssignVariantInput:
    experiment_id: relay.GlobalID
    unit_id: str = strawberry.field(description="Your id of the unit (user, session).")


@strawberry.type
class AssignVariantPayload:
    variant: Variant | None = strawberry.field(  # type: ignore[valid-type]
        description="Null when the unit is outside the experiment's coverage."
    )
    config: JSON | None
    user_errors: list[UserError]


@strawberry.input
class RecordExperimentOutcomeInput:
    experiment_id: relay.GlobalID
    unit_id: str
    metric: str = strawberry.field(description="A custom metric, e.g. task_success, latency_ms.")
    value: float


@strawberry.type
class RecordExperimentOutcomePayload:
    experiment: Experiment | None
    variant: Variant | None  # type: ignore[valid-type]
    user_errors: list[UserError]


@strawberry.input
class PromoteExperimentWinnerInput:
    experiment_id: relay.GlobalID


@strawberry.type
class PromoteExperimentWinnerPayload:
    experiment: Experiment | None
    deployment: Deployment | None
    user_errors: list[UserError]


def _payload(record: domain.ExperimentRecord | None, problems: list) -> ExperimentPayload:  # type: ignore[type-arg]
    return ExperimentPayload(
        experiment=Experiment.from_record(record) if record else None,
        user_errors=UserError.from_problems(problems),
    )


@strawberry.type
class ExperimentsQuery:
    @fields.query(description="An experiment by global id; null if not visible.")
    async def experiment(self, info: Info, id: relay.GlobalID) -> Experiment | None:
        record = await resolve.experiment(info.context, decode_global_id(id, Experiment, "id"))
        return Experiment.from_record(record) if record else None

    @fields.query(description="Experiments, newest first.")
    async def experiments(
        self,
        info: Info,
        filter: ExperimentFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Experiment]:
        f = domain.ExperimentFilter(
            filter.agent_id.strip() if filter and filter.agent_id else None,
            filter.status if filter else None,
        )
        page = await resolve.experiment_page(info.context, page_request(first, after), f)
        return Connection[Experiment].from_page(
            page, Experiment.from_record, lambda: resolve.count_experiments(info.context, f)
        )

    @fields.query(
        description="The one call an agent makes per request (MEMBER): its active deployment's "
        "config, or the unit's arm of a running experiment (recorded as an exposure)."
    )
    async def agent_config(
        self, info: Info, agent_id: str, unit_id: str | None = None
    ) -> AgentConfig:
        return AgentConfig.from_domain(await resolve.agent_config(info.context, agent_id, unit_id))


@strawberry.type
class ExperimentsMutation:
    @fields.mutation(description="Create a DRAFT experiment (MANAGER).")
    async def create_experiment(
        self, info: Info, input: CreateExperimentInput
    ) -> ExperimentPayload:
        record, problems = await resolve.create_experiment(info.context, input.to_domain())
        return _payload(record, problems)

    @fields.mutation(
        description="Edit an experiment (MANAGER): drafts freely; RUNNING or PAUSED ones only "
        "ramp coverage up (arms and weights are frozen once units were assigned)."
    )
    async def update_experiment(
        self, info: Info, input: UpdateExperimentInput
    ) -> ExperimentPayload:
        experiment_id = decode_global_id(input.experiment_id, Experiment, "experimentId")
        record, problems = await resolve.update_experiment(
            info.context, experiment_id, input.to_domain()
        )
        return _payload(record, problems)

    @fields.mutation(
        description="Start, pause, resume, complete or cancel (MANAGER); legal transitions only. "
        "Completing stores the final results and winner."
    )
    async def update_experiment_status(
        self, info: Info, input: UpdateExperimentStatusInput
    ) -> ExperimentPayload:
        experiment_id = decode_global_id(input.experiment_id, Experiment, "experimentId")
        record, problems = await resolve.update_experiment_status(
            info.context, experiment_id, domain.ExperimentStatus(input.status)
        )
        return _payload(record, problems)

    @fields.mutation(
        description="The unit's arm and config (MEMBER), deterministic (GrowthBook hash v2); "
        "the first call records the unit's exposure."
    )
    async def assign_variant(self, info: Info, input: AssignVariantInput) -> AssignVariantPayload:
        experiment_id = decode_global_id(input.experiment_id, Experiment, "experimentId")
        done, problems = await resolve.assign_variant(info.context, experiment_id, input.unit_id)
        variant, config = done if done else (None, None)
        return AssignVariantPayload(
            variant=variant,
            config=JSON(config) if config is not None else None,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation(description="Record a custom outcome of an exposed unit (MEMBER).")
    async def record_experiment_outcome(
        self, info: Info, input: RecordExperimentOutcomeInput
    ) -> RecordExperimentOutcomePayload:
        experiment_id = decode_global_id(input.experiment_id, Experiment, "experimentId")
        done, problems = await resolve.record_outcome(
            info.context, experiment_id, input.unit_id, input.metric, input.value
        )
        record, variant = done if done else (None, None)
        return RecordExperimentOutcomePayload(
            experiment=Experiment.from_record(record) if record else None,
            variant=variant,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation(
        description="Confirm a COMPLETED canary's TREATMENT winner (MANAGER): its training run "
        "becomes the agent's active deployment."
    )
    async def promote_experiment_winner(
        self, info: Info, input: PromoteExperimentWinnerInput
    ) -> PromoteExperimentWinnerPayload:
        experiment_id = decode_global_id(input.experiment_id, Experiment, "experimentId")
        done, problems = await resolve.promote_winner(info.context, experiment_id)
        record, deployment = done if done else (None, None)
        return PromoteExperimentWinnerPayload(
            experiment=Experiment.from_record(record) if record else None,
            deployment=Deployment.from_record(deployment) if deployment else None,
            user_errors=UserError.from_problems(problems),
        )


@strawberry.type
class ExperimentsSubscription:
    @fields.subscription(
        description="The experiment now, then after every change of it, its outcomes or the "
        "feedback on its executions (results re-computed each time)."
    )
    async def experiment_updated(
        self, info: Info, experiment_id: relay.GlobalID
    ) -> AsyncGenerator[Experiment, None]:
        stream = await resolve.experiment_updates(
            info.context, decode_global_id(experiment_id, Experiment, "experimentId")
        )
        return _as_experiments(stream)


async def _as_experiments(
    stream: AsyncGenerator[domain.ExperimentRecord, None],
) -> AsyncGenerator[Experiment, None]:
    async with aclosing(stream):
        async for record in stream:
            yield Experiment.from_record(record)
