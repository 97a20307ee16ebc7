"""LearningExample type with its provenance, its filter/order inputs, createLearningExample."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from learnloop.domain.learning_examples import ExampleDraft, ExampleFilter, LearningExampleRecord
from learnloop.domain.learning_examples import ExampleOrder as DomainExampleOrder
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.executions import AgentByIdLoader, ExecutionByIdLoader
from learnloop.resolvers.loaders.feedback import FeedbackByIdLoader
from learnloop.resolvers.loaders.identity import UserByIdLoader
from learnloop.resolvers.loaders.learning_examples import (
    AnnotationCountByExampleLoader,
    AnnotationPageByExampleLoader,
    DatasetExampleCountByExampleLoader,
    DatasetExamplePageByExampleLoader,
    LearningExampleByIdLoader,
)
from learnloop.schema.dataset import DatasetExample
from learnloop.schema.enums import ExampleType, ReviewStatus
from learnloop.schema.errors import UserError
from learnloop.schema.expert_annotation import ExpertAnnotation
from learnloop.schema.identity import User
from learnloop.schema.node import LoadableNode
from learnloop.schema.pagination import Connection, child_connection

if TYPE_CHECKING:
    from learnloop.schema.agent import Agent
    from learnloop.schema.execution import Execution
    from learnloop.schema.feedback import Feedback

LearningExampleOrder = strawberry.enum(DomainExampleOrder, name="LearningExampleOrder")


@strawberry.type
class LearningExample(LoadableNode, relay.Node):
    """An input with a better (or judged) output, to learn from once reviewed.

    Provenance: `execution`, `sourceFeedback` (when a correction made it) and `author`.
    """

    loader = LearningExampleByIdLoader
    id: relay.NodeID[str]
    example_type: ExampleType  # type: ignore[valid-type]
    review_status: ReviewStatus  # type: ignore[valid-type]
    quality_score: float | None
    input_text: str = strawberry.field(
        description='The execution\'s input; "" while its execution is an unreported stub.'
    )
    expected_output: str | None
    original_output: str | None
    domain: str | None
    task_type: str | None
    metadata: JSON
    priority: int
    author_key: str | None = strawberry.field(
        description="Who made it: user:<id>, apikey:<id> or enduser:<id>."
    )
    created_at: datetime
    updated_at: datetime
    record: strawberry.Private[LearningExampleRecord]

    @classmethod
    def from_record(cls, r: LearningExampleRecord) -> Self:
        return cls(
            id=str(r.id),
            example_type=r.example_type,
            review_status=r.review_status,
            quality_score=r.quality_score,
            input_text=r.input_text,
            expected_output=r.expected_output,
            original_output=r.original_output,
            domain=r.domain,
            task_type=r.task_type,
            metadata=JSON(r.metadata),
            priority=r.priority,
            author_key=r.author_key,
            created_at=r.created_at,
            updated_at=r.updated_at,
            record=r,
        )

    @strawberry.field(description="The person who made it, when it was a signed-in user.")
    async def author(self, info: Info) -> User | None:
        if self.record.author_user_id is None:
            return None
        found = await info.context.loaders.get(UserByIdLoader).load(self.record.author_user_id)
        return User.from_record(found) if found else None

    @strawberry.field
    async def agent(
        self, info: Info
    ) -> Annotated[Agent, strawberry.lazy("learnloop.schema.agent")] | None:
        from learnloop.schema.agent import Agent

        if self.record.agent_id is None:
            return None
        found = await info.context.loaders.get(AgentByIdLoader).load(self.record.agent_id)
        return Agent.from_record(found) if found else None

    @strawberry.field(description="The execution it was taken from, if any.")
    async def execution(
        self, info: Info
    ) -> Annotated[Execution, strawberry.lazy("learnloop.schema.execution")] | None:
        from learnloop.schema.execution import Execution

        if self.record.execution_id is None:
            return None
        found = await info.context.loaders.get(ExecutionByIdLoader).load(self.record.execution_id)
        return Execution.from_record(found) if found else None

    @strawberry.field(description="The feedback (a correction) that created it, if any.")
    async def source_feedback(
        self, info: Info
    ) -> Annotated[Feedback, strawberry.lazy("learnloop.schema.feedback")] | None:
        from learnloop.schema.feedback import Feedback

        if self.record.source_feedback_id is None:
            return None
        loader = info.context.loaders.get(FeedbackByIdLoader)
        found = await loader.load(self.record.source_feedback_id)
        return Feedback.from_record(found) if found else None

    @strawberry.field(description="Expert reviews of this example, newest first.")
    async def annotations(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[ExpertAnnotation]:
        return await child_connection(
            info,
            AnnotationPageByExampleLoader,
            AnnotationCountByExampleLoader,
            self.record.id,
            first,
            after,
            ExpertAnnotation.from_record,
        )

    @strawberry.field(description="The dataset versions holding this example, newest first.")
    async def datasets(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[DatasetExample]:
        return await child_connection(
            info,
            DatasetExamplePageByExampleLoader,
            DatasetExampleCountByExampleLoader,
            self.record.id,
            first,
            after,
            DatasetExample.from_record,
        )


@strawberry.input
class LearningExampleFilter:
    agent_id: str | None = strawberry.field(default=None, description="The agent's key.")
    example_types: list[ExampleType] | None = None  # type: ignore[valid-type]
    review_statuses: list[ReviewStatus] | None = None  # type: ignore[valid-type]
    domain: str | None = None
    task_type: str | None = None
    from_feedback: bool | None = strawberry.field(
        default=None, description="true: only examples made by feedback; false: only others."
    )

    def to_domain(self) -> ExampleFilter:
        return ExampleFilter(
            agent_key=self.agent_id.strip() if self.agent_id is not None else None,
            example_types=tuple(self.example_types or ()),
            review_statuses=tuple(self.review_statuses or ()),
            domain=self.domain,
            task_type=self.task_type,
            from_feedback=self.from_feedback,
        )


@strawberry.input
class CreateLearningExampleInput:
    example_type: ExampleType  # type: ignore[valid-type]
    input_text: str
    agent_id: str | None = strawberry.field(default=None, description="The agent's key.")
    execution_id: str | None = strawberry.field(
        default=None, description="The execution's key (with agentId): provenance."
    )
    domain: str | None = None
    task_type: str | None = None
    expected_output: str | None = None
    original_output: str | None = None
    metadata: JSON | None = None

    def to_domain(self) -> ExampleDraft:
        return ExampleDraft(
            example_type=self.example_type,
            input_text=self.input_text,
            agent_key=self.agent_id,
            execution_key=self.execution_id,
            expected_output=self.expected_output,
            original_output=self.original_output,
            domain=self.domain,
            task_type=self.task_type,
            metadata=self.metadata,
        )


@strawberry.type
class CreateLearningExamplePayload:
    learning_example: LearningExample | None
    user_errors: list[UserError]
