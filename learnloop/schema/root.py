"""The Schema object: root types merged from each concept's root module, plus extensions."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import MaxTokensLimiter, QueryDepthLimiter
from strawberry.relay.types import GlobalIDValueError
from strawberry.tools import merge_types

from learnloop.config import get_settings
from learnloop.resolvers.context import Info
from learnloop.resolvers.errors import ErrorReporting
from learnloop.resolvers.transaction import CommitUnitOfWork
from learnloop.schema import fields
from learnloop.schema.api_key import ApiKey
from learnloop.schema.dataset import DatasetExample, TrainingDataset
from learnloop.schema.dataset_root import DatasetMutation, DatasetQuery
from learnloop.schema.identity import Organization, User
from learnloop.schema.identity_root import IdentityMutation, IdentityQuery


async def _resolve(info: Info, gid: relay.GlobalID) -> relay.Node | None:
    try:
        node: relay.Node | None = await gid.resolve_node(info)
    except GlobalIDValueError:
        raise GraphQLError(
            f"`{gid.type_name}` is not a type of this API", extensions={"code": "BAD_USER_INPUT"}
        ) from None
    return node


@strawberry.type
class NodeQuery:
    # Plain resolvers: relay.node() with permission classes returned the node's coroutine
    # unawaited (strawberry 0.341), so `node(id:)` failed for every type.
    @fields.query(description="Any object by its global id (null if not visible).")
    async def node(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="The ID of the object.")],
    ) -> relay.Node | None:
        return await _resolve(info, id)

    @fields.query()
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[relay.GlobalID], strawberry.argument(description="The IDs of the objects.")
        ],
    ) -> list[relay.Node | None]:
        return list(await asyncio.gather(*(_resolve(info, i) for i in ids)))


Query = merge_types("Query", (NodeQuery, IdentityQuery, DatasetQuery))
Mutation = merge_types("Mutation", (IdentityMutation, DatasetMutation))


@lru_cache(maxsize=1)
def get_schema() -> strawberry.Schema:
    """The one Schema of the process (strawberry's relay fields cannot be built twice)."""
    return _build(get_settings().max_query_depth)


def _build(max_depth: int) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[Organization, User, ApiKey, TrainingDataset, DatasetExample],
        extensions=[
            CommitUnitOfWork,
            ErrorReporting,
            lambda: QueryDepthLimiter(max_depth=max_depth),
            lambda: MaxTokensLimiter(max_token_count=20_000),
        ],
    )
