"""Dataloaders for nested connections: every parent's page (or count) in one statement per batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from uuid import UUID

from learnloop.domain.pagination import Page, PageRequest
from learnloop.resolvers.loaders.base import ByKeyLoader
from learnloop.storage.pagination import ChildList, ChildPageKey, child_counts, child_pages


class ChildPageLoader(ByKeyLoader[ChildPageKey, Page]):
    """Subclasses set `relation`; keys are (parent, first, after) so different pages never mix."""

    relation: ClassVar[ChildList]

    @staticmethod
    def key(parent_id: UUID, request: PageRequest) -> ChildPageKey:
        """Raises InvalidPageRequest for a cursor that does not belong to a nested list."""
        return ChildPageKey.of(parent_id, request)

    async def fetch(self, keys: Sequence[ChildPageKey]) -> Mapping[ChildPageKey, Page]:
        pages = await child_pages(self.uow, self.relation, keys)
        return dict(zip(keys, pages, strict=True))


class ChildCountLoader(ByKeyLoader[UUID, int]):
    """`totalCount` of a nested connection, for every parent in one GROUP BY."""

    relation: ClassVar[ChildList]

    def default(self) -> Any:
        return 0

    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, int]:
        return await child_counts(self.uow, self.relation, keys)
