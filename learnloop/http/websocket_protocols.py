"""WebSocket protocol handlers: malformed messages close the socket with 4400, a subscribe
that does not parse is answered with an `error` message (the socket and its other
subscriptions live on)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError, parse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from learnloop.resolvers.context import RequestContext

MAX_TOKENS = 20_000  # as the schema's MaxTokensLimiter
_TRANSPORT_TYPES = frozenset({"connection_init", "ping", "pong", "subscribe", "complete"})
_LEGACY_TYPES = frozenset({"connection_init", "connection_terminate", "start", "stop"})


def _malformed(message: Any, types: frozenset[str]) -> str | None:
    """Why a decoded message is not one of the protocol's, or None when it is well-formed."""
    if not isinstance(message, dict):
        return "WebSocket message must be a JSON object"
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in types:
        return f"Unknown message type: {str(kind)[:64]}"
    if kind in ("subscribe", "start"):
        payload = message.get("payload")
        if not isinstance(message.get("id"), str) or not isinstance(payload, dict):
            return "a subscribe message needs a string `id` and an object `payload`"
        if not isinstance(payload.get("query"), str):
            return "a subscribe payload needs a string `query`"
        variables = payload.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return "`variables` must be an object"
    if kind in ("complete", "stop") and not isinstance(message.get("id"), str):
        return f"a {kind} message needs a string `id`"
    return None


def syntax_error(message: dict[str, Any]) -> GraphQLError | None:
    """The subscribe's query parse error, if any (strawberry's stream path would raise it from
    inside its parser cache and end the operation without telling the client why)."""
    try:
        parse(message["payload"]["query"], max_tokens=MAX_TOKENS)
    except GraphQLSyntaxError as error:
        return error
    return None


class TransportWSHandler(BaseGraphQLTransportWSHandler[RequestContext, None]):
    """graphql-transport-ws."""

    async def handle_message(self, message: Any) -> None:
        reason = _malformed(message, _TRANSPORT_TYPES)
        if reason is not None:
            await self.handle_invalid_message(reason)
            return
        if message["type"] == "subscribe" and self.connection_acknowledged:
            error = syntax_error(message)
            if error is not None:
                payload = [error.formatted]
                await self.send_message({"id": message["id"], "type": "error", "payload": payload})
                return
        await super().handle_message(message)


class LegacyWSHandler(BaseGraphQLWSHandler[RequestContext, None]):
    """The legacy graphql-ws protocol (subscriptions-transport-ws)."""

    async def handle_message(self, message: Any) -> None:
        reason = _malformed(message, _LEGACY_TYPES)
        if reason is not None:
            await self.websocket.close(code=4400, reason=reason)
            return
        if message["type"] == "start" and self.connection_acknowledged:
            error = syntax_error(message)
            if error is not None:
                payload = error.formatted
                await self.send_message({"id": message["id"], "type": "error", "payload": payload})
                return
        await super().handle_message(message)
