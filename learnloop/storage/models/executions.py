"""Executions: one reported run of an agent, keyed by the caller's own execution id."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from learnloop.storage.models.base import (
    Base,
    IdMixin,
    JSONDict,
    OrgMixin,
    UpdatedAtMixin,
    enum_check,
)

VARIANTS = ("CONTROL", "TREATMENT")


class Execution(IdMixin, OrgMixin, UpdatedAtMixin, Base):
    __tablename__ = "executions"
    __table_args__ = (
        UniqueConstraint("org_id", "agent_id", "key"),
        CheckConstraint(enum_check("variant", VARIANTS), name="variant"),
        Index(
            "ix_executions_org_id_agent_id_created_at_id", "org_id", "agent_id", "created_at", "id"
        ),
        Index("ix_executions_org_id_created_at_id", "org_id", "created_at", "id"),
        Index(
            "ix_executions_experiment_id",
            "experiment_id",
            postgresql_where=text("experiment_id IS NOT NULL"),
        ),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    key: Mapped[str]  # the caller's execution id
    input: Mapped[str | None]  # NULL on stubs until the agent reports the execution
    output: Mapped[str | None]
    # "metadata" is reserved on declarative classes, hence the attribute name.
    metadata_: Mapped[JSONDict] = mapped_column("metadata", server_default=text("'{}'::jsonb"))
    experiment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("learning_experiments.id", ondelete="SET NULL")
    )
    variant: Mapped[str | None]
    unit_id: Mapped[str | None]  # the unit (user, session) the arm was chosen for
    # What the run was about; copied onto the examples its feedback creates (migration 0010).
    domain: Mapped[str | None]
    task_type: Mapped[str | None]
    # Created by feedback that arrived before the agent reported the execution.
    is_stub: Mapped[bool] = mapped_column(server_default=text("false"))
