"""Audit entries: who changed what, when — one record per state change worth answering for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from learnloop.domain.principal import Principal


@dataclass(frozen=True)
class AuditEntry:
    action: str
    target_type: str
    target_id: UUID | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditRecord:
    id: UUID
    actor_user_id: UUID | None
    actor_key: str
    action: str
    target_type: str | None
    target_id: UUID | None
    data: dict[str, Any]
    request_id: str | None
    created_at: datetime


class AuditSink(Protocol):
    async def __call__(self, principal: Principal, entry: AuditEntry) -> None: ...
