"""LearningPolicy type and its root fields: setLearningPolicy and learningPolicies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry
from strawberry.scalars import JSON

from learnloop.domain.learning_policies import (
    DEFAULT_TREATMENT_PERCENTAGE,
    LearningPolicyRecord,
    PolicySettings,
)
from learnloop.resolvers import learning_policies as resolve
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.training_runs import TrainingRunByIdLoader
from learnloop.schema import fields
from learnloop.schema.errors import UserError
from learnloop.schema.training_runs.types import TrainingRun, TrainingType


@strawberry.type(
    description="When an agent's newly approved examples start its next training run, by itself."
)
class LearningPolicy:
    id: strawberry.ID = strawberry.field(description="The policy's id.")
    agent_id: str = strawberry.field(description='The agent\'s own id, e.g. "agent-456".')
    training_type: TrainingType = strawberry.field(description="What each triggered run does.")
    min_new_approved_examples: int = strawberry.field(
        description="Newly approved examples of the agent that start the next run."
    )
    config: JSON = strawberry.field(description="The run config, as given (checked by the engine).")
    auto_experiment: bool = strawberry.field(
        description="Whether deploying an approved run of this agent starts a canary experiment."
    )
    treatment_percentage: float = strawberry.field(
        description="Share of units (0-100) the canary's treatment gets."
    )
    enabled: bool = strawberry.field(description="Disabled policies never trigger.")
    last_triggered_at: datetime | None = strawberry.field(
        description="When the policy last queued a run."
    )
    updated_at: datetime = strawberry.field(description="Last change of the policy.")
    record: strawberry.Private[LearningPolicyRecord]

    @strawberry.field(description="The run the policy queued last, if any.")
    async def last_run(self, info: Info) -> TrainingRun | None:
        if self.record.last_run_id is None:
            return None
        run = await info.context.loaders.get(TrainingRunByIdLoader).load(self.record.last_run_id)
        return TrainingRun.from_record(run) if run else None

    @classmethod
    def from_record(cls, r: LearningPolicyRecord) -> Self:
        return cls(
            id=strawberry.ID(str(r.id)),
            agent_id=r.agent_key,
            training_type=r.training_type,
            min_new_approved_examples=r.min_new_approved_examples,
            config=JSON(r.config),
            auto_experiment=r.auto_experiment,
            treatment_percentage=r.treatment_percentage,
            enabled=r.enabled,
            last_triggered_at=r.last_triggered_at,
            updated_at=r.updated_at,
            record=r,
        )


@strawberry.input(description="The agent's learning policy; setting it again replaces it.")
class SetLearningPolicyInput:
    agent_id: str = strawberry.field(description='The agent\'s own id, e.g. "agent-456".')
    training_type: TrainingType = strawberry.field(description="What each triggered run does.")
    min_new_approved_examples: int = strawberry.field(
        description="Newly approved examples (1-100000) that start the next run."
    )
    config: JSON | None = strawberry.field(
        default=None,
        description="Options of the training type, checked like createTrainingRun's config.",
    )
    auto_experiment: bool = strawberry.field(
        default=False,
        description="Deploying an approved run starts a canary experiment instead of "
        "switching everyone.",
    )
    treatment_percentage: float = strawberry.field(
        default=DEFAULT_TREATMENT_PERCENTAGE,
        description="Share of units (between 0 and 100, exclusive) the canary's treatment gets.",
    )
    enabled: bool = strawberry.field(default=True, description="Disabled policies never trigger.")


@strawberry.type(description="Result of setLearningPolicy.")
class SetLearningPolicyPayload:
    policy: LearningPolicy | None = strawberry.field(description="The policy as stored.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was written.")


@strawberry.type
class LearningPoliciesQuery:
    @fields.query(description="The organisation's learning policies, one per agent, by agent id.")
    async def learning_policies(
        self,
        info: Info,
        agent_id: Annotated[
            str | None, strawberry.argument(description="Only this agent's policy.")
        ] = None,
    ) -> list[LearningPolicy]:
        records = await resolve.policies(info.context, agent_id)
        return [LearningPolicy.from_record(r) for r in records]


@strawberry.type
class LearningPoliciesMutation:
    @fields.mutation(description="Create or replace an agent's learning policy (audited).")
    async def set_learning_policy(
        self, info: Info, input: SetLearningPolicyInput
    ) -> SetLearningPolicyPayload:
        settings = PolicySettings(
            agent_key=input.agent_id,
            training_type=input.training_type,
            min_new_approved_examples=input.min_new_approved_examples,
            config={},
            auto_experiment=input.auto_experiment,
            treatment_percentage=input.treatment_percentage,
            enabled=input.enabled,
        )
        config: object = input.config if input.config is not None else {}
        record, problems = await resolve.set_learning_policy(info.context, settings, config)
        return SetLearningPolicyPayload(
            policy=LearningPolicy.from_record(record) if record else None,
            user_errors=UserError.from_problems(problems),
        )
