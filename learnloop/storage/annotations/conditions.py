"""Which example rows are open, claimable, in review: the queue conditions in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    and_,
    func,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from learnloop.domain.annotations.records import QueueFilter
from learnloop.domain.learning_examples import (
    ReviewStatus,
)
from learnloop.storage.annotations.tables import _A, IN_REVIEW, PENDING

# --- queue conditions ------------------------------------------------------------------------


def open_rows(t: Any) -> ColumnElement[bool]:
    """The queue indexes' predicate, verbatim."""
    return or_(t.c.review_status.in_([PENDING, IN_REVIEW]), t.c.is_gold)


def claimable(t: Any) -> ColumnElement[bool]:
    """What a claim may hand out: PENDING work, and gold items (their lease is checked apart)."""
    return or_(t.c.review_status == PENDING, t.c.is_gold)


def _leased(t: Any) -> ColumnElement[bool]:
    return and_(t.c.lease_holder_user_id.is_not(None), t.c.lease_expires_at > func.now())


def awaiting_annotation(t: Any) -> ColumnElement[bool]:
    """Work waiting for an annotator (not gold): PENDING, or IN_REVIEW with an expired lease."""
    return and_(
        not_(t.c.is_gold),
        or_(
            t.c.review_status == PENDING,
            and_(
                t.c.review_status == IN_REVIEW,
                not_(t.c.needs_adjudication),
                t.c.lease_expires_at <= func.now(),
            ),
        ),
    )


def in_review(t: Any) -> ColumnElement[bool]:
    """Work an annotator holds a live lease on (not gold)."""
    return and_(
        not_(t.c.is_gold),
        t.c.review_status == IN_REVIEW,
        not_(t.c.needs_adjudication),
        t.c.lease_expires_at > func.now(),
    )


def _status_condition(t: Any, status: ReviewStatus | None) -> ColumnElement[bool]:
    """Queue state: gold items are PENDING/IN_REVIEW by their lease, whatever their own status."""
    gold = t.c.is_gold
    if status is ReviewStatus.PENDING:
        return or_(awaiting_annotation(t), and_(gold, not_(_leased(t))))
    if status is ReviewStatus.IN_REVIEW:
        return or_(in_review(t), and_(gold, _leased(t)))
    if status is not None:
        return and_(not_(gold), t.c.review_status == literal_column(f"'{status.value}'"))
    return or_(
        gold, and_(t.c.review_status.in_([PENDING, IN_REVIEW]), not_(t.c.needs_adjudication))
    )


def _agent(key: str) -> Any:
    return select(_A.c.id).where(_A.c.key == key).scalar_subquery()


def _scope(t: Any, domain: str | None, agent_key: str | None) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if domain is not None:
        found.append(t.c.domain == domain)
    if agent_key is not None:
        found.append(t.c.agent_id == _agent(agent_key))
    return found


def queue_conditions(t: Any, f: QueueFilter) -> list[ColumnElement[bool]]:
    found = _scope(t, f.domain, f.agent_key)
    if f.needs_adjudication:
        found.append(t.c.needs_adjudication)
    else:
        found.append(_status_condition(t, f.status))
        if f.status in (None, ReviewStatus.PENDING, ReviewStatus.IN_REVIEW):
            found.append(open_rows(t))
    if f.assigned_to is not None:
        found.append(t.c.assigned_to_user_id == f.assigned_to)
    return found
