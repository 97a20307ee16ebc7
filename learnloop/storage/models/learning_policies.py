"""Learning policy rows: per agent, when newly approved examples start the next training run."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from learnloop.storage.models.base import Base, IdMixin, JSONDict, OrgMixin, UpdatedAtMixin


class LearningPolicy(IdMixin, OrgMixin, UpdatedAtMixin, Base):
    __tablename__ = "learning_policies"
    __table_args__ = (
        UniqueConstraint("org_id", "agent_id"),
        Index("ix_learning_policies_enabled", "enabled", postgresql_where=text("enabled")),
        CheckConstraint("min_new_approved_examples >= 1", name="threshold"),
        CheckConstraint(
            "treatment_percentage > 0 AND treatment_percentage < 100", name="treatment"
        ),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    training_type: Mapped[str]
    min_new_approved_examples: Mapped[int]
    config: Mapped[JSONDict]
    auto_experiment: Mapped[bool]
    treatment_percentage: Mapped[float]
    enabled: Mapped[bool]
    last_run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("training_runs.id", ondelete="SET NULL")
    )
    last_dataset_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("training_datasets.id", ondelete="SET NULL")
    )
    last_triggered_at: Mapped[datetime | None]
