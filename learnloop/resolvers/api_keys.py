"""Resolvers for API keys: the listing, creation and revocation."""

from __future__ import annotations

from uuid import UUID

from learnloop.domain import api_keys as api_key_rules
from learnloop.domain.api_keys import ApiKeyRecord
from learnloop.domain.errors import Problem
from learnloop.domain.pagination import Page, PageRequest
from learnloop.domain.roles import Role
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.mutations import run_mutation
from learnloop.storage import api_keys
from learnloop.storage.audit import AuditLog


async def api_key_page(ctx: RequestContext, request: PageRequest, include_revoked: bool) -> Page:
    return await api_keys.page(ctx.uow, request, include_revoked)


async def count_api_keys(ctx: RequestContext, include_revoked: bool) -> int:
    return await api_keys.total(ctx.uow, include_revoked)


async def create_api_key(
    ctx: RequestContext, name: str, role: Role, expires_in_days: int | None
) -> tuple[tuple[ApiKeyRecord, str] | None, list[Problem]]:
    store = api_keys.ApiKeyRepository(ctx.uow)
    sink = AuditLog(ctx.uow, ctx.request_id)
    return await run_mutation(
        ctx,
        lambda p: api_key_rules.create_api_key(
            store, sink, p, name=name, role=role, expires_in_days=expires_in_days
        ),
    )


async def revoke_api_key(
    ctx: RequestContext, key_id: UUID
) -> tuple[ApiKeyRecord | None, list[Problem]]:
    store = api_keys.ApiKeyRepository(ctx.uow)
    sink = AuditLog(ctx.uow, ctx.request_id)
    return await run_mutation(ctx, lambda p: api_key_rules.revoke_api_key(store, sink, p, key_id))
