"""Expert annotations: one expert's verdict and scores on one learning example."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from learnloop.storage.models.base import Base, IdMixin, OrgMixin

SCORE_COLUMNS = ("technical_accuracy", "professional_quality", "completeness", "clarity")


class ExpertAnnotation(IdMixin, OrgMixin, Base):
    __tablename__ = "expert_annotations"
    __table_args__ = (
        UniqueConstraint("example_id", "annotator_user_id"),
        *(
            CheckConstraint(f"{column} BETWEEN 0 AND 1", name=f"{column}_range")
            for column in SCORE_COLUMNS
        ),
        Index(
            "ix_expert_annotations_org_id_example_id_created_at_id",
            "org_id",
            "example_id",
            "created_at",
            "id",
        ),
        Index(
            "ix_expert_annotations_org_id_annotator_user_id_created_at_id",
            "org_id",
            "annotator_user_id",
            "created_at",
            "id",
        ),
        Index("ix_expert_annotations_org_id_created_at_id", "org_id", "created_at", "id"),
    )

    example_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learning_examples.id", ondelete="CASCADE")
    )
    # NO ACTION: an expert who annotated cannot be deleted silently.
    annotator_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    approved: Mapped[bool]
    technical_accuracy: Mapped[float]
    professional_quality: Mapped[float]
    completeness: Mapped[float]
    clarity: Mapped[float]
    corrected_output: Mapped[str | None]
    notes: Mapped[str | None]
    improvement_suggestions: Mapped[str | None]
