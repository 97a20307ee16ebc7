"""The examples of dataset versions: membership rows, their resolved content, and export batches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Double,
    MetaData,
    Table,
    Text,
    Uuid,
    delete,
    exists,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert

from learnloop.domain.datasets import (
    DatasetExampleRecord,
    DatasetRecord,
    ExampleFacts,
    ExampleFilter,
    NewDatasetExample,
)
from learnloop.domain.exports import ExportRecord
from learnloop.domain.pagination import Page, PageRequest
from learnloop.domain.splits import Split
from learnloop.storage import statistics
from learnloop.storage.models import Agent, DatasetExample, LearningExample, TrainingDataset
from learnloop.storage.pagination import ChildList, count, keyset_page
from learnloop.storage.unit_of_work import UnitOfWork

_E = DatasetExample.__table__
_L = LearningExample.__table__
_A = Agent.__table__
_D = TrainingDataset.__table__

# The view of migration 0004: each row's content, from its snapshot once frozen (not a model:
# it lives in its own MetaData so schema-drift checks leave it alone).
CONTENTS = Table(
    "dataset_example_contents",
    MetaData(),
    Column("id", Uuid, primary_key=True),
    Column("org_id", Uuid),
    Column("dataset_id", Uuid),
    Column("example_id", Uuid),
    Column("split", Text),
    Column("weight", Double),
    Column("created_at", DateTime(timezone=True)),
    Column("from_snapshot", Boolean),
    Column("example_type", Text),
    Column("input_text", Text),
    Column("expected_output", Text),
    Column("original_output", Text),
    Column("quality_score", Double),
    Column("review_status", Text),
    Column("domain", Text),
    Column("task_type", Text),
    Column("agent_key", Text),
    Column("execution_id", Uuid),
    Column("source_feedback_id", Uuid),
    Column("metadata", JSONB),
)
_C = CONTENTS.c
_FACTS = (_L.c.id, _L.c.example_type, _L.c.review_status, _A.c.key, _L.c.domain, _L.c.task_type)


def _facts(r: Any) -> ExampleFacts:
    return ExampleFacts(
        id=r.id,
        example_type=r.example_type,
        review_status=r.review_status,
        agent_key=r.key,
        domain=r.domain,
        task_type=r.task_type,
    )


def _facts_query() -> Any:
    return select(*_FACTS).select_from(_L.outerjoin(_A, _A.c.id == _L.c.agent_id))


async def facts(uow: UnitOfWork, ids: Sequence[UUID]) -> dict[UUID, ExampleFacts]:
    rows = await uow.all(_facts_query().where(_L.c.id.in_(ids)))
    return {r.id: _facts(r) for r in rows}


async def matching(
    uow: UnitOfWork, dataset_id: UUID, wanted: ExampleFilter, after: UUID | None, limit: int
) -> list[ExampleFacts]:
    """Learning examples that pass `wanted` and are not in the dataset yet, in id order."""
    in_dataset = exists().where(_E.c.dataset_id == dataset_id, _E.c.example_id == _L.c.id)
    stmt = _facts_query().where(~in_dataset, _L.c.review_status.in_(wanted.review_statuses))
    for column, values in (
        (_A.c.key, wanted.agent_ids),
        (_L.c.domain, wanted.domains),
        (_L.c.task_type, wanted.task_types),
        (_L.c.example_type, wanted.example_types),
    ):
        if values:
            stmt = stmt.where(column.in_(values))
    if wanted.min_quality_score is not None:
        stmt = stmt.where(_L.c.quality_score >= wanted.min_quality_score)
    if after is not None:
        stmt = stmt.where(_L.c.id > after)
    rows = await uow.all(stmt.order_by(_L.c.id).limit(limit))
    return [_facts(r) for r in rows]


async def remembered_splits(
    uow: UnitOfWork, lineage_id: UUID, example_ids: Sequence[UUID]
) -> dict[UUID, Split]:
    """The split each example had in the earliest version of the lineage that held it."""
    stmt = (
        select(_E.c.example_id, _E.c.split)
        .join(_D, _D.c.id == _E.c.dataset_id)
        .where(_D.c.lineage_id == lineage_id, _E.c.example_id.in_(example_ids))
        .order_by(_E.c.example_id, _D.c.version)
        .ext(distinct_on(_E.c.example_id))
    )
    return {r.example_id: Split(r.split) for r in await uow.all(stmt)}


async def split_counts(uow: UnitOfWork, dataset_id: UUID) -> dict[str, dict[Split, int]]:
    stmt = (
        select(_C.example_type, _C.split, func.count())
        .where(_C.dataset_id == dataset_id)
        .group_by(_C.example_type, _C.split)
    )
    found: dict[str, dict[Split, int]] = {}
    for example_type, split, n in await uow.all(stmt):
        found.setdefault(example_type, {})[Split(split)] = n
    return found


async def add_rows(
    uow: UnitOfWork, dataset: DatasetRecord, rows: Sequence[NewDatasetExample]
) -> int:
    """Add rows (examples already in the version stay as they are); returns how many were new."""
    values = [
        {
            "org_id": dataset.org_id,
            "dataset_id": dataset.id,
            "example_id": r.example_id,
            "split": r.split.value,
            "weight": r.weight,
        }
        for r in rows
    ]
    result = await uow.execute(
        pg_insert(DatasetExample)
        .values(values)
        .on_conflict_do_nothing(index_elements=["dataset_id", "example_id"])
    )
    added = int(result.rowcount)  # type: ignore[attr-defined]
    await statistics.after_bulk_write(uow, "dataset_examples", added)
    return added


async def remove(uow: UnitOfWork, dataset_id: UUID, example_ids: Sequence[UUID]) -> int:
    result = await uow.execute(
        delete(DatasetExample).where(
            _E.c.dataset_id == dataset_id, _E.c.example_id.in_(example_ids)
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def inadmissible(
    uow: UnitOfWork, dataset_id: UUID, admissible: Sequence[str], limit: int
) -> tuple[int, list[UUID]]:
    """How many examples have a review status outside `admissible`, and a few of their ids."""
    stmt = select(_C.example_id).where(
        _C.dataset_id == dataset_id, _C.review_status.not_in(admissible)
    )
    total = await count(uow, stmt)
    sample = [r.example_id for r in await uow.all(stmt.order_by(_C.example_id).limit(limit))]
    return total, sample


def _record(r: Any) -> DatasetExampleRecord:
    return DatasetExampleRecord(
        id=r.id,
        dataset_id=r.dataset_id,
        example_id=r.example_id,
        split=Split(r.split),
        weight=r.weight,
        example_type=r.example_type,
        input_text=r.input_text,
        expected_output=r.expected_output,
        original_output=r.original_output,
        quality_score=r.quality_score,
        review_status=r.review_status,
        created_at=r.created_at,
    )


# An example's memberships, newest first, batched per page of examples (LearningExample.datasets).
MEMBERSHIPS_BY_EXAMPLE = ChildList(CONTENTS, "example_id", _record)


def _listing(dataset_id: UUID, split: Split | None) -> Any:
    stmt = select(CONTENTS).where(_C.dataset_id == dataset_id)
    return stmt if split is None else stmt.where(_C.split == split.value)


async def page(
    uow: UnitOfWork, dataset_id: UUID, split: Split | None, request: PageRequest
) -> Page:
    return await keyset_page(
        uow,
        _listing(dataset_id, split),
        [_C.split, _C.id],
        request,
        descending=False,
        convert=_record,
    )


async def total(uow: UnitOfWork, dataset_id: UUID, split: Split | None) -> int:
    return await count(uow, _listing(dataset_id, split))


async def by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> dict[UUID, DatasetExampleRecord]:
    rows = await uow.all(select(CONTENTS).where(_C.id.in_(ids)))
    return {r.id: _record(r) for r in rows}


def _export_record(dataset: DatasetRecord, r: Any) -> ExportRecord:
    return ExportRecord(
        dataset_id=dataset.id,
        dataset_version=dataset.version,
        example_id=r.example_id,
        split=Split(r.split),
        weight=r.weight,
        example_type=r.example_type,
        input_text=r.input_text,
        expected_output=r.expected_output,
        original_output=r.original_output,
        quality_score=r.quality_score,
        review_status=r.review_status,
        domain=r.domain,
        task_type=r.task_type,
        agent_key=r.agent_key,
        execution_id=r.execution_id,
        source_feedback_id=r.source_feedback_id,
        metadata=dict(r.metadata or {}),
    )


async def export_records(
    uow: UnitOfWork, dataset: DatasetRecord, split: Split | None, batch_size: int
) -> AsyncIterator[list[ExportRecord]]:
    """Every example of the version in (split, id) order, `batch_size` records at a time.

    One statement through a server-side cursor: a consistent snapshot even of a DRAFT, and
    memory bounded by the batch however large the dataset.
    """
    stmt = _listing(dataset.id, split).order_by(_C.split, _C.id)
    async for rows in uow.stream(stmt, batch_size):
        yield [_export_record(dataset, r) for r in rows]
