"""AuditEvent type."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from learnloop.domain.audit import AuditRecord


@strawberry.type
class AuditEvent(relay.Node):
    """One state change: who (`actorKey`: user:<id> / apikey:<id> / system), what, when."""

    id: relay.NodeID[str]
    actor_key: str
    action: str
    target_type: str | None
    target_id: str | None
    data: JSON
    request_id: str | None
    created_at: datetime

    @classmethod
    def from_record(cls, r: AuditRecord) -> Self:
        return cls(
            id=str(r.id),
            actor_key=r.actor_key,
            action=r.action,
            target_type=r.target_type,
            target_id=str(r.target_id) if r.target_id else None,
            data=JSON(r.data),
            request_id=r.request_id,
            created_at=r.created_at,
        )

    @classmethod
    def resolve_nodes(cls, *, info, node_ids, required=False):  # type: ignore[no-untyped-def]
        # Audit events are reached through `auditEvents`, not fetched by id.
        return [None for _ in node_ids]
