"""Feedback sums in SQL: one aggregate over the covering feedback indexes per question.

Storage counts; the domain (domain/feedback_stats.py) turns the counts into rates and means.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from learnloop.domain.experiments.records import ExperimentStatus
from learnloop.domain.feedback.records import FeedbackType, IssueCategory
from learnloop.domain.feedback_stats import (
    SATISFIED_MIN_RATING,
    FeedbackCounts,
    IssueCount,
    LearningStats,
    TrendCounts,
    TrendWindow,
)
from learnloop.domain.training_runs.records import RunStatus
from learnloop.storage.annotations import awaiting_annotation
from learnloop.storage.models import (
    ExpertAnnotation,
    LearningExample,
    LearningExperiment,
    TrainingRun,
)
from learnloop.storage.tables import AGENTS, FEEDBACK
from learnloop.storage.unit_of_work import UnitOfWork

DIMENSION_COLUMNS = {
    "accuracy": FEEDBACK.c.accuracy_rating,
    "helpfulness": FEEDBACK.c.helpfulness_rating,
    "clarity": FEEDBACK.c.clarity_rating,
    "completeness": FEEDBACK.c.completeness_rating,
}


def _sums() -> list[ColumnElement[Any]]:
    """The sums of FeedbackCounts (null-safe under an outer join: counts only matched rows)."""
    kind = FEEDBACK.c.feedback_type
    thumbs = kind.in_([FeedbackType.THUMBS_UP.value, FeedbackType.THUMBS_DOWN.value])
    up = kind == FeedbackType.THUMBS_UP.value
    columns: list[ColumnElement[Any]] = [
        func.count(FEEDBACK.c.id).label("total"),
        func.count(FEEDBACK.c.rating).label("rated"),
        func.coalesce(func.sum(FEEDBACK.c.rating), 0).label("rating_sum"),
        func.count(FEEDBACK.c.id).filter(up).label("thumbs_up"),
        func.count(FEEDBACK.c.id)
        .filter(kind == FeedbackType.THUMBS_DOWN.value)
        .label("thumbs_down"),
        func.count(FEEDBACK.c.id)
        .filter(kind == FeedbackType.CORRECTION.value)
        .label("corrections"),
        func.count(FEEDBACK.c.id)
        .filter(or_(up, and_(not_(thumbs), FEEDBACK.c.rating >= SATISFIED_MIN_RATING)))
        .label("satisfied"),
        func.count(FEEDBACK.c.id)
        .filter(or_(thumbs, FEEDBACK.c.rating.is_not(None)))
        .label("scored"),
    ]
    for name, col in DIMENSION_COLUMNS.items():
        columns.append(func.coalesce(func.sum(col), 0).label(f"{name}_sum"))
        columns.append(func.count(col).label(f"{name}_n"))
    return columns


def _counts(r: Any) -> FeedbackCounts:
    return FeedbackCounts(
        total=r.total,
        rated=r.rated,
        rating_sum=int(r.rating_sum),
        thumbs_up=r.thumbs_up,
        thumbs_down=r.thumbs_down,
        corrections=r.corrections,
        satisfied=r.satisfied,
        scored=r.scored,
        dimension_sums={
            name: (int(getattr(r, f"{name}_sum")), getattr(r, f"{name}_n"))
            for name in DIMENSION_COLUMNS
        },
    )


def _scope(agent_key: str | None, since: datetime | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if agent_key is not None:
        conditions.append(
            FEEDBACK.c.agent_id
            == select(AGENTS.c.id).where(AGENTS.c.key == agent_key).scalar_subquery()
        )
    if since is not None:
        conditions.append(FEEDBACK.c.created_at >= since)
    return conditions


def stats_query(agent_key: str | None, since: datetime | None) -> Select[Any]:
    return select(*_sums()).where(*_scope(agent_key, since))


async def counts(uow: UnitOfWork, agent_key: str | None, since: datetime | None) -> FeedbackCounts:
    return _counts(await uow.first(stats_query(agent_key, since)))


def issues_query(agent_key: str | None, since: datetime | None, limit: int) -> Select[Any]:
    category = func.unnest(FEEDBACK.c.issue_categories).table_valued("category").render_derived("c")
    n = func.count()
    return (
        select(category.c.category, n.label("n"), func.avg(FEEDBACK.c.rating).label("avg_rating"))
        .select_from(FEEDBACK)
        .join(category, true())
        .where(*_scope(agent_key, since))
        .group_by(category.c.category)
        .order_by(n.desc(), category.c.category)
        .limit(limit)
    )


async def common_issues(
    uow: UnitOfWork, agent_key: str | None, since: datetime | None, limit: int
) -> list[IssueCount]:
    """Categories by how often they were reported, with the mean explicit rating of those reports."""
    rows = await uow.all(issues_query(agent_key, since, limit))
    return [
        IssueCount(
            category=IssueCategory(r.category),
            count=r.n,
            avg_rating=float(r.avg_rating) if r.avg_rating is not None else None,
        )
        for r in rows
    ]


def trend_query(agent_key: str | None, window: TrendWindow) -> Select[Any]:
    """One row per bucket in the window, empty buckets included.

    Rows are aggregated once, by bucket number, in a single index range scan over the window;
    the generated buckets are then outer-joined to those few aggregate rows. (Joining each
    bucket to the table by a time range cost one index probe per bucket and grew with the table.)
    """
    width = window.bucket.width
    seconds = width.total_seconds()

    def bucket_number(at: Any) -> Any:
        return func.floor(func.extract("epoch", at - window.start) / seconds)

    number = bucket_number(FEEDBACK.c.created_at)
    sums = _sums()
    agg = (
        select(number.label("i"), *sums)
        .where(
            *_scope(agent_key, None),
            FEEDBACK.c.created_at >= window.start,
            FEEDBACK.c.created_at < window.end,
        )
        .group_by(number)
        .subquery("agg")
    )
    buckets = (
        func.generate_series(window.start, window.end - width, width)
        .table_valued("bucket_start")
        .render_derived("b")
    )
    start = buckets.c.bucket_start
    filled = [func.coalesce(agg.c[c.name], 0).label(c.name) for c in sums]
    return (
        select(start, *filled)
        .select_from(buckets.outerjoin(agg, agg.c.i == bucket_number(start)))
        .order_by(start)
    )


async def trend_counts(
    uow: UnitOfWork, agent_key: str | None, window: TrendWindow
) -> list[TrendCounts]:
    rows = await uow.all(trend_query(agent_key, window))
    return [TrendCounts(bucket_start=r.bucket_start, counts=_counts(r)) for r in rows]


async def learning_stats(uow: UnitOfWork) -> LearningStats:
    """Queue and activity counters for the dashboard, in one statement."""
    ex = LearningExample.__table__
    today = func.date_trunc("day", func.now(), "UTC")

    def n(table: Any, *where: Any) -> Any:
        return select(func.count()).select_from(table).where(*where).scalar_subquery()

    row = await uow.first(
        select(
            n(ex, awaiting_annotation(ex)).label("pending"),
            n(ExpertAnnotation.__table__, ExpertAnnotation.created_at >= today).label("today"),
            n(ex).label("examples"),
            n(
                LearningExperiment.__table__,
                LearningExperiment.status == ExperimentStatus.RUNNING.value,
            ).label("exps"),
            n(TrainingRun.__table__, TrainingRun.status == RunStatus.RUNNING.value).label("runs"),
        )
    )
    return LearningStats(
        pending_annotations=row.pending,
        annotated_today=row.today,
        total_examples=row.examples,
        active_experiments=row.exps,
        running_training=row.runs,
    )
