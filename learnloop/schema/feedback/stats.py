"""Statistics types: FeedbackStats, IssueCount, FeedbackTrendPoint and LearningStats."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from learnloop.domain import feedback_stats as rules
from learnloop.domain.feedback_stats import TrendBucket as DomainTrendBucket
from learnloop.schema.feedback.types import IssueCategory

TrendBucket = strawberry.enum(
    DomainTrendBucket, name="TrendBucket", description="The width of a feedbackTrend bucket (UTC)."
)


@strawberry.type(
    description="Mean dimension ratings 1..5 over some feedback; each null when nothing rated it."
)
class DimensionAverages:
    """Mean of each 1..5 dimension over the feedback that scored it (null: none did)."""

    accuracy: float | None = strawberry.field(description="Mean accuracy 1..5.")
    helpfulness: float | None = strawberry.field(description="Mean helpfulness 1..5.")
    clarity: float | None = strawberry.field(description="Mean clarity 1..5.")
    completeness: float | None = strawberry.field(description="Mean completeness 1..5.")


@strawberry.type(
    description=(
        "avgRating averages explicit 1..5 ratings only; thumbs are counted, never turned into "
        "stars. satisfactionRate = satisfied / scored: scored = thumbs votes + rated feedback; "
        f"satisfied = THUMBS_UP, or a non-thumbs rating >= {rules.SATISFIED_MIN_RATING}. "
        "Null when nothing is scored."
    )
)
class FeedbackStats:
    total_feedback: int = strawberry.field(description="Feedback rows in the window.")
    rated_count: int = strawberry.field(description="Feedback rows that carry a rating.")
    avg_rating: float | None = strawberry.field(
        description="Mean star rating 1..5; null when nothing is rated."
    )
    satisfaction_rate: float | None = strawberry.field(
        description="Share 0..1 of positive opinions (thumbs up, ratings of 4 or 5) among thumbs and ratings; null when none."
    )
    thumbs_up_count: int = strawberry.field(description="THUMBS_UP feedback.")
    thumbs_down_count: int = strawberry.field(description="THUMBS_DOWN feedback.")
    correction_count: int = strawberry.field(description="CORRECTION feedback.")
    dimension_averages: DimensionAverages = strawberry.field(
        description="Mean of each dimension rating 1..5."
    )

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


@strawberry.type(description="How often one issue category was reported.")
class IssueCount:
    category: IssueCategory = strawberry.field(description="The category.")  # type: ignore[valid-type]
    count: int = strawberry.field(description="Feedback rows that named it.")
    avg_rating: float | None = strawberry.field(
        description="Mean explicit rating of the feedback reporting it."
    )

    @classmethod
    def from_record(cls, r: rules.IssueCount) -> Self:
        return cls(category=r.category, count=r.count, avg_rating=r.avg_rating)


@strawberry.type(description="Feedback statistics of one hour or day.")
class FeedbackTrendPoint:
    bucket_start: datetime = strawberry.field(description="UTC start of the hour or day.")
    stats: FeedbackStats = strawberry.field(description="The statistics of that bucket.")

    @classmethod
    def from_record(cls, r: rules.TrendPoint) -> Self:
        return cls(bucket_start=r.bucket_start, stats=FeedbackStats.from_record(r.stats))


@strawberry.type(description="Organisation-wide counts for the dashboard.")
class LearningStats:
    pending_annotations: int = strawberry.field(
        description="Examples waiting for an annotator: PENDING, or IN_REVIEW with an expired "
        "lease (gold items and examples awaiting adjudication are not counted)."
    )
    annotated_today: int = strawberry.field(description="Annotations written since 00:00 UTC.")
    total_examples: int = strawberry.field(description="Learning examples in the organisation.")
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
