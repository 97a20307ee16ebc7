"""The Relay Node base: global ids over our UUIDs, resolved in batches through dataloaders."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar
from uuid import UUID

from strawberry import relay

from learnloop.resolvers.input_limits import UnknownId

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
