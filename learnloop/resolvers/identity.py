"""Resolvers for the viewer, the organisation and its members."""

from __future__ import annotations

from uuid import UUID

from learnloop.domain import identity as identity_rules
from learnloop.domain.errors import Problem
from learnloop.domain.identity import MemberRecord, OrganizationRecord
from learnloop.domain.principal import Principal
from learnloop.domain.roles import Role
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.loaders.identity import OrganizationByIdLoader
from learnloop.resolvers.mutations import run_mutation
from learnloop.storage import identity
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
