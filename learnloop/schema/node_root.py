"""Root fields `node` and `nodes`: any visible object by its global id."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay

from learnloop.domain.pagination import MAX_PAGE_SIZE
from learnloop.resolvers.context import Info
from learnloop.schema import fields
from learnloop.schema.node import resolve_node


@strawberry.type
class NodeQuery:
    @fields.query(
        description="Any object by its global id; null when it does not exist or is not yours."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[
            relay.GlobalID, strawberry.argument(description="Any global id this API returned.")
        ],
    ) -> relay.Node | None:
        return await resolve_node(info, id)

    @fields.query(description="Objects by global id, in order; null for each that is not visible.")
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[relay.GlobalID],
            strawberry.argument(
                description="Global ids; the answer has one entry per id, in order (null where not found)."
            ),
        ],
    ) -> list[relay.Node | None]:
        if len(ids) > MAX_PAGE_SIZE:
            raise GraphQLError(
                f"at most {MAX_PAGE_SIZE} ids", extensions={"code": "BAD_USER_INPUT"}
            )
        # Each type's dataloader batches these into one statement per type.
        return list(await asyncio.gather(*(resolve_node(info, gid) for gid in ids)))
