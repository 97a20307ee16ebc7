"""The one engine interface: `async run(dataset, config, progress, cancel) -> EngineResult`."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from learnloop.domain.engines.llm import (
    BudgetedModel,
    BudgetExhausted,
    CallBudget,
    ChatModelFactory,
    LlmUnavailable,
)
from learnloop.domain.exports import ExportRecord
from learnloop.domain.splits import Split
from learnloop.domain.training_runs.records import TrainingType


@dataclass(frozen=True)
class TrainingData:
    """A frozen dataset version as an engine sees it: its examples as the dataset exports them.

    A RAG_TUNING run without a dataset gets an empty one (dataset_id None, no examples).
    """

    dataset_id: UUID | None
    name: str
    version: int
    examples: tuple[ExportRecord, ...]
    org_id: UUID | None = None  # whose data it is (engines scope caches such as LLM replay by it)
    agent_key: str | None = None  # the agent the run trains (RAG_TUNING reads its retrieval log)

    def split(self, split: Split) -> tuple[ExportRecord, ...]:
        return tuple(e for e in self.examples if e.split is split)


@dataclass(frozen=True)
class Artifact:
    """A file a run produces; stored with the run and downloadable."""

    name: str
    media_type: str
    content: str

    @property
    def size_bytes(self) -> int:
        return len(self.content.encode())

    @property
    def line_count(self) -> int:
        return self.content.count("\n")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content.encode()).hexdigest()


@dataclass(frozen=True)
class EngineResult:
    """`result` is shown on the run (put what a deployment should use under "deployable")."""

    result: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    artifacts: tuple[Artifact, ...] = ()


class RunCancelled(Exception):
    """An engine stopped early because its cancel token was set."""


class TrainingFailed(Exception):
    """An engine cannot finish; `message` tells a person what to do. Retryable ones are re-queued."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class CancelToken:
    """Set when the run must stop (cancelled, lease lost, worker stopping); engines check it between steps."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.reason: str | None = None

    def cancel(self, reason: str) -> None:
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise RunCancelled(self.reason or "cancelled")

    async def wait(self, seconds: float | None = None) -> bool:
        """Sleep until cancelled (True) or `seconds` pass (False); engines use it to pause."""
        try:
            async with asyncio.timeout(seconds):
                await self._event.wait()
        except TimeoutError:
            return False
        return True


class ProgressReporter(Protocol):
    async def __call__(
        self,
        fraction: float,
        *,
        message: str | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> None:
        """Record progress (0..1), optionally a log line and metrics merged into the run's."""
        ...


@runtime_checkable
class ProviderJobLedger(Protocol):
    """What a worker's progress reporter also offers engines that start provider jobs.

    An attempt records its job id as soon as the job exists; a retried attempt of the same run
    finds it in `previous_provider_job_id` and follows that job instead of starting another.
    """

    previous_provider_job_id: str | None

    async def record_provider_job(self, job_id: str) -> None: ...


class Engine(Protocol):
    training_type: TrainingType

    def validate_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The normalised config, or UserInputError with paths under ("config", ...)."""
        ...

    async def run(
        self,
        dataset: TrainingData,
        config: Mapping[str, Any],
        progress: ProgressReporter,
        cancel: CancelToken,
    ) -> EngineResult: ...


@asynccontextmanager
async def budgeted_session(
    llm: ChatModelFactory | None, org_id: UUID | None, max_calls: int, when_spent: str
) -> AsyncIterator[BudgetedModel]:
    """The one model an engine run talks through, capped at `max_calls`.

    LLM failures end the run as TrainingFailed (retryable when the endpoint said so); a spent
    budget too, with `when_spent` telling the person what to change.
    """
    if llm is None:
        raise TrainingFailed(
            "no LLM endpoint is configured for this worker (LEARNLOOP_LLM_BASE_URL)"
        )
    budget = CallBudget(max_calls)
    async with llm.session(org_id, budget) as chat:
        try:
            yield BudgetedModel(chat, budget)
        except LlmUnavailable as exc:
            raise TrainingFailed(exc.message, retryable=exc.retryable) from exc
        except BudgetExhausted as exc:
            raise TrainingFailed(f"maxLlmCalls={budget.limit} ran out{when_spent}") from exc
