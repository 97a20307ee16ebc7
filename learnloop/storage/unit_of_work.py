"""The org-scoped unit of work: one lazily opened connection and transaction per request or job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from sqlalchemy import Executable, Result, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

_SET_ORG = text("SELECT set_config('app.org_id', :org, true)")
# The first statement of every transaction: the org scope, and page costs for data that lives in
# cache or on SSD. With the default random_page_cost (4, for spinning disks) and no statistics
# yet (a fresh bulk load), the planner guesses an org holds 0.5% of a table and prefers a bitmap
# scan plus a sort of every org row to walking the index that matches the page's ORDER BY for
# first+1 rows (ADR "plans that do not need statistics"). Transaction-local: nothing leaks.
_BEGIN = text(
    "SELECT set_config('app.org_id', :org, true), set_config('random_page_cost', '1.1', true)"
)


class UnitOfWork:
    """Every statement of one request runs here, on one connection, inside one transaction.

    The first statement opens the connection and sets `app.org_id` for row-level security.
    Concurrent resolvers and dataloader batches share the connection; a lock serialises them.
    """

    def __init__(self, engine: AsyncEngine, org_id: UUID | None) -> None:
        self._engine = engine
        self._org_id = org_id
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None
        self._lock = asyncio.Lock()
        self.statements = 0
        self._blocks = 0  # all-or-nothing blocks opened (see savepoint)
        self._wrote = False  # something outside those blocks was written (see note_write)

    @property
    def org_id(self) -> UUID | None:
        return self._org_id

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self._engine.connect()
            try:
                self._tx = await conn.begin()
                await conn.execute(_BEGIN, {"org": str(self._org_id) if self._org_id else ""})
            except BaseException:
                await conn.close()
                raise
            self._conn = conn
        return self._conn

    async def set_org(self, org_id: UUID | None) -> None:
        """Re-scope the transaction (authentication learns the org after the first statement)."""
        self._org_id = org_id
        async with self._lock:
            if self._conn is not None:
                await self._conn.execute(_SET_ORG, {"org": str(org_id) if org_id else ""})

    def note_write(self) -> None:
        """Say that a statement outside any savepoint block wrote something that must be kept.

        (Authentication touching an API key's last-used time, before the first mutation.)
        """
        self._wrote = True

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        async with self._lock:
            conn = await self._connection()
            self.statements += 1
            if params is None:
                return await conn.execute(statement)
            return await conn.execute(statement, params)

    async def scalar(self, statement: Executable, params: Any = None) -> Any:
        return (await self.execute(statement, params)).scalar()

    async def all(self, statement: Executable, params: Any = None) -> Sequence[Any]:
        return (await self.execute(statement, params)).all()

    async def first(self, statement: Executable, params: Any = None) -> Any:
        return (await self.execute(statement, params)).first()

    async def stream(self, statement: Executable, batch_size: int) -> AsyncIterator[Sequence[Any]]:
        """The rows of one statement, `batch_size` at a time, through a server-side cursor.

        One consistent snapshot at bounded memory (exports). The connection is held until the
        rows run out or the iterator is closed, so give a stream its own unit of work.
        """
        async with self._lock:
            conn = await self._connection()
            self.statements += 1
            result = await conn.stream(statement.execution_options(yield_per=batch_size))
            try:
                async for rows in result.partitions(batch_size):
                    yield rows
            finally:
                await result.close()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """All-or-nothing block: an exception rolls back everything written inside it.

        The first block of a transaction needs no SAVEPOINT when nothing was written before it:
        on failure the whole transaction is rolled back and the next statement starts a fresh
        one (re-scoped to the org). Later blocks, and blocks after a noted write, use a real
        SAVEPOINT. This saves two round trips on most single-mutation requests.
        """
        first = not self._blocks and not self._wrote
        self._blocks += 1
        if first:
            try:
                yield
            except BaseException:
                await self._discard()
                raise
            return
        async with self._lock:
            conn = await self._connection()
            nested = await conn.begin_nested()
        try:
            yield
        except BaseException:
            async with self._lock:
                await nested.rollback()
            raise
        else:
            async with self._lock:
                await nested.commit()

    async def _discard(self) -> None:
        """Roll back the whole transaction; the next statement opens a new one."""
        async with self._lock:
            conn, tx = self._conn, self._tx
            self._conn = self._tx = None
            if conn is None:
                return
            try:
                if tx is not None and tx.is_active:
                    await tx.rollback()
            finally:
                await conn.close()

    async def close(self, *, commit: bool) -> None:
        """Commit (or roll back) and give the connection back to the pool."""
        async with self._lock:
            conn, tx = self._conn, self._tx
            self._conn = self._tx = None
            if conn is None:
                return
            try:
                if tx is not None and tx.is_active:
                    await (tx.commit() if commit else tx.rollback())
                elif commit and tx is not None:
                    # The transaction died (connection lost, or a failed statement): whatever
                    # it wrote is gone, and the caller must not acknowledge it.
                    raise DisconnectionError("the transaction ended before it could commit")
            finally:
                await conn.close()


@asynccontextmanager
async def unit_of_work(engine: AsyncEngine, org_id: UUID | None) -> AsyncIterator[UnitOfWork]:
    """A unit of work that commits when the block ends normally and rolls back otherwise."""
    uow = UnitOfWork(engine, org_id)
    try:
        yield uow
    except BaseException:
        await uow.close(commit=False)
        raise
    await uow.close(commit=True)
