"""Error reporting: expected errors pass through; anything else is logged and masked with the request id."""

from __future__ import annotations

from collections.abc import Iterator

import structlog
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

log = structlog.get_logger("learnloop.graphql")

INTERNAL = "INTERNAL_SERVER_ERROR"


def is_expected(error: GraphQLError) -> bool:
    """Validation errors and errors we raised on purpose (they carry a code) are shown as they are."""
    original = error.original_error
    if original is None or not error.path:
        # No path: the request failed before execution (e.g. a variable of the wrong enum value).
        return True
    return isinstance(original, GraphQLError) and bool((original.extensions or {}).get("code"))


class ErrorReporting(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        # Known once the document is parsed; every later log line of the request carries it.
        structlog.contextvars.bind_contextvars(operation=self.execution_context.operation_name)
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", None)
        masked: list[GraphQLError] = []
        for error in result.errors:
            if is_expected(error):
                masked.append(error)
                continue
            log.error(
                "graphql.unexpected_error",
                path=error.path,
                operation=self.execution_context.operation_name,
                exc_info=error.original_error,
            )
            masked.append(
                GraphQLError(
                    f"Internal server error (request id {request_id})",
                    nodes=error.nodes,
                    path=error.path,
                    extensions={"code": INTERNAL, "requestId": request_id},
                )
            )
        result.errors = masked
