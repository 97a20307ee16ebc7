"""API keys: hashed, org-scoped, role-scoped and revocable bearer credentials for agents."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from learnloop.storage.models.base import Base, IdMixin, OrgMixin, enum_check
from learnloop.storage.models.identity import ROLES


class ApiKey(IdMixin, OrgMixin, Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        UniqueConstraint("key_hash"),
        CheckConstraint(enum_check("role", ROLES), name="role"),
        CheckConstraint("octet_length(key_hash) = 32", name="key_hash_sha256"),
        Index("ix_api_keys_org_id_created_at_id", "org_id", "created_at", "id"),
    )

    name: Mapped[str]
    prefix: Mapped[str]  # the first characters of the key, shown to users (e.g. "ll_ab12")
    key_hash: Mapped[bytes]  # sha256 of the secret
    role: Mapped[str]
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
