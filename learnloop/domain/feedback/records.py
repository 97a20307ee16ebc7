"""Feedback records: types, groups (one opinion per group), submissions and the store protocol."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from learnloop.domain.errors import Problem
from learnloop.domain.executions import ExecutionRecord
from learnloop.domain.learning_examples import NewLearningExample, RoutingSource

RATING_MIN, RATING_MAX = 1, 5
MAX_FEEDBACK_TEXT = 20_000
MAX_BATCH_SIZE = 500


class FeedbackType(StrEnum):
    THUMBS_UP = "THUMBS_UP"
    THUMBS_DOWN = "THUMBS_DOWN"
    STAR_RATING = "STAR_RATING"
    DETAILED_FEEDBACK = "DETAILED_FEEDBACK"
    CORRECTION = "CORRECTION"
    REPORT_ISSUE = "REPORT_ISSUE"


class IssueCategory(StrEnum):
    INCORRECT = "INCORRECT"
    INCOMPLETE = "INCOMPLETE"
    UNCLEAR = "UNCLEAR"
    HALLUCINATION = "HALLUCINATION"
    OFF_TOPIC = "OFF_TOPIC"
    UNSAFE = "UNSAFE"
    FORMATTING = "FORMATTING"
    OTHER = "OTHER"


class TypeGroup(StrEnum):
    """One person holds one opinion per execution per group: thumbs up then down is one vote."""

    THUMBS = "THUMBS"
    RATING = "RATING"
    DETAILED = "DETAILED"
    CORRECTION = "CORRECTION"
    ISSUE = "ISSUE"


TYPE_GROUP: dict[FeedbackType, TypeGroup] = {
    FeedbackType.THUMBS_UP: TypeGroup.THUMBS,
    FeedbackType.THUMBS_DOWN: TypeGroup.THUMBS,
    FeedbackType.STAR_RATING: TypeGroup.RATING,
    FeedbackType.DETAILED_FEEDBACK: TypeGroup.DETAILED,
    FeedbackType.CORRECTION: TypeGroup.CORRECTION,
    FeedbackType.REPORT_ISSUE: TypeGroup.ISSUE,
}


def type_group(feedback_type: FeedbackType) -> TypeGroup:
    """The group whose one opinion per person and execution a feedback of this type is."""
    return TYPE_GROUP[feedback_type]


@dataclass(frozen=True)
class Dimensions:
    """Optional 1..5 scores of an answer's qualities."""

    accuracy: int | None = None
    helpfulness: int | None = None
    clarity: int | None = None
    completeness: int | None = None

    def items(self) -> list[tuple[str, int | None]]:
        return [
            ("accuracy", self.accuracy),
            ("helpfulness", self.helpfulness),
            ("clarity", self.clarity),
            ("completeness", self.completeness),
        ]


@dataclass(frozen=True)
class FeedbackSubmission:
    """submitFeedback's input as the caller sent it."""

    agent_key: str
    execution_key: str
    feedback_type: FeedbackType
    rating: int | None = None
    feedback_text: str | None = None
    correction_text: str | None = None
    issue_categories: tuple[IssueCategory, ...] = ()
    dimensions: Dimensions = field(default_factory=Dimensions)
    idempotency_key: str | None = None
    end_user_id: str | None = None


@dataclass(frozen=True)
class FeedbackRecord:
    id: UUID
    execution_id: UUID
    agent_id: UUID
    author_key: str
    author_user_id: UUID | None
    feedback_type: FeedbackType
    rating: int | None
    feedback_text: str | None
    correction_text: str | None
    issue_categories: tuple[IssueCategory, ...]
    dimensions: Dimensions
    idempotency_key: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def opinion(self) -> tuple[UUID, str, TypeGroup]:
        return self.execution_id, self.author_key, type_group(self.feedback_type)


@dataclass(frozen=True)
class Author:
    """Whose opinion it is: `key` is the one-person-one-opinion identity."""

    key: str
    user_id: UUID | None
    # Whose idempotency keys these are: the author's, or one widget token's (see key_scope).
    key_scope: str


@dataclass(frozen=True)
class FeedbackWrite:
    """One opinion to store: insert, or replace the same person's earlier opinion of this group."""

    execution: ExecutionRecord
    author: Author
    submission: FeedbackSubmission
    idempotency_keys: tuple[str, ...]
    example: NewLearningExample | None

    @property
    def type_group(self) -> TypeGroup:
        return type_group(self.submission.feedback_type)

    @property
    def opinion(self) -> tuple[UUID, str, TypeGroup]:
        return self.execution.id, self.author.key, self.type_group


@dataclass(frozen=True)
class BatchResult:
    """Per item (input order) the stored feedback, or None when the item was refused."""

    feedback: list[FeedbackRecord | None]
    problems: list[Problem]


# An idempotency key as stored: (key scope, the caller's key).
ScopedKey = tuple[str, str]


class FeedbackStore(RoutingSource, Protocol):
    async def find_by_idempotency_keys(
        self, keys: Sequence[ScopedKey]
    ) -> Mapping[ScopedKey, FeedbackRecord]:
        """Feedback stored under these keys; holds a lock per key until the transaction ends."""
        ...

    async def upsert(self, writes: Sequence[FeedbackWrite]) -> Sequence[FeedbackRecord]:
        """Store every write (and its example) set-based; returns what is stored now."""
        ...
