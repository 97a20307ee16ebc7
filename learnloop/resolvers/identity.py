"""Resolvers for the organisation, its members, API keys and audit events."""

from __future__ import annotations

from uuid import UUID

from learnloop.domain import api_keys as api_key_rules
from learnloop.domain import identity as identity_rules
from learnloop.domain.api_keys import ApiKeyRecord
from learnloop.domain.errors import Problem
from learnloop.domain.identity import MemberRecord, OrganizationRecord
from learnloop.domain.pagination import Page, PageRequest
from learnloop.domain.principal import Principal
from learnloop.domain.roles import Role
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.loaders.identity import OrganizationByIdLoader
from learnloop.resolvers.mutations import run_mutation
from learnloop.storage import api_keys, audit, identity
from learnloop.storage.audit import AuditLog


async def viewer(ctx: RequestContext) -> Principal:
    return await ctx.principal()


async def organization(ctx: RequestContext) -> OrganizationRecord | None:
    principal = await ctx.principal()
    if principal.org_id is None:
        return None
    record: OrganizationRecord | None = await ctx.loaders.get(OrganizationByIdLoader).load(
        principal.org_id
    )
    return record


async def members(ctx: RequestContext) -> list[MemberRecord]:
    return await identity.members(ctx.uow)


async def api_key_page(ctx: RequestContext, request: PageRequest, include_revoked: bool) -> Page:
    return await api_keys.page(ctx.uow, request, include_revoked)


async def audit_page(ctx: RequestContext, request: PageRequest, action_prefix: str | None) -> Page:
    return await audit.page(ctx.uow, request, action_prefix)


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


async def invite_member(
    ctx: RequestContext, email: str, display_name: str | None, role: Role
) -> tuple[MemberRecord | None, list[Problem]]:
    store = identity.MembershipRepository(ctx.uow)
    sink = AuditLog(ctx.uow, ctx.request_id)
    return await run_mutation(
        ctx,
        lambda p: identity_rules.invite_member(
            store, sink, p, email=email, display_name=display_name, role=role
        ),
    )


async def set_member_role(
    ctx: RequestContext, user_id: UUID, role: Role
) -> tuple[MemberRecord | None, list[Problem]]:
    store = identity.MembershipRepository(ctx.uow)
    sink = AuditLog(ctx.uow, ctx.request_id)
    return await run_mutation(
        ctx, lambda p: identity_rules.set_member_role(store, sink, p, user_id=user_id, role=role)
    )
