"""Root-field helpers: every query, mutation and subscription goes through OperationPermission.

Each root field's description ends with the role it needs, generated from OPERATION_ROLES so
GraphiQL and docs/permissions.md can never disagree with the check that actually runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.permission import BasePermission
from strawberry.utils.str_converters import to_camel_case

from learnloop.domain.permissions import role_note
from learnloop.resolvers.permissions import OperationPermission

_GUARD: list[type[BasePermission]] = [OperationPermission]


def _root_field(make: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    def decorate(resolver: Callable[..., Any]) -> Any:
        name = kwargs.get("name") or to_camel_case(resolver.__name__)
        text = kwargs.pop("description", None) or ""
        described = f"{text.rstrip()} {role_note(name)}".strip()
        field = make(permission_classes=_GUARD, description=described, **kwargs)(resolver)
        for argument in field.arguments:
            # Every mutation takes one `input`; its type describes each field.
            if argument.python_name == "input" and not argument.description:
                argument.description = f"What {name} needs; each field is described on its type."
        return field

    return decorate


def query(**kwargs: Any) -> Any:
    return _root_field(strawberry.field, kwargs)


def mutation(**kwargs: Any) -> Any:
    return _root_field(strawberry.mutation, kwargs)


def subscription(**kwargs: Any) -> Any:
    return _root_field(strawberry.subscription, kwargs)
