"""Dataloaders for deployments: by id, and each agent's active one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from learnloop.domain.deployments import DeploymentRecord
from learnloop.resolvers.loaders.base import ByKeyLoader
from learnloop.storage import deployments


class ActiveDeploymentByAgentIdLoader(ByKeyLoader[UUID, DeploymentRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, DeploymentRecord | None]:
        return await deployments.active_by_agent_ids(self.uow, keys)


class DeploymentByIdLoader(ByKeyLoader[UUID, DeploymentRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, DeploymentRecord | None]:
        return await deployments.by_ids(self.uow, keys)
