"""Resolvers for learning examples: the filtered list and createLearningExample."""

from __future__ import annotations

from learnloop.domain import learning_examples as rules
from learnloop.domain.errors import Problem
from learnloop.domain.learning_examples import (
    ExampleDraft,
    ExampleFilter,
    ExampleOrder,
    LearningExampleRecord,
)
from learnloop.domain.pagination import Page, PageRequest
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.mutations import run_mutation
from learnloop.storage import learning_examples
from learnloop.storage.executions import ExecutionRepository
from learnloop.storage.learning_examples import LearningExampleRepository


async def example_page(
    ctx: RequestContext, f: ExampleFilter, order: ExampleOrder, request: PageRequest
) -> Page:
    return await learning_examples.page(ctx.uow, f, order, request)


async def count_examples(ctx: RequestContext, f: ExampleFilter) -> int:
    return await learning_examples.total(ctx.uow, f)


async def create_learning_example(
    ctx: RequestContext, draft: ExampleDraft
) -> tuple[LearningExampleRecord | None, list[Problem]]:
    store = LearningExampleRepository(ctx.uow)
    executions = ExecutionRepository(ctx.uow)
    return await run_mutation(
        ctx, lambda p: rules.create_learning_example(store, executions, p, draft)
    )
