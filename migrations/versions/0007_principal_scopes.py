"""Principal scopes: idempotency keys belong to an author or a widget token, not the organisation.

- feedback_idempotency_keys.scope: whose key it is, the author's key (user:<id>, apikey:<id>,
  enduser:<id>) or "token:<token id>:<agent>/<execution>" for a feedback widget token. The
  same key text from someone else is another key: unique (org_id, scope, key). Existing keys
  take the author of the feedback they point at.
- agent_feedback's unique (org_id, idempotency_key) index goes: two authors may now use the
  same key text, and the keys table is what retries look up.

Revision ID: 0007_principal_scopes
Revises: 0010_execution_domains
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_principal_scopes"
down_revision: str | None = "0010_execution_domains"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

K = "feedback_idempotency_keys"
F = "agent_feedback"
FEEDBACK_KEY_INDEX = "uq_agent_feedback_org_id_idempotency_key"


def _as_owner(*statements: str) -> None:
    """Run data fixes across every organisation: FORCE'd row-level security would otherwise hide
    all rows from a table owner that is not a superuser (app.org_id is unset here)."""
    for table in (K, F):
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    for statement in statements:
        op.execute(statement)
    for table in (K, F):
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def upgrade() -> None:
    op.add_column(K, sa.Column("scope", sa.Text(), nullable=True))
    _as_owner(f"UPDATE {K} AS k SET scope = f.author_key FROM {F} AS f WHERE f.id = k.feedback_id")
    op.alter_column(K, "scope", nullable=False)
    op.drop_constraint(f"uq_{K}_org_id_key", K, type_="unique")
    op.create_unique_constraint(f"uq_{K}_org_id_scope_key", K, ["org_id", "scope", "key"])
    op.drop_index(FEEDBACK_KEY_INDEX, table_name=F)


def downgrade() -> None:
    # Keys shared by several scopes collapse to the oldest, as before this revision.
    _as_owner(
        f"DELETE FROM {K} AS k USING {K} AS older WHERE older.org_id = k.org_id "
        "AND older.key = k.key AND (older.created_at, older.id) < (k.created_at, k.id)",
        f"UPDATE {F} AS f SET idempotency_key = NULL FROM {F} AS older "
        "WHERE older.org_id = f.org_id AND older.idempotency_key = f.idempotency_key "
        "AND (older.created_at, older.id) < (f.created_at, f.id)",
    )
    op.create_index(
        FEEDBACK_KEY_INDEX,
        F,
        ["org_id", "idempotency_key"],
        unique=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.drop_constraint(f"uq_{K}_org_id_scope_key", K, type_="unique")
    op.create_unique_constraint(f"uq_{K}_org_id_key", K, ["org_id", "key"])
    op.drop_column(K, "scope")
