"""The loop's gates and clock: a canary's winner waits for a person; policies may retrain by period.

- `learning_experiments.promotion_status`: NULL (nothing to promote: not a canary, or the
  treatment did not win), PENDING (a MANAGER must confirm or reject), PROMOTED or REJECTED.
- `promotion_decided_at`, `promotion_decided_by_user_id`, `promotion_notes`: who decided, when, why.
- Rows concluded before this migration are backfilled: promoted ones PROMOTED, waiting ones PENDING.
- `learning_policies.period_seconds`: NULL (count trigger only) or a period after which the
  policy also retrains on whatever new approved examples there are (at most once per period).
- Both tables already have forced RLS and the app role's grants; new columns inherit both.

Revision ID: 0016_loop_gates
Revises: 0015_learning_policies
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_loop_gates"
down_revision: str | None = "0015_learning_policies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

T = "learning_experiments"
P = "learning_policies"
MAX_PERIOD = 366 * 86400


def upgrade() -> None:
    op.add_column(T, sa.Column("promotion_status", sa.Text(), nullable=True))
    op.add_column(T, sa.Column("promotion_decided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(T, sa.Column("promotion_decided_by_user_id", sa.Uuid(), nullable=True))
    op.add_column(T, sa.Column("promotion_notes", sa.Text(), nullable=True))
    op.create_foreign_key(
        f"fk_{T}_promotion_decided_by_user_id_users",
        T,
        "users",
        ["promotion_decided_by_user_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_check_constraint(
        f"ck_{T}_promotion_status",
        T,
        "promotion_status IN ('PENDING', 'PROMOTED', 'REJECTED')",
    )
    op.execute(
        f"""
        UPDATE {T}
           SET promotion_status = CASE WHEN promoted_deployment_id IS NOT NULL THEN 'PROMOTED'
                                       ELSE 'PENDING' END
         WHERE training_run_id IS NOT NULL AND status = 'COMPLETED' AND winner = 'TREATMENT'
        """
    )
    op.add_column(P, sa.Column("period_seconds", sa.Integer(), nullable=True))
    op.create_check_constraint(f"ck_{P}_period", P, f"period_seconds BETWEEN 60 AND {MAX_PERIOD}")


def downgrade() -> None:
    op.drop_constraint(f"ck_{P}_period", P, type_="check")
    op.drop_column(P, "period_seconds")
    op.drop_constraint(f"ck_{T}_promotion_status", T, type_="check")
    op.drop_constraint(f"fk_{T}_promotion_decided_by_user_id_users", T, type_="foreignkey")
    for column in (
        "promotion_notes",
        "promotion_decided_by_user_id",
        "promotion_decided_at",
        "promotion_status",
    ):
        op.drop_column(T, column)
