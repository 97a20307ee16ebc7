"""API key rows (only hashes are stored)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update

from learnloop.domain.api_keys import ApiKeyRecord, NewApiKey
from learnloop.domain.pagination import Page, PageRequest
from learnloop.domain.roles import Role
from learnloop.storage.models import ApiKey
from learnloop.storage.pagination import count, keyset_page
from learnloop.storage.rows import to_record
from learnloop.storage.tables import API_KEYS
from learnloop.storage.unit_of_work import UnitOfWork

# Never select key_hash into a record: nothing after creation can reveal anything about the secret.
_COLUMNS = [c for c in API_KEYS.c if c.key != "key_hash"]


def _record(r: Any) -> ApiKeyRecord:
    return to_record(
        ApiKeyRecord,
        r,
        role=Role(r.role),
    )


async def create(
    uow: UnitOfWork, org_id: UUID, key: NewApiKey, created_by: UUID | None
) -> ApiKeyRecord:
    row = (
        await uow.execute(
            insert(ApiKey)
            .values(
                org_id=org_id,
                name=key.name,
                prefix=key.prefix,
                key_hash=key.key_hash,
                role=key.role.value,
                created_by_user_id=created_by,
                expires_at=key.expires_at,
            )
            .returning(*_COLUMNS)
        )
    ).one()
    return _record(row)


async def revoke(uow: UnitOfWork, key_id: UUID) -> ApiKeyRecord | None:
    """Revoke once; revoking a revoked key returns it unchanged."""
    row = (
        await uow.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id)
            .values(revoked_at=func.coalesce(ApiKey.revoked_at, func.now()))
            .returning(*_COLUMNS)
        )
    ).first()
    return _record(row) if row else None


async def by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> Mapping[UUID, ApiKeyRecord]:
    rows = await uow.all(select(*_COLUMNS).where(API_KEYS.c.id.in_(ids)))
    return {r.id: _record(r) for r in rows}


def _listing(include_revoked: bool) -> Any:
    stmt = select(*_COLUMNS)
    return stmt if include_revoked else stmt.where(API_KEYS.c.revoked_at.is_(None))


async def page(uow: UnitOfWork, request: PageRequest, include_revoked: bool) -> Page:
    return await keyset_page(
        uow,
        _listing(include_revoked),
        [API_KEYS.c.created_at, API_KEYS.c.id],
        request,
        convert=_record,
    )


async def total(uow: UnitOfWork, include_revoked: bool) -> int:
    return await count(uow, _listing(include_revoked))


class ApiKeyRepository:
    """ApiKeyStore for the domain, bound to one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def create(self, org_id: UUID, key: NewApiKey, created_by: UUID | None) -> ApiKeyRecord:
        return await create(self.uow, org_id, key, created_by)

    async def revoke(self, key_id: UUID) -> ApiKeyRecord | None:
        return await revoke(self.uow, key_id)
