"""AuditEvent type and the auditEvents root field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from learnloop.domain.audit import AuditRecord
from learnloop.resolvers import audit as resolve
from learnloop.resolvers.context import Info
from learnloop.schema import fields
from learnloop.schema.pagination import After, Connection, First, page_request


@strawberry.type(
    description="One state change recorded in the audit log (runs, dataset freezes, reviews, keys, annotation decisions, settings)."
)
class AuditEvent(relay.Node):
    """One state change: who (`actorKey`: user:<id> / apikey:<id> / system), what, when."""

    id: relay.NodeID[str]
    actor_key: str = strawberry.field(
        description="Who did it: user:<uuid>, api_key:<uuid> or system."
    )
    action: str = strawberry.field(
        description="What happened, dotted (e.g. training_run.approved, dataset.frozen)."
    )
    target_type: str | None = strawberry.field(
        description="The kind of object changed (e.g. training_run); null when none."
    )
    target_id: str | None = strawberry.field(description="The changed object's id; null when none.")
    data: JSON = strawberry.field(description="Details of the change as JSON ({} when none).")
    request_id: str | None = strawberry.field(
        description="The request that made the change, to find it in the logs; null for background work."
    )
    created_at: datetime = strawberry.field(description="When it happened.")

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


@strawberry.type
class AuditQuery:
    @fields.query()
    async def audit_events(
        self,
        info: Info,
        first: First = 50,
        after: After = None,
        action_prefix: Annotated[
            str | None,
            strawberry.argument(
                description="Only actions starting with this, e.g. training_run. or dataset.; null means all."
            ),
        ] = None,
    ) -> Connection[AuditEvent]:
        page = await resolve.audit_page(info.context, page_request(first, after), action_prefix)
        return Connection[AuditEvent].from_page(page, AuditEvent.from_record)
