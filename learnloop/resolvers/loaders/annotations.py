"""Dataloaders for expert annotations: by id, and each example's (all, or one annotator's)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from learnloop.domain.annotations.expert_annotations import ExpertAnnotationRecord
from learnloop.resolvers.loaders.base import ByKeyLoader
from learnloop.resolvers.loaders.children import (
    ChildCountLoader,
    ChildPageLoader,
    ScopedChildCountLoader,
    ScopedChildPageLoader,
)
from learnloop.storage.annotations import expert_annotations
from learnloop.storage.pagination import ChildList


class ExpertAnnotationByIdLoader(ByKeyLoader[UUID, ExpertAnnotationRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, ExpertAnnotationRecord | None]:
        return await expert_annotations.by_ids(self.uow, keys)


class AnnotationPageByExampleLoader(ChildPageLoader):
    relation = expert_annotations.BY_EXAMPLE


class AnnotationCountByExampleLoader(ChildCountLoader):
    relation = expert_annotations.BY_EXAMPLE


class AnnotationPageByExampleAndAnnotatorLoader(ScopedChildPageLoader):
    """Blind mode: one annotator's annotations of each example (scope = the annotator's id)."""

    @staticmethod
    def relation_for(scope: UUID) -> ChildList:
        return expert_annotations.by_example_of(scope)


class AnnotationCountByExampleAndAnnotatorLoader(ScopedChildCountLoader):
    @staticmethod
    def relation_for(scope: UUID) -> ChildList:
        return expert_annotations.by_example_of(scope)
