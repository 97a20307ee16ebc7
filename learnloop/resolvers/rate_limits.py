"""Refuses a mutation request whose principal's bucket is empty, before any resolver writes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from learnloop.domain.rate_limits import retry_after_seconds
from learnloop.resolvers.context import RequestContext

log = structlog.get_logger("learnloop.rate_limits")

RATE_LIMITED = "RATE_LIMITED"


def root_field_count(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str] = frozenset(),
) -> int:
    """Root fields an operation selects (through fragments): each mutation costs one token."""
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            count += not selection.name.value.startswith("__")
        elif isinstance(selection, InlineFragmentNode):
            count += root_field_count(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                count += root_field_count(fragments[name].selection_set, fragments, seen | {name})
    return count


class RateLimiting(SchemaExtension):
    """One token per mutation field, all taken before the first resolver runs, or none."""

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        store = getattr(getattr(ctx.context, "state", None), "rate_limits", None)
        if store is not None and ctx.result is None and ctx.graphql_document is not None:
            await self._check(store)
        yield

    async def _check(self, store: object) -> None:
        ctx = self.execution_context
        document = ctx.graphql_document
        assert document is not None
        operations = [
            d
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
            and (ctx.operation_name is None or (d.name and d.name.value == ctx.operation_name))
        ]
        if len(operations) != 1 or operations[0].operation is not OperationType.MUTATION:
            return
        principal = await ctx.context.principal()
        if principal.org_id is None:
            return  # refused as UNAUTHENTICATED by the permission check
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        cost = root_field_count(operations[0].selection_set, fragments)
        if cost == 0:
            return
        limit = store.limit  # type: ignore[attr-defined]
        if not limit.admits(cost):
            self._refuse(
                f"{cost} mutations in one request; at most {limit.per_minute} per minute",
                60.0,
            )
            return
        wait = await store.take(principal.org_id, principal.actor_key, cost)  # type: ignore[attr-defined]
        if wait > 0:
            log.info("mutation.rate_limited", cost=cost, retry_after=round(wait, 3))
            self._refuse(
                f"rate limit: at most {limit.per_minute} mutations per minute; "
                f"retry in {retry_after_seconds(wait)} s",
                wait,
            )

    def _refuse(self, message: str, wait: float) -> None:
        retry_after = retry_after_seconds(wait)
        context = self.execution_context.context
        if isinstance(context, RequestContext):
            context.set_response_header("Retry-After", str(retry_after))
        self.execution_context.result = GraphQLExecutionResult(
            data=None,
            errors=[
                GraphQLError(message, extensions={"code": RATE_LIMITED, "retryAfter": retry_after})
            ],
        )
