"""Resolvers for executions: lookup by keys, recordExecution and its batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from learnloop.domain import executions as rules
from learnloop.domain.errors import Problem
from learnloop.domain.executions import ExecutionRecord, ExecutionRef, Recorded
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.loaders.executions import ExecutionByRefLoader
from learnloop.resolvers.mutations import run_mutation
from learnloop.storage.executions import ExecutionRepository
from learnloop.storage.experiments import ExperimentRepository


async def execution(
    ctx: RequestContext, agent_key: str, execution_key: str
) -> ExecutionRecord | None:
    ref = ExecutionRef(agent_key.strip(), execution_key.strip())
    record: ExecutionRecord | None = await ctx.loaders.get(ExecutionByRefLoader).load(ref)
    return record


async def record_execution(
    ctx: RequestContext,
    *,
    agent_key: str,
    execution_key: str,
    input: str | None,
    output: str | None,
    metadata: Any,
    experiment_id: UUID | None,
    unit_id: str | None = None,
    domain: str | None = None,
    task_type: str | None = None,
) -> tuple[tuple[ExecutionRecord, Recorded] | None, list[Problem]]:
    store = ExecutionRepository(ctx.uow)
    arms = ExperimentRepository(ctx.uow)

    async def action(_: object) -> tuple[ExecutionRecord, Recorded]:
        new = rules.new_execution(
            agent_key=agent_key,
            execution_key=execution_key,
            input=input,
            output=output,
            metadata=metadata,
            experiment_id=experiment_id,
            unit_id=unit_id,
            domain=domain,
            task_type=task_type,
        )
        return await rules.record_execution(store, new, arms)

    return await run_mutation(ctx, action)


async def record_execution_batch(
    ctx: RequestContext, reports: Sequence[rules.ExecutionReport]
) -> tuple[rules.ExecutionBatchResult | None, list[Problem]]:
    store = ExecutionRepository(ctx.uow)
    return await run_mutation(ctx, lambda _: rules.record_execution_batch(store, reports))
