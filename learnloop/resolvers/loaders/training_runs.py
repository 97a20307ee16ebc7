"""Dataloaders for training runs and their artifacts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from learnloop.domain.training_runs import ArtifactRecord, TrainingRunRecord
from learnloop.resolvers.loaders.base import ByKeyLoader
from learnloop.storage import training_runs


class TrainingRunByIdLoader(ByKeyLoader[UUID, TrainingRunRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, TrainingRunRecord | None]:
        return await training_runs.by_ids(self.uow, keys)


class ArtifactsByRunIdLoader(ByKeyLoader[UUID, list[ArtifactRecord]]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, list[ArtifactRecord]]:
        return await training_runs.artifacts_by_run_ids(self.uow, keys)

    def default(self) -> list[ArtifactRecord]:
        return []
