"""Live run updates: NOTIFY (ids only) -> this process's event bus -> re-read under the caller's org.

Every delivered state is read in its own short event scope (unit of work + loaders), so a
subscriber only ever sees rows its organisation's row-level security lets it read.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator
from contextlib import ExitStack
from uuid import UUID

from graphql import GraphQLError

from learnloop.domain.training_runs import TrainingRunRecord
from learnloop.resolvers.context import RequestContext
from learnloop.storage import training_runs
from learnloop.storage.event_bus import RUNS, Inbox
from learnloop.storage.unit_of_work import unit_of_work


async def _read(ctx: RequestContext, run_id: UUID) -> TrainingRunRecord | None:
    return await training_runs.get(ctx.uow, run_id)


async def _read_in_org(
    ctx: RequestContext, org_id: UUID | None, run_id: UUID
) -> TrainingRunRecord | None:
    async with unit_of_work(ctx.state.engine, org_id) as uow:
        return await training_runs.get(uow, run_id)


async def run_updates(ctx: RequestContext, run_id: UUID) -> AsyncGenerator[TrainingRunRecord, None]:
    """The stream for one run, refused up front (an `error` message) when the run is not visible."""
    principal = await ctx.principal()
    bus = ctx.state.bus
    await bus.start()
    stack = ExitStack()
    # Subscribe before the first read, so a change between the two is never missed.
    inbox = stack.enter_context(bus.subscribe(RUNS, org_id=principal.org_id, run_id=run_id))
    try:
        async with ctx.event_scope():
            visible = await _read(ctx, run_id) is not None
    except BaseException:
        stack.close()
        raise
    if not visible:
        stack.close()
        raise GraphQLError(
            "no training run with this id in your organisation",
            extensions={"code": "NOT_FOUND"},
        )
    return _run_stream(ctx, stack, inbox, run_id)


async def _run_stream(
    ctx: RequestContext, stack: ExitStack, inbox: Inbox, run_id: UUID
) -> AsyncGenerator[TrainingRunRecord, None]:
    """Current state first, then each change; ends after a terminal status."""
    with stack:
        last: TrainingRunRecord | None = None
        while True:
            async with ctx.event_scope():
                record = await _read(ctx, run_id)
                if record is None:
                    return
                if record != last:
                    last = record
                    yield record
                if record.status.terminal:
                    return
            await inbox.get()


async def org_run_updates(ctx: RequestContext) -> AsyncGenerator[TrainingRunRecord, None]:
    """Every change of every run of the caller's organisation (for dashboards)."""
    principal = await ctx.principal()
    bus = ctx.state.bus
    await bus.start()
    with bus.subscribe(RUNS, org_id=principal.org_id) as inbox:
        while True:
            notice = await inbox.get()
            if notice is None or notice.run_id is None:
                continue  # a resync after reconnecting; nothing specific to re-read
            key = (notice.seq, principal.org_id, notice.run_id)
            record = await ctx.state.shared_reads.get(
                key, functools.partial(_read_in_org, ctx, principal.org_id, notice.run_id)
            )
            if record is not None:
                async with ctx.event_scope():  # nested fields the client asks for load here
                    yield record
