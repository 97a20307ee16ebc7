"""Root fields for learning examples: the filtered list and createLearningExample."""

from __future__ import annotations

from typing import Annotated

import strawberry

from learnloop.domain.learning_examples import ExampleOrder
from learnloop.resolvers import learning_examples as resolve
from learnloop.resolvers.context import Info
from learnloop.schema import fields
from learnloop.schema.errors import UserError
from learnloop.schema.learning_example import (
    CreateLearningExampleInput,
    CreateLearningExamplePayload,
    LearningExample,
    LearningExampleFilter,
    LearningExampleOrder,
)
from learnloop.schema.pagination import After, Connection, First, load_page, page_request


@strawberry.type
class LearningExamplesQuery:
    @fields.query(description="Learning examples matching `filter`, keyset-paginated.")
    async def learning_examples(
        self,
        info: Info,
        filter: Annotated[
            LearningExampleFilter | None,
            strawberry.argument(description="Only examples matching this; null means all."),
        ] = None,
        order_by: Annotated[
            LearningExampleOrder,
            strawberry.argument(description="Newest first (default) or oldest first."),
        ] = ExampleOrder.CREATED_AT_DESC,  # type: ignore[valid-type]
        first: First = 20,
        after: After = None,
    ) -> Connection[LearningExample]:
        f = (filter or LearningExampleFilter()).to_domain()
        request = page_request(first, after)
        page = await load_page(resolve.example_page(info.context, f, order_by, request))
        return Connection[LearningExample].from_page(
            page, LearningExample.from_record, lambda: resolve.count_examples(info.context, f)
        )


@strawberry.type
class LearningExamplesMutation:
    @fields.mutation(description="Add an example by hand (demonstration, edge case, ...).")
    async def create_learning_example(
        self, info: Info, input: CreateLearningExampleInput
    ) -> CreateLearningExamplePayload:
        record, problems = await resolve.create_learning_example(info.context, input.to_domain())
        return CreateLearningExamplePayload(
            learning_example=LearningExample.from_record(record) if record else None,
            user_errors=UserError.from_problems(problems),
        )
