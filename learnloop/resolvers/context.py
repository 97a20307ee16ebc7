"""The per-request context: who is asking, the unit of work, the dataloaders, the request id."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from learnloop.domain.principal import Principal
from learnloop.domain.roles import Role
from learnloop.domain.scopes import ReadPolicy
from learnloop.resolvers.authentication import authenticate
from learnloop.resolvers.loaders import Loaders
from learnloop.resolvers.state import AppState
from learnloop.storage.unit_of_work import UnitOfWork

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_from(headers: Any) -> str:
    """Keep a caller's X-Request-ID when it is safe to log, otherwise mint one."""
    given = headers.get("x-request-id") if headers is not None else None
    if given and _SAFE_REQUEST_ID.match(given):
        return str(given)
    return uuid.uuid4().hex


@dataclass(frozen=True)
class EventScope:
    uow: UnitOfWork
    loaders: Loaders


# The scope of the subscription event being delivered. Each WebSocket operation runs in its own
# asyncio task (its own copy of the context), so concurrent subscriptions on one socket never
# see each other's scope, and none of them replaces the connection's unit of work.
_EVENT_SCOPE: ContextVar[EventScope | None] = ContextVar("learnloop_event_scope", default=None)


class RequestContext:
    """Lives for one HTTP request, or for one WebSocket connection (with a scope per event)."""

    def __init__(
        self,
        state: AppState,
        request: Request | WebSocket,
        response: Response | WebSocket | None,
        authorization: str | None,
    ) -> None:
        self.state = state
        self.request = request
        self.response = response
        self.authorization = authorization
        # Set by strawberry from the WebSocket connection_init payload.
        self.connection_params: dict[str, Any] | None = None
        self.request_id = request_id_from(request.headers)
        self._principal: Principal | None = None
        # Set by the scope guard (resolvers/scopes.py) once it is known.
        self.read_policy: ReadPolicy | None = None
        # True once the principal is known to read its whole organisation: the guard's fast path.
        self.org_wide = False
        self._uow = UnitOfWork(state.engine, None)
        self._loaders = Loaders(self._uow)

    @property
    def uow(self) -> UnitOfWork:
        """The current event's unit of work inside `event_scope()`, else the request's."""
        scope = _EVENT_SCOPE.get()
        return scope.uow if scope is not None else self._uow

    @property
    def loaders(self) -> Loaders:
        scope = _EVENT_SCOPE.get()
        return scope.loaders if scope is not None else self._loaders

    @property
    def settings(self) -> Any:
        return self.state.settings

    async def principal(self) -> Principal:
        if self._principal is None:
            self._principal = await authenticate(self.uow, self.state.tokens, self.authorization)
            self.org_wide = self._principal.scope is None
            structlog.contextvars.bind_contextvars(
                org=str(self._principal.org_id) if self._principal.org_id else None,
                actor=self._principal.actor_key,
            )
        return self._principal

    async def require(self, role: Role) -> Principal:
        principal = await self.principal()
        principal.require(role)
        return principal

    @asynccontextmanager
    async def event_scope(self) -> AsyncIterator[None]:
        """A short unit of work and fresh loaders for one subscription event, closed afterwards.

        Enter it in the subscription's generator around each `yield`: the yielded object's fields
        are resolved (in the same task) before the generator resumes and leaves the scope.
        """
        principal = await self.principal()
        uow = UnitOfWork(self.state.engine, principal.org_id)
        previous = _EVENT_SCOPE.set(EventScope(uow, Loaders(uow)))
        try:
            yield
        finally:
            try:
                _EVENT_SCOPE.reset(previous)
            except ValueError:  # closed from another context (generator finalised elsewhere)
                _EVENT_SCOPE.set(None)
            await uow.close(commit=False)

    def set_response_header(self, name: str, value: str) -> None:
        """Set a header on the HTTP response (a WebSocket message has none to set)."""
        if isinstance(self.response, Response):
            self.response.headers[name] = value

    @cached_property
    def base_url(self) -> str:
        if self.settings.public_url:
            return str(self.settings.public_url).rstrip("/")
        return str(self.request.base_url).rstrip("/")


Info = StrawberryInfo[RequestContext, None]
