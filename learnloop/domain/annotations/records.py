"""Annotation workflow records and the storage port it needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from learnloop.domain.annotations.expert_annotations import ExpertAnnotationRecord
from learnloop.domain.annotations.queue import (
    QueuePolicy,
)
from learnloop.domain.annotations.rules import (
    AnnotationInput,
)
from learnloop.domain.feedback import FeedbackType, IssueCategory
from learnloop.domain.learning_examples import DomainSource, LearningExampleRecord, ReviewStatus
from learnloop.domain.roles import Role

MAX_ASSIGN = 100
ROUTING_SIGNALS = frozenset({*(t.value for t in FeedbackType), *(c.value for c in IssueCategory)})


# --- records and store ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimFilter:
    """Narrow what claimAnnotationTask may hand out."""

    domain: str | None = None
    agent_key: str | None = None


@dataclass(frozen=True)
class QueueFilter:
    """annotationQueue's filter. `status` is the queue state (see queue_status)."""

    domain: str | None = None
    agent_key: str | None = None
    status: ReviewStatus | None = None
    needs_adjudication: bool | None = None
    assigned_to: UUID | None = None


@dataclass(frozen=True)
class Locked:
    """An example locked for this transaction, with the database's clock."""

    example: LearningExampleRecord
    now: datetime


@dataclass(frozen=True)
class ExampleChange:
    """What an annotation or adjudication does to its example (None: leave as is)."""

    review_status: ReviewStatus | None = None
    quality_score: float | None = None
    expected_output: str | None = None  # the previous one goes to example_history
    needs_adjudication: bool | None = None
    annotations_count: int | None = None
    decided: bool = False  # sets decided_at
    clear_lease: bool = False
    clear_assignment: bool = False


class Outcome(StrEnum):
    """What submitAnnotation did to the example."""

    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    NEEDS_MORE_ANNOTATIONS = "NEEDS_MORE_ANNOTATIONS"
    NEEDS_ADJUDICATION = "NEEDS_ADJUDICATION"
    GOLD_RECORDED = "GOLD_RECORDED"  # a gold item: scored against its verdict, status unchanged


@dataclass(frozen=True)
class Submitted:
    annotation: ExpertAnnotationRecord
    example: LearningExampleRecord
    outcome: Outcome


@dataclass(frozen=True)
class Claimed:
    example: LearningExampleRecord | None
    lease_expires_at: datetime | None


class AnnotationStore(DomainSource, Protocol):
    async def settings(self) -> Mapping[str, Any]: ...

    async def update_settings(self, patch: Mapping[str, Any]) -> Mapping[str, Any]:
        """Merge camelCase keys into the org's settings; returns the stored settings."""
        ...

    async def lock_annotator(self, user_id: UUID) -> None:
        """Serialise one annotator's claims until the transaction ends (the lease bound)."""
        ...

    async def return_expired_leases(self) -> int:
        """Examples whose lease ran out go back to PENDING."""
        ...

    async def live_leases(self, user_id: UUID) -> int: ...

    async def claim(
        self, user_id: UUID, f: ClaimFilter, policy: QueuePolicy
    ) -> LearningExampleRecord | None:
        """Lease the next claimable example (skipping rows other claims hold locked)."""
        ...

    async def lock_example(self, example_id: UUID) -> Locked | None: ...

    async def lock_examples(self, ids: Sequence[UUID]) -> Mapping[UUID, LearningExampleRecord]: ...

    async def add_annotation(
        self, example_id: UUID, user_id: UUID, data: AnnotationInput
    ) -> ExpertAnnotationRecord | None:
        """None when this user already annotated the example."""
        ...

    async def annotations_of(self, example_id: UUID) -> list[ExpertAnnotationRecord]:
        """Oldest first."""
        ...

    async def change(
        self, example: LearningExampleRecord, change: ExampleChange, by_user: UUID | None
    ) -> LearningExampleRecord: ...

    async def release(self, example: LearningExampleRecord) -> LearningExampleRecord: ...

    async def assign(
        self, ids: Sequence[UUID], user_id: UUID | None
    ) -> list[LearningExampleRecord]: ...

    async def set_gold(
        self,
        example: LearningExampleRecord,
        verdict: bool | None,
        review_status: ReviewStatus,
        clear_lease: bool,
    ) -> LearningExampleRecord: ...

    async def member_role(self, user_id: UUID) -> Role | None: ...
