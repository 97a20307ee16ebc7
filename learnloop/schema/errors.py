"""The `UserError` type every mutation payload carries, and its `UserErrorCode` enum."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry

from learnloop.domain.errors import ErrorCode, Problem
from learnloop.resolvers.scopes import scope_part
from learnloop.schema.enums import describe_values

UserErrorCode = describe_values(
    strawberry.enum(
        ErrorCode,
        name="UserErrorCode",
        description="Why an input was refused; clients branch on this, not on the message.",
    ),
    {
        "INVALID": "The value is malformed or not allowed here (see the message).",
        "REQUIRED": "A value is missing that this input needs.",
        "OUT_OF_RANGE": "A number or time outside its allowed range (the message names it).",
        "TOO_LONG": "A text or list longer than allowed.",
        "NOT_FOUND": "No such object in your organisation (or an id of the wrong type).",
        "DUPLICATE": "It exists already (e.g. you annotated this example, the member exists).",
        "CONFLICT": "The input conflicts with data that exists; read the object again before retrying.",
        "INVALID_STATE": "The object is not in a state that allows this (e.g. reviewing a RUNNING run).",
        "LEASE_NOT_HELD": "You do not hold the annotation lease (it expired or is someone else's).",
        "LIMIT_EXCEEDED": "Too many at once (leases per expert, ids per call, batch items).",
        "FROZEN": "The dataset version is FROZEN; fork it with createDatasetVersion.",
        "NOT_ALLOWED": "The rules forbid this (e.g. a REJECTED example in a dataset).",
        "UNKNOWN_DOMAIN": "No example has that domain; the message lists the domains in use.",
        "ALREADY_DEPLOYED": "The run was deployed before; each run is deployed at most once.",
        "NOT_DEPLOYABLE": "The run produced nothing to deploy (e.g. FILES_ONLY); the message says what to configure.",
        "PROVIDER_REQUIRED": "The option needs an LLM provider (LEARNLOOP_LLM_*) that is not configured.",
    },
)


def user_errors_field() -> Any:
    """The `userErrors` field every mutation payload declares, described once."""
    return strawberry.field(
        description="Why nothing (or not everything) was done; empty when the mutation "
        "succeeded. A refused input writes nothing."
    )


@scope_part
@strawberry.type(
    description="Why a mutation did nothing, or not everything: a user error, not a bug. `field` is the path of the offending input."
)
class UserError:
    """Something wrong with the input: `field` is the path inside `input`, e.g. ["dimensions", "accuracy"]."""

    field: list[str] | None = strawberry.field(
        description='Path to the offending input field, e.g. ["input", "dimensions", "accuracy"] or ["input", "items", "3", "rating"]; null when no single field is at fault.'
    )
    message: str = strawberry.field(description="What is wrong and what to do, in plain English.")
    code: UserErrorCode = strawberry.field(
        description="Machine-readable reason, stable across releases."
    )  # type: ignore[valid-type]

    @classmethod
    def from_problems(cls, problems: Iterable[Problem]) -> list[UserError]:
        return [cls(field=["input", *p.field], message=p.message, code=p.code) for p in problems]
