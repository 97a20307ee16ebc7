"""Dataloaders for training datasets, their lineages and their examples."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from learnloop.domain.datasets import DatasetExampleRecord, DatasetRecord
from learnloop.resolvers.loaders.base import ByKeyLoader
from learnloop.storage import dataset_examples, datasets


class DatasetByIdLoader(ByKeyLoader[UUID, DatasetRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, DatasetRecord | None]:
        return await datasets.by_ids(self.uow, keys)


class DatasetVersionsByLineageLoader(ByKeyLoader[UUID, list[DatasetRecord]]):
    """Every version of a lineage, oldest first."""

    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, list[DatasetRecord]]:
        return await datasets.versions_by_lineages(self.uow, keys)

    def default(self) -> list[DatasetRecord]:
        return []


class DatasetExampleByIdLoader(ByKeyLoader[UUID, DatasetExampleRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, DatasetExampleRecord | None]:
        return await dataset_examples.by_ids(self.uow, keys)
