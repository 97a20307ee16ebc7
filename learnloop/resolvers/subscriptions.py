"""Opening a subscription to one object: listen first, then check that the caller can see it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from uuid import UUID

from graphql import GraphQLError

from learnloop.resolvers.context import RequestContext
from learnloop.storage.event_bus import Inbox


async def subscribe_to_visible(
    ctx: RequestContext,
    channel: str,
    object_id: UUID,
    read: Callable[[], Awaitable[object | None]],
    missing: str,
) -> tuple[ExitStack, Inbox]:
    """The inbox for `object_id` on `channel`, and the stack that closes it.

    Subscribes before the first read, so a change between the two is never missed; refused up
    front (a NOT_FOUND error, `missing`) when `read()` finds nothing in the caller's scope.
    """
    principal = await ctx.principal()
    bus = ctx.state.bus
    await bus.start()
    stack = ExitStack()
    inbox = stack.enter_context(bus.subscribe(channel, org_id=principal.org_id, run_id=object_id))
    try:
        async with ctx.event_scope():
            visible = await read() is not None
    except BaseException:
        stack.close()
        raise
    if not visible:
        stack.close()
        raise GraphQLError(missing, extensions={"code": "NOT_FOUND"})
    return stack, inbox
