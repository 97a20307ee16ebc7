"""Provider fine-tuning jobs on runs, and the deployment-by-run lookup.

- `training_runs.provider_job_id`: the job a provider (OpenAI-compatible fine-tuning API) runs
  for the run, written as soon as the job exists. A retried attempt follows that job instead of
  creating a second one that would train (and bill) in parallel.
- `training_datasets.pii_redacted`: whether freezing replaced PII and secrets in the version's
  snapshots; exports of such a version need no second pass.
- `ix_deployments_training_run_id`: deployTrainingRun refuses a run that is already deployed
  (ALREADY_DEPLOYED), which looks deployments up by run.

No new table, so no new RLS policy or grant: the tables keep those of migrations 0004/0005.

Revision ID: 0009_run_provider_jobs
Revises: 0006_annotations
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_run_provider_jobs"
down_revision: str | None = "0007_principal_scopes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("training_runs", sa.Column("provider_job_id", sa.Text(), nullable=True))
    op.add_column(
        "training_datasets",
        sa.Column("pii_redacted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_index("ix_deployments_training_run_id", "deployments", ["training_run_id"])


def downgrade() -> None:
    op.drop_index("ix_deployments_training_run_id", table_name="deployments")
    op.drop_column("training_datasets", "pii_redacted")
    op.drop_column("training_runs", "provider_job_id")
