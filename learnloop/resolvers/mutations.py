"""Runs a mutation all-or-nothing: a savepoint around the domain call, user errors instead of writes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from learnloop.domain.errors import Forbidden, NotAuthenticated, Problem, UserInputError
from learnloop.domain.principal import Principal
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.permissions import auth_error

T = TypeVar("T")
log = structlog.get_logger("learnloop.mutations")


async def run_mutation(
    ctx: RequestContext, action: Callable[[Principal], Awaitable[T]]
) -> tuple[T | None, list[Problem]]:
    """Call `action`; on UserInputError everything it wrote is rolled back and the problems returned.

    Forbidden / NotAuthenticated raised inside also roll back, and become GraphQL errors.
    """
    principal = await ctx.principal()
    try:
        async with ctx.uow.savepoint():
            return await action(principal), []
    except UserInputError as exc:
        log.info("mutation.refused", problems=[".".join(p.field) for p in exc.problems])
        return None, list(exc.problems)
    except (NotAuthenticated, Forbidden) as exc:
        # Refused by a rule that needs the input (e.g. a feedback token's scope): a GraphQL error.
        raise auth_error(exc) from None
