"""The small LLM protocol engines are written against (adapters live in `learnloop/llm/`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system", "user" or "assistant"
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class ChatRequest:
    """One chat-completions call; everything that can change the answer is part of its key."""

    messages: tuple[ChatMessage, ...]
    temperature: float = 0.0
    max_tokens: int = 256
    seed: int | None = None

    def canonical(self, model: str) -> dict[str, Any]:
        return {
            "model": model,
            "messages": [m.as_dict() for m in self.messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
        }

    def cache_key(self, model: str) -> str:
        """sha256 of the canonical JSON (sorted keys, no spaces): equal requests, equal keys."""
        text = json.dumps(self.canonical(model), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ChatResponse:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False  # answered by the replay cache: no HTTP call was made
    attempts: int = 1  # HTTP attempts it took (retries included) when it was first answered


class ChatModel(Protocol):
    async def complete(self, request: ChatRequest) -> ChatResponse: ...


async def prefetch(model: ChatModel, requests: Sequence[ChatRequest]) -> None:
    """Let a caching model look up a whole batch at once (a no-op for others)."""
    method = getattr(model, "prefetch", None)
    if method is not None:
        await method(requests)


async def flush(model: ChatModel) -> None:
    """Let a recording model write what it learnt since the last flush (a no-op for others)."""
    method = getattr(model, "flush", None)
    if method is not None:
        await method()


class LlmUnavailable(Exception):
    """The endpoint cannot answer (after retries); `retryable` says whether a later attempt may."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class CallBudget:
    """The one place `maxLlmCalls` is enforced: every request and every retry takes one unit.

    A unit is taken before the call is made, so concurrent callers can never overshoot.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0

    @property
    def remaining(self) -> int:
        return self.limit - self.spent

    def take(self) -> bool:
        if self.spent >= self.limit:
            return False
        self.spent += 1
        return True


class ChatModelFactory(Protocol):
    """Gives each run a session: a model bound to the run's organisation (its replay cache)."""

    model: str
    concurrency: int

    def session(
        self, org_id: UUID | None, budget: CallBudget | None = None
    ) -> AbstractAsyncContextManager[ChatModel]:
        """Retries inside the session also spend `budget`."""
        ...


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One L2-normalised vector per text."""
        ...


@dataclass
class Usage:
    """Calls and tokens of one run, as `metrics` shows them."""

    llm_calls: int = 0
    http_calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)

    def add(self, response: ChatResponse, stage: str) -> None:
        self.llm_calls += 1
        self.by_stage[stage] = self.by_stage.get(stage, 0) + 1
        if response.cached:
            self.cached_calls += 1
        else:
            self.http_calls += response.attempts
        self.prompt_tokens += response.prompt_tokens
        self.completion_tokens += response.completion_tokens

    def as_metrics(self) -> dict[str, Any]:
        return {
            "llmCalls": self.llm_calls,
            "httpCalls": self.http_calls,
            "cachedCalls": self.cached_calls,
            "promptTokens": self.prompt_tokens,
            "completionTokens": self.completion_tokens,
            "llmCallsByStage": dict(self.by_stage),
        }


class BudgetExhausted(Exception):
    """The run's `maxLlmCalls` is spent; nothing more may be asked of the model."""


class BudgetedModel:
    """A model whose calls spend a CallBudget (retries spend it inside the client).

    Replayed answers spend what they cost when recorded (the call and its retries), so a replayed
    run takes exactly the same path as the recorded one, without any HTTP call.
    """

    def __init__(self, model: ChatModel, budget: CallBudget) -> None:
        self.model = model
        self.budget = budget
        self.usage = Usage()

    @property
    def limit(self) -> int:
        return self.budget.limit

    @property
    def spent(self) -> int:
        return self.budget.spent

    @property
    def remaining(self) -> int:
        return self.budget.remaining

    async def prefetch(self, requests: Sequence[ChatRequest]) -> None:
        await prefetch(self.model, requests)

    async def flush(self) -> None:
        await flush(self.model)

    async def complete(self, request: ChatRequest, stage: str = "other") -> ChatResponse:
        if not self.budget.take():
            raise BudgetExhausted(f"maxLlmCalls={self.limit} spent")
        response = await self.model.complete(request)
        if response.cached:
            for _ in range(response.attempts - 1):
                self.budget.take()
        self.usage.add(response, stage)
        return response
