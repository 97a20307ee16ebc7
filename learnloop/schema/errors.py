"""The `UserError` type every mutation payload carries, and its `UserErrorCode` enum."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry

from learnloop.domain.errors import ErrorCode, Problem
from learnloop.resolvers.scopes import scope_part

UserErrorCode = strawberry.enum(ErrorCode, name="UserErrorCode")


@scope_part
@strawberry.type
class UserError:
    """Something wrong with the input: `field` is the path inside `input`, e.g. ["dimensions", "accuracy"]."""

    field: list[str] | None
    message: str
    code: UserErrorCode  # type: ignore[valid-type]

    @classmethod
    def from_problems(cls, problems: Iterable[Problem]) -> list[UserError]:
        return [cls(field=["input", *p.field], message=p.message, code=p.code) for p in problems]
