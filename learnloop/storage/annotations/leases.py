"""Leases: org settings, annotator locks, expired leases and the SKIP LOCKED claim."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB

from learnloop.domain.annotations.queue import (
    QueuePolicy,
)
from learnloop.domain.annotations.records import ClaimFilter
from learnloop.domain.learning_examples import (
    LearningExampleRecord,
)
from learnloop.storage import learning_examples
from learnloop.storage.annotations.conditions import _leased, _scope, claimable, open_rows
from learnloop.storage.annotations.queue import sort_keys
from learnloop.storage.annotations.tables import (
    _E,
    _LOCK_ANNOTATOR,
    _O,
    _T,
    CLAIM_LOCK_CLASS,
    IN_REVIEW,
    PENDING,
)
from learnloop.storage.unit_of_work import UnitOfWork

# --- leases ----------------------------------------------------------------------------------


async def settings(uow: UnitOfWork) -> dict[str, Any]:
    found = await uow.scalar(select(_O.c.settings).where(_O.c.id == uow.org_id))
    return dict(found or {})


async def update_settings(uow: UnitOfWork, patch: Mapping[str, Any]) -> dict[str, Any]:
    found = await uow.scalar(
        update(_O)
        .where(_O.c.id == uow.org_id)
        .values(settings=_O.c.settings.op("||")(literal(dict(patch), JSONB)), updated_at=func.now())
        .returning(_O.c.settings)
    )
    return dict(found or {})


async def lock_annotator(uow: UnitOfWork, user_id: UUID) -> None:
    await uow.execute(_LOCK_ANNOTATOR, {"cls": CLAIM_LOCK_CLASS, "key": f"{uow.org_id}:{user_id}"})


async def return_expired_leases(uow: UnitOfWork) -> int:
    """Expired leases back to PENDING; rows another sweep is handling are skipped, not waited on."""
    expired = (
        select(_T.c.id)
        .where(_T.c.review_status == IN_REVIEW, _T.c.lease_expires_at <= func.now())
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = await uow.execute(
        update(_T)
        .where(_T.c.id.in_(expired))
        .values(
            review_status=PENDING,
            lease_holder_user_id=None,
            lease_expires_at=None,
            updated_at=func.now(),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def live_leases(uow: UnitOfWork, user_id: UUID) -> int:
    found = await uow.scalar(
        select(func.count()).where(
            _T.c.lease_holder_user_id == user_id, _T.c.lease_expires_at > func.now()
        )
    )
    return int(found or 0)


def _next_for(user_id: UUID, f: ClaimFilter, policy: QueuePolicy, assigned_only: bool) -> Any:
    q = _T.alias("q")
    annotated = exists().where(_E.c.example_id == q.c.id, _E.c.annotator_user_id == user_id)
    assignee = q.c.assigned_to_user_id
    stmt = (
        select(q.c.id)
        .where(
            open_rows(q),
            claimable(q),
            or_(not_(q.c.is_gold), not_(_leased(q))),
            not_(annotated),
            assignee == user_id if assigned_only else or_(assignee.is_(None), assignee == user_id),
            *_scope(q, f.domain, f.agent_key),
        )
        .order_by(*[k.ordered() for k in sort_keys(q, policy.order)])
        .limit(1)
        .with_for_update(of=q, skip_locked=True)
    )
    return stmt.scalar_subquery()


def claim_statement(user_id: UUID, f: ClaimFilter, policy: QueuePolicy) -> Any:
    """One UPDATE: the next example assigned to the caller, else the next unassigned one, each
    picked with FOR UPDATE SKIP LOCKED, leased to the caller. A gold item keeps its status."""
    # One scalar subquery around the COALESCE: the UPDATE then finds its row by `id = $param`
    # through the primary key (a bare COALESCE in the WHERE is not an index condition under
    # row-level security). COALESCE evaluates the second pick only when the first is NULL.
    pick = select(
        func.coalesce(
            _next_for(user_id, f, policy, assigned_only=True),
            _next_for(user_id, f, policy, assigned_only=False),
        )
    ).scalar_subquery()
    return (
        update(_T)
        .where(_T.c.id == pick)
        .values(
            review_status=case((_T.c.is_gold, _T.c.review_status), else_=IN_REVIEW),
            lease_holder_user_id=user_id,
            lease_expires_at=func.now() + timedelta(seconds=policy.lease_seconds),
            updated_at=func.now(),
        )
        .returning(*_T.c)
    )


async def claim(
    uow: UnitOfWork, user_id: UUID, f: ClaimFilter, policy: QueuePolicy
) -> LearningExampleRecord | None:
    row = await uow.first(claim_statement(user_id, f, policy))
    return learning_examples.record(row) if row is not None else None
