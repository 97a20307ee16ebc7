"""The scope guard: every value any field resolves is checked against the caller's read policy.

It sits on every field of every type, not on root fields, so a path added later is covered too.
For organisation-wide principals it passes values through untouched (row-level security is
their boundary). For a narrow principal (a feedback widget token):
- a node is returned only when domain/scopes.py permits its record; otherwise it reads as null
  (a FORBIDDEN error where the field cannot be null), as an invisible row would;
- connections are refused (FORBIDDEN): their counts and cursors describe rows outside the scope;
- any other object is refused unless its type is declared a `scope_part` (a value that only
  describes the object holding it, like a feedback's dimension scores); root payloads pass.
Scalars pass: a type's scalar fields describe that (already permitted) object.
"""

from __future__ import annotations

from collections.abc import Callable
from inspect import isawaitable
from typing import Any, TypeVar

from graphql import (
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    get_named_type,
    is_leaf_type,
)
from strawberry import relay
from strawberry.extensions import SchemaExtension

from learnloop.domain.scopes import ReadPolicy, read_policy
from learnloop.storage import executions

T = TypeVar("T", bound=type)
FORBIDDEN = "FORBIDDEN"
_PART = "__learnloop_scope_part__"


def scope_part(cls: T) -> T:
    """Declare a non-node object type a plain part of its holder: narrow principals may read it."""
    setattr(cls, _PART, True)
    return cls


class _Refused(Exception):
    pass


async def policy_of(ctx: Any) -> ReadPolicy:
    """The request's read policy; a narrow one is resolved to its execution's row id once found."""
    cached: ReadPolicy | None = ctx.read_policy
    if cached is not None:
        return cached
    principal = await ctx.principal()
    scope = principal.scope
    if scope is None:
        policy = read_policy(principal)
    else:
        found = await executions.by_refs(ctx.uow, [scope.ref])
        execution = found.get(scope.ref)
        policy = read_policy(principal, execution.id if execution else None)
        if execution is None:
            return policy  # not cached: the request's own submission may create it
    ctx.read_policy = policy
    return policy


def _check(value: Any, policy: ReadPolicy, at_root: bool) -> Any:
    """An object value as a narrow principal may see it; raises _Refused for what it may not.

    Decided by the field's GraphQL type (the caller checks it is an object type), so a value
    of any Python class is judged: only nodes the policy permits, parts and root payloads pass.
    """
    if isinstance(value, relay.Connection):
        raise _Refused
    if isinstance(value, relay.Node):
        record = getattr(value, "record", None)
        if record is None or not policy.permits(record):
            raise _Refused
        return value
    if at_root or getattr(type(value), _PART, False):
        return value
    raise _Refused


def _refusal() -> GraphQLError:
    return GraphQLError(
        "outside this credential's scope: a feedback token sees only its own execution "
        "and its own feedback on it",
        extensions={"code": FORBIDDEN},
    )


def _guard(value: Any, kind: GraphQLOutputType, policy: ReadPolicy, root: bool) -> Any:
    nullable = not isinstance(kind, GraphQLNonNull)
    inner = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
    if value is None or is_leaf_type(get_named_type(inner)):
        return value  # scalars and enums describe their (already permitted) holder
    if isinstance(inner, GraphQLList):
        return [_guard(item, inner.of_type, policy, root) for item in value]
    try:
        return _check(value, policy, root)
    except _Refused:
        if nullable:
            return None
        raise _refusal() from None


class ScopeGuard(SchemaExtension):
    """Applies the caller's read policy to the value of every field (see the module docstring)."""

    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if getattr(info.context, "org_wide", False):
            return _next(root, info, *args, **kwargs)  # organisation-wide: nothing to narrow
        return self._guarded(_next(root, info, *args, **kwargs), info)

    async def _guarded(self, pending: Any, info: Any) -> Any:
        value = await pending if isawaitable(pending) else pending
        ctx = info.context
        if ctx is None or not hasattr(ctx, "principal"):
            return value
        principal = await ctx.principal()
        if not principal.narrow:
            return value
        policy = await policy_of(ctx)
        return _guard(value, info.return_type, policy, info.path.prev is None)
