"""Feedback: remembered idempotency keys, covering indexes for statistics, feedback by execution.

- feedback_idempotency_keys: every key a submission used, pointing at the feedback it stored,
  so a late retry of an old request can never overwrite a newer opinion (tenant table: RLS).
- The two agent_feedback listing indexes also INCLUDE the columns statistics read, so
  feedbackStats / commonIssues / feedbackTrend are index-only scans over the time window.
- An execution's feedback is listed by (created_at, id): a composite index for that order.

Revision ID: 0003_feedback
Revises: 0002_tenancy_security
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_feedback"
down_revision: str | None = "0002_tenancy_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT_ORG = "nullif(current_setting('app.org_id', true), '')::uuid"
STATS_COLUMNS = [
    "feedback_type",
    "rating",
    "accuracy_rating",
    "helpfulness_rating",
    "clarity_rating",
    "completeness_rating",
    "issue_categories",
]
LISTING_INDEXES = {
    "ix_agent_feedback_org_id_agent_id_created_at_id": ["org_id", "agent_id", "created_at", "id"],
    "ix_agent_feedback_org_id_created_at_id": ["org_id", "created_at", "id"],
}


def upgrade() -> None:
    t = "feedback_idempotency_keys"
    op.create_table(
        t,
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("feedback_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=f"fk_{t}_org_id_organizations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["agent_feedback.id"],
            name=f"fk_{t}_feedback_id_agent_feedback",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("org_id", "key", name=f"uq_{t}_org_id_key"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
    )
    op.create_index(f"ix_{t}_feedback_id", t, ["feedback_id"])
    op.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY org_isolation ON {t} "
        f"USING (org_id = {CURRENT_ORG}) WITH CHECK (org_id = {CURRENT_ORG})"
    )

    for name, columns in LISTING_INDEXES.items():
        op.drop_index(name, table_name="agent_feedback")
        op.create_index(name, "agent_feedback", columns, postgresql_include=STATS_COLUMNS)
    op.drop_index("ix_agent_feedback_org_id_execution_id", table_name="agent_feedback")
    op.create_index(
        "ix_agent_feedback_org_id_execution_id_created_at_id",
        "agent_feedback",
        ["org_id", "execution_id", "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_agent_feedback_org_id_execution_id_created_at_id", table_name="agent_feedback"
    )
    op.create_index(
        "ix_agent_feedback_org_id_execution_id", "agent_feedback", ["org_id", "execution_id"]
    )
    for name, columns in LISTING_INDEXES.items():
        op.drop_index(name, table_name="agent_feedback")
        op.create_index(name, "agent_feedback", columns)
    op.execute("DROP POLICY IF EXISTS org_isolation ON feedback_idempotency_keys")
    op.drop_table("feedback_idempotency_keys")
