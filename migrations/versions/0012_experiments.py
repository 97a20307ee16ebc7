"""Experiments: assignment settings, canary links, unit ids on executions, change notifications.

- `learning_experiments.hash_seed` (default: the experiment's id, a stable key), `coverage`
  (share of units in the experiment, (0, 1]), `guardrails` (auto-pause on a worse treatment),
  `training_run_id` (a canary's run) and `promoted_deployment_id` (set when a MANAGER promoted
  the winner).
- `executions.unit_id`: the unit (user, session) an execution was served to, so several
  executions and ratings per unit are analysed as one unit (delta method).
- NOTIFY `learnloop_experiments` {"org", "run": experiment id} when an experiment changes, a
  custom outcome is recorded, or feedback arrives on an execution tagged with an arm. Payloads
  carry ids only; subscribers re-read under their own organisation.

Revision ID: 0012_experiments
Revises: 0009_run_provider_jobs
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_experiments"
down_revision: str | None = "0009_run_provider_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

T = "learning_experiments"


def _columns() -> None:
    # NULL means the default seed: the experiment's id (rows written before this migration).
    op.add_column(T, sa.Column("hash_seed", sa.Text(), nullable=True))
    op.add_column(
        T,
        sa.Column("coverage", sa.Double(), server_default=sa.text("1"), nullable=False),
    )
    op.create_check_constraint(f"ck_{T}_coverage_range", T, "coverage > 0 AND coverage <= 1")
    op.add_column(
        T, sa.Column("guardrails", sa.Boolean(), server_default=sa.text("true"), nullable=False)
    )
    op.add_column(T, sa.Column("training_run_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        f"fk_{T}_training_run_id_training_runs",
        T,
        "training_runs",
        ["training_run_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column(T, sa.Column("promoted_deployment_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        f"fk_{T}_promoted_deployment_id_deployments",
        T,
        "deployments",
        ["promoted_deployment_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column("executions", sa.Column("unit_id", sa.Text(), nullable=True))


def _notifications() -> None:
    op.execute(
        """
        CREATE FUNCTION learnloop_experiment_notify() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE experiment uuid;
        BEGIN
          IF TG_TABLE_NAME = 'learning_experiments' THEN
            experiment := NEW.id;
          ELSIF TG_TABLE_NAME = 'experiment_outcomes' THEN
            experiment := NEW.experiment_id;
          ELSE
            SELECT x.experiment_id INTO experiment FROM executions x
             WHERE x.id = NEW.execution_id AND x.variant IS NOT NULL;
          END IF;
          IF experiment IS NOT NULL THEN
            PERFORM pg_notify(
              'learnloop_experiments',
              json_build_object('org', NEW.org_id, 'run', experiment)::text
            );
          END IF;
          RETURN NULL;
        END $$
        """
    )
    for table in (T, "experiment_outcomes", "agent_feedback"):
        op.execute(
            f"CREATE TRIGGER {table}_experiment_notify AFTER INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION learnloop_experiment_notify()"
        )


def upgrade() -> None:
    _columns()
    _notifications()


def downgrade() -> None:
    for table in (T, "experiment_outcomes", "agent_feedback"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_experiment_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS learnloop_experiment_notify()")
    op.drop_column("executions", "unit_id")
    op.drop_constraint(f"fk_{T}_promoted_deployment_id_deployments", T, type_="foreignkey")
    op.drop_column(T, "promoted_deployment_id")
    op.drop_constraint(f"fk_{T}_training_run_id_training_runs", T, type_="foreignkey")
    op.drop_column(T, "training_run_id")
    op.drop_column(T, "guardrails")
    op.drop_constraint(f"ck_{T}_coverage_range", T, type_="check")
    op.drop_column(T, "coverage")
    op.drop_column(T, "hash_seed")
