"""Retrieval feedback: the chunks an agent retrieved per execution and whether each helped.

- `retrieval_feedback` (org_id, agent_key, execution_key, chunk_id) -> query, rank (1 = shown
  first), the retriever's score, helpful, token_count. RAG_TUNING learns from it.
- Index on (org_id, agent_key, created_at): a run reads one agent's feedback, optionally since
  a date.
- Tenant table: forced RLS on org_id like the others; the app role reads and writes it.
- `training_runs.dataset_id` becomes nullable: a RAG_TUNING run may learn from retrieval feedback
  alone. Downgrading deletes such runs (they cannot exist without a dataset before this).

Revision ID: 0013_retrieval_feedback
Revises: 0011_llm_cache
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_retrieval_feedback"
down_revision: str | None = "0011_llm_cache"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "learnloop_app"
CURRENT_ORG = "nullif(current_setting('app.org_id', true), '')::uuid"
T = "retrieval_feedback"


def upgrade() -> None:
    op.create_table(
        T,
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("agent_key", sa.Text(), nullable=False),
        sa.Column("execution_key", sa.Text(), nullable=False),
        sa.Column("chunk_id", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("token_count", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=f"fk_{T}_org_id_organizations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "agent_key", "execution_key", "chunk_id", name=f"pk_{T}"),
    )
    op.create_index("ix_retrieval_feedback_agent_created", T, ["org_id", "agent_key", "created_at"])
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {T} TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {T} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {T} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY org_isolation ON {T} "
        f"USING (org_id = {CURRENT_ORG}) WITH CHECK (org_id = {CURRENT_ORG})"
    )

    op.alter_column("training_runs", "dataset_id", nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM training_runs WHERE dataset_id IS NULL")
    op.alter_column("training_runs", "dataset_id", nullable=False)
    op.drop_table(T)
