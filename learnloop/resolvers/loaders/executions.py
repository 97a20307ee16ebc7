"""Dataloaders for executions, and the executions listed under an agent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from learnloop.domain.executions import ExecutionRecord, ExecutionRef
from learnloop.resolvers.loaders.base import ByKeyLoader
from learnloop.resolvers.loaders.children import ChildCountLoader, ChildPageLoader
from learnloop.storage import executions


class ExecutionByIdLoader(ByKeyLoader[UUID, ExecutionRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, ExecutionRecord | None]:
        return await executions.by_ids(self.uow, keys)


class ExecutionByRefLoader(ByKeyLoader[ExecutionRef, ExecutionRecord | None]):
    async def fetch(
        self, keys: Sequence[ExecutionRef]
    ) -> Mapping[ExecutionRef, ExecutionRecord | None]:
        return await executions.by_refs(self.uow, keys)


class ExecutionPageByAgentLoader(ChildPageLoader):
    relation = executions.BY_AGENT


class ExecutionCountByAgentLoader(ChildCountLoader):
    relation = executions.BY_AGENT
