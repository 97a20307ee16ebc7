"""Central input checks on every root query and mutation: NUL characters, JSON limits, unknown ids.

Installed once on the built schema (`guard_root_fields`), around each root field's resolver,
so they run before strawberry converts the arguments (a malformed global id would otherwise
fail there, outside any resolver, as an unexpected error) and cost nothing on nested fields.
The caller's permission is checked first. A mutation answers problems as `userErrors` in its
own payload (nothing is written); a query answers an id that names nothing visible as null,
and anything else as a GraphQL error with code BAD_USER_INPUT.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
)
from strawberry import relay
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryList

from learnloop.domain.errors import ErrorCode, Problem
from learnloop.domain.input_limits import InputLimits, json_problems, text_problems
from learnloop.resolvers.permissions import check_operation

_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF
_MAX_PROBLEMS = 20


class UnknownId(GraphQLError):
    """A global id that is malformed, of another type, or not ours: the object is not found.

    Uncaught it is a GraphQL error with code NOT_FOUND; root fields turn it into null
    (queries) or a NOT_FOUND user error (mutations).
    """

    def __init__(self, field: str, type_name: str) -> None:
        message = f"`{field}` is not the id of a {type_name} you can see"
        super().__init__(message, extensions={"code": "NOT_FOUND", "field": [field]})
        self.field = field


# base64 of ":": a well-formed global id of no type, so the id of nothing.
NO_OBJECT_ID = "Og=="


def check_arguments(
    field: GraphQLField, arguments: dict[str, Any], limits: InputLimits
) -> tuple[dict[str, Any], list[Problem]]:
    """The arguments with each malformed id replaced by NO_OBJECT_ID, and every problem:
    NUL-bearing strings, oversized JSON values and malformed ids (NOT_FOUND), by path."""
    problems: list[Problem] = []
    checked = {
        name: _walk(arguments[name], argument.type, [name], limits, problems)
        for name, argument in field.args.items()
        if name in arguments
    }
    return checked, problems


def _walk(
    value: Any, gql_type: Any, path: list[str], limits: InputLimits, out: list[Problem]
) -> Any:
    if value is None or len(out) >= _MAX_PROBLEMS:
        return value
    if isinstance(gql_type, GraphQLNonNull):
        gql_type = gql_type.of_type
    if isinstance(gql_type, GraphQLList):
        if isinstance(value, list | tuple):
            return [
                _walk(item, gql_type.of_type, [*path, str(index)], limits, out)
                for index, item in enumerate(value)
            ]
    elif isinstance(gql_type, GraphQLInputObjectType):
        if isinstance(value, dict):
            return {
                name: _walk(value[name], gql_type.fields[name].type, [*path, name], limits, out)
                if name in gql_type.fields
                else value[name]
                for name in value
            }
    elif isinstance(gql_type, GraphQLScalarType):
        if gql_type.name == "JSON":
            out.extend(json_problems(value, path, limits))
        elif gql_type.name == "ID":
            if not _is_global_id(value):
                out.append(
                    Problem(tuple(path), "is not an id of this service", ErrorCode.NOT_FOUND)
                )
                return NO_OBJECT_ID
        elif isinstance(value, str):
            out.extend(text_problems(value, path))
    return value


def _is_global_id(value: Any) -> bool:
    try:
        relay.GlobalID.from_id(str(value))
    except Exception:
        return False
    return True


def refusal_payload(payload_type: Any, user_error: Any, problems: Sequence[Problem]) -> Any:
    """The mutation's payload type with nothing in it but `userErrors` (paths from the root)."""
    types = {f.python_name: f.type for f in payload_type.__strawberry_definition__.fields}
    values: dict[str, Any] = {}
    for init in dataclasses.fields(payload_type):
        if not init.init:
            continue
        kind = types.get(init.name)
        if init.name == "user_errors":
            values[init.name] = [
                user_error(field=list(p.field), message=p.message, code=p.code) for p in problems
            ]
        elif isinstance(kind, StrawberryList):
            values[init.name] = []
        elif kind is int:
            values[init.name] = 0
        elif kind is bool:
            values[init.name] = False
        else:
            values[init.name] = None
    return payload_type(**values)


Resolver = Callable[..., Any]


def _guard(field: GraphQLField, resolve: Resolver, mutation: bool, user_error: Any) -> Resolver:
    payload_type = getattr(field.extensions.get(_BACKREF), "type", None)
    nullable = not isinstance(field.type, GraphQLNonNull)

    def refuse(problems: Sequence[Problem]) -> Any:
        if mutation and payload_type is not None:
            return refusal_payload(payload_type, user_error, problems)
        if nullable and all(p.code is ErrorCode.NOT_FOUND for p in problems):
            return None
        first = problems[0]
        code = "NOT_FOUND" if first.code is ErrorCode.NOT_FOUND else "BAD_USER_INPUT"
        raise GraphQLError(
            f"`{'.'.join(first.field)}` {first.message}",
            extensions={"code": code, "field": list(first.field)},
        )

    async def guarded(source: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
        await check_operation(info)  # type: ignore[arg-type]
        settings = info.context.settings
        limits = InputLimits(settings.max_json_depth, settings.max_json_bytes)
        arguments, problems = check_arguments(field, arguments, limits)
        if mutation and problems:
            return refuse(problems)
        # A query reads a malformed id as the id of nothing (null, or a null item in `nodes`).
        problems = [p for p in problems if p.code is not ErrorCode.NOT_FOUND]
        if problems:
            return refuse(problems)
        try:
            result = resolve(source, info, **arguments)
            return await result if inspect.isawaitable(result) else result
        except UnknownId as exc:
            path = ("input", exc.field) if mutation else (exc.field,)
            return refuse([Problem(path, exc.message, ErrorCode.NOT_FOUND)])

    return guarded


def _guard_subscription(field: GraphQLField, subscribe: Resolver) -> Resolver:
    """Subscriptions answer bad arguments with an `error` message carrying the code."""

    async def guarded(source: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
        settings = info.context.settings
        limits = InputLimits(settings.max_json_depth, settings.max_json_bytes)
        arguments, problems = check_arguments(field, arguments, limits)
        if problems:
            first = problems[0]
            code = "NOT_FOUND" if first.code is ErrorCode.NOT_FOUND else "BAD_USER_INPUT"
            raise GraphQLError(
                f"`{'.'.join(first.field)}` {first.message}",
                extensions={"code": code, "field": list(first.field)},
            )
        result = subscribe(source, info, **arguments)
        return await result if inspect.isawaitable(result) else result

    return guarded


def guard_root_fields(
    query: GraphQLObjectType | None,
    mutation: GraphQLObjectType | None,
    user_error: Any,
    subscription: GraphQLObjectType | None = None,
) -> None:
    """Wrap every root resolver of a built schema (once, at start-up)."""
    for root, is_mutation in ((query, False), (mutation, True)):
        if root is None:
            continue
        for field in root.fields.values():
            if field.resolve is not None:
                field.resolve = _guard(field, field.resolve, is_mutation, user_error)
    for field in subscription.fields.values() if subscription else ():
        if field.subscribe is not None:
            field.subscribe = _guard_subscription(field, field.subscribe)
