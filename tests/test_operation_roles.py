"""Every root field is decided on purpose in OPERATION_ROLES, and the table names no ghosts."""

from __future__ import annotations

from learnloop.domain.permissions import FEEDBACK_TOKEN_OPERATIONS, OPERATION_ROLES
from learnloop.schema.root import get_schema


def _root_fields() -> set[str]:
    schema = get_schema()._schema
    roots = [schema.query_type, schema.mutation_type, schema.subscription_type]
    return {name for root in roots if root is not None for name in root.fields}


def test_every_root_field_has_a_role() -> None:
    assert _root_fields() - set(OPERATION_ROLES) == set()


def test_the_table_lists_only_existing_fields() -> None:
    assert set(OPERATION_ROLES) - _root_fields() == set()
    assert set() < FEEDBACK_TOKEN_OPERATIONS <= set(OPERATION_ROLES)
