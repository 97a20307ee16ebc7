"""Dataloaders for experiments and their live analysis data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from learnloop.domain.experiments.analysis import ExperimentData
from learnloop.domain.experiments.canary import LoopCanaries, loop_canaries
from learnloop.domain.experiments.records import ExperimentRecord
from learnloop.resolvers.loaders.base import ByKeyLoader
from learnloop.storage import experiments


class ExperimentByIdLoader(ByKeyLoader[UUID, ExperimentRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, ExperimentRecord | None]:
        return await experiments.by_ids(self.uow, keys)


class ExperimentDataByIdLoader(ByKeyLoader[UUID, ExperimentData]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, ExperimentData]:
        return await experiments.data_by_ids(self.uow, keys)


class CanariesByAgentIdLoader(ByKeyLoader[UUID, LoopCanaries]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, LoopCanaries]:
        return loop_canaries(await experiments.open_canaries(self.uow, keys))

    def default(self) -> LoopCanaries:
        return LoopCanaries()
