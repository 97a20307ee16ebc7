"""GraphiQL users read the schema: every type, field, input field and argument is described,
and every root field says which role it needs (generated from OPERATION_ROLES)."""

from __future__ import annotations

from graphql import (
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
)

from learnloop.domain.permissions import OPERATION_ROLES, role_note
from learnloop.schema.root import get_schema


def _undescribed(name: str, t: GraphQLNamedType) -> list[str]:
    missing = [] if t.description else [name]
    if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
        for field_name, field in t.fields.items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
            missing += [
                f"{name}.{field_name}({arg})" for arg, a in field.args.items() if not a.description
            ]
    if isinstance(t, GraphQLInputObjectType):
        missing += [f"{name}.{f}" for f, field in t.fields.items() if not field.description]
    return missing


def test_every_type_field_and_argument_has_a_description() -> None:
    schema = get_schema()._schema
    missing = [
        item
        for name, t in sorted(schema.type_map.items())
        if not name.startswith("__")
        for item in _undescribed(name, t)
    ]
    assert missing == [], f"{len(missing)} without a description: {', '.join(missing)}"


def test_every_root_field_names_its_role() -> None:
    schema = get_schema()._schema
    roots = [schema.query_type, schema.mutation_type, schema.subscription_type]
    for root in roots:
        assert root is not None
        for name, field in root.fields.items():
            assert name in OPERATION_ROLES
            assert (field.description or "").endswith(role_note(name)), name
