"""Feedback and annotation statistics from counts alone: the domain computes, storage only sums."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from learnloop.domain.annotations.stats import (
    AnnotationFacts,
    AnnotatorCounts,
    QueueDepth,
    annotation_stats,
)
from learnloop.domain.feedback_stats import FeedbackCounts, TrendCounts, trend_points

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def counts(**overrides: object) -> FeedbackCounts:
    values: dict[str, object] = {
        "total": 4,
        "rated": 2,
        "rating_sum": 9,
        "thumbs_up": 1,
        "thumbs_down": 1,
        "corrections": 0,
        "satisfied": 2,
        "scored": 4,
        "dimension_sums": {"accuracy": (7, 2), "clarity": (0, 0)},
    }
    return FeedbackCounts(**{**values, **overrides})  # type: ignore[arg-type]


def test_trend_points_turn_each_buckets_counts_into_rates() -> None:
    empty = counts(total=0, rated=0, rating_sum=0, thumbs_up=0, thumbs_down=0, satisfied=0,
                   scored=0, dimension_sums={})  # fmt: skip
    points = trend_points([TrendCounts(NOW, counts()), TrendCounts(NOW, empty)])
    busy, quiet = points[0].stats, points[1].stats
    assert busy.avg_rating == 4.5 and busy.satisfaction_rate == 0.5
    assert busy.dimension_averages == {"accuracy": 3.5, "clarity": None}
    assert quiet.avg_rating is None and quiet.satisfaction_rate is None


def test_annotation_stats_from_facts() -> None:
    ann, other = uuid.uuid4(), uuid.uuid4()
    facts = AnnotationFacts(
        depth=[QueueDepth("billing", 3, 1, 1, 2), QueueDepth(None, 1, 0, 0, 0)],
        counts=[AnnotatorCounts(ann, 1, 4, 4, 3, (2.0, 2.0, 4.0, 4.0))],
        gold=[(ann, True, True), (ann, True, False)],
        ratings={uuid.uuid4(): {ann: (1.0, 1.0, 1.0, 1.0), other: (1.0, 1.0, 1.0, 1.0)}},
    )
    report = annotation_stats(facts)
    assert (report.pending, report.in_review, report.gold_items) == (4, 1, 2)
    assert report.approval_rate == 0.75 and report.average_quality == 0.75
    assert report.annotators[0].gold_accuracy == 0.5
    assert report.agreement_examples == 1
