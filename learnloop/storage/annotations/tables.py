"""Tables, lock ids and example-history rows shared by the annotation workflow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    literal_column,
    select,
    text,
)
from sqlalchemy.sql.elements import ColumnElement

from learnloop.domain.learning_examples import (
    ExampleHistoryRecord,
    ReviewStatus,
)
from learnloop.storage.pagination import ChildList
from learnloop.storage.rows import to_record
from learnloop.storage.tables import (
    EXAMPLE_HISTORY,
)
from learnloop.storage.unit_of_work import UnitOfWork

PENDING: ColumnElement[str] = literal_column(f"'{ReviewStatus.PENDING.value}'")
IN_REVIEW: ColumnElement[str] = literal_column(f"'{ReviewStatus.IN_REVIEW.value}'")
# Namespace of the per-annotator advisory lock that serialises one expert's claims.
CLAIM_LOCK_CLASS = 3004
_LOCK_ANNOTATOR = text("SELECT pg_advisory_xact_lock(:cls, hashtext(:key))")


def _history_record(r: Any) -> ExampleHistoryRecord:
    return to_record(ExampleHistoryRecord, r)


HISTORY_BY_EXAMPLE = ChildList(EXAMPLE_HISTORY, "example_id", _history_record)


async def history_by_ids(
    uow: UnitOfWork, ids: Sequence[UUID]
) -> Mapping[UUID, ExampleHistoryRecord]:
    rows = await uow.all(select(EXAMPLE_HISTORY).where(EXAMPLE_HISTORY.c.id.in_(ids)))
    return {r.id: _history_record(r) for r in rows}
