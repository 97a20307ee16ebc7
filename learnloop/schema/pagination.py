"""Relay connections with `totalCount` computed only when a client asks for it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry import relay

from learnloop.domain.pagination import InvalidPageRequest, Page, PageRequest
from learnloop.resolvers.loaders.children import (
    ChildCountLoader,
    ChildPageLoader,
    ScopedChildCountLoader,
    ScopedChildPageLoader,
)

NodeType = TypeVar("NodeType", bound=relay.Node)

# The two connection arguments, described once for every list in the schema.
First = Annotated[
    int,
    strawberry.argument(description="How many items to return, 1 to 100."),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Continue after this cursor (a previous page's pageInfo.endCursor, or an "
        "edge's cursor); null starts at the beginning."
    ),
]


@strawberry.type(name="Connection", description="A page of a list, with cursors.")
class Connection(relay.Connection[NodeType], Generic[NodeType]):
    counter: strawberry.Private[Callable[[], Awaitable[int]] | None] = None

    @strawberry.field(
        description="Number of items in the whole list (costs a COUNT; ask only when shown)."
    )
    async def total_count(self) -> int:
        if self.counter is None:
            return len(self.edges)
        return await self.counter()

    @classmethod
    def from_page(
        cls,
        page: Page,
        convert: Callable[[Any], NodeType],
        counter: Callable[[], Awaitable[int]] | None = None,
    ) -> Connection[NodeType]:
        edges = [
            relay.Edge(node=convert(item), cursor=c)
            for item, c in zip(page.items, page.cursors, strict=True)
        ]
        return cls(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            counter=counter,
        )


def page_request(first: int | None, after: str | None) -> PageRequest:
    """Parse connection arguments; bad ones are a GraphQL error with code BAD_USER_INPUT."""
    try:
        return PageRequest.parse(first, after)
    except InvalidPageRequest as exc:
        raise GraphQLError(str(exc), extensions={"code": "BAD_USER_INPUT"}) from None


def _bad_cursor(exc: InvalidPageRequest) -> GraphQLError:
    return GraphQLError(str(exc), extensions={"code": "BAD_USER_INPUT"})


async def load_page(pending: Awaitable[Page]) -> Page:
    """Await a root list's page; a cursor from another list is BAD_USER_INPUT, not a crash."""
    try:
        return await pending
    except InvalidPageRequest as exc:
        raise _bad_cursor(exc) from None


async def child_connection(
    info: Any,
    pages: type[ChildPageLoader] | type[ScopedChildPageLoader],
    counts: type[ChildCountLoader] | type[ScopedChildCountLoader],
    parent_id: UUID,
    first: int | None,
    after: str | None,
    convert: Callable[[Any], NodeType],
    scope: Hashable | None = None,
) -> Connection[NodeType]:
    """A nested connection (an agent's executions, ...) loaded with every sibling's in one batch.

    With `scope`, the scoped loaders list only the rows of that scope (blind annotations).
    """
    request = page_request(first, after)
    try:
        key = pages.key(parent_id, request)
    except InvalidPageRequest as exc:
        raise _bad_cursor(exc) from None
    loaders = info.context.loaders
    page_key: Any = key if scope is None else (scope, key)
    count_key: Any = parent_id if scope is None else (scope, parent_id)
    page = await loaders.get(pages).load(page_key)
    return Connection.from_page(page, convert, lambda: loaders.get(counts).load(count_key))
