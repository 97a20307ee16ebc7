"""Training runs as a job queue: artifacts table, change notifications, claim and lease functions.

- `training_run_artifacts`: files a run produced (tenant table, forced RLS like the others).
- A trigger NOTIFYs on every visible change of a run. Payloads carry ids only:
  `learnloop_training_runs` {"org", "run"} for subscribers, `learnloop_training_run_queue` when a
  run becomes PENDING (wakes workers), `learnloop_training_run_cancel` {"org", "run"} when a
  running run is asked to stop.
- Two narrow SECURITY DEFINER functions for the only cross-organisation steps a worker takes:
  claiming the next PENDING run (FOR UPDATE SKIP LOCKED, sets the lease, returns run and org id)
  and listing RUNNING runs whose lease expired. Everything else a worker does runs as the app
  role inside a transaction scoped to the run's organisation.

Revision ID: 0005_training_runs
Revises: 0004_datasets
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_training_runs"
down_revision: str | None = "0004_datasets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "learnloop_app"
CURRENT_ORG = "nullif(current_setting('app.org_id', true), '')::uuid"
T = "training_run_artifacts"


def _artifacts() -> None:
    op.create_table(
        T,
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["training_runs.id"],
            name=f"fk_{T}_run_id_training_runs",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=f"fk_{T}_org_id_organizations",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("run_id", "name", name=f"uq_{T}_run_id_name"),
        sa.CheckConstraint("size_bytes >= 0", name=f"ck_{T}_size_bytes_nonnegative"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{T}"),
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {T} TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {T} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {T} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY org_isolation ON {T} "
        f"USING (org_id = {CURRENT_ORG}) WITH CHECK (org_id = {CURRENT_ORG})"
    )


def _notifications() -> None:
    # Runs as the writer (the app role); pg_notify needs no privilege. Lease renewals alone
    # (heartbeats) change nothing a subscriber shows, so they do not notify.
    op.execute(
        """
        CREATE FUNCTION learnloop_training_run_notify() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE ids text := json_build_object('org', NEW.org_id, 'run', NEW.id)::text;
        BEGIN
          IF TG_OP = 'INSERT'
             OR NEW.status IS DISTINCT FROM OLD.status
             OR NEW.progress IS DISTINCT FROM OLD.progress
             OR NEW.metrics IS DISTINCT FROM OLD.metrics
             OR NEW.attempts IS DISTINCT FROM OLD.attempts
             OR NEW.cancel_requested IS DISTINCT FROM OLD.cancel_requested
             OR NEW.review_status IS DISTINCT FROM OLD.review_status THEN
            PERFORM pg_notify('learnloop_training_runs', ids);
          END IF;
          IF NEW.status = 'PENDING' AND (TG_OP = 'INSERT' OR OLD.status <> 'PENDING') THEN
            PERFORM pg_notify('learnloop_training_run_queue', ids);
          END IF;
          IF TG_OP = 'UPDATE' AND NEW.status = 'RUNNING' AND NEW.cancel_requested
             AND NOT OLD.cancel_requested THEN
            PERFORM pg_notify('learnloop_training_run_cancel', ids);
          END IF;
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER training_runs_notify AFTER INSERT OR UPDATE ON training_runs "
        "FOR EACH ROW EXECUTE FUNCTION learnloop_training_run_notify()"
    )


def _worker_functions() -> None:
    op.execute(
        """
        CREATE FUNCTION learnloop_claim_training_run(
          p_worker text, p_lease_seconds double precision, p_types text[]
        )
        RETURNS TABLE (run_id uuid, org_id uuid, attempt integer)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        BEGIN
          RETURN QUERY
          WITH next AS (
            SELECT r.id FROM training_runs r
             WHERE r.status = 'PENDING' AND r.training_type = ANY (p_types)
             ORDER BY r.created_at, r.id
             LIMIT 1
             FOR UPDATE SKIP LOCKED
          )
          UPDATE training_runs r
             SET status = 'RUNNING',
                 attempts = r.attempts + 1,
                 lease_owner = p_worker,
                 lease_expires_at = clock_timestamp() + make_interval(secs => p_lease_seconds),
                 started_at = coalesce(r.started_at, now()),
                 progress = 0,
                 error = NULL,
                 updated_at = now()
            FROM next
           WHERE r.id = next.id
          RETURNING r.id, r.org_id, r.attempts;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION learnloop_expired_training_runs(p_limit integer)
        RETURNS TABLE (run_id uuid, org_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          SELECT r.id, r.org_id FROM training_runs r
           WHERE r.status = 'RUNNING' AND r.lease_expires_at < clock_timestamp()
           ORDER BY r.lease_expires_at
           LIMIT p_limit
        $$
        """
    )
    for signature in (
        "learnloop_claim_training_run(text, double precision, text[])",
        "learnloop_expired_training_runs(integer)",
    ):
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")


def upgrade() -> None:
    _artifacts()
    _notifications()
    _worker_functions()


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS learnloop_expired_training_runs(integer)")
    op.execute(
        "DROP FUNCTION IF EXISTS learnloop_claim_training_run(text, double precision, text[])"
    )
    op.execute("DROP TRIGGER IF EXISTS training_runs_notify ON training_runs")
    op.execute("DROP FUNCTION IF EXISTS learnloop_training_run_notify()")
    op.drop_table(T)
