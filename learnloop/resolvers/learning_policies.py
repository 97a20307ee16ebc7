"""Resolvers for learning policies: the list, setLearningPolicy and the loop's state per agent."""

from __future__ import annotations

from uuid import UUID

from learnloop.domain import learning_policies as policy_rules
from learnloop.domain.errors import Problem
from learnloop.domain.experiments.canary import LoopCanaries
from learnloop.domain.learning_policies import LearningPolicyRecord, PolicySettings
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.loaders.experiments import CanariesByAgentIdLoader
from learnloop.resolvers.loaders.learning_policies import WaitingExamplesByPolicyLoader
from learnloop.resolvers.loaders.training_runs import TrainingRunByIdLoader
from learnloop.resolvers.mutations import run_mutation
from learnloop.storage import learning_policies
from learnloop.storage.audit import AuditLog
from learnloop.storage.learning_policies import LearningPolicyRepository


async def policies(ctx: RequestContext, agent_key: str | None) -> list[LearningPolicyRecord]:
    return await learning_policies.list_all(ctx.uow, agent_key)


async def set_learning_policy(
    ctx: RequestContext, settings: PolicySettings, config: object
) -> tuple[LearningPolicyRecord | None, list[Problem]]:
    store = LearningPolicyRepository(ctx.uow)
    sink = AuditLog(ctx.uow, ctx.request_id)
    return await run_mutation(
        ctx,
        lambda p: policy_rules.set_learning_policy(
            store, ctx.state.engines, sink, p, settings, config
        ),
    )


async def canary_share(ctx: RequestContext, run_id: UUID) -> float | None:
    """With autoExperiment on the run's agent, deploying it starts a canary at this share."""
    run = await ctx.loaders.get(TrainingRunByIdLoader).load(run_id)
    if run is None or run.agent_id is None:
        return None  # the deploy itself reports the missing run
    return policy_rules.auto_canary_share(await learning_policies.for_agent(ctx.uow, run.agent_id))


async def waiting_examples(ctx: RequestContext, policy: LearningPolicyRecord) -> int:
    """Approved examples of the agent not yet in the policy's last version (the trigger's count)."""
    key = (policy.agent_id, policy.last_dataset_id)
    count: int = await ctx.loaders.get(WaitingExamplesByPolicyLoader).load(key)
    return count


async def canaries(ctx: RequestContext, policy: LearningPolicyRecord) -> LoopCanaries:
    found: LoopCanaries = await ctx.loaders.get(CanariesByAgentIdLoader).load(policy.agent_id)
    return found
