"""Dataset rows: lookups and the per-example listing of dataset memberships."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, select

from learnloop.domain.datasets import (
    DatasetExampleRecord,
    DatasetStatus,
    Split,
    TrainingDatasetRecord,
)
from learnloop.storage.models import DatasetExample, TrainingDataset
from learnloop.storage.pagination import ChildList
from learnloop.storage.unit_of_work import UnitOfWork

_D = cast(Table, TrainingDataset.__table__)
_M = cast(Table, DatasetExample.__table__)


def _dataset(r: Any) -> TrainingDatasetRecord:
    return TrainingDatasetRecord(
        id=r.id,
        lineage_id=r.lineage_id,
        version=r.version,
        name=r.name,
        description=r.description,
        status=DatasetStatus(r.status),
        total_examples=r.total_examples,
        avg_quality_score=r.avg_quality_score,
        frozen_at=r.frozen_at,
        created_at=r.created_at,
    )


def _member(r: Any) -> DatasetExampleRecord:
    return DatasetExampleRecord(
        id=r.id,
        dataset_id=r.dataset_id,
        example_id=r.example_id,
        split=Split(r.split),
        weight=r.weight,
        created_at=r.created_at,
    )


MEMBERSHIPS_BY_EXAMPLE = ChildList(_M, "example_id", _member)


async def datasets_by_ids(
    uow: UnitOfWork, ids: Sequence[UUID]
) -> Mapping[UUID, TrainingDatasetRecord]:
    rows = await uow.all(select(_D).where(_D.c.id.in_(ids)))
    return {r.id: _dataset(r) for r in rows}


async def memberships_by_ids(
    uow: UnitOfWork, ids: Sequence[UUID]
) -> Mapping[UUID, DatasetExampleRecord]:
    rows = await uow.all(select(_M).where(_M.c.id.in_(ids)))
    return {r.id: _member(r) for r in rows}
