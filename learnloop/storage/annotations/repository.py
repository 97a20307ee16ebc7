"""AnnotationStore for the domain, bound to one unit of work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from learnloop.domain.annotations.expert_annotations import ExpertAnnotationRecord
from learnloop.domain.annotations.queue import (
    QueuePolicy,
)
from learnloop.domain.annotations.records import ClaimFilter, ExampleChange, Locked
from learnloop.domain.annotations.rules import AnnotationInput
from learnloop.domain.learning_examples import (
    DomainsInUse,
    LearningExampleRecord,
    ReviewStatus,
)
from learnloop.domain.roles import Role
from learnloop.storage.annotations.changes import (
    add_annotation,
    annotations_of,
    assign,
    change,
    lock_example,
    lock_examples,
    member_role,
    release,
    set_gold,
)
from learnloop.storage.annotations.leases import (
    claim,
    live_leases,
    lock_annotator,
    return_expired_leases,
    settings,
    update_settings,
)
from learnloop.storage.learning_examples import domains_in_use
from learnloop.storage.unit_of_work import UnitOfWork


class AnnotationRepository:
    """AnnotationStore for the domain, bound to one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def settings(self) -> Mapping[str, Any]:
        return await settings(self.uow)

    async def domains_in_use(self, named: Sequence[str]) -> DomainsInUse:
        return await domains_in_use(self.uow, named)

    async def update_settings(self, patch: Mapping[str, Any]) -> Mapping[str, Any]:
        return await update_settings(self.uow, patch)

    async def lock_annotator(self, user_id: UUID) -> None:
        await lock_annotator(self.uow, user_id)

    async def return_expired_leases(self) -> int:
        return await return_expired_leases(self.uow)

    async def live_leases(self, user_id: UUID) -> int:
        return await live_leases(self.uow, user_id)

    async def claim(
        self, user_id: UUID, f: ClaimFilter, policy: QueuePolicy
    ) -> LearningExampleRecord | None:
        return await claim(self.uow, user_id, f, policy)

    async def lock_example(self, example_id: UUID) -> Locked | None:
        return await lock_example(self.uow, example_id)

    async def lock_examples(self, ids: Sequence[UUID]) -> Mapping[UUID, LearningExampleRecord]:
        return await lock_examples(self.uow, ids)

    async def add_annotation(
        self, example_id: UUID, user_id: UUID, data: AnnotationInput
    ) -> ExpertAnnotationRecord | None:
        return await add_annotation(self.uow, example_id, user_id, data)

    async def annotations_of(self, example_id: UUID) -> list[ExpertAnnotationRecord]:
        return await annotations_of(self.uow, example_id)

    async def change(
        self, example: LearningExampleRecord, change_: ExampleChange, by_user: UUID | None
    ) -> LearningExampleRecord:
        return await change(self.uow, example, change_, by_user)

    async def release(self, example: LearningExampleRecord) -> LearningExampleRecord:
        return await release(self.uow, example)

    async def assign(
        self, ids: Sequence[UUID], user_id: UUID | None
    ) -> list[LearningExampleRecord]:
        return await assign(self.uow, ids, user_id)

    async def set_gold(
        self,
        example: LearningExampleRecord,
        verdict: bool | None,
        review_status: ReviewStatus,
        clear_lease: bool,
    ) -> LearningExampleRecord:
        return await set_gold(self.uow, example, verdict, review_status, clear_lease)

    async def member_role(self, user_id: UUID) -> Role | None:
        return await member_role(self.uow, user_id)
