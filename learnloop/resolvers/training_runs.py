"""Resolvers for training runs and deployments: lists, create, cancel, review, deploy, and the
live updates behind the subscriptions.

Live updates: NOTIFY (ids only) -> this process's event bus -> re-read under the caller's org.
Every delivered state is read in its own short event scope (unit of work + loaders), so a
subscriber only ever sees rows its organisation's row-level security lets it read.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator
from contextlib import ExitStack
from typing import Any
from uuid import UUID

from learnloop.domain import deployments as deployment_rules
from learnloop.domain import training_runs as run_rules
from learnloop.domain.deployments import DeploymentRecord
from learnloop.domain.errors import Problem
from learnloop.domain.pagination import Page, PageRequest
from learnloop.domain.training_runs import (
    NewTrainingRun,
    ReviewDecision,
    RunFilter,
    TrainingRunRecord,
    TrainingType,
)
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.loaders.training_runs import TrainingRunByIdLoader
from learnloop.resolvers.mutations import run_mutation
from learnloop.resolvers.subscriptions import subscribe_to_visible
from learnloop.storage import deployments, training_runs
from learnloop.storage.audit import AuditLog
from learnloop.storage.deployments import DeploymentRepository
from learnloop.storage.event_bus import RUNS, Inbox
from learnloop.storage.training_runs import TrainingRunRepository
from learnloop.storage.unit_of_work import unit_of_work


async def training_run(ctx: RequestContext, run_id: UUID) -> TrainingRunRecord | None:
    record: TrainingRunRecord | None = await ctx.loaders.get(TrainingRunByIdLoader).load(run_id)
    return record


async def run_page(ctx: RequestContext, request: PageRequest, f: RunFilter) -> Page:
    return await training_runs.page(ctx.uow, request, f)


async def count_runs(ctx: RequestContext, f: RunFilter) -> int:
    return await training_runs.total(ctx.uow, f)


async def event_page(ctx: RequestContext, run_id: UUID, request: PageRequest) -> Page:
    return await training_runs.events_page(ctx.uow, run_id, request)


async def deployment_page(ctx: RequestContext, agent_key: str, request: PageRequest) -> Page:
    return await deployments.page_for_agent(ctx.uow, agent_key, request)


async def count_deployments(ctx: RequestContext, agent_key: str) -> int:
    return await deployments.total_for_agent(ctx.uow, agent_key)


async def create_training_run(
    ctx: RequestContext,
    *,
    dataset_id: UUID | None,
    training_type: TrainingType,
    agent_key: str,
    config: Any,
    max_attempts: int,
) -> tuple[TrainingRunRecord | None, list[Problem]]:
    store = TrainingRunRepository(ctx.uow)
    sink = AuditLog(ctx.uow, ctx.request_id)
    new = NewTrainingRun(dataset_id, agent_key, training_type, config, max_attempts)
    return await run_mutation(
        ctx, lambda p: run_rules.create_training_run(store, ctx.state.engines, sink, p, new)
    )


async def cancel_training_run(
    ctx: RequestContext, run_id: UUID
) -> tuple[TrainingRunRecord | None, list[Problem]]:
    store = TrainingRunRepository(ctx.uow)
    sink = AuditLog(ctx.uow, ctx.request_id)
    return await run_mutation(ctx, lambda p: run_rules.cancel_training_run(store, sink, p, run_id))


async def review_training_run(
    ctx: RequestContext, run_id: UUID, decision: ReviewDecision, notes: str | None
) -> tuple[TrainingRunRecord | None, list[Problem]]:
    store = TrainingRunRepository(ctx.uow)
    sink = AuditLog(ctx.uow, ctx.request_id)
    return await run_mutation(
        ctx, lambda p: run_rules.review_training_run(store, sink, p, run_id, decision, notes)
    )


async def deploy_training_run(
    ctx: RequestContext, run_id: UUID
) -> tuple[tuple[DeploymentRecord, TrainingRunRecord] | None, list[Problem]]:
    runs = TrainingRunRepository(ctx.uow)
    store = DeploymentRepository(ctx.uow)
    sink = AuditLog(ctx.uow, ctx.request_id)
    return await run_mutation(
        ctx, lambda p: deployment_rules.deploy_training_run(runs, store, sink, p, run_id)
    )


async def _read(ctx: RequestContext, run_id: UUID) -> TrainingRunRecord | None:
    return await training_runs.get(ctx.uow, run_id)


async def _read_in_org(
    ctx: RequestContext, org_id: UUID | None, run_id: UUID
) -> TrainingRunRecord | None:
    async with unit_of_work(ctx.state.engine, org_id) as uow:
        return await training_runs.get(uow, run_id)


async def run_updates(ctx: RequestContext, run_id: UUID) -> AsyncGenerator[TrainingRunRecord, None]:
    """The stream for one run, refused up front (an `error` message) when the run is not visible."""
    stack, inbox = await subscribe_to_visible(
        ctx,
        RUNS,
        run_id,
        lambda: _read(ctx, run_id),
        "no training run with this id in your organisation",
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
