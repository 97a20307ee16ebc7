"""Dataloaders for organisations and users."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from learnloop.domain.identity import OrganizationRecord, UserRecord
from learnloop.resolvers.loaders.base import ByKeyLoader
from learnloop.storage import identity


class OrganizationByIdLoader(ByKeyLoader[UUID, OrganizationRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, OrganizationRecord | None]:
        return await identity.organizations_by_ids(self.uow, keys)


class UserByIdLoader(ByKeyLoader[UUID, UserRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, UserRecord | None]:
        return await identity.users_by_ids(self.uow, keys)
