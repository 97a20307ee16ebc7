"""Training datasets (versioned, DRAFT then FROZEN) and the examples each version holds."""

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

DATASET_STATUSES = ("DRAFT", "FROZEN")
SPLITS = ("TRAIN", "VALIDATION", "TEST")
SPLIT_COLUMNS = ("split_train", "split_validation", "split_test")


class TrainingDataset(IdMixin, OrgMixin, UpdatedAtMixin, Base):
    __tablename__ = "training_datasets"
    __table_args__ = (
        UniqueConstraint("org_id", "lineage_id", "version"),
        CheckConstraint(enum_check("status", DATASET_STATUSES), name="status"),
        CheckConstraint("version >= 1", name="version_positive"),
        *(
            CheckConstraint(f"{column} BETWEEN 0 AND 1", name=f"{column}_range")
            for column in SPLIT_COLUMNS
        ),
        CheckConstraint(
            "abs(split_train + split_validation + split_test - 1) <= 1e-6", name="splits_sum"
        ),
        CheckConstraint("total_examples >= 0", name="total_examples_nonnegative"),
        CheckConstraint("avg_quality_score BETWEEN 0 AND 1", name="avg_quality_score_range"),
        CheckConstraint("(status = 'FROZEN') = (frozen_at IS NOT NULL)", name="frozen_at_set"),
        Index("ix_training_datasets_org_id_created_at_id", "org_id", "created_at", "id"),
    )

    lineage_id: Mapped[uuid.UUID]  # shared by all versions of one dataset
    version: Mapped[int] = mapped_column(server_default=text("1"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("training_datasets.id", ondelete="SET NULL")
    )
    name: Mapped[str]
    description: Mapped[str | None]
    status: Mapped[str] = mapped_column(server_default=text("'DRAFT'"))
    agent_ids: Mapped[list[str]] = mapped_column(server_default=text("'{}'::text[]"))
    domains: Mapped[list[str]] = mapped_column(server_default=text("'{}'::text[]"))
    task_types: Mapped[list[str]] = mapped_column(server_default=text("'{}'::text[]"))
    split_train: Mapped[float] = mapped_column(server_default=text("0.8"))
    split_validation: Mapped[float] = mapped_column(server_default=text("0.1"))
    split_test: Mapped[float] = mapped_column(server_default=text("0.1"))
    allow_pending: Mapped[bool] = mapped_column(server_default=text("false"))
    stratify_by_type: Mapped[bool] = mapped_column(server_default=text("false"))
    total_examples: Mapped[int] = mapped_column(server_default=text("0"))
    avg_quality_score: Mapped[float | None]
    stats: Mapped[JSONDict] = mapped_column(server_default=text("'{}'::jsonb"))  # per split/type
    frozen_at: Mapped[datetime | None]
    # Whether freezing replaced PII and secrets in the snapshots (exports then skip it).
    pii_redacted: Mapped[bool] = mapped_column(server_default=text("false"))
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class DatasetExample(IdMixin, OrgMixin, Base):
    __tablename__ = "dataset_examples"
    __table_args__ = (
        UniqueConstraint("dataset_id", "example_id"),
        CheckConstraint(enum_check("split", SPLITS), name="split"),
        CheckConstraint("weight > 0", name="weight_positive"),
        # Both lead with org_id and end with a page's sort order (migration 0016).
        Index(
            "ix_dataset_examples_org_id_example_id_created_at_id",
            "org_id",
            "example_id",
            "created_at",
            "id",
        ),
        Index(
            "ix_dataset_examples_org_id_dataset_id_split_id", "org_id", "dataset_id", "split", "id"
        ),
    )

    dataset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("training_datasets.id", ondelete="CASCADE")
    )
    # NO ACTION: an example inside a dataset (possibly frozen) cannot be deleted.
    example_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("learning_examples.id"))
    split: Mapped[str]
    weight: Mapped[float] = mapped_column(server_default=text("1.0"))
    # The example's content when the version was frozen (NULL while DRAFT); see 0004_datasets.
    snapshot: Mapped[JSONDict | None]
