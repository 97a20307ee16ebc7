"""Feedback: the rules for one submission, one person's one opinion, idempotency, batches.

See docs/decisions/0003-feedback-semantics.md for why the rules are what they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from learnloop.domain.errors import ErrorCode, Forbidden, Problem, UserInputError
from learnloop.domain.executions import ExecutionRecord, ExecutionRef, ExecutionStore, check_ref
from learnloop.domain.input_limits import check_key, check_text
from learnloop.domain.learning_examples import (
    NewLearningExample,
    RoutingSource,
    correction_example,
    prioritise,
)
from learnloop.domain.principal import ExecutionScope, Principal, end_user_actor_key

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
        return self.execution_id, self.author_key, TYPE_GROUP[self.feedback_type]


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
        return TYPE_GROUP[self.submission.feedback_type]

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


def _check_score(value: int | None, path: tuple[str, ...], problems: list[Problem]) -> None:
    if value is not None and not RATING_MIN <= value <= RATING_MAX:
        problems.append(
            Problem(path, f"must be between {RATING_MIN} and {RATING_MAX}", ErrorCode.OUT_OF_RANGE)
        )


def validate_submission(
    s: FeedbackSubmission, prefix: tuple[str, ...] = ()
) -> tuple[FeedbackSubmission, list[Problem]]:
    """Every rule one submission must meet; returns it cleaned, with the problems found."""
    problems: list[Problem] = []
    ref = check_ref(s.agent_key, s.execution_key, problems, prefix)
    _check_score(s.rating, (*prefix, "rating"), problems)
    for name, value in s.dimensions.items():
        _check_score(value, (*prefix, "dimensions", name), problems)
    check_text(s.feedback_text, (*prefix, "feedbackText"), MAX_FEEDBACK_TEXT, problems)
    check_text(s.correction_text, (*prefix, "correctionText"), MAX_FEEDBACK_TEXT, problems)
    kind = s.feedback_type
    if kind is FeedbackType.STAR_RATING and s.rating is None:
        problems.append(
            Problem((*prefix, "rating"), "a STAR_RATING needs a rating", ErrorCode.REQUIRED)
        )
    if kind is FeedbackType.CORRECTION and not (s.correction_text or "").strip():
        problems.append(
            Problem(
                (*prefix, "correctionText"),
                "a CORRECTION needs the corrected answer",
                ErrorCode.REQUIRED,
            )
        )
    if kind is FeedbackType.REPORT_ISSUE and not s.issue_categories and not s.feedback_text:
        problems.append(
            Problem(
                (*prefix, "issueCategories"),
                "say what the issue is: a category or a text",
                ErrorCode.REQUIRED,
            )
        )
    if kind is FeedbackType.DETAILED_FEEDBACK and not (
        (s.feedback_text or "").strip() or any(v is not None for _, v in s.dimensions.items())
    ):
        problems.append(
            Problem(
                (*prefix, "feedbackText"),
                "DETAILED_FEEDBACK needs a text or dimension scores",
                ErrorCode.REQUIRED,
            )
        )
    key = s.idempotency_key
    if key is not None:
        key = check_key(key, (*prefix, "idempotencyKey"), problems)
    end_user = s.end_user_id
    if end_user is not None:
        end_user = check_key(end_user, (*prefix, "endUserId"), problems)
    cleaned = replace(
        s,
        agent_key=ref.agent_key,
        execution_key=ref.execution_key,
        issue_categories=tuple(dict.fromkeys(s.issue_categories)),
        idempotency_key=key,
        end_user_id=end_user,
    )
    return cleaned, problems


def author_of(
    principal: Principal, s: FeedbackSubmission, prefix: tuple[str, ...] = ()
) -> tuple[Author, list[Problem]]:
    """The person an opinion belongs to: the token's end user, a relayed end user, or the caller."""
    scope = principal.scope
    if scope is not None:
        author = Author(scope.author_key, None, key_scope(scope.author_key, scope))
        if s.end_user_id is not None and s.end_user_id != scope.end_user_id:
            problem = Problem(
                (*prefix, "endUserId"),
                "a feedback token speaks for the end user it was issued to",
                ErrorCode.NOT_ALLOWED,
            )
            return author, [problem]
        return author, []
    if s.end_user_id is not None:
        relayed = end_user_actor_key(s.end_user_id)
        return Author(relayed, None, key_scope(relayed, None)), []
    return Author(principal.actor_key, principal.user_id, key_scope(principal.actor_key, None)), []


def key_scope(author_key: str, scope: ExecutionScope | None) -> str:
    """Whose idempotency keys a submission's key is among: (organisation, author), or for a
    widget token (token, execution). A key reused by someone else is a different key: it never
    returns their feedback, and never swallows this submission."""
    if scope is None:
        return author_key
    ref = scope.ref
    return f"token:{scope.credential_id}:{ref.agent_key}/{ref.execution_key}"


def authorize_submission(principal: Principal, s: FeedbackSubmission) -> None:
    """A narrow principal (feedback token) may give feedback on its own execution only."""
    scope = principal.scope
    if scope is not None and scope.ref != ExecutionRef(s.agent_key, s.execution_key):
        raise Forbidden("this feedback token allows feedback on another execution only")


async def submit_feedback(
    store: FeedbackStore,
    executions: ExecutionStore,
    principal: Principal,
    submission: FeedbackSubmission,
) -> FeedbackRecord:
    cleaned, problems = validate_submission(submission)
    authorize_submission(principal, cleaned)
    author, more = author_of(principal, cleaned)
    if problems or more:
        raise UserInputError([*problems, *more])
    return (await _store(store, executions, [(cleaned, author)]))[0]


async def submit_feedback_batch(
    store: FeedbackStore,
    executions: ExecutionStore,
    principal: Principal,
    submissions: Sequence[FeedbackSubmission],
) -> BatchResult:
    """Valid items are stored even when others are refused; problems name the item's index."""
    if len(submissions) > MAX_BATCH_SIZE:
        raise UserInputError.single(
            ("items",), f"at most {MAX_BATCH_SIZE} items per batch", ErrorCode.LIMIT_EXCEEDED
        )
    valid: list[tuple[int, FeedbackSubmission, Author]] = []
    problems: list[Problem] = []
    for index, submission in enumerate(submissions):
        prefix = ("items", str(index))
        cleaned, found = validate_submission(submission, prefix)
        authorize_submission(principal, cleaned)
        author, more = author_of(principal, cleaned, prefix)
        if found or more:
            problems.extend([*found, *more])
        else:
            valid.append((index, cleaned, author))
    stored = await _store(store, executions, [(s, a) for _, s, a in valid]) if valid else []
    feedback: list[FeedbackRecord | None] = [None] * len(submissions)
    for (index, _, _), record in zip(valid, stored, strict=True):
        feedback[index] = record
    return BatchResult(feedback=feedback, problems=problems)


async def _store(
    store: FeedbackStore,
    executions: ExecutionStore,
    items: Sequence[tuple[FeedbackSubmission, Author]],
) -> list[FeedbackRecord]:
    """Store valid submissions; one result per item, in order.

    A key seen before returns what it stored and writes nothing. Two items with the same
    key: the first one counts. Two items for the same opinion: the later one wins.
    """
    scoped = [_scoped_key(s, a) for s, a in items]
    keys = list(dict.fromkeys(k for k in scoped if k is not None))
    known = await store.find_by_idempotency_keys(keys) if keys else {}
    fresh = [(i, s, a) for i, (s, a) in enumerate(items) if scoped[i] not in known]
    refs = list(dict.fromkeys(ExecutionRef(s.agent_key, s.execution_key) for _, s, _ in fresh))
    found = await executions.resolve(refs) if refs else {}
    writes: dict[tuple[UUID, str, TypeGroup], FeedbackWrite] = {}
    opinion_of: dict[int, tuple[UUID, str, TypeGroup]] = {}
    claimed: dict[ScopedKey, tuple[UUID, str, TypeGroup]] = {}
    for index, s, author in fresh:
        key = scoped[index]
        if key is not None and key in claimed:
            opinion_of[index] = claimed[key]
            continue
        write = _write(found[ExecutionRef(s.agent_key, s.execution_key)], author, s)
        earlier = writes.get(write.opinion)
        if earlier is not None:
            write = replace(
                write, idempotency_keys=(*earlier.idempotency_keys, *write.idempotency_keys)
            )
        writes[write.opinion] = write
        opinion_of[index] = write.opinion
        if key is not None:
            claimed[key] = write.opinion
    stored = (
        {r.opinion: r for r in await store.upsert(await _routed(store, writes))} if writes else {}
    )
    return [
        stored[opinion_of[i]] if i in opinion_of else known[scoped[i] or ("", "")]
        for i in range(len(items))
    ]


def _scoped_key(s: FeedbackSubmission, author: Author) -> ScopedKey | None:
    return (author.key_scope, s.idempotency_key) if s.idempotency_key else None


async def _routed(
    store: FeedbackStore, writes: Mapping[tuple[UUID, str, TypeGroup], FeedbackWrite]
) -> list[FeedbackWrite]:
    """Give the batch's new examples their queue priority; the batch's own feedback on the same
    execution counts as a signal too (a THUMBS_DOWN sent with the correction)."""
    batch_signals: dict[UUID, set[str]] = {}
    for w in writes.values():
        batch_signals.setdefault(w.execution.id, set()).update(_signals(w.submission))
    with_examples = [w for w in writes.values() if w.example is not None]
    examples = [
        replace(ex, signals=ex.signals | batch_signals[w.execution.id])
        for w in with_examples
        if (ex := w.example) is not None
    ]
    routed = iter(await prioritise(store, examples))
    return [
        replace(w, example=next(routed)) if w.example is not None else w for w in writes.values()
    ]


def _signals(s: FeedbackSubmission) -> set[str]:
    """What a submission says for routing: its type and its issue categories."""
    return {s.feedback_type.value, *(c.value for c in s.issue_categories)}


def _write(execution: ExecutionRecord, author: Author, s: FeedbackSubmission) -> FeedbackWrite:
    example = None
    if s.feedback_type is FeedbackType.CORRECTION and s.correction_text:
        example = correction_example(
            s.correction_text, execution, author.key, author.user_id, _signals(s)
        )
    return FeedbackWrite(
        execution=execution,
        author=author,
        submission=s,
        idempotency_keys=(s.idempotency_key,) if s.idempotency_key else (),
        example=example,
    )
