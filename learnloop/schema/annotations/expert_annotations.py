"""ExpertAnnotation type: one expert's verdict on one learning example (written by F4's workflow)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self
from uuid import UUID

import strawberry
from strawberry import relay

from learnloop.domain.annotations.expert_annotations import ExpertAnnotationRecord
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.identity import UserByIdLoader
from learnloop.resolvers.loaders.learning_examples import (
    ExpertAnnotationByIdLoader,
    LearningExampleByIdLoader,
)
from learnloop.schema.identity import User
from learnloop.schema.nodes import LoadableNode, load_one

if TYPE_CHECKING:
    from learnloop.schema.learning_examples.types import LearningExample


@strawberry.type(description="One expert's review of one learning example.")
class ExpertAnnotation(LoadableNode, relay.Node):
    """Scores are 0..1."""

    loader = ExpertAnnotationByIdLoader
    id: relay.NodeID[str]
    approved: bool = strawberry.field(description="Their verdict: true approves, false rejects.")
    technical_accuracy: float = strawberry.field(description="Score 0..1.")
    professional_quality: float = strawberry.field(description="Score 0..1.")
    completeness: float = strawberry.field(description="Score 0..1.")
    clarity: float = strawberry.field(description="Score 0..1.")
    corrected_output: str | None = strawberry.field(
        description="Their corrected answer; becomes the example's expectedOutput when it is decided. Null when none."
    )
    notes: str | None = strawberry.field(description="Their notes; null when none.")
    improvement_suggestions: str | None = strawberry.field(
        description="How the agent could improve; null when none."
    )
    created_at: datetime = strawberry.field(description="When it was submitted.")
    example_id: strawberry.Private[UUID]
    annotator_user_id: strawberry.Private[UUID]

    @classmethod
    def from_record(cls, r: ExpertAnnotationRecord) -> Self:
        return cls(
            id=str(r.id),
            approved=r.approved,
            technical_accuracy=r.technical_accuracy,
            professional_quality=r.professional_quality,
            completeness=r.completeness,
            clarity=r.clarity,
            corrected_output=r.corrected_output,
            notes=r.notes,
            improvement_suggestions=r.improvement_suggestions,
            created_at=r.created_at,
            example_id=r.example_id,
            annotator_user_id=r.annotator_user_id,
        )

    @strawberry.field(description="The expert; null when hidden or gone.")
    async def annotator(self, info: Info) -> User | None:
        return await load_one(info, UserByIdLoader, self.annotator_user_id, User.from_record)

    @strawberry.field(description="The example it reviews.")
    async def example(
        self, info: Info
    ) -> (
        Annotated[LearningExample, strawberry.lazy("learnloop.schema.learning_examples.types")]
        | None
    ):
        from learnloop.schema.learning_examples.types import LearningExample

        return await load_one(
            info, LearningExampleByIdLoader, self.example_id, LearningExample.from_record
        )
