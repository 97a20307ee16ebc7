"""Dataloaders for feedback, and the feedback listed under an agent or an execution."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from learnloop.domain.feedback.records import FeedbackRecord
from learnloop.resolvers.loaders.base import ByKeyLoader
from learnloop.resolvers.loaders.children import ChildCountLoader, ChildPageLoader
from learnloop.storage import feedback


class FeedbackByIdLoader(ByKeyLoader[UUID, FeedbackRecord | None]):
    async def fetch(self, keys: Sequence[UUID]) -> Mapping[UUID, FeedbackRecord | None]:
        return await feedback.by_ids(self.uow, keys)


class FeedbackPageByAgentLoader(ChildPageLoader):
    relation = feedback.BY_AGENT


class FeedbackCountByAgentLoader(ChildCountLoader):
    relation = feedback.BY_AGENT


class FeedbackPageByExecutionLoader(ChildPageLoader):
    relation = feedback.BY_EXECUTION


class FeedbackCountByExecutionLoader(ChildCountLoader):
    relation = feedback.BY_EXECUTION
