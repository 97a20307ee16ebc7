"""Every root field is authorised from the one OPERATION_ROLES table, which the docs mirror."""

from __future__ import annotations

from pathlib import Path

from strawberry.permission import PermissionExtension

from learnloop.domain.permissions import OPERATION_ROLES
from learnloop.resolvers.permissions import OperationPermission
from learnloop.schema.root import get_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def _root_strawberry_fields() -> dict[str, object]:
    schema = get_schema()
    found: dict[str, object] = {}
    for root in ("Query", "Mutation", "Subscription"):
        definition = schema.get_type_by_name(root)
        for field in getattr(definition, "fields", []) or []:
            found[schema.config.name_converter.get_graphql_name(field)] = field
    return found


def test_every_root_field_has_a_role_and_the_guard() -> None:
    fields = _root_strawberry_fields()
    missing = set(fields) - set(OPERATION_ROLES)
    assert not missing, f"add to OPERATION_ROLES: {sorted(missing)}"
    for name, field in fields.items():
        guards = [
            p
            for ext in getattr(field, "extensions", [])
            if isinstance(ext, PermissionExtension)
            for p in ext.permissions
        ]
        assert any(isinstance(p, OperationPermission) for p in guards), f"{name} is not guarded"


def test_docs_table_matches_operation_roles() -> None:
    text = DOC.read_text()
    for operation, role in OPERATION_ROLES.items():
        expected = f"| `{operation}` | {role.value if role else 'none'} |"
        assert expected in text, (
            f"docs/permissions.md lacks {expected}: run python docs/gen_permissions.py"
        )
