"""Error reporting: expected errors pass through; anything else is logged and masked with the request id."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from learnloop.errors import RETRY_AFTER_SECONDS
from learnloop.storage.database import is_unavailable

log = structlog.get_logger("learnloop.graphql")

INTERNAL = "INTERNAL_SERVER_ERROR"
UNAVAILABLE = "SERVICE_UNAVAILABLE"


def is_expected(error: GraphQLError) -> bool:
    """Validation errors and errors we raised on purpose (they carry a code) are shown as they are."""
    original = error.original_error
    if original is None or not error.path:
        # No path: the request failed before execution (e.g. a variable of the wrong enum value).
        return True
    return isinstance(original, GraphQLError) and bool((original.extensions or {}).get("code"))


def unavailable_error(error: GraphQLError | None = None) -> GraphQLError:
    """The retryable error a client gets while the database cannot be reached."""
    return GraphQLError(
        f"the database is unavailable, retry in {RETRY_AFTER_SECONDS} s",
        nodes=error.nodes if error else None,
        path=error.path if error else None,
        extensions={"code": UNAVAILABLE, "retryAfter": RETRY_AFTER_SECONDS},
    )


class LearnloopSchema(strawberry.Schema):
    """Strawberry logs every error at ERROR with a traceback; ours are logged by ErrorReporting."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            code = (error.extensions or {}).get("code")
            if code in (INTERNAL, UNAVAILABLE) or not is_expected(error):
                continue  # ErrorReporting logs these (with the traceback when unexpected)
            # Refusals, validation errors: the caller's problem, worth a line but no traceback.
            log.info("graphql.refused", code=code, message=error.message, path=error.path)


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
            if error.original_error is not None and is_unavailable(error.original_error):
                log.warning("graphql.database_unavailable", path=error.path, error=_first(error))
                masked.append(unavailable_error(error))
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


def _first(error: Any) -> str:
    """The first line of the underlying error: enough to tell refused from reset."""
    original = error.original_error or error
    return (str(original).splitlines() or [type(original).__name__])[0]
