"""Workflow rules without a database: decisions from annotations, and who sees what."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from learnloop.domain.annotations.decisions import outcome_of
from learnloop.domain.annotations.expert_annotations import ExpertAnnotationRecord
from learnloop.domain.annotations.queue import QueuePolicy
from learnloop.domain.annotations.records import Outcome
from learnloop.domain.annotations.visibility import (
    sees_all_annotations,
    shown_quality,
    shown_status,
)
from learnloop.domain.learning_examples import ExampleType, LearningExampleRecord, ReviewStatus
from learnloop.domain.principal import Principal, PrincipalKind
from learnloop.domain.roles import Role

NOW = datetime(2026, 1, 1, tzinfo=UTC)
EXPERT = Principal(PrincipalKind.USER, uuid.uuid4(), Role.EXPERT, uuid.uuid4())
MANAGER = Principal(PrincipalKind.USER, EXPERT.org_id, Role.MANAGER, uuid.uuid4())
EXAMPLE = LearningExampleRecord(
    id=uuid.uuid4(),
    agent_id=None,
    execution_id=None,
    source_feedback_id=None,
    author_user_id=None,
    author_key=None,
    example_type=ExampleType.CORRECTION,
    domain=None,
    task_type=None,
    input_text="q",
    expected_output="old",
    original_output=None,
    metadata={},
    quality_score=0.5,
    review_status=ReviewStatus.IN_REVIEW,
    priority=0,
    created_at=NOW,
    updated_at=NOW,
    lease_holder_user_id=EXPERT.user_id,
    lease_expires_at=NOW - timedelta(seconds=1),
)


def annotation(approved: bool, fix: str | None, minutes: int) -> ExpertAnnotationRecord:
    return ExpertAnnotationRecord(
        id=uuid.uuid4(),
        example_id=EXAMPLE.id,
        annotator_user_id=uuid.uuid4(),
        approved=approved,
        technical_accuracy=0.5,
        professional_quality=0.5,
        completeness=1.0,
        clarity=1.0,
        corrected_output=fix,
        notes=None,
        improvement_suggestions=None,
        created_at=NOW + timedelta(minutes=minutes),
    )


def test_an_expired_lease_reads_as_pending_and_gold_hides_below_manager() -> None:
    assert shown_status(EXPERT, EXAMPLE, NOW) is ReviewStatus.PENDING
    assert shown_status(EXPERT, EXAMPLE, NOW - timedelta(minutes=1)) is ReviewStatus.IN_REVIEW
    gold = replace(EXAMPLE, is_gold=True, review_status=ReviewStatus.APPROVED)
    assert shown_status(EXPERT, gold, NOW) is ReviewStatus.PENDING
    assert shown_status(MANAGER, gold, NOW) is ReviewStatus.APPROVED
    assert shown_quality(EXPERT, QueuePolicy(blind=False), gold) is None
    assert not sees_all_annotations(EXPERT, QueuePolicy(), gold)


def test_blind_mode_until_decided() -> None:
    blind, open_ = QueuePolicy(blind=True), QueuePolicy(blind=False)
    assert not sees_all_annotations(EXPERT, blind, EXAMPLE)
    assert sees_all_annotations(EXPERT, open_, EXAMPLE)
    assert sees_all_annotations(MANAGER, blind, EXAMPLE)
    decided = replace(EXAMPLE, review_status=ReviewStatus.REJECTED)
    assert sees_all_annotations(EXPERT, blind, decided)
    assert shown_quality(EXPERT, blind, EXAMPLE) is None
    assert shown_quality(EXPERT, blind, decided) == 0.5


def test_outcomes_and_the_adopted_correction() -> None:
    one = [annotation(True, "first fix", 0)]
    outcome, change = outcome_of(EXAMPLE, one, required=2)
    assert (
        outcome is Outcome.NEEDS_MORE_ANNOTATIONS and change.review_status is ReviewStatus.PENDING
    )
    assert change.expected_output is None and change.quality_score == 0.75
    two = [*one, annotation(True, "newer fix", 1), annotation(False, "rejecter's fix", 2)]
    outcome, change = outcome_of(EXAMPLE, two[:2], required=2)
    assert outcome is Outcome.APPROVED and change.expected_output == "newer fix" and change.decided
    outcome, change = outcome_of(EXAMPLE, two, required=2)
    assert outcome is Outcome.NEEDS_ADJUDICATION and change.needs_adjudication
    outcome, change = outcome_of(replace(EXAMPLE, is_gold=True), two, required=1)
    assert outcome is Outcome.GOLD_RECORDED and change.review_status is None
