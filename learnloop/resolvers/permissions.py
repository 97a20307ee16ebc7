"""Authorisation for every root field, from the single OPERATION_ROLES table."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.permission import BasePermission

from learnloop.domain.errors import Forbidden, NotAuthenticated
from learnloop.domain.permissions import FEEDBACK_TOKEN_OPERATIONS, required_role
from learnloop.domain.principal import Principal, PrincipalKind
from learnloop.domain.roles import Role
from learnloop.resolvers.context import Info, RequestContext

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"


def auth_error(exc: NotAuthenticated | Forbidden) -> GraphQLError:
    code = UNAUTHENTICATED if isinstance(exc, NotAuthenticated) else FORBIDDEN
    return GraphQLError(str(exc), extensions={"code": code})


async def require(ctx: RequestContext, role: Role) -> Principal:
    """The principal, if it holds `role`; a GraphQL error with UNAUTHENTICATED/FORBIDDEN otherwise."""
    try:
        return await ctx.require(role)
    except (NotAuthenticated, Forbidden) as exc:
        raise auth_error(exc) from None


async def check_operation(info: Info) -> None:
    """Raise UNAUTHENTICATED/FORBIDDEN unless the caller may run OPERATION_ROLES[field name]."""
    role = required_role(info.field_name)
    if role is None:
        return
    if info.field_name in FEEDBACK_TOKEN_OPERATIONS:
        principal = await info.context.principal()
        if principal.kind is PrincipalKind.FEEDBACK_TOKEN:
            return  # the operation itself checks the token's scope
    await require(info.context, role)


class OperationPermission(BasePermission):
    """Checks the caller against OPERATION_ROLES[field name] before the resolver runs."""

    message = "not allowed"

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        await check_operation(info)
        return True
