"""Audit log rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from learnloop.domain.audit import AuditEntry, AuditRecord
from learnloop.domain.pagination import Page, PageRequest
from learnloop.domain.principal import Principal
from learnloop.storage.models import AuditEvent
from learnloop.storage.pagination import keyset_page
from learnloop.storage.rows import json_object, to_record
from learnloop.storage.tables import AUDIT_LOG
from learnloop.storage.unit_of_work import UnitOfWork


def _record(r: Any) -> AuditRecord:
    return to_record(
        AuditRecord,
        r,
        data=json_object(r.data),
    )


class AuditLog:
    """Writes audit rows in the caller's transaction, so an entry exists iff its change does."""

    def __init__(self, uow: UnitOfWork, request_id: str | None) -> None:
        self.uow = uow
        self.request_id = request_id

    async def __call__(self, principal: Principal, entry: AuditEntry) -> None:
        assert principal.org_id is not None
        await self.uow.execute(
            insert(AuditEvent).values(
                org_id=principal.org_id,
                actor_user_id=principal.user_id,
                actor_key=principal.actor_key,
                action=entry.action,
                target_type=entry.target_type,
                target_id=entry.target_id,
                data=entry.data,
                request_id=self.request_id,
            )
        )


async def page(uow: UnitOfWork, request: PageRequest, action_prefix: str | None = None) -> Page:
    stmt = select(AUDIT_LOG)
    if action_prefix:
        stmt = stmt.where(AUDIT_LOG.c.action.startswith(action_prefix))
    return await keyset_page(
        uow, stmt, [AUDIT_LOG.c.created_at, AUDIT_LOG.c.id], request, convert=_record
    )
