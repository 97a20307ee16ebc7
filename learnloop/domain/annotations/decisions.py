"""Annotating and deciding: outcomes, corrections, adjudication."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from uuid import UUID

from learnloop.domain.annotations.claims import _not_found, annotator, check_lease
from learnloop.domain.annotations.expert_annotations import ExpertAnnotationRecord
from learnloop.domain.annotations.queue import (
    policy_from_settings,
)
from learnloop.domain.annotations.records import (
    AnnotationStore,
    ExampleChange,
    Outcome,
    Submitted,
)
from learnloop.domain.annotations.rules import (
    MAX_OUTPUT,
    MAX_TEXT,
    AnnotationInput,
    Decision,
    combined_quality,
    decide,
    validate_annotation,
)
from learnloop.domain.audit import AuditEntry, AuditSink
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.learning_examples import LearningExampleRecord, ReviewStatus
from learnloop.domain.principal import Principal

# --- annotating and deciding -----------------------------------------------------------------


def _check_decidable(example: LearningExampleRecord) -> None:
    if example.needs_adjudication:
        raise UserInputError.single(
            ("exampleId",),
            "the annotations disagree; the example waits for a manager's adjudication",
            ErrorCode.INVALID_STATE,
        )
    if example.decided and not example.is_gold:
        raise UserInputError.single(
            ("exampleId",),
            f"the example is already decided ({example.review_status.value})",
            ErrorCode.INVALID_STATE,
        )


def newest_correction(annotations: Sequence[ExpertAnnotationRecord], verdict: bool) -> str | None:
    """The output a decision adopts: the newest correction among the annotations that agree."""
    for a in sorted(annotations, key=lambda a: a.created_at, reverse=True):
        if a.approved == verdict and a.corrected_output is not None:
            return a.corrected_output
    return None


def outcome_of(
    example: LearningExampleRecord,
    annotations: Sequence[ExpertAnnotationRecord],
    required: int,
) -> tuple[Outcome, ExampleChange]:
    """What the annotations so far decide (the example is locked and was undecided)."""
    count = len(annotations)
    if example.is_gold:
        return Outcome.GOLD_RECORDED, ExampleChange(annotations_count=count, clear_lease=True)
    quality = combined_quality([a.scores() for a in annotations])
    decision = decide([a.approved for a in annotations], required)
    if decision is Decision.NEEDS_MORE:
        return Outcome.NEEDS_MORE_ANNOTATIONS, ExampleChange(
            review_status=ReviewStatus.PENDING,
            quality_score=quality,
            annotations_count=count,
            clear_lease=True,
        )
    if decision is Decision.DISAGREEMENT:
        return Outcome.NEEDS_ADJUDICATION, ExampleChange(
            review_status=ReviewStatus.IN_REVIEW,
            quality_score=quality,
            needs_adjudication=True,
            annotations_count=count,
            clear_lease=True,
        )
    approved = decision is Decision.APPROVED
    return Outcome(decision.value), ExampleChange(
        review_status=ReviewStatus.APPROVED if approved else ReviewStatus.REJECTED,
        quality_score=quality,
        expected_output=newest_correction(annotations, approved),
        annotations_count=count,
        decided=True,
        clear_lease=True,
    )


async def submit_annotation(
    store: AnnotationStore,
    audit: AuditSink,
    principal: Principal,
    example_id: UUID,
    data: AnnotationInput,
) -> Submitted:
    """Store the caller's annotation of an example they hold the lease on, and decide it when
    the org's `annotationsRequired` annotations agree. Refusals write nothing."""
    user = annotator(principal)
    validate_annotation(data)
    policy = policy_from_settings(await store.settings())
    locked = await store.lock_example(example_id)
    if locked is None:
        raise _not_found()
    example = locked.example
    _check_decidable(example)
    check_lease(locked, user)
    annotation = await store.add_annotation(example.id, user, data)
    if annotation is None:
        raise UserInputError.single(
            ("exampleId",), "you already annotated this example", ErrorCode.DUPLICATE
        )
    annotations = await store.annotations_of(example.id)
    outcome, change = outcome_of(example, annotations, policy.annotations_required)
    if example.assigned_to_user_id == user:
        change = replace(change, clear_assignment=True)  # the assignment is done
    updated = await store.change(example, change, user)
    if change.decided:
        await audit(
            principal,
            AuditEntry(
                f"example.{'approve' if outcome is Outcome.APPROVED else 'reject'}",
                "LearningExample",
                example.id,
                {
                    "annotations": len(annotations),
                    "required": policy.annotations_required,
                    "qualityScore": updated.quality_score,
                    "correctedOutput": change.expected_output is not None,
                },
            ),
        )
    return Submitted(annotation=annotation, example=updated, outcome=outcome)


def _check_texts(fields: Mapping[str, tuple[str | None, int]]) -> None:
    problems = [
        Problem((name,), f"at most {limit} characters", ErrorCode.TOO_LONG)
        for name, (value, limit) in fields.items()
        if value is not None and len(value) > limit
    ]
    if problems:
        raise UserInputError(problems)


async def adjudicate_example(
    store: AnnotationStore,
    audit: AuditSink,
    principal: Principal,
    example_id: UUID,
    approved: bool,
    notes: str | None,
    corrected_output: str | None,
) -> LearningExampleRecord:
    """A MANAGER decides an example whose annotations disagree.

    The expected output becomes `correctedOutput` when given, else the newest correction among
    the annotations that share the manager's verdict.
    """
    _check_texts({"notes": (notes, MAX_TEXT), "correctedOutput": (corrected_output, MAX_OUTPUT)})
    if corrected_output is not None and not corrected_output.strip():
        raise UserInputError.single(
            ("correctedOutput",), "leave it out rather than sending it empty", ErrorCode.INVALID
        )
    locked = await store.lock_example(example_id)
    if locked is None:
        raise _not_found()
    example = locked.example
    if not example.needs_adjudication:
        raise UserInputError.single(
            ("exampleId",),
            "only examples whose annotations disagree wait for adjudication",
            ErrorCode.INVALID_STATE,
        )
    annotations = await store.annotations_of(example.id)
    change = ExampleChange(
        review_status=ReviewStatus.APPROVED if approved else ReviewStatus.REJECTED,
        needs_adjudication=False,
        expected_output=corrected_output or newest_correction(annotations, approved),
        decided=True,
        clear_lease=True,
    )
    updated = await store.change(example, change, principal.user_id)
    await audit(
        principal,
        AuditEntry(
            "example.adjudicate",
            "LearningExample",
            example.id,
            {
                "verdict": change.review_status.value if change.review_status else None,
                "notes": notes,
                "annotations": [
                    {"annotator": str(a.annotator_user_id), "approved": a.approved}
                    for a in annotations
                ],
                "correctedOutput": change.expected_output is not None,
            },
        ),
    )
    return updated
