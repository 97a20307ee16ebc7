"""LearnloopClient: blocking calls, plus a background thread that sends batches."""

from __future__ import annotations

import atexit
import itertools
import queue
import threading
import time
from typing import Any, Unpack

import httpx

from learnloop.client import operations as ops
from learnloop.client.core import ClientCore, Options
from learnloop.client.results import (
    AgentConfig,
    ExecutionResult,
    FeedbackResult,
    FeedbackToken,
    LearnloopError,
)


class LearnloopClient(ClientCore):
    """`record_execution` and `submit_feedback` queue and return at once (background=True).

    A daemon thread sends what is queued in batches, retrying 502/503/504 and connection
    errors with backoff for up to `retry_for` seconds; the queue holds at most `max_queue`
    items and counts what it refuses in `stats.dropped`. `flush()` waits for the queue to be
    sent; `close()` (also run at interpreter exit) flushes and stops the thread.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        **options: Unpack[Options],
    ) -> None:
        super().__init__(url, api_key, options)
        self._http = httpx.Client(timeout=self.timeout, headers=self.headers, transport=transport)
        self._queue: queue.Queue[ops.Item] = queue.Queue(maxsize=self.max_queue)
        self._done = threading.Condition()
        self._wake = threading.Event()
        # next() on itertools.count is atomic: callers on many threads never lose a count.
        self._queued = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        atexit.register(self.close)

    def _post(
        self, query: str, variables: dict[str, Any], *, retries: int | None
    ) -> dict[str, Any]:
        """POST with retries; `retries=None` retries until `retry_for` seconds have passed."""
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                response = self._http.post(self.url, json={"query": query, "variables": variables})
                if response.status_code not in ops.RETRYABLE_STATUS:
                    return ops.data_of(response.json())
                problem = f"HTTP {response.status_code}"
            except httpx.TransportError as exc:
                problem = type(exc).__name__
            attempt += 1
            self._give_up(attempt, started, retries, problem)
            time.sleep(ops.backoff(attempt))

    def record_execution(
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
        """Report a run (idempotent on agent_id + execution_id). Extra fields: task_type,
        experiment_id, unit_id. In the background it returns None at once."""
        item = self._execution(agent_id, execution_id, input, output, metadata, domain, fields)
        if background:
            self._enqueue(ops.Item("execution", item))
            return None
        data = self._post(ops.RECORD_EXECUTION, {"input": item}, retries=self.max_retries)
        return ops.execution_result(data, agent_id)

    def submit_feedback(
        self,
        agent_id: str,
        execution_id: str,
        feedback_type: str,
        *,
        background: bool = True,
        **fields: Any,
    ) -> FeedbackResult | None:
        """Feedback (THUMBS_UP, CORRECTION, ...); fields as in SubmitFeedbackInput, snake_case."""
        item = ops.feedback_input(agent_id, execution_id, feedback_type, fields)
        if background:
            self._enqueue(ops.Item("feedback", item))
            return None
        data = self._post(ops.SUBMIT_FEEDBACK, {"input": item}, retries=self.max_retries)
        return ops.feedback_result(data)

    def create_feedback_token(
        self,
        agent_id: str,
        execution_id: str,
        *,
        end_user_id: str | None = None,
        expires_in_seconds: int = 3600,
    ) -> FeedbackToken:
        variables = self._token_request(agent_id, execution_id, end_user_id, expires_in_seconds)
        data = self._post(ops.CREATE_FEEDBACK_TOKEN, variables, retries=self.max_retries)
        return ops.feedback_token(data)

    def agent_config(self, agent_id: str, unit_id: str | None = None) -> AgentConfig:
        """The effective config for this unit (user, session); cached for `config_ttl` seconds."""
        cached = self._configs.get((agent_id, unit_id))
        if cached is not None:
            return cached
        variables = {"agentId": agent_id, "unitId": unit_id}
        found = ops.agent_config(self._post(ops.AGENT_CONFIG, variables, retries=self.max_retries))
        self._configs.put((agent_id, unit_id), found)
        return found

    # -- background -------------------------------------------------------------------------

    def _enqueue(self, item: ops.Item) -> None:
        self._check_open()
        if self._thread is None:
            self._start()
        try:
            self._queue.put_nowait(item)
            self.stats.queued = next(self._queued)
        except queue.Full:
            with self._done:
                self.stats.dropped += 1

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="learnloop-client", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        pending: list[ops.Item] = []
        while True:
            if not pending:
                try:
                    pending.append(self._queue.get(timeout=0.5))
                except queue.Empty:
                    if self._closed:
                        return
                    continue
                # Linger briefly so a burst goes out as one batch, unless someone is waiting.
                self._wake.wait(self.linger)
            while len(pending) < 2 * self.batch_size:
                try:
                    pending.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            batch, pending = ops.take(pending, self.batch_size)
            self._send(batch)

    def _send(self, batch: list[ops.Item]) -> None:
        query, variables = ops.batch_request(batch)
        try:
            sent: dict[str, Any] | LearnloopError = self._post(query, variables, retries=None)
        except LearnloopError as exc:
            sent = exc
        with self._done:
            self._settle(batch, sent)
            self._done.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued so far; False if `timeout` passed first."""
        if self._thread is None:
            return True
        target = self.stats.queued
        self._wake.set()
        try:
            with self._done:
                return self._done.wait_for(lambda: self._finished >= target, timeout)
        finally:
            self._wake.clear()

    def close(self, timeout: float = 10.0) -> None:
        """Flush (waiting at most `timeout`), stop the sender and close connections."""
        if self._closed:
            return
        atexit.unregister(self.close)
        flushed = self.flush(timeout)
        self._closed = True
        # Stop retrying: whatever is still queued is dropped and counted.
        self._closed_hard = not flushed
        if self._thread is not None:
            self._thread.join(timeout)
        with self._done:
            # Whatever was not sent by now never will be.
            self.stats.dropped += self.stats.queued - self._finished
        self._http.close()

    def __enter__(self) -> LearnloopClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
