"""AsyncLearnloopClient: the same operations for asyncio code, with a background sender task."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import httpx

from learnloop.client import operations as ops
from learnloop.client.cache import TtlCache
from learnloop.client.results import (
    AgentConfig,
    ClientStats,
    ExecutionResult,
    FeedbackResult,
    FeedbackToken,
    LearnloopError,
)

log = logging.getLogger("learnloop.client")


class AsyncLearnloopClient:
    """As LearnloopClient; the sender is a task on the running loop. Use `async with` or
    `await close()`: an event loop cannot flush at interpreter exit."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        max_retries: int = 3,
        retry_for: float = 60.0,
        max_queue: int = 10_000,
        batch_size: int = ops.MAX_BATCH,
        linger: float = 0.05,
        config_ttl: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/") + "/graphql" if not url.endswith("/graphql") else url
        self._http = httpx.AsyncClient(
            timeout=timeout, headers={"authorization": f"Bearer {api_key}"}, transport=transport
        )
        self.max_retries = max_retries
        self.retry_for = retry_for
        self.batch_size = batch_size
        self.linger = linger
        self.stats = ClientStats()
        self._configs: TtlCache[tuple[str, str | None], AgentConfig] = TtlCache(config_ttl)
        self._queue: asyncio.Queue[ops.Item] = asyncio.Queue(maxsize=max_queue)
        self._finished = 0
        self._progress = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._closed_hard = False

    async def _post(
        self, query: str, variables: dict[str, Any], *, retries: int | None
    ) -> dict[str, Any]:
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                response = await self._http.post(
                    self.url, json={"query": query, "variables": variables}
                )
                if response.status_code not in ops.RETRYABLE_STATUS:
                    return ops.data_of(response.json())
                problem = f"HTTP {response.status_code}"
            except httpx.TransportError as exc:
                problem = type(exc).__name__
            attempt += 1
            out_of_time = time.monotonic() - started > self.retry_for
            if (retries is not None and attempt > retries) or out_of_time or self._closed_hard:
                raise LearnloopError(f"service unavailable after {attempt} attempts: {problem}")
            await asyncio.sleep(ops.backoff(attempt))

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
        item = ops.execution_input(
            agent_id,
            execution_id,
            {"input": input, "output": output, "metadata": metadata, "domain": domain, **fields},
        )
        if background:
            self._enqueue(ops.Item("execution", item))
            return None
        data = await self._post(ops.RECORD_EXECUTION, {"input": item}, retries=self.max_retries)
        return ops.execution_result(data, agent_id)

    async def submit_feedback(
        self,
        agent_id: str,
        execution_id: str,
        feedback_type: str,
        *,
        background: bool = True,
        **fields: Any,
    ) -> FeedbackResult | None:
        item = ops.feedback_input(agent_id, execution_id, feedback_type, fields)
        if background:
            self._enqueue(ops.Item("feedback", item))
            return None
        data = await self._post(ops.SUBMIT_FEEDBACK, {"input": item}, retries=self.max_retries)
        return ops.feedback_result(data)

    async def create_feedback_token(
        self,
        agent_id: str,
        execution_id: str,
        *,
        end_user_id: str | None = None,
        expires_in_seconds: int = 3600,
    ) -> FeedbackToken:
        item = ops.execution_input(
            agent_id,
            execution_id,
            {"end_user_id": end_user_id, "expires_in_seconds": expires_in_seconds},
        )
        data = await self._post(
            ops.CREATE_FEEDBACK_TOKEN, {"input": item}, retries=self.max_retries
        )
        return ops.feedback_token(data)

    async def agent_config(self, agent_id: str, unit_id: str | None = None) -> AgentConfig:
        key = (agent_id, unit_id)
        cached = self._configs.get(key)
        if cached is not None:
            return cached
        variables = {"agentId": agent_id, "unitId": unit_id}
        data = await self._post(ops.AGENT_CONFIG, variables, retries=self.max_retries)
        found = ops.agent_config(data)
        self._configs.put(key, found)
        return found

    def _enqueue(self, item: ops.Item) -> None:
        if self._closed:
            raise LearnloopError("client is closed")
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
            await self._send(batch)

    async def _send(self, batch: list[ops.Item]) -> None:
        query, variables = ops.batch_request(batch)
        try:
            rejected = ops.batch_rejections(await self._post(query, variables, retries=None))
        except LearnloopError as exc:
            log.warning("learnloop: dropped %d items: %s", len(batch), exc)
            self._finish(len(batch), dropped=len(batch), errors=[str(exc)])
            return
        if rejected:
            log.warning("learnloop: the service refused %d items: %s", len(rejected), rejected[:3])
        self._finish(len(batch), rejected=len(rejected), errors=rejected)

    def _finish(
        self, count: int, *, dropped: int = 0, rejected: int = 0, errors: list[str] | None = None
    ) -> None:
        self._finished += count
        self.stats.dropped += dropped
        self.stats.rejected += rejected
        self.stats.sent += count - dropped - rejected
        self.stats.last_errors = [*self.stats.last_errors, *(errors or [])][-20:]
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
