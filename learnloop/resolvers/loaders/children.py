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


class ScopedChildPageLoader(ByKeyLoader[tuple[Any, ChildPageKey], Page]):
    """Like ChildPageLoader over a relation that depends on a scope (e.g. one annotator's rows);
    keys are (scope, page key); one statement per scope and batch."""

    @staticmethod
    def relation_for(scope: Any) -> ChildList:
        raise NotImplementedError

    @staticmethod
    def key(parent_id: UUID, request: PageRequest) -> ChildPageKey:
        return ChildPageKey.of(parent_id, request)

    async def fetch(
        self, keys: Sequence[tuple[Any, ChildPageKey]]
    ) -> Mapping[tuple[Any, ChildPageKey], Page]:
        by_scope: dict[Any, list[tuple[Any, ChildPageKey]]] = {}
        for key in keys:
            by_scope.setdefault(key[0], []).append(key)
        found: dict[tuple[Any, ChildPageKey], Page] = {}
        for scope, group in by_scope.items():
            pages = await child_pages(self.uow, self.relation_for(scope), [k[1] for k in group])
            found.update(zip(group, pages, strict=True))
        return found


class ScopedChildCountLoader(ByKeyLoader[tuple[Any, UUID], int]):
    """`totalCount` of a scoped nested connection; keys are (scope, parent id)."""

    @staticmethod
    def relation_for(scope: Any) -> ChildList:
        raise NotImplementedError

    def default(self) -> Any:
        return 0

    async def fetch(self, keys: Sequence[tuple[Any, UUID]]) -> Mapping[tuple[Any, UUID], int]:
        by_scope: dict[Any, list[UUID]] = {}
        for scope, parent in keys:
            by_scope.setdefault(scope, []).append(parent)
        found: dict[tuple[Any, UUID], int] = {}
        for scope, parents in by_scope.items():
            counts = await child_counts(self.uow, self.relation_for(scope), parents)
            found.update({(scope, p): n for p, n in counts.items()})
        return found
