"""Learning examples (the annotation queue's items) and the history of their edited fields."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from learnloop.storage.models.base import (
    Base,
    IdMixin,
    JSONDict,
    OrgMixin,
    UpdatedAtMixin,
    enum_check,
)

EXAMPLE_TYPES = (
    "POSITIVE",
    "NEGATIVE",
    "CORRECTION",
    "DEMONSTRATION",
    "EDGE_CASE",
    "FAILURE",
    "PREFERENCE",
)
REVIEW_STATUSES = ("PENDING", "IN_REVIEW", "APPROVED", "REJECTED")
# The annotation queue's rows: undecided work, and gold items (which keep their own status).
# Written as PostgreSQL stores it; storage.annotations.open_rows() is the same predicate.
OPEN = "review_status = ANY (ARRAY['PENDING'::text, 'IN_REVIEW'::text]) OR is_gold"


class LearningExample(IdMixin, OrgMixin, UpdatedAtMixin, Base):
    __tablename__ = "learning_examples"
    __table_args__ = (
        CheckConstraint(enum_check("example_type", EXAMPLE_TYPES), name="example_type"),
        CheckConstraint(enum_check("review_status", REVIEW_STATUSES), name="review_status"),
        CheckConstraint("quality_score BETWEEN 0 AND 1", name="quality_score_range"),
        CheckConstraint("annotations_count >= 0", name="annotations_count_nonnegative"),
        # One way only: deleting the holder's user sets the holder to NULL, not the expiry.
        CheckConstraint(
            "lease_holder_user_id IS NULL OR lease_expires_at IS NOT NULL",
            name="lease_has_expiry",
        ),
        # A feedback creates at most one example (the correction it carried).
        Index(
            "uq_learning_examples_org_id_source_feedback_id",
            "org_id",
            "source_feedback_id",
            unique=True,
            postgresql_where=text("source_feedback_id IS NOT NULL"),
        ),
        Index("ix_learning_examples_org_id_created_at_id", "org_id", "created_at", "id"),
        # The annotation queue (migration 0005): claimable rows in each queue order.
        Index(
            "ix_learning_examples_claim",
            "org_id",
            text("priority DESC"),
            "created_at",
            "id",
            postgresql_where=text(OPEN),
        ),
        Index(
            "ix_learning_examples_claim_quality",
            "org_id",
            text("quality_score NULLS FIRST"),
            text("priority DESC"),
            "created_at",
            "id",
            postgresql_where=text(OPEN),
        ),
        # One agent's queue in claim order (migration 0016).
        Index(
            "ix_learning_examples_claim_agent",
            "org_id",
            "agent_id",
            text("priority DESC"),
            "created_at",
            "id",
            postgresql_where=text(OPEN),
        ),
        Index(
            "ix_learning_examples_assigned",
            "org_id",
            "assigned_to_user_id",
            text("priority DESC"),
            "created_at",
            "id",
            postgresql_where=text(f"assigned_to_user_id IS NOT NULL AND ({OPEN})"),
        ),
        Index(
            "ix_learning_examples_lease_holder",
            "org_id",
            "lease_holder_user_id",
            postgresql_where=text("lease_holder_user_id IS NOT NULL"),
        ),
        Index(
            "ix_learning_examples_adjudication",
            "org_id",
            text("priority DESC"),
            "created_at",
            "id",
            postgresql_where=text("needs_adjudication"),
        ),
        Index(
            "ix_learning_examples_org_id_agent_id_created_at_id",
            "org_id",
            "agent_id",
            "created_at",
            "id",
        ),
        # Partial (migration 0016): as a full index it out-bid the page index on `org_id` alone.
        Index(
            "ix_learning_examples_org_id_domain",
            "org_id",
            "domain",
            postgresql_where=text("domain IS NOT NULL"),
        ),
        # Expired leases to hand back to the queue.
        Index(
            "ix_learning_examples_lease_expires_at",
            "org_id",
            "lease_expires_at",
            postgresql_where=text("review_status = 'IN_REVIEW'"),
        ),
        Index(
            "ix_learning_examples_execution_id",
            "execution_id",
            postgresql_where=text("execution_id IS NOT NULL"),
        ),
    )

    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    execution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL")
    )
    source_feedback_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agent_feedback.id", ondelete="SET NULL")
    )
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    author_key: Mapped[str | None]
    example_type: Mapped[str]
    domain: Mapped[str | None]
    task_type: Mapped[str | None]
    input_text: Mapped[str]
    expected_output: Mapped[str | None]
    original_output: Mapped[str | None]
    # "metadata" is reserved on declarative classes, hence the attribute name.
    metadata_: Mapped[JSONDict] = mapped_column("metadata", server_default=text("'{}'::jsonb"))
    quality_score: Mapped[float | None]
    review_status: Mapped[str] = mapped_column(server_default=text("'PENDING'"))
    priority: Mapped[int] = mapped_column(server_default=text("0"))
    is_gold: Mapped[bool] = mapped_column(server_default=text("false"))
    gold_verdict: Mapped[bool | None]  # the known right answer for gold (calibration) examples
    lease_holder_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    lease_expires_at: Mapped[datetime | None]
    assigned_to_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    annotations_count: Mapped[int] = mapped_column(server_default=text("0"))
    decided_at: Mapped[datetime | None]
    # Enough annotations that disagree: a MANAGER decides (adjudicateExample).
    needs_adjudication: Mapped[bool] = mapped_column(server_default=text("false"))


class ExampleHistory(IdMixin, OrgMixin, Base):
    """A previous value of an example's field (e.g. expected_output before a correction)."""

    __tablename__ = "example_history"
    __table_args__ = (
        Index(
            "ix_example_history_org_id_example_id_created_at_id",
            "org_id",
            "example_id",
            "created_at",
            "id",
        ),
    )

    example_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learning_examples.id", ondelete="CASCADE")
    )
    field: Mapped[str]
    previous_value: Mapped[str | None]
    changed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
