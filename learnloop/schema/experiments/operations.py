"""Experiment root fields: queries, mutations (with their inputs and payloads) and the subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from learnloop.domain.experiments import records as domain
from learnloop.resolvers import experiments as resolve
from learnloop.resolvers.context import Info
from learnloop.schema import fields
from learnloop.schema.deployments import Deployment
from learnloop.schema.errors import UserError, user_errors_field
from learnloop.schema.experiments.types import AgentConfig, Experiment, ExperimentStatus, Variant
from learnloop.schema.nodes import decode_global_id
from learnloop.schema.pagination import After, Connection, First, page_request


@strawberry.input(description="Narrow the experiment list.")
class ExperimentFilter:
    agent_id: str | None = strawberry.field(default=None, description="The agent's own id.")
    status: ExperimentStatus | None = strawberry.field(
        default=None, description="Only experiments in this status; null means all."
    )  # type: ignore[valid-type]


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


@strawberry.input(
    description="A new A/B experiment (DRAFT until started with updateExperimentStatus)."
)
class CreateExperimentInput:
    name: str = strawberry.field(description="Shown in lists; required.")
    agent_id: str = strawberry.field(description='The agent\'s own id, e.g. "agent-456".')
    hypothesis: str | None = strawberry.field(
        default=None, description="What you expect the treatment to change, in words."
    )
    control_config: JSON | None = strawberry.field(default=None, description="Control arm config.")
    treatment_config: JSON | None = strawberry.field(
        default=None, description="Treatment arm config."
    )
    control_percentage: float = strawberry.field(
        default=50.0,
        description="Share of covered units (0..100) that get the control config; with treatmentPercentage it must add up to 100.",
    )
    treatment_percentage: float = strawberry.field(
        default=50.0, description="Share of covered units (0..100) that get the treatment config."
    )
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


@strawberry.type(description="The experiment after the change.")
class ExperimentPayload:
    experiment: Experiment | None = strawberry.field(
        description="The experiment; null when refused."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="Fields left out stay as they are.")
class UpdateExperimentInput:
    experiment_id: relay.GlobalID = strawberry.field(description="The Experiment's global id.")
    name: str | None = strawberry.field(default=None, description="New name.")
    hypothesis: str | None = strawberry.field(default=None, description="New hypothesis.")
    control_config: JSON | None = strawberry.field(
        default=None, description="New CONTROL config (drafts only)."
    )
    treatment_config: JSON | None = strawberry.field(
        default=None, description="New TREATMENT config (drafts only)."
    )
    control_percentage: float | None = strawberry.field(
        default=None,
        description="New CONTROL share 0..100 (adds up to 100 with treatmentPercentage; drafts only).",
    )
    treatment_percentage: float | None = strawberry.field(
        default=None, description="New TREATMENT share 0..100 (drafts only)."
    )
    primary_metric: str | None = strawberry.field(
        default=None, description="New metric the winner is decided on (drafts only)."
    )
    minimum_sample_size: int | None = strawberry.field(
        default=None,
        description="New units per arm needed before a winner can be declared (drafts only).",
    )
    hash_seed: str | None = strawberry.field(
        default=None, description="New assignment seed (drafts only; changing it reshuffles units)."
    )
    coverage: float | None = strawberry.field(
        default=None, description="May only grow while RUNNING or PAUSED."
    )
    guardrails: bool | None = strawberry.field(
        default=None,
        description="Turn automatic pausing on a surely worse guardrail metric on or off.",
    )

    def to_domain(self) -> domain.ExperimentChanges:
        return domain.ExperimentChanges(
            **_settings(self, name=self.name, guardrails=self.guardrails)
        )


@strawberry.input(description="A status change; only legal transitions are accepted.")
class UpdateExperimentStatusInput:
    experiment_id: relay.GlobalID = strawberry.field(description="The Experiment's global id.")
    status: ExperimentStatus = strawberry.field(
        description="RUNNING (start or resume), PAUSED, COMPLETED or CANCELLED."
    )  # type: ignore[valid-type]


@strawberry.input(description="Which experiment, and the unit to assign.")
class AssignVariantInput:
    experiment_id: relay.GlobalID = strawberry.field(description="The Experiment's global id.")
    unit_id: str = strawberry.field(description="Your id of the unit (user, session).")


@strawberry.type(description="The unit's arm and the config to use.")
class AssignVariantPayload:
    variant: Variant | None = strawberry.field(  # type: ignore[valid-type]
        description="Null when the unit is outside the experiment's coverage."
    )
    config: JSON | None = strawberry.field(
        description="The arm's config; null outside coverage or when refused."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(
    description="One value of a custom metric for a unit already exposed to the experiment."
)
class RecordExperimentOutcomeInput:
    experiment_id: relay.GlobalID = strawberry.field(description="The Experiment's global id.")
    unit_id: str = strawberry.field(
        description="The unit (user, session) as given to assignVariant or agentConfig."
    )
    metric: str = strawberry.field(description="A custom metric, e.g. task_success, latency_ms.")
    value: float = strawberry.field(
        description="The metric's value for this unit (a 0/1 success or any number); several per unit are averaged."
    )


@strawberry.type(description="The recorded outcome.")
class RecordExperimentOutcomePayload:
    experiment: Experiment | None = strawberry.field(
        description="The experiment; null when refused."
    )
    variant: Variant | None = strawberry.field(
        description="The arm the unit was exposed to; null when refused."
    )  # type: ignore[valid-type]
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="The COMPLETED canary experiment whose winner to deploy.")
class PromoteExperimentWinnerInput:
    experiment_id: relay.GlobalID = strawberry.field(description="The Experiment's global id.")


@strawberry.type(description="The promoted deployment.")
class PromoteExperimentWinnerPayload:
    experiment: Experiment | None = strawberry.field(
        description="The experiment, now pointing at its promoted deployment; null when refused."
    )
    deployment: Deployment | None = strawberry.field(
        description="The agent's new active deployment; null when refused."
    )
    user_errors: list[UserError] = user_errors_field()


def _payload(record: domain.ExperimentRecord | None, problems: list) -> ExperimentPayload:  # type: ignore[type-arg]
    return ExperimentPayload(
        experiment=Experiment.from_record(record) if record else None,
        user_errors=UserError.from_problems(problems),
    )


@strawberry.type
class ExperimentsQuery:
    @fields.query(description="An experiment by global id; null if not visible.")
    async def experiment(
        self,
        info: Info,
        id: Annotated[
            relay.GlobalID, strawberry.argument(description="The Experiment's global id.")
        ],
    ) -> Experiment | None:
        record = await resolve.experiment(info.context, decode_global_id(id, Experiment, "id"))
        return Experiment.from_record(record) if record else None

    @fields.query(description="Experiments, newest first.")
    async def experiments(
        self,
        info: Info,
        filter: Annotated[
            ExperimentFilter | None,
            strawberry.argument(description="Narrow the list; null lists every experiment."),
        ] = None,
        first: First = 20,
        after: After = None,
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
        description="The one call an agent makes per request: its active deployment's "
        "config, or the unit's arm of a running experiment (recorded as an exposure)."
    )
    async def agent_config(
        self,
        info: Info,
        agent_id: Annotated[
            str, strawberry.argument(description="The agent's key, e.g. agent-456.")
        ],
        unit_id: Annotated[
            str | None,
            strawberry.argument(
                description="The unit (user, session) to assign; null gives the active deployment without any experiment."
            ),
        ] = None,
    ) -> AgentConfig:
        return AgentConfig.from_domain(await resolve.agent_config(info.context, agent_id, unit_id))


@strawberry.type
class ExperimentsMutation:
    @fields.mutation(description="Create a DRAFT experiment.")
    async def create_experiment(
        self, info: Info, input: CreateExperimentInput
    ) -> ExperimentPayload:
        record, problems = await resolve.create_experiment(info.context, input.to_domain())
        return _payload(record, problems)

    @fields.mutation(
        description="Edit an experiment: drafts freely; RUNNING or PAUSED ones only "
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
        description="Start, pause, resume, complete or cancel; legal transitions only. "
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
        description="The unit's arm and config, deterministic (GrowthBook hash v2); "
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

    @fields.mutation(description="Record a custom outcome of an exposed unit.")
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
        description="Confirm a COMPLETED canary's TREATMENT winner: its training run "
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
        self,
        info: Info,
        experiment_id: Annotated[
            relay.GlobalID, strawberry.argument(description="The Experiment's global id.")
        ],
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
