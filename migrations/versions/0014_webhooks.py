"""Webhooks: endpoints per organisation and the delivery outbox.

- `webhook_endpoints`: url, subscribed events, signing secrets (current first, then the one a
  rotation retires). Tenant table, forced RLS.
- `webhook_deliveries`: one row per (event, subscribed endpoint), inserted in the transaction
  that made the change; the exact body that is signed; status, attempts, next attempt, lease.
- `learnloop_claim_webhook_deliveries(limit, lease_seconds)`: the one cross-organisation step of
  the delivering worker (SECURITY DEFINER): due deliveries, FOR UPDATE SKIP LOCKED, leased.

Revision ID: 0014_webhooks
Revises: 0011_llm_cache
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "0014_webhooks"
down_revision: str | None = "0013_retrieval_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "learnloop_app"
CURRENT_ORG = "nullif(current_setting('app.org_id', true), '')::uuid"
CLAIM = "learnloop_claim_webhook_deliveries(integer, double precision)"


def _common(table: str) -> list[Any]:
    return [
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=f"fk_{table}_org_id_organizations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _tenant(table: str) -> None:
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY org_isolation ON {table} "
        f"USING (org_id = {CURRENT_ORG}) WITH CHECK (org_id = {CURRENT_ORG})"
    )


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        *_common("webhook_endpoints"),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", ARRAY(sa.Text()), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("secrets", ARRAY(sa.Text()), nullable=False),
    )
    _tenant("webhook_endpoints")
    op.create_table(
        "webhook_deliveries",
        *_common("webhook_deliveries"),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'PENDING'"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name="fk_webhook_deliveries_endpoint_id_webhook_endpoints",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "status IN ('PENDING', 'DELIVERED', 'FAILED')", name="ck_webhook_deliveries_status"
        ),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint_id", "webhook_deliveries", ["endpoint_id", "created_at"]
    )
    _tenant("webhook_deliveries")
    op.execute(
        """
        CREATE FUNCTION learnloop_claim_webhook_deliveries(
          p_limit integer, p_lease_seconds double precision
        )
        RETURNS TABLE (delivery_id uuid, org_id uuid, attempt integer)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        BEGIN
          RETURN QUERY
          WITH due AS (
            SELECT d.id FROM webhook_deliveries d
             WHERE d.status = 'PENDING' AND d.next_attempt_at <= clock_timestamp()
               AND (d.lease_until IS NULL OR d.lease_until < clock_timestamp())
             ORDER BY d.next_attempt_at, d.id
             LIMIT p_limit
             FOR UPDATE SKIP LOCKED
          )
          UPDATE webhook_deliveries d
             SET attempts = d.attempts + 1,
                 lease_until = clock_timestamp() + make_interval(secs => p_lease_seconds)
            FROM due
           WHERE d.id = due.id
          RETURNING d.id, d.org_id, d.attempts;
        END $$
        """
    )
    op.execute(f"REVOKE ALL ON FUNCTION {CLAIM} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {CLAIM} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {CLAIM}")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
