"""annotationStats facts in SQL: queue depth, per-annotator sums, gold verdicts, shared ratings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from learnloop.domain.annotations.stats import (
    AGREEMENT_SAMPLE,
    AnnotationFacts,
    AnnotatorCounts,
    QueueDepth,
)
from learnloop.storage.annotations import IN_REVIEW, PENDING, awaiting_annotation, in_review
from learnloop.storage.tables import ANNOTATIONS, EXAMPLES
from learnloop.storage.unit_of_work import UnitOfWork

SCORES = [
    ANNOTATIONS.c.technical_accuracy,
    ANNOTATIONS.c.professional_quality,
    ANNOTATIONS.c.completeness,
    ANNOTATIONS.c.clarity,
]


def _today() -> Any:
    return func.date_trunc("day", func.now(), "UTC")


async def _depth(uow: UnitOfWork) -> list[QueueDepth]:
    n = func.count()
    rows = await uow.all(
        select(
            EXAMPLES.c.domain,
            n.filter(awaiting_annotation(EXAMPLES)).label("pending"),
            n.filter(in_review(EXAMPLES)).label("in_review"),
            n.filter(and_(EXAMPLES.c.needs_adjudication, not_(EXAMPLES.c.is_gold))).label(
                "adjudication"
            ),
            n.filter(EXAMPLES.c.is_gold).label("gold"),
        )
        .where(or_(EXAMPLES.c.review_status.in_([PENDING, IN_REVIEW]), EXAMPLES.c.is_gold))
        .group_by(EXAMPLES.c.domain)
        .order_by(EXAMPLES.c.domain.asc().nulls_first())
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
    return ANNOTATIONS.c.created_at >= since if since is not None else true()


async def _counts(uow: UnitOfWork, since: datetime | None) -> list[AnnotatorCounts]:
    n = func.count()
    inside = _window(since)
    rows = await uow.all(
        select(
            ANNOTATIONS.c.annotator_user_id,
            n.filter(ANNOTATIONS.c.created_at >= _today()).label("today"),
            n.filter(ANNOTATIONS.c.created_at >= func.now() - timedelta(days=7)).label("week"),
            n.filter(inside).label("total"),
            n.filter(and_(inside, ANNOTATIONS.c.approved)).label("approved"),
            *[
                func.coalesce(func.sum(c).filter(inside), 0).label(f"s{i}")
                for i, c in enumerate(SCORES)
            ],
        )
        .where(
            or_(inside, ANNOTATIONS.c.created_at >= func.now() - timedelta(days=7))
            if since is not None
            else true()
        )
        .group_by(ANNOTATIONS.c.annotator_user_id)
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
        select(ANNOTATIONS.c.annotator_user_id, ANNOTATIONS.c.approved, EXAMPLES.c.gold_verdict)
        .join(EXAMPLES, EXAMPLES.c.id == ANNOTATIONS.c.example_id)
        .where(EXAMPLES.c.is_gold, EXAMPLES.c.gold_verdict.is_not(None), _window(since))
    )
    return [(r.annotator_user_id, r.approved, r.gold_verdict) for r in rows]


async def _ratings(
    uow: UnitOfWork, since: datetime | None
) -> dict[UUID, dict[UUID, tuple[float, ...]]]:
    shared = (
        select(ANNOTATIONS.c.example_id)
        .where(_window(since))
        .group_by(ANNOTATIONS.c.example_id)
        .having(func.count() >= 2)
        .order_by(func.max(ANNOTATIONS.c.created_at).desc())
        .limit(AGREEMENT_SAMPLE)
        .subquery("shared")
    )
    rows = await uow.all(
        select(ANNOTATIONS.c.example_id, ANNOTATIONS.c.annotator_user_id, *SCORES)
        .join(shared, shared.c.example_id == ANNOTATIONS.c.example_id)
        .where(_window(since))
    )
    ratings: dict[UUID, dict[UUID, tuple[float, ...]]] = {}
    for r in rows:
        ratings.setdefault(r.example_id, {})[r.annotator_user_id] = tuple(
            float(getattr(r, c.key)) for c in SCORES
        )
    return ratings


async def facts(uow: UnitOfWork, since: datetime | None) -> AnnotationFacts:
    """Everything annotationStats is computed from (by domain/annotations/stats.py)."""
    return AnnotationFacts(
        await _depth(uow),
        await _counts(uow, since),
        await _gold(uow, since),
        await _ratings(uow, since),
    )
