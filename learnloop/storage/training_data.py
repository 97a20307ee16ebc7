"""What a worker reads to train: a dataset version's examples exactly as the dataset exports them."""

from __future__ import annotations

from uuid import UUID

from learnloop.domain.engines.base import TrainingData
from learnloop.domain.exports import ExportRecord
from learnloop.storage import dataset_examples, datasets
from learnloop.storage.unit_of_work import UnitOfWork

BATCH = 1000


async def load(uow: UnitOfWork, dataset_id: UUID) -> TrainingData | None:
    """Every example (a frozen version's snapshots) in (split, id) order; None if not visible."""
    dataset = await datasets.get(uow, dataset_id)
    if dataset is None:
        return None
    records: list[ExportRecord] = []
    async for batch in dataset_examples.export_records(uow, dataset, None, BATCH):
        records.extend(batch)
    return TrainingData(
        dataset_id=dataset.id,
        name=dataset.name,
        version=dataset.version,
        examples=tuple(records),
        org_id=dataset.org_id,
    )
