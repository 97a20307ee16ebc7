"""Organizations (tenants), users (global) and the memberships that give users a role in an org."""

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

ROLES = ("VIEWER", "MEMBER", "EXPERT", "MANAGER", "ADMIN")


class Organization(IdMixin, UpdatedAtMixin, Base):
    __tablename__ = "organizations"
    __table_args__ = (
        UniqueConstraint("slug"),
        CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]*$'", name="slug_format"),
    )

    slug: Mapped[str]
    name: Mapped[str]
    # annotationsRequired, queue priority policy and other per-org knobs.
    settings: Mapped[JSONDict] = mapped_column(server_default=text("'{}'::jsonb"))


class User(IdMixin, UpdatedAtMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("email"),
        # Emails are stored lower-cased, so the plain unique constraint is case-insensitive.
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    email: Mapped[str]
    display_name: Mapped[str | None]


class Membership(IdMixin, OrgMixin, UpdatedAtMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("org_id", "user_id"),
        CheckConstraint(enum_check("role", ROLES), name="role"),
        Index("ix_memberships_org_id_created_at_id", "org_id", "created_at", "id"),
        Index("ix_memberships_user_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str]
