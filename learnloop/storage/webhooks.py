"""Webhook endpoints and the delivery outbox: written with the change, claimed by workers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    DateTime,
    Text,
    bindparam,
    column,
    delete,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.domain.webhooks import (
    Attempt,
    DeliveryRecord,
    DeliveryStatus,
    EndpointInput,
    EndpointRecord,
    Event,
)
from learnloop.storage.rows import to_record
from learnloop.storage.tables import WEBHOOK_DELIVERIES, WEBHOOK_ENDPOINTS
from learnloop.storage.unit_of_work import UnitOfWork

_CLAIM = text(
    "SELECT delivery_id, org_id, attempt FROM learnloop_claim_webhook_deliveries(:limit, :lease)"
)
MAX_DELIVERIES = 200


def _endpoint(r: Any) -> EndpointRecord:
    return EndpointRecord(r.id, r.url, tuple(r.events), r.description, r.created_at)


def _delivery(r: Any) -> DeliveryRecord:
    return to_record(DeliveryRecord, r)


async def create_endpoint(uow: UnitOfWork, endpoint: EndpointInput, secret: str) -> EndpointRecord:
    row = await uow.first(
        WEBHOOK_ENDPOINTS.insert()
        .values(
            org_id=uow.org_id,
            url=endpoint.url,
            events=list(endpoint.events),
            description=endpoint.description,
            secrets=[secret],
        )
        .returning(*WEBHOOK_ENDPOINTS.c)
    )
    return _endpoint(row)


async def endpoints(uow: UnitOfWork) -> list[EndpointRecord]:
    rows = await uow.all(
        select(WEBHOOK_ENDPOINTS).order_by(WEBHOOK_ENDPOINTS.c.created_at, WEBHOOK_ENDPOINTS.c.id)
    )
    return [_endpoint(r) for r in rows]


async def delete_endpoint(uow: UnitOfWork, endpoint_id: UUID) -> bool:
    row = await uow.first(
        delete(WEBHOOK_ENDPOINTS)
        .where(WEBHOOK_ENDPOINTS.c.id == endpoint_id)
        .returning(WEBHOOK_ENDPOINTS.c.id)
    )
    return row is not None


async def rotate_secret(uow: UnitOfWork, endpoint_id: UUID, secret: str) -> EndpointRecord | None:
    """The new secret signs first; the current one keeps signing until the next rotation."""
    row = await uow.first(
        update(WEBHOOK_ENDPOINTS)
        .where(WEBHOOK_ENDPOINTS.c.id == endpoint_id)
        .values(secrets=array([literal(secret), WEBHOOK_ENDPOINTS.c.secrets[1]]))
        .returning(*WEBHOOK_ENDPOINTS.c)
    )
    return _endpoint(row) if row else None


async def enqueue(
    uow: UnitOfWork, events: Sequence[Event], created_at: Sequence[datetime] | None = None
) -> None:
    """One delivery per (event, subscribed endpoint), in the caller's transaction: one statement.

    `created_at`: the changed rows' creation times; an event is kept only if its row was
    created by this transaction (now() is the transaction's start), so replays and updates
    of an existing row emit nothing.
    """
    if not events:
        return
    ev = func.unnest(
        bindparam("ids", [e.message_id for e in events], type_=ARRAY(Text())),
        bindparam("types", [e.type for e in events], type_=ARRAY(Text())),
        bindparam("bodies", [e.body().decode() for e in events], type_=ARRAY(Text())),
        bindparam(
            "created",
            list(created_at) if created_at is not None else [None] * len(events),
            type_=ARRAY(DateTime(timezone=True)),
        ),
    ).table_valued(
        column("message_id", Text()),
        column("event_type", Text()),
        column("body", Text()),
        column("created_at", DateTime(timezone=True)),
    )
    e = ev.render_derived(name="ev")
    fresh = e.c.created_at.is_(None) | (e.c.created_at == func.now())
    await uow.execute(
        WEBHOOK_DELIVERIES.insert().from_select(
            ["org_id", "endpoint_id", "message_id", "event_type", "body"],
            select(
                WEBHOOK_ENDPOINTS.c.org_id,
                WEBHOOK_ENDPOINTS.c.id,
                e.c.message_id,
                e.c.event_type,
                e.c.body,
            )
            .select_from(
                e.join(WEBHOOK_ENDPOINTS, e.c.event_type == func.any(WEBHOOK_ENDPOINTS.c.events))
            )
            .where(fresh),
        )
    )


async def deliveries(uow: UnitOfWork, endpoint_id: UUID | None, limit: int) -> list[DeliveryRecord]:
    stmt = (
        select(WEBHOOK_DELIVERIES)
        .order_by(WEBHOOK_DELIVERIES.c.created_at.desc(), WEBHOOK_DELIVERIES.c.id)
        .limit(min(limit, MAX_DELIVERIES))
    )
    if endpoint_id is not None:
        stmt = stmt.where(WEBHOOK_DELIVERIES.c.endpoint_id == endpoint_id)
    return [_delivery(r) for r in await uow.all(stmt)]


async def redeliver(uow: UnitOfWork, delivery_id: UUID) -> DeliveryRecord | None:
    """Send again now with a fresh retry schedule (same webhook-id: receivers may deduplicate)."""
    row = await uow.first(
        update(WEBHOOK_DELIVERIES)
        .where(WEBHOOK_DELIVERIES.c.id == delivery_id)
        .values(
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=func.now(),
            lease_until=None,
        )
        .returning(*WEBHOOK_DELIVERIES.c)
    )
    return _delivery(row) if row else None


async def claim(
    engine: AsyncEngine, limit: int, lease_seconds: float
) -> list[tuple[UUID, UUID, int]]:
    """Due deliveries of any organisation, leased to the caller (committed at once)."""
    async with engine.begin() as conn:
        rows = (await conn.execute(_CLAIM, {"limit": limit, "lease": lease_seconds})).all()
    return [(r.delivery_id, r.org_id, r.attempt) for r in rows]


async def to_send(uow: UnitOfWork, delivery_id: UUID) -> tuple[str, list[str], str, str] | None:
    """(url, secrets, message id, body) of a claimed delivery."""
    row = await uow.first(
        select(
            WEBHOOK_ENDPOINTS.c.url,
            WEBHOOK_ENDPOINTS.c.secrets,
            WEBHOOK_DELIVERIES.c.message_id,
            WEBHOOK_DELIVERIES.c.body,
        )
        .select_from(
            WEBHOOK_DELIVERIES.join(
                WEBHOOK_ENDPOINTS, WEBHOOK_ENDPOINTS.c.id == WEBHOOK_DELIVERIES.c.endpoint_id
            )
        )
        .where(WEBHOOK_DELIVERIES.c.id == delivery_id)
    )
    return (row.url, list(row.secrets), row.message_id, row.body) if row else None


async def finish(uow: UnitOfWork, delivery_id: UUID, attempt: int, result: Attempt) -> None:
    """Record the attempt; fenced on the attempt number so a stale worker changes nothing."""
    values: dict[str, Any] = {
        "status": result.status.value,
        "lease_until": None,
        "last_status_code": result.status_code,
        "last_error": result.error,
    }
    if result.status is DeliveryStatus.DELIVERED:
        values["delivered_at"] = func.now()
    if result.retry_in is not None:
        values["next_attempt_at"] = func.now() + timedelta(seconds=result.retry_in)
    await uow.execute(
        update(WEBHOOK_DELIVERIES)
        .where(WEBHOOK_DELIVERIES.c.id == delivery_id, WEBHOOK_DELIVERIES.c.attempts == attempt)
        .values(**values)
    )
