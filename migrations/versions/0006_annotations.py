"""Annotation queue: adjudication flag and the indexes the claim, queue and lease queries use.

- `learning_examples.needs_adjudication`: enough annotations, verdicts differ; a MANAGER
  decides (the example stays IN_REVIEW without a lease meanwhile).
- The queue's rows are the open ones: `review_status IN ('PENDING', 'IN_REVIEW') OR is_gold`
  (gold items keep their own status and stay in the queue). One partial index per queue order
  over them, in the order claims and the queue listing read it, so "the next item" is the
  first index entry that passes the row filters: PRIORITY_OLDEST_FIRST (priority DESC,
  created_at, id) and LOWEST_QUALITY_FIRST (quality_score NULLS FIRST, then the same).
  MOST_NEGATIVE_FIRST sorts on a per-row count of negative feedback and cannot be indexed
  (documented in ADR 0006). The predicate is written the way PostgreSQL stores it, so the
  models' drift check compares equal texts.
- Examples assigned to an expert are looked up by assignee first.
- Counting an expert's live leases reads (org_id, lease_holder_user_id).
- The adjudication list has its own small partial index.
- 0001's ix_learning_examples_queue (org_id, review_status, priority DESC, ...) is replaced by
  the claim index (the queue is no longer PENDING-only).

Revision ID: 0006_annotations
Revises: 0005_training_runs
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_annotations"
down_revision: str | None = "0005_training_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

T = "learning_examples"
OPEN = "review_status = ANY (ARRAY['PENDING'::text, 'IN_REVIEW'::text]) OR is_gold"
QUEUE_ORDER = [sa.text("priority DESC"), "created_at", "id"]


def upgrade() -> None:
    op.add_column(
        T,
        sa.Column(
            "needs_adjudication", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.drop_index("ix_learning_examples_queue", table_name=T)
    op.create_index(
        "ix_learning_examples_claim",
        T,
        ["org_id", *QUEUE_ORDER],
        postgresql_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_learning_examples_claim_quality",
        T,
        ["org_id", sa.text("quality_score NULLS FIRST"), *QUEUE_ORDER],
        postgresql_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_learning_examples_assigned",
        T,
        ["org_id", "assigned_to_user_id", *QUEUE_ORDER],
        postgresql_where=sa.text(f"assigned_to_user_id IS NOT NULL AND ({OPEN})"),
    )
    op.create_index(
        "ix_learning_examples_lease_holder",
        T,
        ["org_id", "lease_holder_user_id"],
        postgresql_where=sa.text("lease_holder_user_id IS NOT NULL"),
    )
    op.create_index(
        "ix_learning_examples_adjudication",
        T,
        ["org_id", *QUEUE_ORDER],
        postgresql_where=sa.text("needs_adjudication"),
    )


def downgrade() -> None:
    for name in (
        "ix_learning_examples_adjudication",
        "ix_learning_examples_lease_holder",
        "ix_learning_examples_assigned",
        "ix_learning_examples_claim_quality",
        "ix_learning_examples_claim",
    ):
        op.drop_index(name, table_name=T)
    op.create_index(
        "ix_learning_examples_queue",
        T,
        ["org_id", "review_status", sa.text("priority DESC"), "created_at", "id"],
    )
    op.drop_column(T, "needs_adjudication")
