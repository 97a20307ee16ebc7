"""Storing feedback: idempotency, one opinion per person, batches, and the examples corrections make.

See docs/decisions/0003-feedback-semantics.md for why the rules are what they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from uuid import UUID

from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.executions import ExecutionRecord, ExecutionRef, ExecutionStore
from learnloop.domain.feedback.records import (
    MAX_BATCH_SIZE,
    Author,
    BatchResult,
    FeedbackRecord,
    FeedbackStore,
    FeedbackSubmission,
    FeedbackType,
    FeedbackWrite,
    ScopedKey,
    TypeGroup,
)
from learnloop.domain.feedback.validation import (
    author_of,
    authorize_submission,
    validate_submission,
)
from learnloop.domain.learning_examples import NewLearningExample, correction_example, prioritise
from learnloop.domain.principal import Principal


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


def signals(feedback_type: FeedbackType, issue_categories: Iterable[str]) -> frozenset[str]:
    """What feedback says for routing: its type and its issue categories."""
    return frozenset({feedback_type.value, *(str(c) for c in issue_categories)})


def _signals(s: FeedbackSubmission) -> frozenset[str]:
    return signals(s.feedback_type, s.issue_categories)


def creates_example(feedback_type: FeedbackType, correction_text: str | None) -> bool:
    """A correction (with its corrected answer) creates a learning example; nothing else does."""
    return feedback_type is FeedbackType.CORRECTION and bool(correction_text)


def feedback_example(
    execution: ExecutionRecord,
    author_key: str,
    author_user_id: UUID | None,
    feedback_type: FeedbackType,
    correction_text: str | None,
    issue_categories: Iterable[str],
) -> NewLearningExample | None:
    """The learning example a piece of feedback creates (pending review), if it creates one."""
    if not creates_example(feedback_type, correction_text) or correction_text is None:
        return None
    return correction_example(
        correction_text,
        execution,
        author_key,
        author_user_id,
        signals(feedback_type, issue_categories),
    )


def _write(execution: ExecutionRecord, author: Author, s: FeedbackSubmission) -> FeedbackWrite:
    example = feedback_example(
        execution,
        author.key,
        author.user_id,
        s.feedback_type,
        s.correction_text,
        s.issue_categories,
    )
    return FeedbackWrite(
        execution=execution,
        author=author,
        submission=s,
        idempotency_keys=(s.idempotency_key,) if s.idempotency_key else (),
        example=example,
    )
