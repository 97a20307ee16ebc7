"""Root fields for feedback: submitFeedback(+Batch), createFeedbackToken, and the statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from learnloop.domain.feedback_stats import TrendBucket as DomainTrendBucket
from learnloop.resolvers import feedback as resolve
from learnloop.resolvers.context import Info
from learnloop.schema import fields
from learnloop.schema.errors import UserError
from learnloop.schema.feedback.stats import (
    FeedbackStats,
    FeedbackTrendPoint,
    IssueCount,
    LearningStats,
    TrendBucket,
)
from learnloop.schema.feedback.types import (
    CreateFeedbackTokenInput,
    CreateFeedbackTokenPayload,
    Feedback,
    SubmitFeedbackBatchInput,
    SubmitFeedbackBatchPayload,
    SubmitFeedbackInput,
    SubmitFeedbackPayload,
)

# Arguments every feedback statistic takes, described once.
AgentKeyFilter = Annotated[
    str | None,
    strawberry.argument(
        description="Only this agent's executions (its key); null means every agent."
    ),
]
Since = Annotated[
    datetime | None,
    strawberry.argument(
        description="Only feedback given at or after this time; null means all time."
    ),
]


@strawberry.type
class FeedbackQuery:
    @fields.query(description="Feedback numbers for one agent (by key) or the whole organisation.")
    async def feedback_stats(
        self,
        info: Info,
        agent_id: AgentKeyFilter = None,
        since: Since = None,
    ) -> FeedbackStats:
        return FeedbackStats.from_record(await resolve.stats(info.context, agent_id, since))

    @fields.query(description="Issue categories by how often they were reported.")
    async def common_issues(
        self,
        info: Info,
        agent_id: AgentKeyFilter = None,
        limit: Annotated[
            int,
            strawberry.argument(
                description="How many categories to return, most reported first (1..50)."
            ),
        ] = 5,
        since: Since = None,
    ) -> list[IssueCount]:
        found = await resolve.common_issues(info.context, agent_id, since, limit)
        return [IssueCount.from_record(r) for r in found]

    @fields.query(description="Feedback numbers per hour or day (UTC), empty buckets included.")
    async def feedback_trend(
        self,
        info: Info,
        agent_id: AgentKeyFilter = None,
        bucket: Annotated[
            TrendBucket, strawberry.argument(description="HOUR or DAY buckets (UTC).")
        ] = DomainTrendBucket.DAY,  # type: ignore[valid-type]
        since: Annotated[
            datetime | None,
            strawberry.argument(
                description="Start of the trend (not in the future); null means the last 48 hours or 30 days."
            ),
        ] = None,
    ) -> list[FeedbackTrendPoint]:
        points = await resolve.trend(info.context, agent_id, bucket, since)
        return [FeedbackTrendPoint.from_record(p) for p in points]

    @fields.query(description="Counters for the dashboard.")
    async def learning_stats(self, info: Info) -> LearningStats:
        return LearningStats.from_record(await resolve.learning_stats(info.context))


@strawberry.type
class FeedbackMutation:
    @fields.mutation(
        description="Give feedback on an execution. "
        "A CORRECTION creates a pending CORRECTION learning example."
    )
    async def submit_feedback(
        self, info: Info, input: SubmitFeedbackInput
    ) -> SubmitFeedbackPayload:
        record, problems = await resolve.submit_feedback(info.context, input.to_domain())
        return SubmitFeedbackPayload(
            feedback=Feedback.from_record(record) if record else None,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation(
        description="Up to 500 submissions; valid items are stored even if others fail."
    )
    async def submit_feedback_batch(
        self, info: Info, input: SubmitFeedbackBatchInput
    ) -> SubmitFeedbackBatchPayload:
        result, problems = await resolve.submit_feedback_batch(
            info.context, [item.to_domain() for item in input.items]
        )
        stored = result.feedback if result else []
        return SubmitFeedbackBatchPayload(
            feedback=[Feedback.from_record(r) if r else None for r in stored],
            stored_count=sum(1 for r in stored if r is not None),
            user_errors=UserError.from_problems([*problems, *(result.problems if result else [])]),
        )

    @fields.mutation(description="A short-lived token a browser widget embeds to give feedback.")
    async def create_feedback_token(
        self, info: Info, input: CreateFeedbackTokenInput
    ) -> CreateFeedbackTokenPayload:
        issued, problems = await resolve.create_feedback_token(
            info.context,
            agent_key=input.agent_id,
            execution_key=input.execution_id,
            end_user_id=input.end_user_id,
            expires_in_seconds=input.expires_in_seconds,
        )
        token, expires_at = issued if issued else (None, None)
        return CreateFeedbackTokenPayload(
            token=token, expires_at=expires_at, user_errors=UserError.from_problems(problems)
        )
