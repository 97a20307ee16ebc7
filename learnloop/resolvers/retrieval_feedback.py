"""Retrieval feedback resolvers: translate to the domain rules, store through the repository."""

from __future__ import annotations

from collections.abc import Sequence

from learnloop.domain import retrieval_feedback as rules
from learnloop.domain.errors import Problem
from learnloop.domain.retrieval_feedback import Recorded, RetrievalFeedback
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.mutations import run_mutation
from learnloop.storage.retrieval_feedback import RetrievalFeedbackRepository


async def record(
    ctx: RequestContext, item: RetrievalFeedback
) -> tuple[Recorded | None, list[Problem]]:
    store = RetrievalFeedbackRepository(ctx.uow)
    return await run_mutation(ctx, lambda p: rules.record_retrieval_feedback(store, p, item))


async def record_batch(
    ctx: RequestContext, items: Sequence[RetrievalFeedback]
) -> tuple[list[Recorded | None], list[Problem]]:
    store = RetrievalFeedbackRepository(ctx.uow)
    done, problems = await run_mutation(
        ctx, lambda p: rules.record_retrieval_feedback_batch(store, p, items)
    )
    if done is None:
        return [None] * len(items), problems
    results, item_problems = done
    return results, [*problems, *item_problems]
