"""What the sync and async clients share: options, counters, the config cache, item building."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar

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


class Options(TypedDict, total=False):
    """Keyword options of both clients (defaults in DEFAULTS)."""

    timeout: float  # seconds per request
    max_retries: int  # retries of a blocking call
    retry_for: float  # seconds a background batch keeps being retried
    max_queue: int  # queued items before new ones are dropped (and counted)
    batch_size: int  # items of each kind per request (the service takes 500)
    linger: float  # seconds the sender waits for a burst to gather
    config_ttl: float  # seconds agent_config answers are reused


DEFAULTS: Options = {
    "timeout": 10.0,
    "max_retries": 3,
    "retry_for": 60.0,
    "max_queue": 10_000,
    "batch_size": ops.MAX_BATCH,
    "linger": 0.05,
    "config_ttl": 10.0,
}


T = TypeVar("T")


@dataclass(frozen=True)
class Call(Generic[T]):
    """One operation, transport-free: the request, how to read its answer, and either how it
    travels in the background (`item`) or an answer known without asking (`known`)."""

    query: str
    variables: dict[str, Any]
    read: Callable[[dict[str, Any]], T]
    item: ops.Item | None = None
    known: T | None = None


class Retry:
    """The attempts of one request: the wait before the next, or LearnloopError once spent."""

    def __init__(self, core: ClientCore, retries: int | None) -> None:
        self.core = core
        self.retries = retries
        self.started = time.monotonic()
        self.attempt = 0

    def wait_after(self, problem: str) -> float:
        self.attempt += 1
        self.core._give_up(self.attempt, self.started, self.retries, problem)
        return ops.backoff(self.attempt)


class ClientCore:
    def __init__(self, url: str, api_key: str, options: Options) -> None:
        settings: Options = {**DEFAULTS, **options}
        self.url = url if url.endswith("/graphql") else url.rstrip("/") + "/graphql"
        self.headers = {"authorization": f"Bearer {api_key}"}
        self.timeout = settings["timeout"]
        self.max_retries = settings["max_retries"]
        self.retry_for = settings["retry_for"]
        self.max_queue = settings["max_queue"]
        self.batch_size = settings["batch_size"]
        self.linger = settings["linger"]
        self.stats = ClientStats()
        self._configs: TtlCache[tuple[str, str | None], AgentConfig] = TtlCache(
            settings["config_ttl"]
        )
        self._finished = 0
        self._closed = False
        # Set by close() when flushing timed out: the sender stops retrying.
        self._closed_hard = False

    def _give_up(self, attempt: int, started: float, retries: int | None, problem: str) -> None:
        """Raise once retries (None: until retry_for) are spent; else return to retry."""
        out_of_time = time.monotonic() - started > self.retry_for
        if (retries is not None and attempt > retries) or out_of_time or self._closed_hard:
            raise LearnloopError(f"service unavailable after {attempt} attempts: {problem}")

    def _execution_call(
        self,
        agent_id: str,
        execution_id: str,
        input: str | None,
        output: str | None,
        metadata: dict[str, Any] | None,
        domain: str | None,
        fields: dict[str, Any],
    ) -> Call[ExecutionResult]:
        values = {"input": input, "output": output, "metadata": metadata, "domain": domain}
        item = ops.execution_input(agent_id, execution_id, {**values, **fields})
        return Call(
            ops.RECORD_EXECUTION,
            {"input": item},
            lambda data: ops.execution_result(data, agent_id),
            ops.Item("execution", item),
        )

    def _feedback_call(
        self, agent_id: str, execution_id: str, feedback_type: str, fields: dict[str, Any]
    ) -> Call[FeedbackResult]:
        item = ops.feedback_input(agent_id, execution_id, feedback_type, fields)
        return Call(
            ops.SUBMIT_FEEDBACK, {"input": item}, ops.feedback_result, ops.Item("feedback", item)
        )

    def _token_call(
        self, agent_id: str, execution_id: str, end_user_id: str | None, expires_in_seconds: int
    ) -> Call[FeedbackToken]:
        values = {"end_user_id": end_user_id, "expires_in_seconds": expires_in_seconds}
        variables = {"input": ops.execution_input(agent_id, execution_id, values)}
        return Call(ops.CREATE_FEEDBACK_TOKEN, variables, ops.feedback_token)

    def _config_call(self, agent_id: str, unit_id: str | None) -> Call[AgentConfig]:
        """Answered from the cache while fresh; a fetched answer is cached for `config_ttl`."""
        key = (agent_id, unit_id)

        def read(data: dict[str, Any]) -> AgentConfig:
            found = ops.agent_config(data)
            self._configs.put(key, found)
            return found

        variables = {"agentId": agent_id, "unitId": unit_id}
        return Call(ops.AGENT_CONFIG, variables, read, known=self._configs.get(key))

    def _check_open(self) -> None:
        if self._closed:
            raise LearnloopError("client is closed")

    def _settle(self, batch: list[ops.Item], sent: dict[str, Any] | LearnloopError) -> None:
        """Count a batch's fate: sent, refused item by item, or dropped after retries."""
        if isinstance(sent, LearnloopError):
            log.warning("learnloop: dropped %d items: %s", len(batch), sent)
            self._account(len(batch), dropped=len(batch), errors=[str(sent)])
            return
        rejected = ops.batch_rejections(sent)
        if rejected:
            log.warning("learnloop: the service refused %d items: %s", len(rejected), rejected[:3])
        self._account(len(batch), rejected=len(rejected), errors=rejected)

    def _account(
        self, count: int, *, dropped: int = 0, rejected: int = 0, errors: list[str] | None = None
    ) -> None:
        self._finished += count
        self.stats.dropped += dropped
        self.stats.rejected += rejected
        self.stats.sent += count - dropped - rejected
        self.stats.last_errors = [*self.stats.last_errors, *(errors or [])][-20:]
