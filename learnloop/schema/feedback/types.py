"""Feedback type, its enums, and the submitFeedback / submitFeedbackBatch / createFeedbackToken I/O."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self
from uuid import UUID

import strawberry
from strawberry import relay

from learnloop.domain.feedback import Dimensions, FeedbackRecord, FeedbackSubmission
from learnloop.domain.feedback import FeedbackType as DomainFeedbackType
from learnloop.domain.feedback import IssueCategory as DomainIssueCategory
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.agents import AgentByIdLoader
from learnloop.resolvers.loaders.executions import ExecutionByIdLoader
from learnloop.resolvers.loaders.feedback import FeedbackByIdLoader
from learnloop.resolvers.loaders.identity import UserByIdLoader
from learnloop.resolvers.loaders.learning_examples import LearningExampleBySourceFeedbackLoader
from learnloop.resolvers.scopes import scope_part
from learnloop.schema.enums import describe_values
from learnloop.schema.errors import UserError, user_errors_field
from learnloop.schema.identity import User
from learnloop.schema.learning_examples.types import LearningExample
from learnloop.schema.nodes import LoadableNode, load_one

if TYPE_CHECKING:
    from learnloop.schema.agents import Agent
    from learnloop.schema.executions import Execution

FeedbackType = describe_values(
    strawberry.enum(DomainFeedbackType, name="FeedbackType", description="The kind of feedback."),
    {
        "THUMBS_UP": "The answer was good. Replaces the same person's THUMBS_DOWN.",
        "THUMBS_DOWN": "The answer was bad. Replaces the same person's THUMBS_UP; moves examples up the queue (default routing).",
        "STAR_RATING": "A rating 1..5 (rating is required).",
        "DETAILED_FEEDBACK": "Text and dimension ratings.",
        "CORRECTION": "The right answer (correctionText is required); creates a CORRECTION learning example pending review.",
        "REPORT_ISSUE": "A problem report with issueCategories.",
    },
)
IssueCategory = describe_values(
    strawberry.enum(
        DomainIssueCategory, name="IssueCategory", description="What went wrong with an answer."
    ),
    {
        "INCORRECT": "Wrong facts or results.",
        "INCOMPLETE": "Left out part of what was asked.",
        "UNCLEAR": "Hard to understand.",
        "HALLUCINATION": "Made things up; moves examples up the queue (default routing).",
        "OFF_TOPIC": "Did not answer the question asked.",
        "UNSAFE": "Harmful or policy-violating content; moves examples up the queue (default routing).",
        "FORMATTING": "Right content, wrong form.",
        "OTHER": "Anything else (say what in feedbackText).",
    },
)


@scope_part
@strawberry.type(
    description="Ratings of one answer along four dimensions, each 1..5 or null when not given."
)
class FeedbackDimensions:
    """1..5 scores of an answer's qualities (null: not scored)."""

    accuracy: int | None = strawberry.field(description="Was it correct? 1..5.")
    helpfulness: int | None = strawberry.field(description="Did it help? 1..5.")
    clarity: int | None = strawberry.field(description="Was it clear? 1..5.")
    completeness: int | None = strawberry.field(description="Did it cover everything asked? 1..5.")


@strawberry.input(description="Optional ratings along four dimensions, each an integer 1..5.")
class FeedbackDimensionsInput:
    accuracy: int | None = strawberry.field(default=None, description="Was it correct? 1..5.")
    helpfulness: int | None = strawberry.field(default=None, description="Did it help? 1..5.")
    clarity: int | None = strawberry.field(default=None, description="Was it clear? 1..5.")
    completeness: int | None = strawberry.field(
        default=None, description="Did it cover everything asked? 1..5."
    )


async def example_of_feedback(info: Info, feedback_id: UUID) -> LearningExample | None:
    return await load_one(
        info, LearningExampleBySourceFeedbackLoader, feedback_id, LearningExample.from_record
    )


@strawberry.type(
    description="One person's (or agent's, or widget user's) opinion on one execution."
)
class Feedback(LoadableNode, relay.Node):
    """One person's opinion of one execution (one per person, execution and type group)."""

    loader = FeedbackByIdLoader
    id: relay.NodeID[str]
    feedback_type: FeedbackType = strawberry.field(
        description="What kind of feedback this is; decides which other fields matter."
    )  # type: ignore[valid-type]
    rating: int | None = strawberry.field(
        description="Star rating 1..5 (STAR_RATING, DETAILED_FEEDBACK, CORRECTION); null otherwise."
    )
    feedback_text: str | None = strawberry.field(description="Free-text comment; null when none.")
    correction_text: str | None = strawberry.field(
        description="What the answer should have been (CORRECTION); null otherwise."
    )
    issue_categories: list[IssueCategory] = strawberry.field(
        description="What went wrong; empty when nothing was flagged."
    )  # type: ignore[valid-type]
    dimensions: FeedbackDimensions = strawberry.field(
        description="Per-dimension ratings 1..5; each null when not given."
    )
    author_key: str = strawberry.field(
        description="Whose opinion: user:<id>, apikey:<id> or enduser:<id>."
    )
    created_at: datetime = strawberry.field(description="When it was first given.")
    updated_at: datetime = strawberry.field(description="Later than createdAt once changed.")
    record: strawberry.Private[FeedbackRecord]

    @classmethod
    def from_record(cls, r: FeedbackRecord) -> Self:
        d = r.dimensions
        return cls(
            id=str(r.id),
            feedback_type=r.feedback_type,
            rating=r.rating,
            feedback_text=r.feedback_text,
            correction_text=r.correction_text,
            issue_categories=list(r.issue_categories),
            dimensions=FeedbackDimensions(
                accuracy=d.accuracy,
                helpfulness=d.helpfulness,
                clarity=d.clarity,
                completeness=d.completeness,
            ),
            author_key=r.author_key,
            created_at=r.created_at,
            updated_at=r.updated_at,
            record=r,
        )

    @strawberry.field(description="The signed-in user who gave it (null for keys and end users).")
    async def author(self, info: Info) -> User | None:
        return await load_one(info, UserByIdLoader, self.record.author_user_id, User.from_record)

    @strawberry.field(description="The execution it is about.")
    async def execution(
        self, info: Info
    ) -> Annotated[Execution, strawberry.lazy("learnloop.schema.executions")] | None:
        from learnloop.schema.executions import Execution

        return await load_one(
            info, ExecutionByIdLoader, self.record.execution_id, Execution.from_record
        )

    @strawberry.field(description="The agent whose execution it is about.")
    async def agent(
        self, info: Info
    ) -> Annotated[Agent, strawberry.lazy("learnloop.schema.agents")] | None:
        from learnloop.schema.agents import Agent

        return await load_one(info, AgentByIdLoader, self.record.agent_id, Agent.from_record)

    @strawberry.field(description="The example this feedback created (corrections only).")
    async def learning_example(self, info: Info) -> LearningExample | None:
        return await example_of_feedback(info, self.record.id)


@strawberry.input(
    description="Feedback on one execution. Unknown executions are kept as stubs, so feedback is never refused for arriving first."
)
class SubmitFeedbackInput:
    agent_id: str = strawberry.field(description="The agent's key, e.g. agent-456.")
    execution_id: str = strawberry.field(description="The execution's key, e.g. exec-123.")
    feedback_type: FeedbackType = strawberry.field(
        description="The kind of feedback; CORRECTION needs correctionText, STAR_RATING needs rating."
    )  # type: ignore[valid-type]
    rating: int | None = strawberry.field(default=None, description="1..5")
    feedback_text: str | None = strawberry.field(default=None, description="Free-text comment.")
    correction_text: str | None = strawberry.field(
        default=None, description="The right answer; required for CORRECTION."
    )
    issue_categories: list[IssueCategory] | None = strawberry.field(
        default=None, description="What went wrong (INCORRECT, HALLUCINATION, ...)."
    )  # type: ignore[valid-type]
    dimensions: FeedbackDimensionsInput | None = strawberry.field(
        default=None, description="Optional ratings 1..5 per dimension."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Resubmitting with the same key returns the first result."
    )
    end_user_id: str | None = strawberry.field(
        default=None, description="Relaying an end user's opinion: their id is the author."
    )

    def to_domain(self) -> FeedbackSubmission:
        d = self.dimensions or FeedbackDimensionsInput()
        return FeedbackSubmission(
            agent_key=self.agent_id,
            execution_key=self.execution_id,
            feedback_type=self.feedback_type,
            rating=self.rating,
            feedback_text=self.feedback_text,
            correction_text=self.correction_text,
            issue_categories=tuple(self.issue_categories or ()),
            dimensions=Dimensions(d.accuracy, d.helpfulness, d.clarity, d.completeness),
            idempotency_key=self.idempotency_key,
            end_user_id=self.end_user_id,
        )


@strawberry.type(description="The stored feedback and the learning example a correction created.")
class SubmitFeedbackPayload:
    feedback: Feedback | None = strawberry.field(
        description="The stored feedback; null when refused."
    )
    user_errors: list[UserError] = user_errors_field()

    @strawberry.field(description="The CORRECTION example the feedback created, pending review.")
    async def learning_example(self, info: Info) -> LearningExample | None:
        if self.feedback is None:
            return None
        return await example_of_feedback(info, self.feedback.record.id)


@strawberry.input(description="Up to 500 feedback items, each validated on its own.")
class SubmitFeedbackBatchInput:
    items: list[SubmitFeedbackInput] = strawberry.field(description="At most 500.")


@strawberry.type(description="What a batch stored; refused items are named by index in userErrors.")
class SubmitFeedbackBatchPayload:
    feedback: list[Feedback | None] = strawberry.field(
        description="Per item, in input order; null where the item was refused (see userErrors)."
    )
    stored_count: int = strawberry.field(
        description="Items stored (valid ones are stored even when others are refused)."
    )
    user_errors: list[UserError] = strawberry.field(
        description='Field paths start with ["input", "items", "<index>", ...].'
    )

    @strawberry.field(
        description="The CORRECTION examples the batch's corrections created (pending review), "
        "in item order, each once; also on each item as feedback.learningExample."
    )
    async def learning_examples(self, info: Info) -> list[LearningExample]:
        # One dataloader batch (one statement) for the whole list.
        found = await asyncio.gather(
            *(example_of_feedback(info, f.record.id) for f in self.feedback if f is not None)
        )
        unique = {e.record.id: e for e in found if e is not None}
        return list(unique.values())


@strawberry.input(description="The one execution a browser widget may give feedback on.")
class CreateFeedbackTokenInput:
    agent_id: str = strawberry.field(description="The agent's key.")
    execution_id: str = strawberry.field(
        description="The execution's key (it need not be reported yet)."
    )
    end_user_id: str | None = strawberry.field(
        default=None,
        description="Your id for the end user, so their feedback counts as one person's; optional.",
    )
    expires_in_seconds: int = strawberry.field(default=3600, description="60..86400")


@strawberry.type(description="A short-lived token for a feedback widget.")
class CreateFeedbackTokenPayload:
    token: str | None = strawberry.field(
        description="Bearer token allowing submitFeedback on this one execution, nothing else."
    )
    expires_at: datetime | None = strawberry.field(description="When the token stops working.")
    user_errors: list[UserError] = user_errors_field()
