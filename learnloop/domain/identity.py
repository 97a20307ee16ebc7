"""Organisations, users and memberships as the domain sees them, and the rules for changing roles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from learnloop.domain.audit import AuditEntry, AuditSink
from learnloop.domain.errors import ErrorCode, UserInputError
from learnloop.domain.principal import Principal
from learnloop.domain.roles import Role

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class OrganizationRecord:
    id: UUID
    slug: str
    name: str
    settings: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True)
class UserRecord:
    id: UUID
    email: str
    display_name: str | None


@dataclass(frozen=True)
class MemberRecord:
    user: UserRecord
    role: Role


def validate_email(email: str, path: tuple[str, ...] = ("email",)) -> str:
    cleaned = email.strip().lower()
    if not _EMAIL.match(cleaned) or len(cleaned) > 320:
        raise UserInputError.single(path, f"'{email}' is not an e-mail address", ErrorCode.INVALID)
    return cleaned


def validate_slug(slug: str) -> str:
    cleaned = slug.strip().lower()
    if not _SLUG.match(cleaned):
        raise ValueError(
            f"'{slug}' is not a valid org slug (lowercase letters, digits and '-', max 63)"
        )
    return cleaned


def check_role_change(*, actor_user_id: UUID | None, target_user_id: UUID, new_role: Role) -> None:
    """An admin may not demote themselves: an org must never lock itself out of administration."""
    if actor_user_id == target_user_id and new_role is not Role.ADMIN:
        raise UserInputError.single(
            ("role",), "you cannot lower your own role; ask another admin", ErrorCode.NOT_ALLOWED
        )


class MembershipStore(Protocol):
    async def ensure_user(self, email: str, display_name: str | None) -> UUID: ...
    async def upsert(self, org_id: UUID, user_id: UUID, role: Role) -> Role | None: ...
    async def role_of(self, user_id: UUID) -> Role | None: ...
    async def set_role(self, user_id: UUID, role: Role) -> bool: ...
    async def member(self, user_id: UUID) -> MemberRecord | None: ...


async def invite_member(
    store: MembershipStore,
    audit: AuditSink,
    principal: Principal,
    *,
    email: str,
    display_name: str | None,
    role: Role,
) -> MemberRecord:
    """Add a person (created by e-mail if new) to the caller's org; an existing member keeps their role."""
    assert principal.org_id is not None
    cleaned = validate_email(email)
    user_id = await store.ensure_user(cleaned, display_name)
    if await store.role_of(user_id) is not None:
        raise UserInputError.single(
            ("email",), f"{cleaned} is already a member; use setMemberRole", ErrorCode.DUPLICATE
        )
    await store.upsert(principal.org_id, user_id, role)
    await audit(
        principal,
        AuditEntry("member.invite", "User", user_id, {"email": cleaned, "role": role.value}),
    )
    member = await store.member(user_id)
    assert member is not None
    return member


async def set_member_role(
    store: MembershipStore, audit: AuditSink, principal: Principal, *, user_id: UUID, role: Role
) -> MemberRecord:
    check_role_change(actor_user_id=principal.user_id, target_user_id=user_id, new_role=role)
    previous = await store.role_of(user_id)
    if previous is None:
        raise UserInputError.single(
            ("userId",), "no such member in this organisation", ErrorCode.NOT_FOUND
        )
    await store.set_role(user_id, role)
    await audit(
        principal,
        AuditEntry("member.set_role", "User", user_id, {"from": previous.value, "to": role.value}),
    )
    member = await store.member(user_id)
    assert member is not None
    return member
