"""Rate limits: one token-bucket row per principal, shared by every API process.

- `rate_limits` (org_id, principal, tat): a token bucket stored as GCRA's "theoretical arrival
  time" (one timestamp). UNLOGGED: losing it in a crash only refills every bucket. Tenant
  table with forced RLS like the others.
- `learnloop_take_rate_tokens(org, principal, cost, interval, window)`: the one statement a
  mutation request runs (in autocommit, so no row lock outlives it). Returns 0 when the
  tokens were taken, else the seconds until they would be. Runs as the caller (the app
  role) and scopes itself to the organisation for RLS. Now and then it removes a few of the
  organisation's full buckets (a bucket whose tat has passed is the same as no row).
  See docs/decisions/0008-rate-limits.md.

Revision ID: 0008_rate_limits
Revises: 0006_annotations
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_rate_limits"
down_revision: str | None = "0006_annotations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "learnloop_app"
CURRENT_ORG = "nullif(current_setting('app.org_id', true), '')::uuid"
T = "rate_limits"
SIGNATURE = "learnloop_take_rate_tokens(uuid, text, integer, double precision, double precision)"


def upgrade() -> None:
    op.create_table(
        T,
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column("tat", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=f"fk_{T}_org_id_organizations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "principal", name=f"pk_{T}"),
        prefixes=["UNLOGGED"],
    )
    # Room on each page so the constant updates of `tat` (not indexed) stay HOT.
    op.execute(f"ALTER TABLE {T} SET (fillfactor = 50)")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {T} TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {T} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {T} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY org_isolation ON {T} "
        f"USING (org_id = {CURRENT_ORG}) WITH CHECK (org_id = {CURRENT_ORG})"
    )
    op.execute(
        """
        CREATE FUNCTION learnloop_take_rate_tokens(
          p_org uuid, p_principal text, p_cost integer,
          p_interval double precision, p_window double precision
        )
        RETURNS double precision
        LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
        DECLARE
          now_ts timestamptz := clock_timestamp();
          step interval := make_interval(secs => p_interval * p_cost);
          horizon interval := make_interval(secs => p_window);
          granted timestamptz;
          current_tat timestamptz;
        BEGIN
          PERFORM set_config('app.org_id', p_org::text, true);
          INSERT INTO rate_limits AS r (org_id, principal, tat)
          VALUES (p_org, p_principal, now_ts + step)
          ON CONFLICT (org_id, principal) DO UPDATE
             SET tat = greatest(r.tat, now_ts) + step
           WHERE greatest(r.tat, now_ts) + step - now_ts <= horizon
          RETURNING r.tat INTO granted;
          IF granted IS NOT NULL THEN
            IF random() < 0.01 THEN
              DELETE FROM rate_limits d
               WHERE d.ctid = ANY (ARRAY(
                 SELECT e.ctid FROM rate_limits e
                  WHERE e.org_id = p_org AND e.tat < now_ts LIMIT 100));
            END IF;
            RETURN 0;
          END IF;
          SELECT r.tat INTO current_tat FROM rate_limits r
           WHERE r.org_id = p_org AND r.principal = p_principal;
          RETURN greatest(
            extract(epoch FROM (greatest(current_tat, now_ts) + step - now_ts - horizon)),
            0.001);
        END $$
        """
    )
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
    op.drop_table(T)
