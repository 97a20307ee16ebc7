"""LearnloopClient: blocking calls, plus a background thread that sends batches."""

from __future__ import annotations

import atexit
import itertools
import logging
import queue
import threading
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


class LearnloopClient:
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
        timeout: float = 10.0,
        max_retries: int = 3,
        retry_for: float = 60.0,
        max_queue: int = 10_000,
        batch_size: int = ops.MAX_BATCH,
        linger: float = 0.05,
        config_ttl: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/") + "/graphql" if not url.endswith("/graphql") else url
        self._http = httpx.Client(
            timeout=timeout,
            headers={"authorization": f"Bearer {api_key}"},
            transport=transport,
        )
        self.max_retries = max_retries
        self.retry_for = retry_for
        self.batch_size = batch_size
        self.linger = linger
        self.stats = ClientStats()
        self._configs: TtlCache[tuple[str, str | None], AgentConfig] = TtlCache(config_ttl)
        self._queue: queue.Queue[ops.Item] = queue.Queue(maxsize=max_queue)
        self._done = threading.Condition()
        self._finished = 0
        self._wake = threading.Event()
        self._closed = False
        # Set by close() when flushing timed out: the sender stops retrying.
        self._closed_hard = False
        # next() on itertools.count is atomic: callers on many threads never lose a count.
        self._queued = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        atexit.register(self.close)

    # -- requests ---------------------------------------------------------------------------

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
            out_of_time = time.monotonic() - started > self.retry_for
            if (retries is not None and attempt > retries) or out_of_time or self._closed_hard:
                raise LearnloopError(f"service unavailable after {attempt} attempts: {problem}")
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
        item = ops.execution_input(
            agent_id,
            execution_id,
            {"input": input, "output": output, "metadata": metadata, "domain": domain, **fields},
        )
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
        item = ops.execution_input(
            agent_id,
            execution_id,
            {"end_user_id": end_user_id, "expires_in_seconds": expires_in_seconds},
        )
        data = self._post(ops.CREATE_FEEDBACK_TOKEN, {"input": item}, retries=self.max_retries)
        return ops.feedback_token(data)

    def agent_config(self, agent_id: str, unit_id: str | None = None) -> AgentConfig:
        """The effective config for this unit (user, session); cached for `config_ttl` seconds."""
        key = (agent_id, unit_id)
        cached = self._configs.get(key)
        if cached is not None:
            return cached
        variables = {"agentId": agent_id, "unitId": unit_id}
        found = ops.agent_config(self._post(ops.AGENT_CONFIG, variables, retries=self.max_retries))
        self._configs.put(key, found)
        return found

    # -- background -------------------------------------------------------------------------

    def _enqueue(self, item: ops.Item) -> None:
        if self._closed:
            raise LearnloopError("client is closed")
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
            rejected = ops.batch_rejections(self._post(query, variables, retries=None))
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
        with self._done:
            self._finished += count
            self.stats.dropped += dropped
            self.stats.rejected += rejected
            self.stats.sent += count - dropped - rejected
            self.stats.last_errors = [*self.stats.last_errors, *(errors or [])][-20:]
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
        if not flushed:
            # Stop retrying: whatever is still queued is dropped and counted.
            self._closed_hard = True
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
