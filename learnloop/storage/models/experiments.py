"""A/B learning experiments, their deterministic unit assignments and recorded outcomes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from learnloop.storage.models.base import (
    Base,
    IdMixin,
    JSONDict,
    OrgMixin,
    UpdatedAtMixin,
    enum_check,
)
from learnloop.storage.models.executions import VARIANTS

EXPERIMENT_STATUSES = ("DRAFT", "RUNNING", "PAUSED", "COMPLETED", "CANCELLED")
WINNERS = ("CONTROL", "TREATMENT", "INCONCLUSIVE")


class LearningExperiment(IdMixin, OrgMixin, UpdatedAtMixin, Base):
    __tablename__ = "learning_experiments"
    __table_args__ = (
        CheckConstraint(enum_check("status", EXPERIMENT_STATUSES), name="status"),
        CheckConstraint(enum_check("winner", WINNERS), name="winner"),
        CheckConstraint("control_percentage BETWEEN 0 AND 100", name="control_percentage_range"),
        CheckConstraint(
            "treatment_percentage BETWEEN 0 AND 100", name="treatment_percentage_range"
        ),
        CheckConstraint(
            "abs(control_percentage + treatment_percentage - 100) <= 1e-6",
            name="percentages_sum",
        ),
        CheckConstraint("minimum_sample_size >= 1", name="minimum_sample_size_positive"),
        CheckConstraint("coverage > 0 AND coverage <= 1", name="coverage_range"),
        CheckConstraint(
            "statistical_significance BETWEEN 0 AND 1", name="statistical_significance_range"
        ),
        Index("ix_learning_experiments_org_id_created_at_id", "org_id", "created_at", "id"),
        # "Is there a running experiment for this agent?" on every recorded execution.
        Index("ix_learning_experiments_org_id_agent_id_status", "org_id", "agent_id", "status"),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    name: Mapped[str]
    hypothesis: Mapped[str | None]
    status: Mapped[str] = mapped_column(server_default=text("'DRAFT'"))
    control_config: Mapped[JSONDict] = mapped_column(server_default=text("'{}'::jsonb"))
    treatment_config: Mapped[JSONDict] = mapped_column(server_default=text("'{}'::jsonb"))
    control_percentage: Mapped[float] = mapped_column(server_default=text("50"))
    treatment_percentage: Mapped[float] = mapped_column(server_default=text("50"))
    primary_metric: Mapped[str]
    minimum_sample_size: Mapped[int] = mapped_column(server_default=text("100"))
    results: Mapped[JSONDict] = mapped_column(server_default=text("'{}'::jsonb"))
    winner: Mapped[str | None]
    statistical_significance: Mapped[float | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # GrowthBook hash seed; NULL: the experiment's id (a stable key of the experiment).
    hash_seed: Mapped[str | None]
    coverage: Mapped[float] = mapped_column(server_default=text("1"))
    guardrails: Mapped[bool] = mapped_column(server_default=text("true"))
    # A canary: the approved run under test, and the deployment made when its winner was promoted.
    training_run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("training_runs.id", ondelete="SET NULL")
    )
    promoted_deployment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("deployments.id", ondelete="SET NULL")
    )


class ExperimentAssignment(IdMixin, OrgMixin, Base):
    __tablename__ = "experiment_assignments"
    __table_args__ = (
        UniqueConstraint("experiment_id", "unit_id"),
        CheckConstraint(enum_check("variant", VARIANTS), name="variant"),
    )

    experiment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learning_experiments.id", ondelete="CASCADE")
    )
    unit_id: Mapped[str]
    variant: Mapped[str]


class ExperimentOutcome(IdMixin, OrgMixin, Base):
    __tablename__ = "experiment_outcomes"
    __table_args__ = (
        CheckConstraint(enum_check("variant", VARIANTS), name="variant"),
        Index(
            "ix_experiment_outcomes_experiment_id_metric_variant",
            "experiment_id",
            "metric",
            "variant",
        ),
        # Feedback counts once per metric; re-submitted feedback updates its outcome.
        Index(
            "uq_experiment_outcomes_feedback_id_metric",
            "feedback_id",
            "metric",
            unique=True,
            postgresql_where=text("feedback_id IS NOT NULL"),
        ),
    )

    experiment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learning_experiments.id", ondelete="CASCADE")
    )
    unit_id: Mapped[str]
    variant: Mapped[str]
    metric: Mapped[str]
    value: Mapped[float]
    execution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL")
    )
    feedback_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agent_feedback.id", ondelete="SET NULL")
    )
