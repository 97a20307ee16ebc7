"""Annotation rules: the documented quality formula, decisions, agreement and gold accuracy."""

from __future__ import annotations

import uuid

import pytest

from learnloop.domain.annotations.queue import QueueOrder, policy_from_settings, routing_priority
from learnloop.domain.annotations.rules import (
    AnnotationInput,
    Decision,
    decide,
    quality_score,
    validate_annotation,
)
from learnloop.domain.annotations.stats import agreement_by_dimension, gold_accuracy
from learnloop.domain.errors import UserInputError


def test_seed_annotation_quality_is_the_mean() -> None:
    assert quality_score((0.95, 0.90, 0.85, 0.92)) == 0.905


def test_scores_outside_unit_interval_are_refused_with_paths() -> None:
    bad = AnnotationInput(
        approved=True,
        technical_accuracy=1.2,
        professional_quality=-0.1,
        completeness=0.5,
        clarity=0.5,
    )
    with pytest.raises(UserInputError) as refused:
        validate_annotation(bad)
    assert [p.field for p in refused.value.problems] == [
        ("technicalAccuracy",),
        ("professionalQuality",),
    ]


@pytest.mark.parametrize(
    ("verdicts", "required", "expected"),
    [
        ([True], 1, Decision.APPROVED),
        ([False], 1, Decision.REJECTED),
        ([True], 2, Decision.NEEDS_MORE),
        ([True, True], 2, Decision.APPROVED),
        ([True, False], 2, Decision.DISAGREEMENT),
    ],
)
def test_decisions(verdicts: list[bool], required: int, expected: Decision) -> None:
    assert decide(verdicts, required) is expected


def test_agreement_is_perfect_for_identical_raters_and_low_for_opposed() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    examples = [uuid.uuid4() for _ in range(6)]
    same = {e: {a: [i / 10] * 4, b: [i / 10] * 4} for i, e in enumerate(examples)}
    assert agreement_by_dimension(same)["clarity"] == 1.0
    opposed = {e: {a: [i / 10] * 4, b: [1 - i / 10] * 4} for i, e in enumerate(examples)}
    alpha = agreement_by_dimension(opposed)["clarity"]
    assert alpha is not None and alpha < 0
    assert agreement_by_dimension({examples[0]: {a: [0.5] * 4}})["clarity"] is None


def test_gold_accuracy_and_routing() -> None:
    assert gold_accuracy([(True, True), (False, True), (True, True), (False, False)]) == 0.75
    assert gold_accuracy([]) is None
    policy = policy_from_settings(
        {"queueOrder": "LOWEST_QUALITY_FIRST", "routingPriorities": {"UNSAFE": 500}}
    )
    assert policy.order is QueueOrder.LOWEST_QUALITY_FIRST
    assert routing_priority(policy, ["THUMBS_DOWN", "UNSAFE", "UNSAFE"]) == 520
