"""Keyset pagination over any SELECT: `WHERE (sort..., id) < cursor ORDER BY sort..., id LIMIT n+1`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from learnloop.domain.pagination import InvalidPageRequest, Page, PageRequest, encode_cursor
from learnloop.storage.unit_of_work import UnitOfWork


def _coerce(column: ColumnElement[Any], raw: str) -> Any:
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return raw
    try:
        if kind is datetime:
            return datetime.fromisoformat(raw)
        if kind is UUID:
            return UUID(raw)
        if kind in (int, float):
            return kind(raw)
    except ValueError:
        raise InvalidPageRequest("`after` is not a valid cursor for this list") from None
    return raw


async def keyset_page(
    uow: UnitOfWork,
    stmt: Select[Any],
    order: Sequence[ColumnElement[Any]],
    page: PageRequest,
    *,
    descending: bool = True,
    convert: Callable[[Any], Any] = lambda row: row,
) -> Page:
    """`order` lists the sort columns ending with the unique id; one direction for all (index-friendly)."""
    if page.after is not None:
        if len(page.after) != len(order):
            raise InvalidPageRequest("`after` is not a valid cursor for this list")
        bound = tuple_(*[_coerce(col, raw) for col, raw in zip(order, page.after, strict=True)])
        key = tuple_(*order)
        stmt = stmt.where(key < bound if descending else key > bound)
    stmt = stmt.order_by(*[c.desc() if descending else c.asc() for c in order]).limit(
        page.first + 1
    )
    rows = list(await uow.all(stmt))
    has_next = len(rows) > page.first
    rows = rows[: page.first]
    names = [str(c.key) for c in order]
    cursors = [encode_cursor([getattr(r, n) for n in names]) for r in rows]
    return Page(
        items=[convert(r) for r in rows],
        cursors=cursors,
        has_next_page=has_next,
        has_previous_page=page.after is not None,
    )


async def count(uow: UnitOfWork, stmt: Select[Any]) -> int:
    total = await uow.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return int(total or 0)
