"""Feedback statistics: what the numbers mean (satisfaction, averages), trend windows, limits.

SQL sums the rows (storage/feedback_stats.py returns FeedbackCounts); every rate and mean is
computed here from those counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from learnloop.domain.errors import ErrorCode, UserInputError
from learnloop.domain.feedback.records import IssueCategory

# A rated opinion counts as satisfied from this rating up (the "top two boxes" of 1..5).
SATISFIED_MIN_RATING = 4
MAX_ISSUES = 50


class TrendBucket(StrEnum):
    HOUR = "HOUR"
    DAY = "DAY"

    @property
    def width(self) -> timedelta:
        return timedelta(hours=1) if self is TrendBucket.HOUR else timedelta(days=1)


DEFAULT_POINTS = {TrendBucket.HOUR: 48, TrendBucket.DAY: 30}
MAX_POINTS = {TrendBucket.HOUR: 24 * 31, TrendBucket.DAY: 366 * 2}


@dataclass(frozen=True)
class FeedbackCounts:
    """The sums SQL returns for a set of feedback rows."""

    total: int
    rated: int
    rating_sum: int
    thumbs_up: int
    thumbs_down: int
    corrections: int
    satisfied: int
    scored: int
    dimension_sums: dict[str, tuple[int, int]]  # name -> (sum, count)


@dataclass(frozen=True)
class FeedbackStats:
    total_feedback: int
    rated_count: int
    avg_rating: float | None
    satisfaction_rate: float | None
    thumbs_up_count: int
    thumbs_down_count: int
    correction_count: int
    dimension_averages: dict[str, float | None]


def _mean(total: int, count: int) -> float | None:
    return total / count if count else None


def feedback_stats(c: FeedbackCounts) -> FeedbackStats:
    """Averages over explicit ratings only; thumbs are counted, never turned into stars.

    satisfactionRate = satisfied / scored, where a record is *scored* when it is a thumbs vote
    or carries a rating, and *satisfied* when it is THUMBS_UP, or is not a thumbs vote and
    its rating is at least SATISFIED_MIN_RATING. None when nothing is scored.
    """
    return FeedbackStats(
        total_feedback=c.total,
        rated_count=c.rated,
        avg_rating=_mean(c.rating_sum, c.rated),
        satisfaction_rate=_mean(c.satisfied, c.scored),
        thumbs_up_count=c.thumbs_up,
        thumbs_down_count=c.thumbs_down,
        correction_count=c.corrections,
        dimension_averages={name: _mean(s, n) for name, (s, n) in c.dimension_sums.items()},
    )


@dataclass(frozen=True)
class IssueCount:
    category: IssueCategory
    count: int
    avg_rating: float | None


@dataclass(frozen=True)
class TrendPoint:
    bucket_start: datetime
    stats: FeedbackStats


@dataclass(frozen=True)
class TrendCounts:
    """The sums of one trend bucket, as SQL returns them."""

    bucket_start: datetime
    counts: FeedbackCounts


def trend_points(buckets: Sequence[TrendCounts]) -> list[TrendPoint]:
    return [
        TrendPoint(bucket_start=b.bucket_start, stats=feedback_stats(b.counts)) for b in buckets
    ]


@dataclass(frozen=True)
class TrendWindow:
    bucket: TrendBucket
    start: datetime  # aligned to the bucket, inclusive
    end: datetime  # exclusive: the start of the bucket after `now`'s


@dataclass(frozen=True)
class LearningStats:
    pending_annotations: int
    annotated_today: int
    total_examples: int
    active_experiments: int
    running_training: int


def _floor(moment: datetime, bucket: TrendBucket) -> datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if bucket is TrendBucket.DAY else moment


def trend_window(bucket: TrendBucket, since: datetime | None, now: datetime) -> TrendWindow:
    """Buckets from `since` (default: the last DEFAULT_POINTS) through the current one, in UTC."""
    end = _floor(now.astimezone(UTC), bucket) + bucket.width
    if since is not None:
        since = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
    start = _floor(since, bucket) if since else end - bucket.width * DEFAULT_POINTS[bucket]
    points = (end - start) // bucket.width
    if points < 1:
        raise UserInputError.single(("since",), "must not be in the future", ErrorCode.OUT_OF_RANGE)
    if points > MAX_POINTS[bucket]:
        raise UserInputError.single(
            ("since",),
            f"at most {MAX_POINTS[bucket]} {bucket.value.lower()} buckets",
            ErrorCode.OUT_OF_RANGE,
        )
    return TrendWindow(bucket=bucket, start=start, end=end)


def check_issue_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_ISSUES:
        raise UserInputError.single(
            ("limit",), f"must be between 1 and {MAX_ISSUES}", ErrorCode.OUT_OF_RANGE
        )
    return limit
