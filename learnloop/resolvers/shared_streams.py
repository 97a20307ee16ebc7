"""Shared subscription streams: one execution per (principal, document, variables) and event.

A thousand dashboards of one user watching `trainingRunsUpdated` would otherwise each run the
same document over the same event and serialise the same JSON. Here the first socket starts a
stream, later sockets with the identical key join it, every result is executed and encoded once,
and each socket receives that same payload text wrapped in its own operation id.

Only sockets that would see byte-identical results share: the key holds the whole principal
(organisation, kind, role, user or API key, narrow scope), so every permission check, scope
guard and identity-dependent field (blind annotation mode) gives the same answer for all of
them. Streams whose root field starts with the current state (`starts_with_state` in the
field's metadata) hand their latest payload to a socket that joins later, so it starts with
the state as the first socket did.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import structlog
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError

from learnloop.domain.principal import Principal

log = structlog.get_logger("learnloop.subscriptions")

# Metadata flag on a subscription root field whose first result is the current state.
STARTS_WITH_STATE = "starts_with_state"
MAX_TOKENS = 20_000  # as the schema's MaxTokensLimiter


@dataclass(frozen=True)
class StreamKey:
    principal: Principal
    query: str
    operation_name: str | None
    variables: str  # canonical JSON


@dataclass(frozen=True)
class Frame:
    """One message for every member: `next` carries encoded JSON, `error` the error list."""

    kind: str  # "next" | "error" | "complete"
    payload: str = ""
    errors: tuple[Any, ...] = ()


_COMPLETE = Frame("complete")


@lru_cache(maxsize=512)
def _parsed(query: str) -> DocumentNode | None:
    try:
        return parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return None


def subscription_field(query: str, operation_name: str | None) -> str | None:
    """The root field name when the document's chosen operation is a one-field subscription.

    Queries and mutations sent over the socket are never shared (a mutation must run once per
    request), nor is anything whose operation cannot be picked unambiguously.
    """
    document = _parsed(query)
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.SUBSCRIPTION:
        return None
    selections = operations[0].selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode):
        return None
    return selections[0].name.value


def starts_with_state(schema: GraphQLSchema, field_name: str) -> bool:
    root = schema.subscription_type
    field = root.fields.get(field_name) if root is not None else None
    definition = field.extensions.get("strawberry-definition") if field is not None else None
    return bool(definition is not None and definition.metadata.get(STARTS_WITH_STATE))


def stream_key(
    principal: Principal, query: str, operation_name: str | None, variables: Any
) -> StreamKey | None:
    """None when the variables are not plain JSON (then the socket runs its own stream)."""
    try:
        canonical = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    return StreamKey(dataclasses.replace(principal, refusal=None), query, operation_name, canonical)


def encode_result(result: ExecutionResult) -> str:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [e.formatted for e in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return json.dumps(payload, separators=(",", ":"))


class SharedStream:
    """One running source stream and the queues of the sockets that receive it."""

    def __init__(self, replays_state: bool) -> None:
        self.replays_state = replays_state
        self.members: set[asyncio.Queue[Frame]] = set()
        self.last: Frame | None = None
        self.done = False
        self.task: asyncio.Task[None] | None = None

    def add(self) -> asyncio.Queue[Frame]:
        queue: asyncio.Queue[Frame] = asyncio.Queue()
        if self.replays_state and self.last is not None:
            queue.put_nowait(self.last)
        self.members.add(queue)
        return queue

    def _broadcast(self, frame: Frame) -> None:
        for queue in self.members:
            queue.put_nowait(frame)

    async def run(self, start: Callable[[], Awaitable[Any]], counters: Any) -> None:
        try:
            source = await start()
            async with aclosing(source):
                async for result in source:
                    if isinstance(result, PreExecutionError):
                        errors = tuple(e.formatted for e in result.errors or ())
                        self._broadcast(Frame("error", errors=errors))
                        return
                    if not isinstance(result, ExecutionResult):
                        error = GraphQLError("Incremental delivery is not supported here")
                        self._broadcast(Frame("error", errors=(error.formatted,)))
                        return
                    counters["subscription_executions"] += 1
                    frame = Frame("next", encode_result(result))
                    self.last = frame
                    self._broadcast(frame)
            self._broadcast(_COMPLETE)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("subscription.stream_failed")
            self._broadcast(_COMPLETE)
        finally:
            self.done = True


class SharedStreams:
    """The process's shared streams, by key."""

    def __init__(self, counters: Any) -> None:
        self._streams: dict[StreamKey, SharedStream] = {}
        self._counters = counters

    def __len__(self) -> int:
        return len(self._streams)

    @asynccontextmanager
    async def join(
        self, key: StreamKey, replays_state: bool, start: Callable[[], Awaitable[Any]]
    ) -> AsyncIterator[asyncio.Queue[Frame]]:
        """A queue of this key's frames; the stream starts with its first member, ends with its last."""
        stream = self._streams.get(key)
        if stream is None or stream.done:
            stream = SharedStream(replays_state)
            self._streams[key] = stream
            stream.task = asyncio.create_task(stream.run(start, self._counters))
        queue = stream.add()
        try:
            yield queue
        finally:
            stream.members.discard(queue)
            if not stream.members:
                if self._streams.get(key) is stream:
                    del self._streams[key]
                if stream.task is not None and not stream.task.done():
                    stream.task.cancel()
