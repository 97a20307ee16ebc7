"""Agents (identified by the caller's string key) and the deployments of trained configs to them."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from learnloop.storage.models.base import Base, IdMixin, JSONDict, OrgMixin, UpdatedAtMixin


class Agent(IdMixin, OrgMixin, UpdatedAtMixin, Base):
    __tablename__ = "agents"
    __table_args__ = (
        UniqueConstraint("org_id", "key"),
        Index("ix_agents_org_id_created_at_id", "org_id", "created_at", "id"),
    )

    key: Mapped[str]  # the caller's own id, e.g. "agent-456"
    name: Mapped[str | None]
    description: Mapped[str | None]
    # Used when recordExecution names no domain / task type (setAgentDefaults; migration 0010).
    default_domain: Mapped[str | None]
    default_task_type: Mapped[str | None]
    # Circular with deployments -> agents: created by ALTER TABLE after both tables exist.
    active_deployment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("deployments.id", ondelete="SET NULL", use_alter=True)
    )


class Deployment(IdMixin, OrgMixin, Base):
    __tablename__ = "deployments"
    __table_args__ = (
        UniqueConstraint("agent_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index(
            "ix_deployments_org_id_agent_id_created_at_id", "org_id", "agent_id", "created_at", "id"
        ),
        # "Is this run deployed already?" is asked on every deploy.
        Index("ix_deployments_training_run_id", "training_run_id"),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    # NO ACTION: a run that is (or was) deployed cannot be deleted.
    training_run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_runs.id"))
    config: Mapped[JSONDict] = mapped_column(server_default=text("'{}'::jsonb"))  # prompt/config
    version: Mapped[int]  # 1, 2, ... per agent
    deployed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
