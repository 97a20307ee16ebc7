"""Relay nodes: global ids over our UUIDs, batched loading, and the node and nodes root fields."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self, TypeVar
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry import relay

from learnloop.domain.pagination import MAX_PAGE_SIZE
from learnloop.resolvers.context import Info
from learnloop.resolvers.input_limits import UnknownId
from learnloop.schema import fields

T = TypeVar("T")


def parse_uuid(raw: str) -> UUID | None:
    try:
        return UUID(raw)
    except ValueError:
        return None


def decode_global_id(
    global_id: relay.GlobalID | str, expected: type[Any] | str, field: str
) -> UUID:
    """The UUID inside a global id of the expected type (class or type name), else UnknownId.

    Root fields answer UnknownId as null (queries) or a NOT_FOUND user error (mutations).
    """
    name = expected if isinstance(expected, str) else expected.__strawberry_definition__.name
    try:
        gid = (
            global_id
            if isinstance(global_id, relay.GlobalID)
            else relay.GlobalID.from_id(global_id)
        )
    except Exception:
        raise UnknownId(field, name) from None
    node_id = parse_uuid(gid.node_id)
    if gid.type_name != name or node_id is None:
        raise UnknownId(field, name)
    return node_id


if TYPE_CHECKING:
    _TypedNode = relay.Node
else:
    _TypedNode = object


class LoadableNode(_TypedNode):
    """Mixin placed before relay.Node: subclasses set `loader` (UUID-keyed) and `from_record`."""

    loader: ClassVar[type[Any]]

    @classmethod
    def from_record(cls, record: Any) -> Self:
        raise NotImplementedError

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Any, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = [parse_uuid(n) for n in node_ids]
        loader = info.context.loaders.get(cls.loader)
        records = await loader.load_many([i for i in ids if i is not None])
        by_id = {i: r for i, r in zip([i for i in ids if i is not None], records, strict=True)}
        return [cls.from_record(by_id[i]) if i is not None and by_id.get(i) else None for i in ids]


async def resolve_node(info: Any, global_id: relay.GlobalID) -> relay.Node | None:
    """The object behind a global id, or None when the type is unknown or the row is not visible."""
    definition = info.schema.get_type_by_name(global_id.type_name)
    origin = getattr(definition, "origin", None)
    if origin is None or not issubclass(origin, relay.Node):
        return None
    node: relay.Node | None = await global_id.resolve_node(info, required=False)
    return node


async def load_one(
    info: Any, loader: type[Any], key: UUID | None, convert: Callable[[Any], T]
) -> T | None:
    """A related object through its per-request dataloader; None when unset or not visible."""
    if key is None:
        return None
    found = await info.context.loaders.get(loader).load(key)
    return convert(found) if found else None


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
