"""Training runs (each row is its own job, claimed by workers) and their event log."""

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

TRAINING_TYPES = (
    "PROMPT_OPTIMIZATION",
    "RAG_TUNING",
    "BEHAVIOR_CLONING",
    "FINE_TUNING",
    "DPO",
    "RLHF",
)
RUN_STATUSES = ("PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED")
RUN_REVIEW_STATUSES = ("UNREVIEWED", "APPROVED", "REJECTED")


class TrainingRun(IdMixin, OrgMixin, UpdatedAtMixin, Base):
    __tablename__ = "training_runs"
    __table_args__ = (
        CheckConstraint(enum_check("training_type", TRAINING_TYPES), name="training_type"),
        CheckConstraint(enum_check("status", RUN_STATUSES), name="status"),
        CheckConstraint(enum_check("review_status", RUN_REVIEW_STATUSES), name="review_status"),
        CheckConstraint("progress BETWEEN 0 AND 1", name="progress_range"),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        CheckConstraint("max_attempts >= 1", name="max_attempts_positive"),
        Index("ix_training_runs_org_id_created_at_id", "org_id", "created_at", "id"),
        Index(
            "ix_training_runs_org_id_status_created_at_id", "org_id", "status", "created_at", "id"
        ),
        Index("ix_training_runs_org_id_dataset_id", "org_id", "dataset_id"),
        # Workers claim the oldest PENDING run (FOR UPDATE SKIP LOCKED) ...
        Index(
            "ix_training_runs_pending",
            "status",
            "created_at",
            postgresql_where=text("status = 'PENDING'"),
        ),
        # ... and re-claim RUNNING runs whose lease expired.
        Index(
            "ix_training_runs_running_lease",
            "status",
            "lease_expires_at",
            postgresql_where=text("status = 'RUNNING'"),
        ),
    )

    # NO ACTION: a dataset that a run trained on cannot be deleted.
    dataset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("training_datasets.id"))
    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    training_type: Mapped[str]
    config: Mapped[JSONDict] = mapped_column(server_default=text("'{}'::jsonb"))
    status: Mapped[str] = mapped_column(server_default=text("'PENDING'"))
    progress: Mapped[float] = mapped_column(server_default=text("0"))
    metrics: Mapped[JSONDict] = mapped_column(server_default=text("'{}'::jsonb"))
    result: Mapped[JSONDict | None]
    error: Mapped[str | None]
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    max_attempts: Mapped[int] = mapped_column(server_default=text("3"))
    lease_owner: Mapped[str | None]  # the worker id holding the run
    lease_expires_at: Mapped[datetime | None]
    cancel_requested: Mapped[bool] = mapped_column(server_default=text("false"))
    review_status: Mapped[str] = mapped_column(server_default=text("'UNREVIEWED'"))
    review_notes: Mapped[str | None]
    reviewed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None]
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The fine-tuning job a provider runs for this run, recorded as soon as it exists so a retry
    # follows it instead of starting a second one.
    provider_job_id: Mapped[str | None]


class TrainingRunEvent(IdMixin, OrgMixin, Base):
    __tablename__ = "training_run_events"
    __table_args__ = (
        Index("ix_training_run_events_run_id_created_at_id", "run_id", "created_at", "id"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_runs.id", ondelete="CASCADE"))
    kind: Mapped[str]  # e.g. "status", "progress", "log", "metric"
    message: Mapped[str | None]
    data: Mapped[JSONDict] = mapped_column(server_default=text("'{}'::jsonb"))


class TrainingRunArtifact(IdMixin, OrgMixin, Base):
    """A file a run produced (e.g. a fine-tune JSONL), kept with the run and downloadable."""

    __tablename__ = "training_run_artifacts"
    __table_args__ = (
        UniqueConstraint("run_id", "name"),
        CheckConstraint("size_bytes >= 0", name="size_bytes_nonnegative"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_runs.id", ondelete="CASCADE"))
    name: Mapped[str]
    media_type: Mapped[str]
    content: Mapped[str]
    size_bytes: Mapped[int]
    line_count: Mapped[int]
    sha256: Mapped[str]
