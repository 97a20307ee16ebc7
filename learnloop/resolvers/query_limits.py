"""Query cost limits checked before any SQL: aliases and depth (validation), page budget (per request)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
)
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension, ValidationCache
from strawberry.extensions.max_aliases import count_fields_with_alias
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

from learnloop.domain.pagination import MAX_PAGE_SIZE

TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
PAGE_BUDGET_EXCEEDED = "PAGE_BUDGET_EXCEEDED"


def _coded(rule: type[ValidationRule], code: str) -> type[ValidationRule]:
    """Strawberry's limiter rule, its errors carrying `extensions.code` (they report at init)."""

    class Coded(rule):  # type: ignore[valid-type,misc]
        def __init__(self, context: ValidationContext) -> None:
            report = context.report_error

            def coded(error: GraphQLError) -> None:
                error.extensions = {**(error.extensions or {}), "code": code}
                report(error)

            context.report_error = coded  # type: ignore[method-assign]
            try:
                super().__init__(context)
            finally:
                del context.report_error

    return Coded


def validation_rules(max_depth: int) -> list[type[ASTValidationRule]]:
    """One rule class each for the process: the validation cache keys on the rule classes."""
    return [_coded(depth_validator(max_depth, None, None), QUERY_TOO_DEEP)]


class LimitedValidation(ValidationCache):
    """Counts aliases before validating: a document of many aliases is refused in microseconds.

    As a validation rule the count would run beside graphql-core's other rules, and the
    overlapping-fields rule alone takes seconds on 1,100 aliases of one field.
    """

    def __init__(self, maxsize: int, max_aliases: int) -> None:
        super().__init__(maxsize=maxsize)
        self.max_aliases = max_aliases

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            aliases = sum(
                count_fields_with_alias(d, fragments)
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode)
            )
            if aliases > self.max_aliases:
                self.execution_context.pre_execution_errors = [
                    GraphQLError(
                        f"{aliases} aliases in one document; at most {self.max_aliases}",
                        extensions={"code": TOO_MANY_ALIASES, "limit": self.max_aliases},
                    )
                ]
                yield
                return
        yield from super().on_validate()


def page_budget(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None,
) -> int:
    """How many connection nodes the operation can return at most.

    Each connection field (a field with a `first` argument) counts its `first` times the
    `first` of every connection around it, so 100 agents with 100 executions each is 10,100.
    """
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    values = dict(variables or {})
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and isinstance(definition.default_value, IntValueNode):
            values[name] = int(definition.default_value.value)
    return _cost(schema, operation.selection_set, root, 1, fragments, values, frozenset())


def _first(node: FieldNode, default: Any, variables: Mapping[str, Any]) -> int:
    value: Any = default
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        value = None
        if isinstance(argument.value, IntValueNode):
            value = int(argument.value.value)
        elif isinstance(argument.value, VariableNode):
            value = variables.get(argument.value.name.value, default)
    # Anything else (null, a string) is refused by the field itself and returns nothing.
    if isinstance(value, int) and not isinstance(value, bool):
        return max(0, min(value, MAX_PAGE_SIZE))
    return 0


def _fields(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> Iterator[FieldNode]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                yield from _fields(fragment.selection_set, fragments, seen | {name})


def _cost(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode,
    parent: Any,
    multiplier: int,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    seen: frozenset[str],
) -> int:
    total = 0
    for node in _fields(selection_set, fragments, seen):
        if node.selection_set is None:
            continue
        field = _field_def(schema, parent, node.name.value)
        if field is None:
            continue
        inner = multiplier
        if "first" in field.args:
            default = field.args["first"].default_value
            inner = multiplier * _first(node, default, variables)
            total += inner
            if inner == 0:
                continue
        total += _cost(
            schema,
            node.selection_set,
            get_named_type(field.type),
            inner,
            fragments,
            variables,
            seen,
        )
    return total


def _field_def(schema: GraphQLSchema, parent: Any, name: str) -> Any:
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return parent.fields.get(name)
    # A union or a fragment on another type: look the field up on every possible type.
    for candidate in schema.type_map.values():
        if isinstance(candidate, GraphQLObjectType) and name in candidate.fields:
            return candidate.fields[name]
    return None


class PageBudget(SchemaExtension):
    """Refuses an operation whose connections could return more nodes than the app's budget."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        settings = getattr(getattr(ctx.context, "state", None), "settings", None)
        if document is not None and ctx.result is None and settings is not None:
            budget = settings.max_page_budget
            operation = _operation(document.definitions, ctx.operation_name)
            if operation is not None:
                fragments = {
                    d.name.value: d
                    for d in document.definitions
                    if isinstance(d, FragmentDefinitionNode)
                }
                cost = page_budget(ctx.schema._schema, operation, fragments, ctx.variables)
                if cost > budget:
                    ctx.result = GraphQLExecutionResult(
                        data=None,
                        errors=[
                            GraphQLError(
                                f"this query could return {cost} connection nodes; the budget "
                                f"is {budget}: ask for smaller pages (`first`) or fewer "
                                "nested connections",
                                extensions={
                                    "code": PAGE_BUDGET_EXCEEDED,
                                    "cost": cost,
                                    "budget": budget,
                                },
                            )
                        ],
                    )
        yield


def _operation(definitions: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)
