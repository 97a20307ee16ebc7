"""Resolvers for webhooks: endpoints, secret rotation, the delivery log, redelivery, events."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit
from uuid import UUID

from learnloop.domain import webhooks as rules
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.webhooks import DeliveryRecord, EndpointInput, EndpointRecord, Event
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.mutations import run_mutation
from learnloop.storage import webhooks as store
from learnloop.storage.unit_of_work import UnitOfWork

# A name that does not answer in time is accepted: delivery resolves and checks it again.
CREATION_LOOKUP_SECONDS = 3.0


async def _addresses(ctx: RequestContext, url: str) -> list[str]:
    """What the URL's host resolves to now (nothing if it does not resolve or need not be checked)."""
    if ctx.settings.webhook_allow_private:
        return []
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return []  # validate_endpoint names the problem
    if not host:
        return []
    try:
        async with asyncio.timeout(CREATION_LOOKUP_SECONDS):
            return await ctx.state.resolve_host(host)
    except (OSError, TimeoutError, UnicodeError):
        return []


def _missing(field: str, what: str) -> UserInputError:
    return UserInputError.single((field,), f"no such {what}", ErrorCode.NOT_FOUND)


async def create_endpoint(
    ctx: RequestContext, endpoint: EndpointInput
) -> tuple[tuple[EndpointRecord, str] | None, list[Problem]]:
    addresses = await _addresses(ctx, endpoint.url)

    async def action(_: object) -> tuple[EndpointRecord, str]:
        checked = rules.validate_endpoint(endpoint)
        problem = rules.target_problem(addresses, ctx.settings.webhook_allow_private)
        if problem is not None:
            raise UserInputError([problem])
        secret = rules.new_secret()
        return await store.create_endpoint(ctx.uow, checked, secret), secret

    return await run_mutation(ctx, action)


async def endpoints(ctx: RequestContext) -> list[EndpointRecord]:
    return await store.endpoints(ctx.uow)


async def delete_endpoint(
    ctx: RequestContext, endpoint_id: UUID
) -> tuple[bool | None, list[Problem]]:
    async def action(_: object) -> bool:
        if not await store.delete_endpoint(ctx.uow, endpoint_id):
            raise _missing("id", "webhook endpoint")
        return True

    return await run_mutation(ctx, action)


async def rotate_secret(
    ctx: RequestContext, endpoint_id: UUID
) -> tuple[tuple[EndpointRecord, str] | None, list[Problem]]:
    async def action(_: object) -> tuple[EndpointRecord, str]:
        secret = rules.new_secret()
        found = await store.rotate_secret(ctx.uow, endpoint_id, secret)
        if found is None:
            raise _missing("id", "webhook endpoint")
        return found, secret

    return await run_mutation(ctx, action)


async def deliveries(
    ctx: RequestContext, endpoint_id: UUID | None, first: int
) -> list[DeliveryRecord]:
    return await store.deliveries(ctx.uow, endpoint_id, first)


async def redeliver(
    ctx: RequestContext, delivery_id: UUID
) -> tuple[DeliveryRecord | None, list[Problem]]:
    async def action(_: object) -> DeliveryRecord:
        found = await store.redeliver(ctx.uow, delivery_id)
        if found is None:
            raise _missing("deliveryId", "webhook delivery")
        return found

    return await run_mutation(ctx, action)


async def emit(
    uow: UnitOfWork, events: Sequence[Event], created_at: Sequence[datetime] | None = None
) -> None:
    """Put events in the outbox of the caller's transaction (nothing if it rolls back)."""
    await store.enqueue(uow, events, created_at)
