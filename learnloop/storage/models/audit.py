"""The audit log: one row per state change of a run, experiment, dataset, review or key."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from learnloop.storage.models.base import Base, IdMixin, JSONDict, OrgMixin


class AuditEvent(IdMixin, OrgMixin, Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_org_id_created_at_id", "org_id", "created_at", "id"),
        Index(
            "ix_audit_log_org_id_target_type_target_id_created_at",
            "org_id",
            "target_type",
            "target_id",
            "created_at",
        ),
    )

    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_key: Mapped[str]  # "user:<id>", "apikey:<id>" or "system"
    action: Mapped[str]  # e.g. "api_key.create"
    target_type: Mapped[str | None]
    target_id: Mapped[uuid.UUID | None]
    data: Mapped[JSONDict] = mapped_column(server_default=text("'{}'::jsonb"))
    request_id: Mapped[str | None]
