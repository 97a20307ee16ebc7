"""Ends each operation's unit of work: commit after execution, before the response is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension


class CommitUnitOfWork(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            context = self.execution_context.context
            uow = getattr(context, "uow", None)
            if uow is not None:
                # Mutations run in savepoints that already rolled back on failure, so what is
                # left in the transaction is exactly what succeeded.
                await uow.close(commit=True)
