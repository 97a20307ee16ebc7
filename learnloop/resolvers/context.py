"""The per-request context: who is asking, the unit of work, the dataloaders, the request id."""

from __future__ import annotations

import re
import uuid
from functools import cached_property
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from learnloop.domain.principal import Principal
from learnloop.domain.roles import Role
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


class RequestContext:
    """Lives for one HTTP request, or for one WebSocket connection (then `fresh_scope` per event)."""

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
        self.uow = UnitOfWork(state.engine, None)
        self.loaders = Loaders(self.uow)

    @property
    def settings(self) -> Any:
        return self.state.settings

    async def principal(self) -> Principal:
        if self._principal is None:
            self._principal = await authenticate(self.uow, self.state.tokens, self.authorization)
            structlog.contextvars.bind_contextvars(
                org=str(self._principal.org_id) if self._principal.org_id else None,
                actor=self._principal.actor_key,
            )
        return self._principal

    async def require(self, role: Role) -> Principal:
        principal = await self.principal()
        principal.require(role)
        return principal

    def fresh_scope(self) -> None:
        """New unit of work and loaders (for each subscription event: cached rows go stale)."""
        self.uow = UnitOfWork(
            self.state.engine, self._principal.org_id if self._principal else None
        )
        self.loaders = Loaders(self.uow)

    @cached_property
    def base_url(self) -> str:
        if self.settings.public_url:
            return str(self.settings.public_url).rstrip("/")
        return str(self.request.base_url).rstrip("/")


Info = StrawberryInfo[RequestContext, None]
