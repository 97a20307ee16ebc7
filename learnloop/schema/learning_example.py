"""LearningExample type with its provenance, its filter/order inputs, createLearningExample."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Self
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from learnloop.domain import annotation_tasks as annotation_rules
from learnloop.domain.learning_examples import (
    ExampleDraft,
    ExampleFilter,
    ExampleHistoryRecord,
    LearningExampleRecord,
)
from learnloop.domain.learning_examples import ExampleOrder as DomainExampleOrder
from learnloop.resolvers import annotation_tasks as annotation_resolvers
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.executions import AgentByIdLoader, ExecutionByIdLoader
from learnloop.resolvers.loaders.feedback import FeedbackByIdLoader
from learnloop.resolvers.loaders.identity import UserByIdLoader
from learnloop.resolvers.loaders.learning_examples import (
    AnnotationCountByExampleAndAnnotatorLoader,
    AnnotationCountByExampleLoader,
    AnnotationPageByExampleAndAnnotatorLoader,
    AnnotationPageByExampleLoader,
    DatasetExampleCountByExampleLoader,
    DatasetExamplePageByExampleLoader,
    ExampleHistoryByIdLoader,
    HistoryCountByExampleLoader,
    HistoryPageByExampleLoader,
    LearningExampleByIdLoader,
)
from learnloop.schema.dataset import DatasetExample
from learnloop.schema.enums import ExampleType, ReviewStatus
from learnloop.schema.errors import UserError
from learnloop.schema.expert_annotation import ExpertAnnotation
from learnloop.schema.identity import User
from learnloop.schema.node import LoadableNode, load_one
from learnloop.schema.pagination import Connection, child_connection

if TYPE_CHECKING:
    from learnloop.schema.agent import Agent
    from learnloop.schema.execution import Execution
    from learnloop.schema.feedback import Feedback

LearningExampleOrder = strawberry.enum(DomainExampleOrder, name="LearningExampleOrder")
# Blind mode for a caller who is not a user (an API key): no annotation is theirs.
NOBODY = annotation_resolvers.NOBODY


@strawberry.type
class ExampleHistoryEntry(LoadableNode, relay.Node):
    """A previous value of one of the example's fields, replaced at `createdAt`."""

    loader = ExampleHistoryByIdLoader
    id: relay.NodeID[str]
    field: str = strawberry.field(description='The field that changed, e.g. "expected_output".')
    previous_value: str | None
    created_at: datetime
    changed_by_user_id: strawberry.Private[UUID | None]

    @classmethod
    def from_record(cls, r: ExampleHistoryRecord) -> Self:
        return cls(
            id=str(r.id),
            field=r.field,
            previous_value=r.previous_value,
            created_at=r.created_at,
            changed_by_user_id=r.changed_by_user_id,
        )

    @strawberry.field(description="Who replaced it (the annotator or adjudicating manager).")
    async def changed_by(self, info: Info) -> User | None:
        return await load_one(info, UserByIdLoader, self.changed_by_user_id, User.from_record)


@strawberry.type
class LearningExample(LoadableNode, relay.Node):
    """An input with a better (or judged) output, to learn from once reviewed.

    Provenance: `execution`, `sourceFeedback` (when a correction made it) and `author`.
    """

    loader = LearningExampleByIdLoader
    id: relay.NodeID[str]
    example_type: ExampleType  # type: ignore[valid-type]
    input_text: str = strawberry.field(
        description='The execution\'s input; "" while its execution is an unreported stub.'
    )
    expected_output: str | None
    original_output: str | None
    domain: str | None
    task_type: str | None
    metadata: JSON
    priority: int = strawberry.field(
        description="Queue priority from the org's routing policy when it was created "
        "(higher is sooner)."
    )
    needs_adjudication: bool = strawberry.field(
        description="Enough annotations that disagree: waits for a MANAGER (adjudicateExample)."
    )
    annotations_count: int
    decided_at: datetime | None
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
            input_text=r.input_text,
            expected_output=r.expected_output,
            original_output=r.original_output,
            domain=r.domain,
            task_type=r.task_type,
            metadata=JSON(r.metadata),
            priority=r.priority,
            needs_adjudication=r.needs_adjudication,
            annotations_count=r.annotations_count,
            decided_at=r.decided_at,
            author_key=r.author_key,
            created_at=r.created_at,
            updated_at=r.updated_at,
            record=r,
        )

    @strawberry.field(
        description="PENDING, IN_REVIEW (leased to an expert, or awaiting adjudication), "
        "APPROVED or REJECTED. An expired lease reads as PENDING. Below MANAGER, a gold item "
        "shows its queue state."
    )
    async def review_status(self, info: Info) -> ReviewStatus:  # type: ignore[valid-type]
        principal = await info.context.principal()
        return annotation_rules.shown_status(principal, self.record, datetime.now(UTC))

    @strawberry.field(
        description="Mean of its annotations' quality scores (each the plain mean of the four "
        "0..1 dimensions). Hidden (null) below MANAGER until decided when annotations are blind."
    )
    async def quality_score(self, info: Info) -> float | None:
        principal, policy = await annotation_resolvers.viewer(info.context)
        return annotation_rules.shown_quality(principal, policy, self.record)

    @strawberry.field(description="When the current lease ends (null: not leased).")
    def lease_expires_at(self) -> datetime | None:
        leased = annotation_rules.leased(self.record, datetime.now(UTC))
        return self.record.lease_expires_at if leased else None

    @strawberry.field(description="The expert holding the current lease.")
    async def lease_holder(self, info: Info) -> User | None:
        if not annotation_rules.leased(self.record, datetime.now(UTC)):
            return None
        return await self._user(info, self.record.lease_holder_user_id)

    @strawberry.field(
        description="The expert it is offered to exclusively (assignAnnotationTasks)."
    )
    async def assigned_to(self, info: Info) -> User | None:
        return await self._user(info, self.record.assigned_to_user_id)

    @strawberry.field(
        description="A gold item (known verdict, measures annotators). MANAGER+ only."
    )
    async def is_gold(self, info: Info) -> bool | None:
        principal = await info.context.principal()
        return self.record.is_gold if annotation_rules.is_manager(principal) else None

    @strawberry.field(description="A gold item's known verdict (true: approve). MANAGER+ only.")
    async def gold_verdict(self, info: Info) -> bool | None:
        principal = await info.context.principal()
        return self.record.gold_verdict if annotation_rules.is_manager(principal) else None

    async def _user(self, info: Info, user_id: UUID | None) -> User | None:
        return await load_one(info, UserByIdLoader, user_id, User.from_record)

    @strawberry.field(
        description="Previous values of its fields (e.g. expected output), newest first."
    )
    async def history(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[ExampleHistoryEntry]:
        return await child_connection(
            info,
            HistoryPageByExampleLoader,
            HistoryCountByExampleLoader,
            self.record.id,
            first,
            after,
            ExampleHistoryEntry.from_record,
        )

    @strawberry.field(description="The person who made it, when it was a signed-in user.")
    async def author(self, info: Info) -> User | None:
        return await load_one(info, UserByIdLoader, self.record.author_user_id, User.from_record)

    @strawberry.field
    async def agent(
        self, info: Info
    ) -> Annotated[Agent, strawberry.lazy("learnloop.schema.agent")] | None:
        from learnloop.schema.agent import Agent

        return await load_one(info, AgentByIdLoader, self.record.agent_id, Agent.from_record)

    @strawberry.field(description="The execution it was taken from, if any.")
    async def execution(
        self, info: Info
    ) -> Annotated[Execution, strawberry.lazy("learnloop.schema.execution")] | None:
        from learnloop.schema.execution import Execution

        return await load_one(
            info, ExecutionByIdLoader, self.record.execution_id, Execution.from_record
        )

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

    @strawberry.field(
        description="Expert reviews of this example, newest first. Blind mode: below MANAGER, "
        "only your own until the example is decided."
    )
    async def annotations(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[ExpertAnnotation]:
        principal, policy = await annotation_resolvers.viewer(info.context)
        if annotation_rules.sees_all_annotations(principal, policy, self.record):
            return await child_connection(
                info,
                AnnotationPageByExampleLoader,
                AnnotationCountByExampleLoader,
                self.record.id,
                first,
                after,
                ExpertAnnotation.from_record,
            )
        return await child_connection(
            info,
            AnnotationPageByExampleAndAnnotatorLoader,
            AnnotationCountByExampleAndAnnotatorLoader,
            self.record.id,
            first,
            after,
            ExpertAnnotation.from_record,
            scope=principal.user_id or NOBODY,
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
