"""Identity rows: organisations, users, memberships, and the lookups authentication needs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from learnloop.domain.identity import MemberRecord, OrganizationRecord, UserRecord
from learnloop.domain.roles import Role
from learnloop.storage.models import Membership, Organization, User
from learnloop.storage.unit_of_work import UnitOfWork

_AUTH_KEY = text("SELECT key_id, org_id, role FROM learnloop_authenticate_api_key(:h)")
_ENSURE_USER = text("SELECT learnloop_ensure_user(:email, :name)")


def _org(r: Any) -> OrganizationRecord:
    return OrganizationRecord(
        id=r.id, slug=r.slug, name=r.name, settings=dict(r.settings or {}), created_at=r.created_at
    )


async def authenticate_api_key(uow: UnitOfWork, key_hash: bytes) -> tuple[UUID, UUID, Role] | None:
    row = await uow.first(_AUTH_KEY, {"h": key_hash})
    # The function stamps the key's last_used_at: keep it even if the first mutation fails.
    uow.note_write()
    if row is None:
        return None
    return row.key_id, row.org_id, Role(row.role)


async def membership_role(uow: UnitOfWork, user_id: UUID) -> Role | None:
    role = await uow.scalar(select(Membership.role).where(Membership.user_id == user_id))
    return Role(role) if role else None


async def organizations_by_ids(
    uow: UnitOfWork, ids: Sequence[UUID]
) -> dict[UUID, OrganizationRecord]:
    rows = await uow.all(select(Organization.__table__).where(Organization.id.in_(ids)))
    return {r.id: _org(r) for r in rows}


async def users_by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> dict[UUID, UserRecord]:
    rows = await uow.all(select(User.id, User.email, User.display_name).where(User.id.in_(ids)))
    return {r.id: UserRecord(id=r.id, email=r.email, display_name=r.display_name) for r in rows}


async def members(uow: UnitOfWork, user_ids: Sequence[UUID] | None = None) -> list[MemberRecord]:
    stmt = select(Membership.user_id, Membership.role, User.email, User.display_name).join(
        User, User.id == Membership.user_id
    )
    if user_ids is not None:
        stmt = stmt.where(Membership.user_id.in_(user_ids))
    rows = await uow.all(stmt.order_by(User.email))
    return [
        MemberRecord(
            user=UserRecord(id=r.user_id, email=r.email, display_name=r.display_name),
            role=Role(r.role),
        )
        for r in rows
    ]


async def ensure_user(uow: UnitOfWork, email: str, display_name: str | None) -> UUID:
    uid: UUID = await uow.scalar(_ENSURE_USER, {"email": email, "name": display_name})
    return uid


async def upsert_membership(
    uow: UnitOfWork, org_id: UUID, user_id: UUID, role: Role
) -> Role | None:
    """Set a member's role; returns the previous role (None when newly added)."""
    previous = await membership_role(uow, user_id)
    stmt = insert(Membership).values(org_id=org_id, user_id=user_id, role=role.value)
    stmt = stmt.on_conflict_do_update(
        index_elements=["org_id", "user_id"], set_={"role": role.value, "updated_at": func.now()}
    )
    await uow.execute(stmt)
    return previous


async def update_membership_role(uow: UnitOfWork, user_id: UUID, role: Role) -> bool:
    result = await uow.execute(
        update(Membership)
        .where(Membership.user_id == user_id)
        .values(role=role.value, updated_at=func.now())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def admin_ensure_org_and_user(
    conn: AsyncConnection, *, org_slug: str, email: str, role: Role
) -> tuple[UUID, UUID]:
    """Operator path (owner connection, no RLS): create org, user and membership as needed."""
    org_id = await conn.scalar(
        insert(Organization)
        .values(slug=org_slug, name=org_slug)
        .on_conflict_do_update(index_elements=["slug"], set_={"slug": org_slug})
        .returning(Organization.id)
    )
    user_id = await conn.scalar(
        insert(User)
        .values(email=email.lower(), display_name=email.split("@")[0])
        .on_conflict_do_update(index_elements=["email"], set_={"email": email.lower()})
        .returning(User.id)
    )
    await conn.execute(
        insert(Membership)
        .values(org_id=org_id, user_id=user_id, role=role.value)
        .on_conflict_do_update(index_elements=["org_id", "user_id"], set_={"role": role.value})
    )
    assert isinstance(org_id, UUID) and isinstance(user_id, UUID)
    return org_id, user_id


class MembershipRepository:
    """MembershipStore for the domain, bound to one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def ensure_user(self, email: str, display_name: str | None) -> UUID:
        return await ensure_user(self.uow, email, display_name)

    async def upsert(self, org_id: UUID, user_id: UUID, role: Role) -> Role | None:
        return await upsert_membership(self.uow, org_id, user_id, role)

    async def role_of(self, user_id: UUID) -> Role | None:
        return await membership_role(self.uow, user_id)

    async def set_role(self, user_id: UUID, role: Role) -> bool:
        return await update_membership_role(self.uow, user_id, role)

    async def member(self, user_id: UUID) -> MemberRecord | None:
        found = await members(self.uow, [user_id])
        return found[0] if found else None
