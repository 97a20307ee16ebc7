"""Resolvers for the annotation queue: listing, leases, annotations, decisions, settings, stats."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from learnloop.domain import webhooks as webhook_rules
from learnloop.domain.annotations import claims, curation, decisions
from learnloop.domain.annotations.queue import QueuePolicy, policy_from_settings
from learnloop.domain.annotations.records import (
    Claimed,
    ClaimFilter,
    Outcome,
    QueueFilter,
    Submitted,
)
from learnloop.domain.annotations.rules import AnnotationInput
from learnloop.domain.annotations.stats import AnnotationStats
from learnloop.domain.errors import Problem
from learnloop.domain.identity import OrganizationRecord
from learnloop.domain.learning_examples import LearningExampleRecord
from learnloop.domain.pagination import Page, PageRequest
from learnloop.domain.principal import Principal
from learnloop.resolvers import webhooks
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.loaders.identity import OrganizationByIdLoader
from learnloop.resolvers.mutations import run_mutation
from learnloop.storage import annotations as annotation_store
from learnloop.storage.annotations import AnnotationRepository
from learnloop.storage.annotations import stats as stats_store
from learnloop.storage.audit import AuditLog

# Matches no user: "assigned to me" for a caller who is not a user (an API key).
NOBODY = UUID(int=0)


async def policy(ctx: RequestContext) -> QueuePolicy:
    """The caller's org's queue policy (the org row is loaded once per request)."""
    principal = await ctx.principal()
    if principal.org_id is None:
        return policy_from_settings({})
    org: OrganizationRecord | None = await ctx.loaders.get(OrganizationByIdLoader).load(
        principal.org_id
    )
    return policy_from_settings(org.settings if org else {})


async def viewer(ctx: RequestContext) -> tuple[Principal, QueuePolicy]:
    return await ctx.principal(), await policy(ctx)


async def queue_filter(
    ctx: RequestContext,
    *,
    domain: str | None,
    agent_key: str | None,
    status: Any,
    needs_adjudication: bool | None,
    assigned_to_me: bool,
) -> QueueFilter:
    principal = await ctx.principal()
    return QueueFilter(
        domain=domain,
        agent_key=agent_key.strip() if agent_key is not None else None,
        status=status,
        needs_adjudication=needs_adjudication,
        assigned_to=(principal.user_id or NOBODY) if assigned_to_me else None,
    )


async def queue_page(ctx: RequestContext, f: QueueFilter, request: PageRequest) -> Page:
    return await annotation_store.queue_page(ctx.uow, f, (await policy(ctx)).order, request)


async def queue_total(ctx: RequestContext, f: QueueFilter) -> int:
    return await annotation_store.queue_total(ctx.uow, f)


async def stats(ctx: RequestContext, since: datetime | None) -> AnnotationStats:
    return await stats_store.stats(ctx.uow, since)


def _store(ctx: RequestContext) -> tuple[AnnotationRepository, AuditLog]:
    return AnnotationRepository(ctx.uow), AuditLog(ctx.uow, ctx.request_id)


async def claim(ctx: RequestContext, f: ClaimFilter) -> tuple[Claimed | None, list[Problem]]:
    store, _ = _store(ctx)
    return await run_mutation(ctx, lambda p: claims.claim_task(store, p, f))


async def release(
    ctx: RequestContext, example_id: UUID
) -> tuple[LearningExampleRecord | None, list[Problem]]:
    store, _ = _store(ctx)
    return await run_mutation(ctx, lambda p: claims.release_task(store, p, example_id))


async def submit(
    ctx: RequestContext, example_id: UUID, data: AnnotationInput
) -> tuple[Submitted | None, list[Problem]]:
    store, audit = _store(ctx)

    async def action(principal: Principal) -> Submitted:
        done = await decisions.submit_annotation(store, audit, principal, example_id, data)
        if done.outcome in (Outcome.APPROVED, Outcome.REJECTED):
            await _decided(ctx, done.example)
        return done

    return await run_mutation(ctx, action)


async def _decided(ctx: RequestContext, example: LearningExampleRecord) -> None:
    await webhooks.emit(ctx.uow, [webhook_rules.example_decided(example, datetime.now(UTC))])


async def adjudicate(
    ctx: RequestContext,
    example_id: UUID,
    approved: bool,
    notes: str | None,
    corrected_output: str | None,
) -> tuple[LearningExampleRecord | None, list[Problem]]:
    store, audit = _store(ctx)

    async def action(principal: Principal) -> LearningExampleRecord:
        decided = await decisions.adjudicate_example(
            store, audit, principal, example_id, approved, notes, corrected_output
        )
        await _decided(ctx, decided)
        return decided

    return await run_mutation(ctx, action)


async def assign(
    ctx: RequestContext, example_ids: Sequence[UUID], expert_id: UUID | None
) -> tuple[list[LearningExampleRecord] | None, list[Problem]]:
    store, audit = _store(ctx)
    return await run_mutation(
        ctx, lambda p: curation.assign_tasks(store, audit, p, example_ids, expert_id)
    )


async def mark_gold(
    ctx: RequestContext, example_id: UUID, verdict: bool | None
) -> tuple[LearningExampleRecord | None, list[Problem]]:
    store, audit = _store(ctx)
    return await run_mutation(
        ctx, lambda p: curation.mark_gold(store, audit, p, example_id, verdict)
    )


async def update_settings(
    ctx: RequestContext, values: Mapping[str, Any]
) -> tuple[QueuePolicy | None, list[Problem]]:
    store, audit = _store(ctx)
    return await run_mutation(ctx, lambda p: curation.update_settings(store, audit, p, values))
