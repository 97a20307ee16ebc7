"""Generate GraphQL selections from the live schema's introspection, one object level at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

INTROSPECTION = """
query {
  __schema {
    types {
      name kind
      enumValues { name }
      fields {
        name
        args { name defaultValue type { ...Ref } }
        type { ...Ref }
      }
    }
  }
}
fragment Ref on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}
"""

LEAF_KINDS = {"SCALAR", "ENUM"}
SAMPLE_SCALARS = {"String": '"x"', "ID": '"x"', "Int": "1", "Float": "1.0", "Boolean": "true"}


def named(ref: dict[str, Any]) -> tuple[str, str]:
    """(name, kind) of the named type under NON_NULL / LIST wrappers."""
    while ref.get("ofType") is not None and ref["kind"] in ("NON_NULL", "LIST"):
        ref = ref["ofType"]
    return ref["name"], ref["kind"]


@dataclass(frozen=True)
class Field:
    name: str
    type_name: str
    kind: str
    arguments: str
    connection: bool


class SchemaWalk:
    """Selections over every field of a type; connections are told apart from other objects."""

    def __init__(self, introspection: dict[str, Any]) -> None:
        self.types = {t["name"]: t for t in introspection["__schema"]["types"]}

    def _arguments(self, field: dict[str, Any], connection: bool) -> str | None:
        """Values for required arguments (and a small page); None when one cannot be made up."""
        given = []
        for arg in field["args"]:
            if connection and arg["name"] == "first":
                given.append("first: 3")
                continue
            if arg["type"]["kind"] != "NON_NULL" or arg["defaultValue"] is not None:
                continue
            name, kind = named(arg["type"])
            if kind == "ENUM":
                given.append(f"{arg['name']}: {self.types[name]['enumValues'][0]['name']}")
            elif name in SAMPLE_SCALARS:
                given.append(f"{arg['name']}: {SAMPLE_SCALARS[name]}")
            else:
                return None
        return f"({', '.join(given)})" if given else ""

    def is_connection(self, type_name: str) -> bool:
        names = {f["name"] for f in self.types[type_name].get("fields") or []}
        return {"edges", "pageInfo"} <= names

    def fields(self, type_name: str) -> Iterator[Field]:
        for f in self.types[type_name].get("fields") or []:
            name, kind = named(f["type"])
            connection = kind == "OBJECT" and self.is_connection(name)
            arguments = self._arguments(f, connection)
            if arguments is not None:
                yield Field(f["name"], name, kind, arguments, connection)

    def leaves(self, type_name: str) -> str:
        """__typename and every scalar/enum field of an object type (an interface: its own)."""
        parts = ["__typename"]
        parts += [f"{f.name}{f.arguments}" for f in self.fields(type_name) if f.kind in LEAF_KINDS]
        return " ".join(parts)

    def connection(self, field: Field) -> str:
        """A connection field with everything a page tells: count, page info, cursors, nodes."""
        edge = next(f for f in self.fields(field.type_name) if f.name == "edges")
        node = next(f for f in self.fields(edge.type_name) if f.name == "node")
        return (
            f"{field.name}{field.arguments} {{ __typename totalCount "
            "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
            f"edges {{ cursor node {{ {self.leaves(node.type_name)} }} }} }}"
        )
