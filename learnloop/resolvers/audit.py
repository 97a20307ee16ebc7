"""Resolvers for the audit log."""

from __future__ import annotations

from learnloop.domain.pagination import Page, PageRequest
from learnloop.resolvers.context import RequestContext
from learnloop.storage import audit


async def audit_page(ctx: RequestContext, request: PageRequest, action_prefix: str | None) -> Page:
    return await audit.page(ctx.uow, request, action_prefix)
