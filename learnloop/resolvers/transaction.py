"""Ends each operation's unit of work: commit after execution, before the response is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from learnloop.resolvers.errors import unavailable_error
from learnloop.storage.database import is_unavailable

log = structlog.get_logger("learnloop.graphql")


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
                try:
                    await uow.close(commit=True)
                except Exception as exc:
                    if not is_unavailable(exc):
                        raise
                    # The commit did not happen: nothing of this operation may be acknowledged.
                    log.warning("graphql.commit_failed", error=str(exc).splitlines()[0])
                    # In place: strawberry already holds this result object.
                    result = self.execution_context.result
                    if result is None:
                        self.execution_context.result = GraphQLExecutionResult(
                            data=None, errors=[unavailable_error()]
                        )
                    else:
                        result.data = None
                        result.errors = [unavailable_error()]
