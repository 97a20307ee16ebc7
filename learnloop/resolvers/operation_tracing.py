"""One span per GraphQL operation (its SQL statements are children), when tracing is on."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension


class OperationTracing(SchemaExtension):
    """Outermost extension: the span covers parsing, execution and the commit.

    Attributes: operation type and name (bounded like the metrics label), request id, and the
    caller's organisation once known. Never the document, variables or credentials.
    """

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        state = getattr(context, "state", None)
        tracing = getattr(state, "tracing", None)
        if state is None or tracing is None or not tracing.enabled:
            yield
            return
        with tracing.span("graphql.operation") as span:
            request_id = getattr(context, "request_id", None)
            if request_id:
                span.set_attribute("learnloop.request_id", request_id)
            yield
            # Known once the document is parsed: named after it, or `anonymous` (bounded).
            name = state.operations.label(self.execution_context.operation_name)
            span.set_attribute("graphql.operation.name", name)
            operation_type = getattr(self.execution_context, "operation_type", None)
            kind = getattr(operation_type, "value", None)
            if kind:
                span.set_attribute("graphql.operation.type", kind)
            span.update_name(f"{kind or 'operation'} {name}")
            principal = getattr(context, "_principal", None)
            if principal is not None and principal.org_id is not None:
                span.set_attribute("learnloop.org_id", str(principal.org_id))
                if principal.role is not None:
                    span.set_attribute("learnloop.role", principal.role.value)
            result = self.execution_context.result
            codes = sorted(
                {
                    str((e.extensions or {}).get("code") or "GRAPHQL_ERROR")
                    for e in (result.errors or [] if result else [])
                }
            )
            if codes:
                span.set_attribute("graphql.error_codes", codes)
                from opentelemetry.trace import Status, StatusCode

                span.set_status(Status(StatusCode.ERROR, ",".join(codes)))
