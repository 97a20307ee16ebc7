"""Resolvers for agents and executions: lookups by key, the agent list, recordExecution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from learnloop.domain import executions as rules
from learnloop.domain.errors import Problem
from learnloop.domain.executions import (
    AgentDefaults,
    AgentRecord,
    ExecutionRecord,
    ExecutionRef,
    Recorded,
)
from learnloop.domain.pagination import Page, PageRequest
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.loaders.executions import AgentByKeyLoader, ExecutionByRefLoader
from learnloop.resolvers.mutations import run_mutation
from learnloop.storage import agents
from learnloop.storage.executions import ExecutionRepository
from learnloop.storage.experiments import ExperimentRepository


async def agent(ctx: RequestContext, key: str) -> AgentRecord | None:
    record: AgentRecord | None = await ctx.loaders.get(AgentByKeyLoader).load(key.strip())
    return record


async def agent_page(ctx: RequestContext, request: PageRequest) -> Page:
    return await agents.page(ctx.uow, request)


async def count_agents(ctx: RequestContext) -> int:
    return await agents.total(ctx.uow)


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


async def set_agent_defaults(
    ctx: RequestContext, defaults: AgentDefaults
) -> tuple[AgentRecord | None, list[Problem]]:
    store = ExecutionRepository(ctx.uow)
    return await run_mutation(ctx, lambda _: rules.set_agent_defaults(store, defaults))


async def record_execution_batch(
    ctx: RequestContext, reports: Sequence[rules.ExecutionReport]
) -> tuple[rules.ExecutionBatchResult | None, list[Problem]]:
    store = ExecutionRepository(ctx.uow)
    return await run_mutation(ctx, lambda _: rules.record_execution_batch(store, reports))
