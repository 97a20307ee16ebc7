"""annotationStats in SQL: queue depth, per-annotator sums, gold verdicts, agreement ratings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, and_, func, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from learnloop.domain.annotations.stats import (
    AGREEMENT_SAMPLE,
    AnnotationStats,
    AnnotatorCounts,
    QueueDepth,
    annotation_stats,
)
from learnloop.storage.annotations import IN_REVIEW, PENDING, awaiting_annotation, in_review
from learnloop.storage.models import ExpertAnnotation, LearningExample
from learnloop.storage.unit_of_work import UnitOfWork

_T = cast(Table, LearningExample.__table__)
_E = cast(Table, ExpertAnnotation.__table__)
SCORES = [_E.c.technical_accuracy, _E.c.professional_quality, _E.c.completeness, _E.c.clarity]


def _today() -> Any:
    return func.date_trunc("day", func.now(), "UTC")


async def _depth(uow: UnitOfWork) -> list[QueueDepth]:
    n = func.count()
    rows = await uow.all(
        select(
            _T.c.domain,
            n.filter(awaiting_annotation(_T)).label("pending"),
            n.filter(in_review(_T)).label("in_review"),
            n.filter(and_(_T.c.needs_adjudication, not_(_T.c.is_gold))).label("adjudication"),
            n.filter(_T.c.is_gold).label("gold"),
        )
        .where(or_(_T.c.review_status.in_([PENDING, IN_REVIEW]), _T.c.is_gold))
        .group_by(_T.c.domain)
        .order_by(_T.c.domain.asc().nulls_first())
    )
    return [
        QueueDepth(
            domain=r.domain,
            pending=r.pending,
            in_review=r.in_review,
            needs_adjudication=r.adjudication,
            gold_items=r.gold,
        )
        for r in rows
    ]


def _window(since: datetime | None) -> ColumnElement[bool]:
    return _E.c.created_at >= since if since is not None else true()


async def _counts(uow: UnitOfWork, since: datetime | None) -> list[AnnotatorCounts]:
    n = func.count()
    inside = _window(since)
    rows = await uow.all(
        select(
            _E.c.annotator_user_id,
            n.filter(_E.c.created_at >= _today()).label("today"),
            n.filter(_E.c.created_at >= func.now() - timedelta(days=7)).label("week"),
            n.filter(inside).label("total"),
            n.filter(and_(inside, _E.c.approved)).label("approved"),
            *[
                func.coalesce(func.sum(c).filter(inside), 0).label(f"s{i}")
                for i, c in enumerate(SCORES)
            ],
        )
        .where(
            or_(inside, _E.c.created_at >= func.now() - timedelta(days=7))
            if since is not None
            else true()
        )
        .group_by(_E.c.annotator_user_id)
    )
    return [
        AnnotatorCounts(
            annotator_user_id=r.annotator_user_id,
            today=r.today,
            last_7_days=r.week,
            total=r.total,
            approved=r.approved,
            score_sums=(float(r.s0), float(r.s1), float(r.s2), float(r.s3)),
        )
        for r in rows
    ]


async def _gold(uow: UnitOfWork, since: datetime | None) -> list[tuple[UUID, bool, bool]]:
    rows = await uow.all(
        select(_E.c.annotator_user_id, _E.c.approved, _T.c.gold_verdict)
        .join(_T, _T.c.id == _E.c.example_id)
        .where(_T.c.is_gold, _T.c.gold_verdict.is_not(None), _window(since))
    )
    return [(r.annotator_user_id, r.approved, r.gold_verdict) for r in rows]


async def _ratings(
    uow: UnitOfWork, since: datetime | None
) -> dict[UUID, dict[UUID, tuple[float, ...]]]:
    shared = (
        select(_E.c.example_id)
        .where(_window(since))
        .group_by(_E.c.example_id)
        .having(func.count() >= 2)
        .order_by(func.max(_E.c.created_at).desc())
        .limit(AGREEMENT_SAMPLE)
        .subquery("shared")
    )
    rows = await uow.all(
        select(_E.c.example_id, _E.c.annotator_user_id, *SCORES)
        .join(shared, shared.c.example_id == _E.c.example_id)
        .where(_window(since))
    )
    ratings: dict[UUID, dict[UUID, tuple[float, ...]]] = {}
    for r in rows:
        ratings.setdefault(r.example_id, {})[r.annotator_user_id] = tuple(
            float(getattr(r, c.key)) for c in SCORES
        )
    return ratings


async def stats(uow: UnitOfWork, since: datetime | None) -> AnnotationStats:
    return annotation_stats(
        await _depth(uow),
        await _counts(uow, since),
        await _gold(uow, since),
        await _ratings(uow, since),
    )
