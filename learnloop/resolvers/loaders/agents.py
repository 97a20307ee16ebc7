"""Dataloaders for agents, by id and by the caller's key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from learnloop.domain.agents import AgentRecord
from learnloop.resolvers.loaders.base import ByKeyLoader
from learnloop.storage import agents


class AgentByIdLoader(ByKeyLoader[UUID, AgentRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, AgentRecord | None]:
        return await agents.by_ids(self.uow, keys)


class AgentByKeyLoader(ByKeyLoader[str, AgentRecord | None]):
    async def fetch(self, keys: Sequence[str]) -> Mapping[str, AgentRecord | None]:
        return await agents.by_keys(self.uow, keys)
