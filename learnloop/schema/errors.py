"""The `UserError` type every mutation payload carries, and its `UserErrorCode` enum."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry

from learnloop.domain.errors import ErrorCode, Problem
from learnloop.resolvers.scopes import scope_part

UserErrorCode = strawberry.enum(
    ErrorCode,
    name="UserErrorCode",
    description="Why an input was refused; clients branch on this, not on the message.",
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
