"""Feedback statistics in SQL: one aggregate over the covering feedback indexes per question."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, and_, func, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from learnloop.domain.feedback import FeedbackType, IssueCategory
from learnloop.domain.feedback_stats import (
    SATISFIED_MIN_RATING,
    FeedbackCounts,
    FeedbackStats,
    IssueCount,
    LearningStats,
    TrendPoint,
    TrendWindow,
    feedback_stats,
)
from learnloop.storage.annotations import awaiting_annotation
from learnloop.storage.models import (
    Agent,
    AgentFeedback,
    ExpertAnnotation,
    LearningExample,
    LearningExperiment,
    TrainingRun,
)
from learnloop.storage.unit_of_work import UnitOfWork

_T = cast(Table, AgentFeedback.__table__)
_A = cast(Table, Agent.__table__)
DIMENSION_COLUMNS = {
    "accuracy": _T.c.accuracy_rating,
    "helpfulness": _T.c.helpfulness_rating,
    "clarity": _T.c.clarity_rating,
    "completeness": _T.c.completeness_rating,
}


def _sums() -> list[ColumnElement[Any]]:
    """The sums of FeedbackCounts (null-safe under an outer join: counts only matched rows)."""
    kind = _T.c.feedback_type
    thumbs = kind.in_([FeedbackType.THUMBS_UP.value, FeedbackType.THUMBS_DOWN.value])
    up = kind == FeedbackType.THUMBS_UP.value
    columns: list[ColumnElement[Any]] = [
        func.count(_T.c.id).label("total"),
        func.count(_T.c.rating).label("rated"),
        func.coalesce(func.sum(_T.c.rating), 0).label("rating_sum"),
        func.count(_T.c.id).filter(up).label("thumbs_up"),
        func.count(_T.c.id).filter(kind == FeedbackType.THUMBS_DOWN.value).label("thumbs_down"),
        func.count(_T.c.id).filter(kind == FeedbackType.CORRECTION.value).label("corrections"),
        func.count(_T.c.id)
        .filter(or_(up, and_(not_(thumbs), _T.c.rating >= SATISFIED_MIN_RATING)))
        .label("satisfied"),
        func.count(_T.c.id).filter(or_(thumbs, _T.c.rating.is_not(None))).label("scored"),
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
            _T.c.agent_id == select(_A.c.id).where(_A.c.key == agent_key).scalar_subquery()
        )
    if since is not None:
        conditions.append(_T.c.created_at >= since)
    return conditions


def stats_query(agent_key: str | None, since: datetime | None) -> Select[Any]:
    return select(*_sums()).where(*_scope(agent_key, since))


async def stats(uow: UnitOfWork, agent_key: str | None, since: datetime | None) -> FeedbackStats:
    return feedback_stats(_counts(await uow.first(stats_query(agent_key, since))))


def issues_query(agent_key: str | None, since: datetime | None, limit: int) -> Select[Any]:
    category = func.unnest(_T.c.issue_categories).table_valued("category").render_derived("c")
    n = func.count()
    return (
        select(category.c.category, n.label("n"), func.avg(_T.c.rating).label("avg_rating"))
        .select_from(_T)
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

    number = bucket_number(_T.c.created_at)
    sums = _sums()
    agg = (
        select(number.label("i"), *sums)
        .where(
            *_scope(agent_key, None), _T.c.created_at >= window.start, _T.c.created_at < window.end
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


async def trend(uow: UnitOfWork, agent_key: str | None, window: TrendWindow) -> list[TrendPoint]:
    rows = await uow.all(trend_query(agent_key, window))
    return [TrendPoint(bucket_start=r.bucket_start, stats=feedback_stats(_counts(r))) for r in rows]


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
            n(LearningExperiment.__table__, LearningExperiment.status == "RUNNING").label("exps"),
            n(TrainingRun.__table__, TrainingRun.status == "RUNNING").label("runs"),
        )
    )
    return LearningStats(
        pending_annotations=row.pending,
        annotated_today=row.today,
        total_examples=row.examples,
        active_experiments=row.exps,
        running_training=row.runs,
    )
