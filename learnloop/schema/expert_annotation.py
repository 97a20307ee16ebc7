"""ExpertAnnotation type: one expert's verdict on one learning example (written by F4's workflow)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self
from uuid import UUID

import strawberry
from strawberry import relay

from learnloop.domain.expert_annotations import ExpertAnnotationRecord
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.identity import UserByIdLoader
from learnloop.resolvers.loaders.learning_examples import (
    ExpertAnnotationByIdLoader,
    LearningExampleByIdLoader,
)
from learnloop.schema.identity import User
from learnloop.schema.node import LoadableNode, load_one

if TYPE_CHECKING:
    from learnloop.schema.learning_example import LearningExample


@strawberry.type
class ExpertAnnotation(LoadableNode, relay.Node):
    """Scores are 0..1."""

    loader = ExpertAnnotationByIdLoader
    id: relay.NodeID[str]
    approved: bool
    technical_accuracy: float
    professional_quality: float
    completeness: float
    clarity: float
    corrected_output: str | None
    notes: str | None
    improvement_suggestions: str | None
    created_at: datetime
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

    @strawberry.field
    async def annotator(self, info: Info) -> User | None:
        return await load_one(info, UserByIdLoader, self.annotator_user_id, User.from_record)

    @strawberry.field
    async def example(
        self, info: Info
    ) -> Annotated[LearningExample, strawberry.lazy("learnloop.schema.learning_example")] | None:
        from learnloop.schema.learning_example import LearningExample

        return await load_one(
            info, LearningExampleByIdLoader, self.example_id, LearningExample.from_record
        )
