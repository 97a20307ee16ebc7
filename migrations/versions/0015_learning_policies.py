"""Learning policies: per agent, when newly approved examples start the next training run.

- `learning_policies`: one row per (org, agent) with the training type, its config, the
  threshold `min_new_approved_examples`, whether deploying an approved run starts a canary
  (`auto_experiment`, `treatment_percentage`) and `enabled`.
- `last_run_id` / `last_dataset_id`: the policy's latest run and its frozen dataset version;
  "newly approved" means approved examples of the agent not in that version.
- `learnloop_due_learning_policies(limit)`: SECURITY DEFINER, the only cross-organisation
  read of the worker's periodic check: enabled policies whose last run is closed.
- Tenant table: forced RLS on org_id; the app role reads and writes it.

Revision ID: 0015_learning_policies
Revises: 0014_webhooks
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015_learning_policies"
down_revision: str | None = "0014_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "learnloop_app"
CURRENT_ORG = "nullif(current_setting('app.org_id', true), '')::uuid"
T = "learning_policies"


def _fk(column: str, table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{table}.id"], name=f"fk_{T}_{column}_{table}", ondelete=ondelete
    )


def _timestamp(name: str, nullable: bool) -> sa.Column[sa.DateTime]:
    default = None if nullable else sa.text("now()")
    return sa.Column(name, sa.DateTime(timezone=True), server_default=default, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        T,
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("training_type", sa.Text(), nullable=False),
        sa.Column("min_new_approved_examples", sa.Integer(), nullable=False),
        sa.Column("config", postgresql.JSONB(), nullable=False),
        sa.Column("auto_experiment", sa.Boolean(), nullable=False),
        sa.Column("treatment_percentage", sa.Double(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_run_id", sa.Uuid(), nullable=True),
        sa.Column("last_dataset_id", sa.Uuid(), nullable=True),
        _timestamp("last_triggered_at", True),
        _timestamp("created_at", False),
        _timestamp("updated_at", False),
        _fk("org_id", "organizations", "CASCADE"),
        _fk("agent_id", "agents", "CASCADE"),
        _fk("last_run_id", "training_runs", "SET NULL"),
        _fk("last_dataset_id", "training_datasets", "SET NULL"),
        sa.UniqueConstraint("org_id", "agent_id", name=f"uq_{T}_org_id_agent_id"),
        sa.CheckConstraint("min_new_approved_examples >= 1", name=f"ck_{T}_threshold"),
        sa.CheckConstraint(
            "treatment_percentage > 0 AND treatment_percentage < 100", name=f"ck_{T}_treatment"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{T}"),
    )
    # The worker's periodic check scans enabled policies only.
    op.create_index(f"ix_{T}_enabled", T, ["enabled"], postgresql_where=sa.text("enabled"))
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {T} TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {T} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {T} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY org_isolation ON {T} "
        f"USING (org_id = {CURRENT_ORG}) WITH CHECK (org_id = {CURRENT_ORG})"
    )

    _due_function()


def _due_function() -> None:
    # A run is open while PENDING/RUNNING, or COMPLETED and not yet reviewed by a person.
    op.execute(
        f"""
        CREATE FUNCTION learnloop_due_learning_policies(p_limit integer)
        RETURNS TABLE (policy_id uuid, org_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          SELECT p.id, p.org_id FROM {T} p
            LEFT JOIN training_runs r ON r.id = p.last_run_id
           WHERE p.enabled
             AND (r.id IS NULL OR NOT (r.status IN ('PENDING', 'RUNNING')
                  OR (r.status = 'COMPLETED' AND r.review_status = 'UNREVIEWED')))
           ORDER BY p.last_triggered_at NULLS FIRST
           LIMIT p_limit
        $$
        """
    )
    signature = "learnloop_due_learning_policies(integer)"
    op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS learnloop_due_learning_policies(integer)")
    op.drop_table(T)
