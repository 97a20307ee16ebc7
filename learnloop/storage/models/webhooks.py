"""Webhook endpoints and their deliveries (the outbox; see migration 0014 and ADR 0017)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from learnloop.storage.models.base import Base, IdMixin, OrgMixin, enum_check

DELIVERY_STATUSES = ("PENDING", "DELIVERED", "FAILED")


class WebhookEndpoint(IdMixin, OrgMixin, Base):
    """A URL an organisation receives events at; `secrets` sign (current first, then a retiring one)."""

    __tablename__ = "webhook_endpoints"

    url: Mapped[str]
    events: Mapped[list[str]]
    description: Mapped[str | None]
    # Kept readable: signing needs the key itself (HMAC), unlike API keys which are only compared.
    secrets: Mapped[list[str]]


class WebhookDelivery(IdMixin, OrgMixin, Base):
    """One event for one endpoint: written in the transaction of the change, sent by a worker."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(enum_check("status", DELIVERY_STATUSES), name="status"),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'PENDING'"),
        ),
        Index("ix_webhook_deliveries_endpoint_id", "endpoint_id", "created_at"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    # webhook-id: the same on every attempt, so receivers can deduplicate.
    message_id: Mapped[str]
    event_type: Mapped[str]
    # The exact bytes that are signed and sent (text, not jsonb: jsonb would reorder them).
    body: Mapped[str]
    status: Mapped[str] = mapped_column(server_default=text("'PENDING'"))
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    lease_until: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None]
    delivered_at: Mapped[datetime | None]
