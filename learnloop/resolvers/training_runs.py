"""Resolvers for training runs and deployments: lists, create, cancel, review, deploy."""

from __future__ import annotations

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
from learnloop.storage import deployments, training_runs
from learnloop.storage.audit import AuditLog
from learnloop.storage.deployments import DeploymentRepository
from learnloop.storage.training_runs import TrainingRunRepository


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
