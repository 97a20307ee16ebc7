"""Queue depth for /metrics: one cross-organisation read of counts, nothing else.

- `learnloop_queue_depth()`: SECURITY DEFINER (the app role cannot see other organisations'
  rows): queued and running training runs, the age of the oldest queued one, and webhook
  deliveries still pending (due or waiting for a retry). Only numbers leave the function.
  The partial indexes on PENDING runs and deliveries keep it cheap per scrape.

Revision ID: 0017_queue_metrics
Revises: 0016_loop_gates
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_queue_metrics"
down_revision: str | None = "0016_loop_gates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "learnloop_app"
DEPTH = "learnloop_queue_depth()"


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION learnloop_queue_depth()
        RETURNS TABLE (
          queued_runs bigint, running_runs bigint, oldest_queued_seconds double precision,
          pending_webhooks bigint
        )
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          SELECT
            (SELECT count(*) FROM training_runs WHERE status = 'PENDING'),
            (SELECT count(*) FROM training_runs WHERE status = 'RUNNING'),
            coalesce((SELECT extract(epoch FROM clock_timestamp() - min(created_at))::float8
                        FROM training_runs WHERE status = 'PENDING'), 0),
            (SELECT count(*) FROM webhook_deliveries WHERE status = 'PENDING')
        $$
        """
    )
    op.execute(f"REVOKE ALL ON FUNCTION {DEPTH} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {DEPTH} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {DEPTH}")
