"""AsyncLearnloopClient: the same operations for asyncio code, with a background sender task."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Unpack

import httpx

from learnloop.client import operations as ops
from learnloop.client.core import Call, ClientCore, Options, Retry, T
from learnloop.client.results import (
    AgentConfig,
    ExecutionResult,
    FeedbackResult,
    FeedbackToken,
    LearnloopError,
)


class AsyncLearnloopClient(ClientCore):
    """As LearnloopClient; the sender is a task on the running loop. Use `async with` or
    `await close()`: an event loop cannot flush at interpreter exit."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Unpack[Options],
    ) -> None:
        super().__init__(url, api_key, options)
        self._http = httpx.AsyncClient(
            timeout=self.timeout, headers=self.headers, transport=transport
        )
        self._queue: asyncio.Queue[ops.Item] = asyncio.Queue(maxsize=self.max_queue)
        self._progress = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _post(
        self, query: str, variables: dict[str, Any], *, retries: int | None
    ) -> dict[str, Any]:
        retry = Retry(self, retries)
        while True:
            try:
                response = await self._http.post(self.url, json=ops.body(query, variables))
                problem = ops.retryable(response.status_code)
                if problem is None:
                    return ops.data_of(response.json())
            except httpx.TransportError as exc:
                problem = type(exc).__name__
            await asyncio.sleep(retry.wait_after(problem))

    async def _call(self, call: Call[T]) -> T:
        if call.known is not None:
            return call.known
        return call.read(await self._post(call.query, call.variables, retries=self.max_retries))

    async def _submit(self, call: Call[T], background: bool) -> T | None:
        if background and call.item is not None:
            self._enqueue(call.item)
            return None
        return await self._call(call)

    async def record_execution(
        self,
        agent_id: str,
        execution_id: str,
        *,
        input: str | None = None,
        output: str | None = None,
        metadata: dict[str, Any] | None = None,
        domain: str | None = None,
        background: bool = True,
        **fields: Any,
    ) -> ExecutionResult | None:
        call = self._execution_call(agent_id, execution_id, input, output, metadata, domain, fields)
        return await self._submit(call, background)

    async def submit_feedback(
        self,
        agent_id: str,
        execution_id: str,
        feedback_type: str,
        *,
        background: bool = True,
        **fields: Any,
    ) -> FeedbackResult | None:
        call = self._feedback_call(agent_id, execution_id, feedback_type, fields)
        return await self._submit(call, background)

    async def create_feedback_token(
        self,
        agent_id: str,
        execution_id: str,
        *,
        end_user_id: str | None = None,
        expires_in_seconds: int = 3600,
    ) -> FeedbackToken:
        call = self._token_call(agent_id, execution_id, end_user_id, expires_in_seconds)
        return await self._call(call)

    async def agent_config(self, agent_id: str, unit_id: str | None = None) -> AgentConfig:
        return await self._call(self._config_call(agent_id, unit_id))

    def _enqueue(self, item: ops.Item) -> None:
        self._check_open()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            self._queue.put_nowait(item)
            self.stats.queued += 1
        except asyncio.QueueFull:
            self.stats.dropped += 1

    async def _run(self) -> None:
        pending: list[ops.Item] = []
        while True:
            if not pending:
                pending.append(await self._queue.get())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.linger)
            while len(pending) < 2 * self.batch_size and not self._queue.empty():
                pending.append(self._queue.get_nowait())
            batch, pending = ops.take(pending, self.batch_size)
            query, variables = ops.batch_request(batch)
            try:
                sent: dict[str, Any] | LearnloopError = await self._post(
                    query, variables, retries=None
                )
            except LearnloopError as exc:
                sent = exc
            self._settle(batch, sent)
            self._progress.set()

    async def flush(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109 - same API as the sync client
        """Send everything queued so far; False if `timeout` passed first."""
        target = self.stats.queued
        self._wake.set()
        try:
            async with asyncio.timeout(timeout):
                while self._finished < target:
                    self._progress.clear()
                    await self._progress.wait()
            return True
        except TimeoutError:
            return False
        finally:
            self._wake.clear()

    async def close(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        if self._closed:
            return
        flushed = await self.flush(timeout)
        self._closed = True
        self._closed_hard = not flushed
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        # Whatever was not sent by now never will be.
        self.stats.dropped += self.stats.queued - self._finished
        await self._http.aclose()

    async def __aenter__(self) -> AsyncLearnloopClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()
