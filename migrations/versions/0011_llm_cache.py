"""LLM record/replay cache: each organisation's chat requests and the answers they got.

- `llm_cache` (org_id, key) -> the canonical request (model, messages, temperature,
  max_tokens, seed) and its response (text, token usage). `key` is the sha256 of the
  canonical request, so re-running an evaluation replays answers instead of calling the model.
- Tenant table: forced RLS on org_id like the others; the app role reads and writes it.

Revision ID: 0011_llm_cache
Revises: 0009_run_provider_jobs
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011_llm_cache"
down_revision: str | None = "0012_experiments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "learnloop_app"
CURRENT_ORG = "nullif(current_setting('app.org_id', true), '')::uuid"
T = "llm_cache"


def upgrade() -> None:
    op.create_table(
        T,
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("request", postgresql.JSONB(), nullable=False),
        sa.Column("response", postgresql.JSONB(), nullable=False),
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
        sa.PrimaryKeyConstraint("org_id", "key", name=f"pk_{T}"),
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {T} TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {T} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {T} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY org_isolation ON {T} "
        f"USING (org_id = {CURRENT_ORG}) WITH CHECK (org_id = {CURRENT_ORG})"
    )


def downgrade() -> None:
    op.drop_table(T)
