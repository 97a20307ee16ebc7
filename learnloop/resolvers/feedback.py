"""Resolvers for feedback: submitFeedback (single, batch), feedback tokens and statistics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from graphql import GraphQLError

from learnloop.domain import feedback_stats as stats_rules
from learnloop.domain import feedback_tokens
from learnloop.domain import webhooks as webhook_rules
from learnloop.domain.errors import Problem, UserInputError
from learnloop.domain.feedback import submission as rules
from learnloop.domain.feedback.records import BatchResult, FeedbackRecord, FeedbackSubmission
from learnloop.domain.feedback_stats import (
    FeedbackStats,
    IssueCount,
    LearningStats,
    TrendBucket,
    TrendPoint,
)
from learnloop.domain.principal import Principal
from learnloop.resolvers import webhooks
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.mutations import run_mutation
from learnloop.storage import feedback_stats
from learnloop.storage.executions import ExecutionRepository
from learnloop.storage.feedback import FeedbackRepository


def bad_argument(exc: UserInputError) -> GraphQLError:
    """A query argument out of bounds: queries have no userErrors, so a BAD_USER_INPUT error."""
    return GraphQLError(str(exc), extensions={"code": "BAD_USER_INPUT"})


async def submit_feedback(
    ctx: RequestContext, submission: FeedbackSubmission
) -> tuple[FeedbackRecord | None, list[Problem]]:
    store, executions = FeedbackRepository(ctx.uow), ExecutionRepository(ctx.uow)

    async def action(principal: Principal) -> FeedbackRecord:
        record = await rules.submit_feedback(store, executions, principal, submission)
        await _emit_created(ctx, [(record, submission)])
        return record

    return await run_mutation(ctx, action)


async def _emit_created(
    ctx: RequestContext, stored: Sequence[tuple[FeedbackRecord, FeedbackSubmission]]
) -> None:
    """feedback.created for the rows this transaction created (not replays, not updates)."""
    unique = {r.id: (r, s) for r, s in stored}
    events = [
        webhook_rules.feedback_created(r, s.agent_key, s.execution_key) for r, s in unique.values()
    ]
    await webhooks.emit(ctx.uow, events, [r.created_at for r, _ in unique.values()])


async def submit_feedback_batch(
    ctx: RequestContext, submissions: Sequence[FeedbackSubmission]
) -> tuple[BatchResult | None, list[Problem]]:
    store, executions = FeedbackRepository(ctx.uow), ExecutionRepository(ctx.uow)

    async def action(principal: Principal) -> BatchResult:
        result = await rules.submit_feedback_batch(store, executions, principal, submissions)
        stored = [(r, s) for r, s in zip(result.feedback, submissions, strict=True) if r]
        await _emit_created(ctx, stored)
        return result

    return await run_mutation(ctx, action)


async def create_feedback_token(
    ctx: RequestContext,
    *,
    agent_key: str,
    execution_key: str,
    end_user_id: str | None,
    expires_in_seconds: int,
) -> tuple[tuple[str, datetime] | None, list[Problem]]:
    async def action(principal: Principal) -> tuple[str, datetime]:
        return feedback_tokens.feedback_token(
            ctx.state.tokens,
            principal,
            agent_key=agent_key,
            execution_key=execution_key,
            end_user_id=end_user_id,
            expires_in_seconds=expires_in_seconds,
        )

    return await run_mutation(ctx, action)


async def stats(
    ctx: RequestContext, agent_key: str | None, since: datetime | None
) -> FeedbackStats:
    return stats_rules.feedback_stats(await feedback_stats.counts(ctx.uow, agent_key, since))


async def common_issues(
    ctx: RequestContext, agent_key: str | None, since: datetime | None, limit: int
) -> list[IssueCount]:
    try:
        stats_rules.check_issue_limit(limit)
    except UserInputError as exc:
        raise bad_argument(exc) from None
    return await feedback_stats.common_issues(ctx.uow, agent_key, since, limit)


async def trend(
    ctx: RequestContext, agent_key: str | None, bucket: TrendBucket, since: datetime | None
) -> list[TrendPoint]:
    try:
        window = stats_rules.trend_window(bucket, since, datetime.now(UTC))
    except UserInputError as exc:
        raise bad_argument(exc) from None
    return stats_rules.trend_points(await feedback_stats.trend_counts(ctx.uow, agent_key, window))


async def learning_stats(ctx: RequestContext) -> LearningStats:
    return await feedback_stats.learning_stats(ctx.uow)
