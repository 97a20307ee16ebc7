"""LearningExample type with its provenance, its filter/order inputs, createLearningExample."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Self
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from learnloop.domain.annotations import visibility
from learnloop.domain.learning_examples import (
    ExampleDraft,
    ExampleFilter,
    ExampleHistoryRecord,
    LearningExampleRecord,
)
from learnloop.domain.learning_examples import ExampleOrder as DomainExampleOrder
from learnloop.resolvers import annotations as annotation_resolvers
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.agents import AgentByIdLoader
from learnloop.resolvers.loaders.executions import ExecutionByIdLoader
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
from learnloop.schema.annotations.expert_annotations import ExpertAnnotation
from learnloop.schema.datasets.types import DatasetExample
from learnloop.schema.enums import ExampleType, ReviewStatus
from learnloop.schema.errors import UserError, user_errors_field
from learnloop.schema.identity import User
from learnloop.schema.nodes import LoadableNode, load_one
from learnloop.schema.pagination import After, Connection, First, child_connection

if TYPE_CHECKING:
    from learnloop.schema.agents import Agent
    from learnloop.schema.executions import Execution
    from learnloop.schema.feedback.types import Feedback

LearningExampleOrder = strawberry.enum(
    DomainExampleOrder,
    name="LearningExampleOrder",
    description="Order of learningExamples: by creation time, newest or oldest first.",
)
# Blind mode for a caller who is not a user (an API key): no annotation is theirs.
NOBODY = annotation_resolvers.NOBODY


@strawberry.type(
    description="An earlier value of an example's field, kept when a review replaced it."
)
class ExampleHistoryEntry(LoadableNode, relay.Node):
    """A previous value of one of the example's fields, replaced at `createdAt`."""

    loader = ExampleHistoryByIdLoader
    id: relay.NodeID[str]
    field: str = strawberry.field(description='The field that changed, e.g. "expected_output".')
    previous_value: str | None = strawberry.field(
        description="The value before the change; null when it was empty."
    )
    created_at: datetime = strawberry.field(description="When it was replaced.")
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


@strawberry.type(
    description="Something a model can learn from: an input with the expected (and often the original) output. Made by corrections, by hand, or from executions; reviewed by experts in the annotation queue."
)
class LearningExample(LoadableNode, relay.Node):
    """An input with a better (or judged) output, to learn from once reviewed.

    Provenance: `execution`, `sourceFeedback` (when a correction made it) and `author`.
    """

    loader = LearningExampleByIdLoader
    id: relay.NodeID[str]
    example_type: ExampleType = strawberry.field(
        description="What the example teaches (CORRECTION, DEMONSTRATION, ...)."
    )  # type: ignore[valid-type]
    input_text: str = strawberry.field(
        description='The execution\'s input; "" while its execution is an unreported stub.'
    )
    expected_output: str | None = strawberry.field(
        description="The answer the agent should give; after review, an expert's correctedOutput. Null when unknown."
    )
    original_output: str | None = strawberry.field(
        description="What the agent answered; null when unknown."
    )
    domain: str | None = strawberry.field(
        description="Subject area (e.g. billing), copied from its execution or given; null when none."
    )
    task_type: str | None = strawberry.field(
        description="Kind of task (e.g. qa), copied from its execution or given; null when none."
    )
    metadata: JSON = strawberry.field(description="JSON object of your own; {} when none.")
    priority: int = strawberry.field(
        description="Queue priority from the org's routing policy when it was created "
        "(higher is sooner)."
    )
    needs_adjudication: bool = strawberry.field(
        description="Enough annotations that disagree: waits for a MANAGER (adjudicateExample)."
    )
    annotations_count: int = strawberry.field(description="Annotations submitted on it so far.")
    decided_at: datetime | None = strawberry.field(
        description="When it became APPROVED or REJECTED; null while undecided."
    )
    author_key: str | None = strawberry.field(
        description="Who made it: user:<id>, apikey:<id> or enduser:<id>."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
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
        return visibility.shown_status(principal, self.record, datetime.now(UTC))

    @strawberry.field(
        description="Mean of its annotations' quality scores (each the plain mean of the four "
        "0..1 dimensions). Hidden (null) below MANAGER until decided when annotations are blind."
    )
    async def quality_score(self, info: Info) -> float | None:
        principal, policy = await annotation_resolvers.viewer(info.context)
        return visibility.shown_quality(principal, policy, self.record)

    @strawberry.field(description="When the current lease ends (null: not leased).")
    def lease_expires_at(self) -> datetime | None:
        leased = visibility.leased(self.record, datetime.now(UTC))
        return self.record.lease_expires_at if leased else None

    @strawberry.field(description="The expert holding the current lease.")
    async def lease_holder(self, info: Info) -> User | None:
        if not visibility.leased(self.record, datetime.now(UTC)):
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
        return self.record.is_gold if visibility.is_manager(principal) else None

    @strawberry.field(description="A gold item's known verdict (true: approve). MANAGER+ only.")
    async def gold_verdict(self, info: Info) -> bool | None:
        principal = await info.context.principal()
        return self.record.gold_verdict if visibility.is_manager(principal) else None

    async def _user(self, info: Info, user_id: UUID | None) -> User | None:
        return await load_one(info, UserByIdLoader, user_id, User.from_record)

    @strawberry.field(
        description="Previous values of its fields (e.g. expected output), newest first."
    )
    async def history(
        self, info: Info, first: First = 20, after: After = None
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

    @strawberry.field(description="The agent it is for; null when it names none.")
    async def agent(
        self, info: Info
    ) -> Annotated[Agent, strawberry.lazy("learnloop.schema.agents")] | None:
        from learnloop.schema.agents import Agent

        return await load_one(info, AgentByIdLoader, self.record.agent_id, Agent.from_record)

    @strawberry.field(description="The execution it was taken from, if any.")
    async def execution(
        self, info: Info
    ) -> Annotated[Execution, strawberry.lazy("learnloop.schema.executions")] | None:
        from learnloop.schema.executions import Execution

        return await load_one(
            info, ExecutionByIdLoader, self.record.execution_id, Execution.from_record
        )

    @strawberry.field(description="The feedback (a correction) that created it, if any.")
    async def source_feedback(
        self, info: Info
    ) -> Annotated[Feedback, strawberry.lazy("learnloop.schema.feedback.types")] | None:
        from learnloop.schema.feedback.types import Feedback

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
        self, info: Info, first: First = 20, after: After = None
    ) -> Connection[ExpertAnnotation]:
        principal, policy = await annotation_resolvers.viewer(info.context)
        if visibility.sees_all_annotations(principal, policy, self.record):
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
        self, info: Info, first: First = 20, after: After = None
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


@strawberry.input(description="Selects learning examples; all given criteria must match.")
class LearningExampleFilter:
    agent_id: str | None = strawberry.field(default=None, description="The agent's key.")
    example_types: list[ExampleType] | None = strawberry.field(
        default=None, description="Any of these types; null means all."
    )  # type: ignore[valid-type]
    review_statuses: list[ReviewStatus] | None = strawberry.field(
        default=None, description="Any of these review statuses; null means all."
    )  # type: ignore[valid-type]
    domain: str | None = strawberry.field(
        default=None, description="Exactly this domain; null means all."
    )
    task_type: str | None = strawberry.field(
        default=None, description="Exactly this task type; null means all."
    )
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


@strawberry.input(description="A learning example written by hand (it starts PENDING review).")
class CreateLearningExampleInput:
    example_type: ExampleType = strawberry.field(description="What it teaches.")  # type: ignore[valid-type]
    input_text: str = strawberry.field(description="The input or prompt; required, non-empty.")
    agent_id: str | None = strawberry.field(default=None, description="The agent's key.")
    execution_id: str | None = strawberry.field(
        default=None, description="The execution's key (with agentId): provenance."
    )
    domain: str | None = strawberry.field(
        default=None,
        description="Subject area (e.g. billing); defaults to the execution's or agent's when one is named.",
    )
    task_type: str | None = strawberry.field(
        default=None, description="Kind of task (e.g. qa); defaults like domain."
    )
    expected_output: str | None = strawberry.field(
        default=None, description="The answer the agent should give."
    )
    original_output: str | None = strawberry.field(
        default=None, description="What the agent answered (for corrections and preference pairs)."
    )
    metadata: JSON | None = strawberry.field(default=None, description="JSON object of your own.")

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


@strawberry.type(description="The new example.")
class CreateLearningExamplePayload:
    learning_example: LearningExample | None = strawberry.field(
        description="The example (PENDING review); null when refused."
    )
    user_errors: list[UserError] = user_errors_field()
