"""Statistics types: FeedbackStats, IssueCount, FeedbackTrendPoint and LearningStats."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from learnloop.domain import feedback_stats as rules
from learnloop.domain.feedback_stats import TrendBucket as DomainTrendBucket
from learnloop.schema.feedback import IssueCategory

TrendBucket = strawberry.enum(DomainTrendBucket, name="TrendBucket")


@strawberry.type
class DimensionAverages:
    """Mean of each 1..5 dimension over the feedback that scored it (null: none did)."""

    accuracy: float | None
    helpfulness: float | None
    clarity: float | None
    completeness: float | None


@strawberry.type(
    description=(
        "avgRating averages explicit 1..5 ratings only; thumbs are counted, never turned into "
        "stars. satisfactionRate = satisfied / scored: scored = thumbs votes + rated feedback; "
        f"satisfied = THUMBS_UP, or a non-thumbs rating >= {rules.SATISFIED_MIN_RATING}. "
        "Null when nothing is scored."
    )
)
class FeedbackStats:
    total_feedback: int
    rated_count: int
    avg_rating: float | None
    satisfaction_rate: float | None
    thumbs_up_count: int
    thumbs_down_count: int
    correction_count: int
    dimension_averages: DimensionAverages

    @classmethod
    def from_record(cls, r: rules.FeedbackStats) -> Self:
        d = r.dimension_averages
        return cls(
            total_feedback=r.total_feedback,
            rated_count=r.rated_count,
            avg_rating=r.avg_rating,
            satisfaction_rate=r.satisfaction_rate,
            thumbs_up_count=r.thumbs_up_count,
            thumbs_down_count=r.thumbs_down_count,
            correction_count=r.correction_count,
            dimension_averages=DimensionAverages(
                accuracy=d["accuracy"],
                helpfulness=d["helpfulness"],
                clarity=d["clarity"],
                completeness=d["completeness"],
            ),
        )


@strawberry.type
class IssueCount:
    category: IssueCategory  # type: ignore[valid-type]
    count: int
    avg_rating: float | None = strawberry.field(
        description="Mean explicit rating of the feedback reporting it."
    )

    @classmethod
    def from_record(cls, r: rules.IssueCount) -> Self:
        return cls(category=r.category, count=r.count, avg_rating=r.avg_rating)


@strawberry.type
class FeedbackTrendPoint:
    bucket_start: datetime = strawberry.field(description="UTC start of the hour or day.")
    stats: FeedbackStats

    @classmethod
    def from_record(cls, r: rules.TrendPoint) -> Self:
        return cls(bucket_start=r.bucket_start, stats=FeedbackStats.from_record(r.stats))


@strawberry.type
class LearningStats:
    pending_annotations: int = strawberry.field(
        description="Examples waiting for an annotator: PENDING, or IN_REVIEW with an expired "
        "lease (gold items and examples awaiting adjudication are not counted)."
    )
    annotated_today: int = strawberry.field(description="Annotations written since 00:00 UTC.")
    total_examples: int
    active_experiments: int = strawberry.field(description="Experiments RUNNING.")
    running_training: int = strawberry.field(description="Training runs RUNNING.")

    @classmethod
    def from_record(cls, r: rules.LearningStats) -> Self:
        return cls(
            pending_annotations=r.pending_annotations,
            annotated_today=r.annotated_today,
            total_examples=r.total_examples,
            active_experiments=r.active_experiments,
            running_training=r.running_training,
        )
