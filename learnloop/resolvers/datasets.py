"""Resolvers for training datasets: queries, curation mutations, and export links."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import quote, urlencode
from uuid import UUID

from learnloop.domain import dataset_curation as curation
from learnloop.domain import webhooks as webhook_rules
from learnloop.domain.dataset_curation import Change
from learnloop.domain.datasets import DatasetRecord, DatasetStatus, ExampleFilter, NewDataset
from learnloop.domain.errors import Problem
from learnloop.domain.exports import ExportFormat
from learnloop.domain.pagination import Page, PageRequest
from learnloop.domain.principal import Principal
from learnloop.domain.splits import Split
from learnloop.resolvers import webhooks
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.loaders.datasets import DatasetByIdLoader, DatasetVersionsByLineageLoader
from learnloop.resolvers.mutations import run_mutation
from learnloop.storage import dataset_examples, datasets
from learnloop.storage.audit import AuditLog
from learnloop.storage.datasets import DatasetRepository

EXPORT_PREFIX = "/exports/datasets/"


def export_path(global_id: str, fmt: ExportFormat, split: Split | None) -> str:
    """`/exports/datasets/{global id}.jsonl?format=...&split=...` (the id is path-escaped)."""
    query = {"format": fmt.value, **({"split": split.value.lower()} if split else {})}
    return f"{EXPORT_PREFIX}{quote(global_id, safe='')}.jsonl?{urlencode(query)}"


def card_path(global_id: str) -> str:
    """The dataset card (README.md) that goes with the `hf` export."""
    return f"{EXPORT_PREFIX}{quote(global_id, safe='')}.md"


def absolute(ctx: RequestContext, path: str) -> str:
    return f"{ctx.base_url}{path}"


async def dataset(ctx: RequestContext, dataset_id: UUID) -> DatasetRecord | None:
    record: DatasetRecord | None = await ctx.loaders.get(DatasetByIdLoader).load(dataset_id)
    return record


async def versions(ctx: RequestContext, lineage_id: UUID) -> list[DatasetRecord]:
    found: list[DatasetRecord] = await ctx.loaders.get(DatasetVersionsByLineageLoader).load(
        lineage_id
    )
    return found


async def dataset_page(
    ctx: RequestContext, request: PageRequest, status: DatasetStatus | None
) -> Page:
    return await datasets.page(ctx.uow, request, status)


async def count_datasets(ctx: RequestContext, status: DatasetStatus | None) -> int:
    return await datasets.total(ctx.uow, status)


async def example_page(
    ctx: RequestContext, dataset_id: UUID, split: Split | None, request: PageRequest
) -> Page:
    return await dataset_examples.page(ctx.uow, dataset_id, split, request)


async def count_examples(ctx: RequestContext, dataset_id: UUID, split: Split | None) -> int:
    return await dataset_examples.total(ctx.uow, dataset_id, split)


async def create_dataset(
    ctx: RequestContext, new: NewDataset
) -> tuple[DatasetRecord | None, list[Problem]]:
    store = DatasetRepository(ctx.uow)
    sink = AuditLog(ctx.uow, ctx.request_id)
    return await run_mutation(ctx, lambda p: curation.create_dataset(store, sink, p, new))


async def add_examples(
    ctx: RequestContext,
    dataset_id: UUID,
    example_ids: Sequence[UUID] | None,
    wanted: ExampleFilter | None,
    split: Split | None,
    weight: float | None,
) -> tuple[Change | None, list[Problem]]:
    store = DatasetRepository(ctx.uow)
    return await run_mutation(
        ctx,
        lambda p: curation.add_examples(
            store,
            p,
            dataset_id=dataset_id,
            example_ids=example_ids,
            wanted=wanted,
            split=split,
            weight=weight,
        ),
    )


async def remove_examples(
    ctx: RequestContext, dataset_id: UUID, example_ids: Sequence[UUID]
) -> tuple[Change | None, list[Problem]]:
    store = DatasetRepository(ctx.uow)
    return await run_mutation(
        ctx,
        lambda p: curation.remove_examples(
            store, p, dataset_id=dataset_id, example_ids=example_ids
        ),
    )


async def freeze_dataset(
    ctx: RequestContext, dataset_id: UUID
) -> tuple[DatasetRecord | None, list[Problem]]:
    store = DatasetRepository(ctx.uow)
    sink = AuditLog(ctx.uow, ctx.request_id)
    redact = ctx.state.settings.pii_redaction

    async def action(principal: Principal) -> DatasetRecord:
        frozen = await curation.freeze_dataset(
            store, sink, principal, dataset_id, redact_pii=redact
        )
        await webhooks.emit(ctx.uow, [webhook_rules.dataset_frozen(frozen, datetime.now(UTC))])
        return frozen

    return await run_mutation(ctx, action)


async def create_dataset_version(
    ctx: RequestContext, dataset_id: UUID
) -> tuple[DatasetRecord | None, list[Problem]]:
    store = DatasetRepository(ctx.uow)
    sink = AuditLog(ctx.uow, ctx.request_id)
    return await run_mutation(
        ctx, lambda p: curation.create_dataset_version(store, sink, p, dataset_id)
    )
