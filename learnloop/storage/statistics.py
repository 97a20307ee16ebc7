"""Planner statistics behind the service's own bulk writes (autovacuum can lag by a minute)."""

from __future__ import annotations

from sqlalchemy import text

from learnloop.storage.unit_of_work import UnitOfWork

# Writes smaller than this never ask; the database function decides for larger ones whether
# the write is a big enough share of the table to re-analyse it (migration 0016).
BULK_ROWS = 200

_ANALYZE = text("SELECT learnloop_analyze_after_bulk_write(:table, :rows)")


async def after_bulk_write(uow: UnitOfWork, table: str, rows: int) -> None:
    """ANALYZE `table` inside this transaction when `rows` is many next to its size.

    In the writing transaction, so its own new rows count and the statistics commit with them;
    a request right after the bulk write is planned on real numbers.
    """
    if rows >= BULK_ROWS:
        await uow.execute(_ANALYZE, {"table": table, "rows": rows})
