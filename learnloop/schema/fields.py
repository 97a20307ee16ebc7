"""Root-field helpers: every query, mutation and subscription goes through OperationPermission."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.permission import BasePermission

from learnloop.resolvers.permissions import OperationGuard, OperationPermission

_GUARD: list[type[BasePermission]] = [OperationPermission]


def query(**kwargs: Any) -> Any:
    return strawberry.field(permission_classes=_GUARD, **kwargs)


def mutation(**kwargs: Any) -> Any:
    return strawberry.mutation(permission_classes=_GUARD, **kwargs)


def subscription(**kwargs: Any) -> Any:
    return strawberry.subscription(permission_classes=_GUARD, **kwargs)


def node(**kwargs: Any) -> Any:
    return relay.node(extensions=[OperationGuard()], **kwargs)
