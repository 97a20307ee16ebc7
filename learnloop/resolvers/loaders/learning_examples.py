"""Dataloaders for learning examples, their annotations and dataset memberships."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from learnloop.domain.annotations.expert_annotations import ExpertAnnotationRecord
from learnloop.domain.learning_examples import ExampleHistoryRecord, LearningExampleRecord
from learnloop.resolvers.loaders.base import ByKeyLoader
from learnloop.resolvers.loaders.children import (
    ChildCountLoader,
    ChildPageLoader,
    ScopedChildCountLoader,
    ScopedChildPageLoader,
)
from learnloop.storage import annotations as annotation_store
from learnloop.storage import dataset_examples, learning_examples
from learnloop.storage.annotations import expert_annotations
from learnloop.storage.pagination import ChildList


class LearningExampleByIdLoader(ByKeyLoader[UUID, LearningExampleRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, LearningExampleRecord | None]:
        return await learning_examples.by_ids(self.uow, keys)


class LearningExampleBySourceFeedbackLoader(ByKeyLoader[UUID, LearningExampleRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, LearningExampleRecord | None]:
        return await learning_examples.by_source_feedback_ids(self.uow, keys)


class LearningExamplePageByAgentLoader(ChildPageLoader):
    relation = learning_examples.BY_AGENT


class LearningExampleCountByAgentLoader(ChildCountLoader):
    relation = learning_examples.BY_AGENT


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


class ExampleHistoryByIdLoader(ByKeyLoader[UUID, ExampleHistoryRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, ExampleHistoryRecord | None]:
        return await annotation_store.history_by_ids(self.uow, keys)


class HistoryPageByExampleLoader(ChildPageLoader):
    relation = annotation_store.HISTORY_BY_EXAMPLE


class HistoryCountByExampleLoader(ChildCountLoader):
    relation = annotation_store.HISTORY_BY_EXAMPLE


class DatasetExamplePageByExampleLoader(ChildPageLoader):
    relation = dataset_examples.MEMBERSHIPS_BY_EXAMPLE


class DatasetExampleCountByExampleLoader(ChildCountLoader):
    relation = dataset_examples.MEMBERSHIPS_BY_EXAMPLE
