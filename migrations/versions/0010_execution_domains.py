"""Execution domains: what an execution is about travels to the examples its feedback creates.

- `executions.domain` / `executions.task_type`: reported with recordExecution (or taken from
  the agent's defaults); copied onto the CORRECTION examples made from the execution's feedback.
- `agents.default_domain` / `agents.default_task_type`: set with setAgentDefaults; used when
  recordExecution names none, and by stub executions created by feedback that came first.

Revision ID: 0010_execution_domains
Revises: 0006_annotations
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_execution_domains"
down_revision: str | None = "0008_rate_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    ("executions", "domain"),
    ("executions", "task_type"),
    ("agents", "default_domain"),
    ("agents", "default_task_type"),
]


def upgrade() -> None:
    for table, name in COLUMNS:
        op.add_column(table, sa.Column(name, sa.Text(), nullable=True))


def downgrade() -> None:
    for table, name in reversed(COLUMNS):
        op.drop_column(table, name)
