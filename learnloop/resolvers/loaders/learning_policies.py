"""Dataloaders for the learning loop: examples waiting for each policy's next run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from learnloop.resolvers.loaders.base import ByKeyLoader
from learnloop.storage import learning_policies

# (agent id, the policy's last frozen dataset version or None before its first run)
WaitingKey = tuple[UUID, UUID | None]


class WaitingExamplesByPolicyLoader(ByKeyLoader[WaitingKey, int]):
    async def fetch(self, keys: Sequence[WaitingKey]) -> Mapping[WaitingKey, int]:
        return await learning_policies.count_new_approved(self.uow, keys)

    def default(self) -> int:
        return 0
