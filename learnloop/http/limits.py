"""Refuses what never reaches a handler: oversized bodies (413), invalid UTF-8 (400), NUL paths (404)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from learnloop.http.errors import error_body

# Bodies of these types are text: they must decode as UTF-8 before a handler sees them.
_TEXT_TYPES = (b"application/json", b"application/graphql", b"text/")


class BodyTooLarge(Exception):
    """The body grew past the limit while it was being read."""


async def send_error(send: Send, status: int, code: str, message: str) -> None:
    """The plain-HTTP error envelope every non-GraphQL answer uses."""
    body = json.dumps(error_body(message, code)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    """Reads at most `max_body_bytes` of a body (declared or streamed) and checks text bodies.

    Text bodies are buffered (they are parsed whole anyway) so a body is refused before any
    handler runs; other bodies stream through with a running count.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", ""):
            # `%00` decodes to NUL: no route has such a name, and it must never reach SQL.
            if scope["type"] == "http":
                await send_error(send, 404, "NOT_FOUND", "not found")
            else:
                await send({"type": "websocket.close", "code": 4404})
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await send_error(send, 413, "PAYLOAD_TOO_LARGE", self._too_large())
            return
        content_type = headers.get(b"content-type", b"").lower()
        if any(content_type.startswith(t) for t in _TEXT_TYPES):
            await self._buffered(scope, receive, send)
            return
        await self._streamed(scope, receive, send)

    def _too_large(self) -> str:
        return f"request body larger than {self.max_body_bytes} bytes"

    async def _buffered(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # disconnected: the handler will see it
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await send_error(send, 413, "PAYLOAD_TOO_LARGE", self._too_large())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            await send_error(
                send, 400, "BAD_REQUEST", f"request body is not valid UTF-8 (byte {exc.start})"
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _streamed(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = 0
        started = False

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracking)
        except BodyTooLarge:
            if not started:
                await send_error(send, 413, "PAYLOAD_TOO_LARGE", self._too_large())
