"""Dataloader for API keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from learnloop.domain.api_keys import ApiKeyRecord
from learnloop.resolvers.loaders.base import ByKeyLoader
from learnloop.storage import api_keys


class ApiKeyByIdLoader(ByKeyLoader[UUID, ApiKeyRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, ApiKeyRecord | None]:
        return await api_keys.by_ids(self.uow, keys)
