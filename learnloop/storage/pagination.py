"""Keyset pagination over any SELECT: `WHERE (sort..., id) < cursor ORDER BY sort..., id LIMIT n+1`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import (
    DateTime,
    Integer,
    Select,
    Table,
    Uuid,
    bindparam,
    column,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
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


# --- Lists under many parents at once (nested connections) ----------------------------------


@dataclass(frozen=True)
class ChildList:
    """Rows listed under a parent (an agent's executions, ...), newest first by (created_at, id).

    `parent` names the column pointing at the parent; every such list has an index on
    (org_id, parent, created_at, id), so each parent's page is an index range scan.
    """

    table: Table
    parent: str
    convert: Callable[[Any], Any]
    # Extra condition on the children (e.g. only one annotator's annotations under blind mode).
    where: ColumnElement[bool] | None = None


@dataclass(frozen=True)
class ChildPageKey:
    """One parent's page request, hashable so dataloaders can batch and cache it."""

    parent_id: UUID
    first: int
    after: tuple[datetime, UUID] | None = None

    @classmethod
    def of(cls, parent_id: UUID, request: PageRequest) -> ChildPageKey:
        """Raises InvalidPageRequest for a cursor that is not one of these lists' cursors."""
        if request.after is None:
            return cls(parent_id, request.first)
        try:
            created_at, row_id = request.after
            return cls(parent_id, request.first, (datetime.fromisoformat(created_at), UUID(row_id)))
        except ValueError:
            raise InvalidPageRequest("`after` is not a valid cursor for this list") from None


@cache
def _child_page_statement(rel: ChildList) -> Any:
    """Built once per list: constructing this statement cost more than running it."""
    t = rel.table
    requests = func.unnest(
        bindparam("parents", type_=ARRAY(Uuid())),
        bindparam("limits", type_=ARRAY(Integer())),
        bindparam("after_at", type_=ARRAY(DateTime(timezone=True))),
        bindparam("after_id", type_=ARRAY(Uuid())),
    ).table_valued(
        column("parent_id", Uuid()),
        column("lim", Integer()),
        column("after_at", DateTime(timezone=True)),
        column("after_id", Uuid()),
        with_ordinality="ord",
    )
    p = requests.render_derived(name="p")
    page = (
        select(t)
        .where(
            *([rel.where] if rel.where is not None else []),
            t.c[rel.parent] == p.c.parent_id,
            or_(
                p.c.after_at.is_(None),
                tuple_(t.c.created_at, t.c.id) < tuple_(p.c.after_at, p.c.after_id),
            ),
        )
        .order_by(t.c.created_at.desc(), t.c.id.desc())
        .limit(p.c.lim)
        .lateral("c")
    )
    return select(p.c.ord, page).select_from(p.join(page, true()))


async def child_pages(uow: UnitOfWork, rel: ChildList, keys: Sequence[ChildPageKey]) -> list[Page]:
    """Every parent's page in one statement: unnest the requests, LATERAL-join each one's page."""
    rows = await uow.all(
        _child_page_statement(rel),
        {
            "parents": [k.parent_id for k in keys],
            "limits": [k.first + 1 for k in keys],
            "after_at": [k.after[0] if k.after else None for k in keys],
            "after_id": [k.after[1] if k.after else None for k in keys],
        },
    )
    grouped: list[list[Any]] = [[] for _ in keys]
    for row in rows:
        grouped[row.ord - 1].append(row)
    pages = []
    for key, found in zip(keys, grouped, strict=True):
        shown = found[: key.first]
        pages.append(
            Page(
                items=[rel.convert(r) for r in shown],
                cursors=[encode_cursor([r.created_at, r.id]) for r in shown],
                has_next_page=len(found) > key.first,
                has_previous_page=key.after is not None,
            )
        )
    return pages


async def child_counts(
    uow: UnitOfWork, rel: ChildList, parent_ids: Sequence[UUID]
) -> dict[UUID, int]:
    """How many rows each parent has, in one GROUP BY."""
    parent = rel.table.c[rel.parent]
    extra = [rel.where] if rel.where is not None else []
    rows = await uow.all(
        select(parent, func.count()).where(*extra, parent.in_(parent_ids)).group_by(parent)
    )
    return {r[0]: int(r[1]) for r in rows}
