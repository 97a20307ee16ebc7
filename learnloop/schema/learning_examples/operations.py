"""Root fields for learning examples: the list, createLearningExample, learnFromDemonstration and
incorporateCorrection (the BEHAVIOR_CLONING inputs, recorded as learning examples)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from learnloop.domain.learning_examples import ExampleDraft, ExampleOrder
from learnloop.domain.learning_examples import ExampleType as DomainExampleType
from learnloop.resolvers import learning_examples as resolve
from learnloop.resolvers.context import Info
from learnloop.schema import fields
from learnloop.schema.errors import UserError
from learnloop.schema.learning_examples.types import (
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


def _with_provenance(metadata: JSON | None, source: str) -> object:
    """The caller's metadata plus where the example came from (kept when it is not an object)."""
    if metadata is None:
        return {"recordedBy": source}
    return {**metadata, "recordedBy": source} if isinstance(metadata, dict) else metadata


@strawberry.input(
    description="A good answer shown by a person, for BEHAVIOR_CLONING to learn from."
)
class LearnFromDemonstrationInput:
    agent_id: str = strawberry.field(description="The agent's key the demonstration is for.")
    input_text: str = strawberry.field(description="What the agent was (or would be) asked.")
    expected_output: str = strawberry.field(description="The answer the agent should give.")
    execution_id: str | None = strawberry.field(
        default=None, description="The execution it demonstrates (provenance), if any."
    )
    domain: str | None = strawberry.field(default=None, description="Domain label.")
    task_type: str | None = strawberry.field(default=None, description="Task type label.")
    metadata: JSON | None = strawberry.field(
        default=None, description="Free JSON; `recordedBy` is set to learnFromDemonstration."
    )

    def to_domain(self) -> ExampleDraft:
        return ExampleDraft(
            example_type=DomainExampleType.DEMONSTRATION,
            input_text=self.input_text,
            agent_key=self.agent_id,
            execution_key=self.execution_id,
            expected_output=self.expected_output,
            domain=self.domain,
            task_type=self.task_type,
            metadata=_with_provenance(self.metadata, "learnFromDemonstration"),
        )


@strawberry.input(description="An answer the agent gave and its correction (a preference pair).")
class IncorporateCorrectionInput:
    agent_id: str = strawberry.field(description="The agent's key.")
    input_text: str = strawberry.field(description="What the agent was asked.")
    original_output: str = strawberry.field(description="What the agent answered (rejected).")
    expected_output: str = strawberry.field(description="The corrected answer (chosen).")
    execution_id: str | None = strawberry.field(
        default=None, description="The execution that was corrected (provenance), if any."
    )
    domain: str | None = strawberry.field(default=None, description="Domain label.")
    task_type: str | None = strawberry.field(default=None, description="Task type label.")
    metadata: JSON | None = strawberry.field(
        default=None, description="Free JSON; `recordedBy` is set to incorporateCorrection."
    )

    def to_domain(self) -> ExampleDraft:
        return ExampleDraft(
            example_type=DomainExampleType.CORRECTION,
            input_text=self.input_text,
            agent_key=self.agent_id,
            execution_key=self.execution_id,
            expected_output=self.expected_output,
            original_output=self.original_output,
            domain=self.domain,
            task_type=self.task_type,
            metadata=_with_provenance(self.metadata, "incorporateCorrection"),
        )


@strawberry.type(description="The outcome of learnFromDemonstration.")
class LearnFromDemonstrationPayload:
    learning_example: LearningExample | None = strawberry.field(
        description="The DEMONSTRATION example, pending review."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="The outcome of incorporateCorrection.")
class IncorporateCorrectionPayload:
    learning_example: LearningExample | None = strawberry.field(
        description="The CORRECTION example, pending review."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


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

    @fields.mutation(
        description="Record a demonstration (a good answer a person showed) as a DEMONSTRATION "
        "learning example with its provenance, pending review (MEMBER)."
    )
    async def learn_from_demonstration(
        self, info: Info, input: LearnFromDemonstrationInput
    ) -> LearnFromDemonstrationPayload:
        record, problems = await resolve.create_learning_example(info.context, input.to_domain())
        return LearnFromDemonstrationPayload(
            learning_example=LearningExample.from_record(record) if record else None,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation(
        description="Record a corrected answer as a CORRECTION learning example (original = "
        "rejected, correction = chosen) with its provenance, pending review (MEMBER)."
    )
    async def incorporate_correction(
        self, info: Info, input: IncorporateCorrectionInput
    ) -> IncorporateCorrectionPayload:
        record, problems = await resolve.create_learning_example(info.context, input.to_domain())
        return IncorporateCorrectionPayload(
            learning_example=LearningExample.from_record(record) if record else None,
            user_errors=UserError.from_problems(problems),
        )
