"""Tables, lock ids and example-history rows shared by the annotation workflow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast
from uuid import UUID

from sqlalchemy import (
    Table,
    literal_column,
    select,
    text,
)
from sqlalchemy.sql.elements import ColumnElement

from learnloop.domain.learning_examples import (
    ExampleHistoryRecord,
)
from learnloop.storage.models import (
    Agent,
    AgentFeedback,
    ExampleHistory,
    ExpertAnnotation,
    LearningExample,
    Membership,
    Organization,
)
from learnloop.storage.pagination import ChildList
from learnloop.storage.unit_of_work import UnitOfWork

_T = cast(Table, LearningExample.__table__)
_E = cast(Table, ExpertAnnotation.__table__)
_F = cast(Table, AgentFeedback.__table__)
_H = cast(Table, ExampleHistory.__table__)
_A = cast(Table, Agent.__table__)
_M = cast(Table, Membership.__table__)
_O = cast(Table, Organization.__table__)

PENDING: ColumnElement[str] = literal_column("'PENDING'")
IN_REVIEW: ColumnElement[str] = literal_column("'IN_REVIEW'")
# Namespace of the per-annotator advisory lock that serialises one expert's claims.
CLAIM_LOCK_CLASS = 3004
_LOCK_ANNOTATOR = text("SELECT pg_advisory_xact_lock(:cls, hashtext(:key))")


def _history_record(r: Any) -> ExampleHistoryRecord:
    return ExampleHistoryRecord(
        id=r.id,
        example_id=r.example_id,
        field=r.field,
        previous_value=r.previous_value,
        changed_by_user_id=r.changed_by_user_id,
        created_at=r.created_at,
    )


HISTORY_BY_EXAMPLE = ChildList(_H, "example_id", _history_record)


async def history_by_ids(
    uow: UnitOfWork, ids: Sequence[UUID]
) -> Mapping[UUID, ExampleHistoryRecord]:
    rows = await uow.all(select(_H).where(_H.c.id.in_(ids)))
    return {r.id: _history_record(r) for r in rows}
