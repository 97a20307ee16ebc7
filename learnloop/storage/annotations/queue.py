"""Queue order and keyset pages over the annotation queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Select,
    and_,
    false,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from learnloop.domain.annotations.queue import (
    NEGATIVE_FEEDBACK_TYPES,
    NEGATIVE_MAX_RATING,
    QueueOrder,
)
from learnloop.domain.annotations.records import QueueFilter
from learnloop.domain.pagination import InvalidPageRequest, Page, PageRequest, encode_cursor
from learnloop.storage import learning_examples
from learnloop.storage.annotations.conditions import queue_conditions
from learnloop.storage.annotations.tables import _F, _T
from learnloop.storage.pagination import count
from learnloop.storage.unit_of_work import UnitOfWork

# --- queue order and keyset pages ------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    """One column of a queue order; only NULLS FIRST keys may be NULL."""

    expr: ColumnElement[Any]
    descending: bool
    kind: type
    nulls_first: bool = False

    def ordered(self) -> Any:
        ordered = self.expr.desc() if self.descending else self.expr.asc()
        return ordered.nulls_first() if self.nulls_first else ordered


def negativity(t: Any) -> ColumnElement[int]:
    """Negative feedback on the example's execution (MOST_NEGATIVE_FIRST)."""
    return (
        select(func.count())
        .select_from(_F)
        .where(
            _F.c.execution_id == t.c.execution_id,
            or_(
                _F.c.feedback_type.in_([literal_column(f"'{v}'") for v in NEGATIVE_FEEDBACK_TYPES]),
                _F.c.rating <= NEGATIVE_MAX_RATING,
            ),
        )
        .scalar_subquery()
    )


def sort_keys(t: Any, order: QueueOrder) -> list[SortKey]:
    """The queue order ending with the unique id; matches the claim indexes' column order."""
    tail = [
        SortKey(t.c.priority, True, int),
        SortKey(t.c.created_at, False, datetime),
        SortKey(t.c.id, False, UUID),
    ]
    if order is QueueOrder.LOWEST_QUALITY_FIRST:
        return [SortKey(t.c.quality_score, False, float, nulls_first=True), *tail]
    if order is QueueOrder.MOST_NEGATIVE_FIRST:
        return [SortKey(negativity(t), True, int), *tail]
    return tail


def _beyond(key: SortKey, value: Any) -> ColumnElement[bool]:
    """Rows after `value` in this key alone (nullable keys sort NULLS FIRST)."""
    if value is None:
        return key.expr.is_not(None) if key.nulls_first else false()
    after: ColumnElement[bool] = key.expr < value if key.descending else key.expr > value
    return after


def _equal(key: SortKey, value: Any) -> ColumnElement[bool]:
    return key.expr.is_(None) if value is None else key.expr == value


def after_cursor(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows after the cursor in a mixed-direction order (lexicographic, NULL-aware)."""
    return or_(
        *[
            and_(*[_equal(keys[j], values[j]) for j in range(i)], _beyond(keys[i], values[i]))
            for i in range(len(keys))
        ]
    )


def _decode(order: QueueOrder, keys: Sequence[SortKey], raw: Sequence[str]) -> list[Any]:
    if len(raw) != len(keys) + 1 or raw[0] != order.value:
        raise InvalidPageRequest("`after` is not a cursor of this queue order")
    values: list[Any] = []
    try:
        for key, text_value in zip(keys, raw[1:], strict=True):
            if text_value == "" and key.kind is float:
                values.append(None)
            elif key.kind is datetime:
                values.append(datetime.fromisoformat(text_value))
            else:
                values.append(key.kind(text_value))
    except ValueError:
        raise InvalidPageRequest("`after` is not a valid cursor for this list") from None
    return values


def _listing(f: QueueFilter) -> Select[Any]:
    return select(_T).where(*queue_conditions(_T, f))


async def queue_page(
    uow: UnitOfWork, f: QueueFilter, order: QueueOrder, request: PageRequest
) -> Page:
    keys = sort_keys(_T, order)
    stmt = select(_T, *[k.expr.label(f"sort_{i}") for i, k in enumerate(keys)]).where(
        *queue_conditions(_T, f)
    )
    if request.after is not None:
        stmt = stmt.where(after_cursor(keys, _decode(order, keys, request.after)))
    stmt = stmt.order_by(*[k.ordered() for k in keys]).limit(request.first + 1)
    rows = list(await uow.all(stmt))
    has_next = len(rows) > request.first
    rows = rows[: request.first]

    def cursor(row: Any) -> str:
        values = [getattr(row, f"sort_{i}") for i in range(len(keys))]
        return encode_cursor([order.value, *["" if v is None else v for v in values]])

    return Page(
        items=[learning_examples.record(r) for r in rows],
        cursors=[cursor(r) for r in rows],
        has_next_page=has_next,
        has_previous_page=request.after is not None,
    )


async def queue_total(uow: UnitOfWork, f: QueueFilter) -> int:
    return await count(uow, select(_T.c.id).where(*queue_conditions(_T, f)))
