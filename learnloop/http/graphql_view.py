"""The GraphQL HTTP/WebSocket view: GraphQL-over-HTTP media types and status codes, WS auth."""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema.exceptions import InvalidOperationTypeError

from learnloop.http.errors import error_response
from learnloop.http.graphiql import graphiql_page
from learnloop.http.websocket_protocols import LegacyWSHandler, TransportWSHandler
from learnloop.resolvers.context import RequestContext
from learnloop.resolvers.state import AppState

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def negotiate(accept: str | None) -> str | None:
    """Pick the response media type from Accept (GraphQL over HTTP); None when nothing fits."""
    if not accept:
        return JSON
    best: tuple[float, int, str] | None = None
    for order, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        candidates = {
            GRAPHQL_RESPONSE: [GRAPHQL_RESPONSE],
            JSON: [JSON],
            "application/*": [GRAPHQL_RESPONSE],
            "*/*": [JSON],
        }.get(media.lower(), [])
        for candidate in candidates:
            if q > 0 and (best is None or (q, -order) > (best[0], best[1])):
                best = (q, -order, candidate)
    return best[2] if best else None


def _is_request_error(result: Any) -> bool:
    """No execution happened (parse/validation failure): errors without a path and no data."""
    errors = result.get("errors") or []
    return result.get("data") is None and bool(errors) and all(not e.get("path") for e in errors)


class LearnloopGraphQL(GraphQL[RequestContext, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, state: AppState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        media = negotiate(request.headers.get("accept"))
        if media is None and not self._wants_ide(request):
            response = error_response(
                406, f"Not acceptable: send Accept: {GRAPHQL_RESPONSE} or {JSON}"
            )
        else:
            scope.setdefault("state", {})["media_type"] = media or JSON
            try:
                response = await self.run(request)
            except HTTPException as exc:
                # Invalid JSON, wrong method, missing query: the same envelope as every route.
                response = error_response(exc.status_code, exc.reason)
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_page()

    @staticmethod
    def _wants_ide(request: Request) -> bool:
        return request.method == "GET" and "text/html" in request.headers.get("accept", "")

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            # GraphQL over HTTP: a mutation sent with GET is 405 Method Not Allowed, not 400.
            if (
                isinstance(exc.__cause__, InvalidOperationTypeError)
                and kwargs["request_adapter"].method == "GET"
            ):
                raise HTTPException(405, exc.reason) from exc
            raise

    def decode_json(self, data: str | bytes) -> object:
        try:
            return super().decode_json(data)
        except RecursionError:
            # Nested deeper than the parser's stack: a 400 (HTTP) or 4400 (WebSocket), not a 500.
            raise json.JSONDecodeError("JSON nested too deeply", "", 0) from None

    async def get_context(self, request: Request | WebSocket, response: Any) -> RequestContext:
        authorization = (
            request.headers.get("authorization") if isinstance(request, Request) else None
        )
        ctx = RequestContext(self.state, request, response, authorization)
        return ctx

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub = await super().get_sub_response(request)
        sub.media_type = request.scope.get("state", {}).get("media_type", JSON)
        return sub

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        media = sub_response.media_type or JSON
        request_error = (
            media == GRAPHQL_RESPONSE
            and isinstance(response_data, dict)
            and _is_request_error(response_data)
        )
        if request_error:
            # GraphQL over HTTP: a document that did not parse or validate was never executed,
            # so the response has no `data` entry (null would claim an execution happened).
            response_data = {k: v for k, v in response_data.items() if k != "data"}
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = f"{media}; charset=utf-8"
        if request_error and not sub_response.status_code:
            response.status_code = 400
        return response

    async def on_ws_connect(self, context: RequestContext) -> dict[str, object] | None:
        params = getattr(context, "connection_params", None) or {}
        authorization = None
        if isinstance(params, dict):
            authorization = params.get("authorization") or params.get("Authorization")
        context.authorization = str(authorization) if authorization else None
        try:
            principal = await context.principal()
        finally:
            await context.uow.close(commit=True)
        if principal.org_id is None:
            raise ConnectionRejectionError(
                {
                    "code": "UNAUTHENTICATED",
                    "message": principal.refusal or "authentication required",
                }
            )
        return None
