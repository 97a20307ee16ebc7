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
from learnloop.client.core import Call, ClientCore, Options, Retry, T
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
        retry = Retry(self, retries)
        while True:
            try:
                response = self._http.post(self.url, json=ops.body(query, variables))
                problem = ops.retryable(response.status_code)
                if problem is None:
                    return ops.data_of(response.json())
            except httpx.TransportError as exc:
                problem = type(exc).__name__
            time.sleep(retry.wait_after(problem))

    def _call(self, call: Call[T]) -> T:
        """Send it now and read the answer (or answer from the cache)."""
        if call.known is not None:
            return call.known
        return call.read(self._post(call.query, call.variables, retries=self.max_retries))

    def _submit(self, call: Call[T], background: bool) -> T | None:
        """Queue it (background) or send it now."""
        if background and call.item is not None:
            self._enqueue(call.item)
            return None
        return self._call(call)

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
        call = self._execution_call(agent_id, execution_id, input, output, metadata, domain, fields)
        return self._submit(call, background)

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
        return self._submit(
            self._feedback_call(agent_id, execution_id, feedback_type, fields), background
        )

    def create_feedback_token(
        self,
        agent_id: str,
        execution_id: str,
        *,
        end_user_id: str | None = None,
        expires_in_seconds: int = 3600,
    ) -> FeedbackToken:
        call = self._token_call(agent_id, execution_id, end_user_id, expires_in_seconds)
        return self._call(call)

    def agent_config(self, agent_id: str, unit_id: str | None = None) -> AgentConfig:
        """The effective config for this unit (user, session); cached for `config_ttl` seconds."""
        return self._call(self._config_call(agent_id, unit_id))

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
