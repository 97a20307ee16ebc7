"""Resolvers for experiments: lists, lifecycle, assignment, agentConfig, outcomes, results, canary."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from learnloop.domain import webhooks as webhook_rules
from learnloop.domain.deployments import DeploymentRecord
from learnloop.domain.errors import Problem
from learnloop.domain.experiments import assignment, canary, lifecycle
from learnloop.domain.experiments.analysis import Results, analyse
from learnloop.domain.experiments.assignment import AgentSnapshot
from learnloop.domain.experiments.records import (
    AgentConfig,
    ExperimentChanges,
    ExperimentFilter,
    ExperimentRecord,
    ExperimentStatus,
    NewExperiment,
    Variant,
)
from learnloop.domain.pagination import Page, PageRequest
from learnloop.domain.principal import Principal
from learnloop.domain.training_runs import TrainingRunRecord
from learnloop.resolvers import webhooks
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.loaders.experiments import ExperimentByIdLoader, ExperimentDataByIdLoader
from learnloop.resolvers.mutations import run_mutation
from learnloop.resolvers.subscriptions import subscribe_to_visible
from learnloop.storage import experiments
from learnloop.storage.audit import AuditLog
from learnloop.storage.deployments import DeploymentRepository
from learnloop.storage.event_bus import EXPERIMENTS, Inbox
from learnloop.storage.experiments import ExperimentRepository
from learnloop.storage.training_runs import TrainingRunRepository


def _parts(ctx: RequestContext) -> tuple[ExperimentRepository, AuditLog]:
    return ExperimentRepository(ctx.uow), AuditLog(ctx.uow, ctx.request_id)


async def experiment(ctx: RequestContext, experiment_id: UUID) -> ExperimentRecord | None:
    found: ExperimentRecord | None = await ctx.loaders.get(ExperimentByIdLoader).load(experiment_id)
    return found


async def experiment_page(ctx: RequestContext, request: PageRequest, f: ExperimentFilter) -> Page:
    return await experiments.page(ctx.uow, request, f)


async def count_experiments(ctx: RequestContext, f: ExperimentFilter) -> int:
    return await experiments.total(ctx.uow, f)


async def results(ctx: RequestContext, record: ExperimentRecord) -> dict[str, Any]:
    """Live results while an experiment runs (guardrails may pause it); the stored ones after."""
    if record.status is ExperimentStatus.COMPLETED and record.results:
        return record.results
    data = await ctx.loaders.get(ExperimentDataByIdLoader).load(record.id)
    live = analyse(record, data)
    if not (
        live.guardrail_breaches and record.guardrails and record.status is ExperimentStatus.RUNNING
    ):
        return live.as_json()
    # Rare: a guardrail is breached; pause it (all-or-nothing, audited) before answering.
    store, sink = _parts(ctx)
    done, _ = await run_mutation(
        ctx, lambda p: assignment.enforce_guardrails(store, sink, p, record, data)
    )
    outcome: Results = done[1] if done else live
    return outcome.as_json()


async def create_experiment(
    ctx: RequestContext, new: NewExperiment
) -> tuple[ExperimentRecord | None, list[Problem]]:
    store, sink = _parts(ctx)
    return await run_mutation(ctx, lambda p: lifecycle.create_experiment(store, sink, p, new))


async def update_experiment(
    ctx: RequestContext, experiment_id: UUID, changes: ExperimentChanges
) -> tuple[ExperimentRecord | None, list[Problem]]:
    store, sink = _parts(ctx)
    return await run_mutation(
        ctx, lambda p: lifecycle.update_experiment(store, sink, p, experiment_id, changes)
    )


async def update_experiment_status(
    ctx: RequestContext, experiment_id: UUID, status: ExperimentStatus
) -> tuple[ExperimentRecord | None, list[Problem]]:
    store, sink = _parts(ctx)
    limit = ctx.settings.experiments_per_agent

    async def action(principal: Principal) -> ExperimentRecord:
        record = await lifecycle.update_experiment_status(
            store, sink, principal, experiment_id, status, max_running_per_agent=limit
        )
        if record.status is ExperimentStatus.COMPLETED:
            winner = record.winner.value if record.winner else None
            concluded = webhook_rules.experiment_concluded(
                record.id,
                record.agent_key,
                winner or "NONE",
                datetime.now(UTC),
                canary.promotion_request(record),
            )
            await webhooks.emit(ctx.uow, [concluded])
        return record

    return await run_mutation(ctx, action)


async def assign_variant(
    ctx: RequestContext, experiment_id: UUID, unit_id: str
) -> tuple[tuple[Variant | None, dict[str, Any] | None] | None, list[Problem]]:
    store = ExperimentRepository(ctx.uow)
    return await run_mutation(
        ctx, lambda _: assignment.assign_variant(store, experiment_id, unit_id)
    )


async def record_outcome(
    ctx: RequestContext, experiment_id: UUID, unit_id: str, metric: str, value: float
) -> tuple[tuple[ExperimentRecord, Variant] | None, list[Problem]]:
    store, sink = _parts(ctx)

    async def action(principal: Any) -> tuple[ExperimentRecord, Variant]:
        record, variant = await assignment.record_outcome(
            store, experiment_id, unit_id, metric, value
        )
        record, _ = await assignment.enforce_guardrails(
            store, sink, principal, record, await store.data(record.id)
        )
        return record, variant

    return await run_mutation(ctx, action)


async def agent_config(ctx: RequestContext, agent_key: str, unit_id: str | None) -> AgentConfig:
    """The agent's effective config for this unit (empty config for an unknown agent)."""
    await ctx.principal()
    key = agent_key.strip()
    snapshot = await experiments.agent_snapshot(ctx.uow, key)
    if snapshot is None:
        snapshot = AgentSnapshot(key, None, {}, [])
    return await assignment.agent_config(ExperimentRepository(ctx.uow), snapshot, unit_id)


async def start_canary(
    ctx: RequestContext,
    run_id: UUID,
    treatment_percentage: float,
    primary_metric: str | None,
    minimum_sample_size: int | None,
) -> tuple[tuple[ExperimentRecord, TrainingRunRecord] | None, list[Problem]]:
    store, sink = _parts(ctx)
    runs = TrainingRunRepository(ctx.uow)
    limit = ctx.settings.experiments_per_agent
    return await run_mutation(
        ctx,
        lambda p: canary.start_canary(
            runs,
            store,
            DeploymentRepository(ctx.uow),
            sink,
            p,
            run_id,
            treatment_percentage,
            primary_metric=primary_metric,
            minimum_sample_size=minimum_sample_size,
            max_running_per_agent=limit,
        ),
    )


async def promote_winner(
    ctx: RequestContext, experiment_id: UUID, notes: str | None
) -> tuple[tuple[ExperimentRecord, DeploymentRecord] | None, list[Problem]]:
    store, sink = _parts(ctx)
    runs = TrainingRunRepository(ctx.uow)
    deployments = DeploymentRepository(ctx.uow)
    return await run_mutation(
        ctx,
        lambda p: canary.promote_winner(runs, store, deployments, sink, p, experiment_id, notes),
    )


async def reject_winner(
    ctx: RequestContext, experiment_id: UUID, notes: str
) -> tuple[ExperimentRecord | None, list[Problem]]:
    store, sink = _parts(ctx)
    runs = TrainingRunRepository(ctx.uow)
    return await run_mutation(
        ctx, lambda p: canary.reject_winner(runs, store, sink, p, experiment_id, notes)
    )


async def experiment_updates(
    ctx: RequestContext, experiment_id: UUID
) -> AsyncGenerator[ExperimentRecord, None]:
    """The experiment now, then again after each change of it or its outcomes (NOTIFY)."""
    stack, inbox = await subscribe_to_visible(
        ctx,
        EXPERIMENTS,
        experiment_id,
        lambda: experiments.get(ctx.uow, experiment_id),
        "no experiment with this id in your organisation",
    )
    return _stream(ctx, stack, inbox, experiment_id)


async def _stream(
    ctx: RequestContext, stack: ExitStack, inbox: Inbox, experiment_id: UUID
) -> AsyncGenerator[ExperimentRecord, None]:
    with stack:
        while True:
            async with ctx.event_scope():
                found = await experiments.get(ctx.uow, experiment_id)
                if found is None:
                    return
                yield found  # results are re-computed by the field, in this scope
            await inbox.get()
