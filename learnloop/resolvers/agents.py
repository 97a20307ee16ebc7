"""Resolvers for agents: lookup by key, the agent list, setAgentDefaults."""

from __future__ import annotations

from learnloop.domain import agents as rules
from learnloop.domain.agents import AgentDefaults, AgentRecord
from learnloop.domain.errors import Problem
from learnloop.domain.pagination import Page, PageRequest
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.loaders.agents import AgentByKeyLoader
from learnloop.resolvers.mutations import run_mutation
from learnloop.storage import agents
from learnloop.storage.executions import ExecutionRepository


async def agent(ctx: RequestContext, key: str) -> AgentRecord | None:
    record: AgentRecord | None = await ctx.loaders.get(AgentByKeyLoader).load(key.strip())
    return record


async def agent_page(ctx: RequestContext, request: PageRequest) -> Page:
    return await agents.page(ctx.uow, request)


async def count_agents(ctx: RequestContext) -> int:
    return await agents.total(ctx.uow)


async def set_agent_defaults(
    ctx: RequestContext, defaults: AgentDefaults
) -> tuple[AgentRecord | None, list[Problem]]:
    store = ExecutionRepository(ctx.uow)
    return await run_mutation(ctx, lambda _: rules.set_agent_defaults(store, defaults))
