"""An async OpenAI-compatible chat-completions client (OpenAI, vLLM, Ollama, llama.cpp, LiteLLM).

Retries 429 and 5xx (and connection errors) with exponential backoff and full jitter, honouring
`Retry-After`; bounds in-flight requests with a semaphore. The API key travels only in the
Authorization header: it is never part of a log line, an exception message or a cache key.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, replace
from typing import Any

import httpx
import structlog

from learnloop.domain.engines.llm import CallBudget, ChatRequest, ChatResponse, LlmUnavailable

log = structlog.get_logger("learnloop.llm")
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class ClientSettings:
    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 60.0
    max_retries: int = 4
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 20.0
    concurrency: int = 8


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _error_text(response: httpx.Response) -> str:
    try:
        detail = response.json().get("error", {})
        return str(detail.get("message") if isinstance(detail, dict) else detail)[:300]
    except ValueError:
        return response.text[:300]


class OpenAIChatClient:
    """ChatModel over HTTP; use as an async context manager (one connection pool per session)."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        budget: CallBudget | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.budget = budget  # each retry spends one unit; none left: no retry
        self.url = settings.base_url.rstrip("/") + "/chat/completions"
        headers = {"authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        limits = httpx.Limits(max_connections=settings.concurrency)
        self._http = httpx.AsyncClient(timeout=settings.timeout, headers=headers, limits=limits)
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._rng = rng or random.Random()  # jitter only: answers never depend on it

    async def __aenter__(self) -> OpenAIChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def payload(self, request: ChatRequest) -> dict[str, Any]:
        body = request.canonical(self.settings.model)
        if body["seed"] is None:
            del body["seed"]
        return body

    def _delay(self, attempt: int, hint: float | None) -> float:
        cap = min(self.settings.max_backoff_seconds, self.settings.backoff_seconds * 2**attempt)
        return max(hint or 0.0, self._rng.uniform(0, cap))

    async def complete(self, request: ChatRequest) -> ChatResponse:
        body = self.payload(request)
        attempt = 0
        while True:
            problem, hint = await self._attempt(body)
            if isinstance(problem, ChatResponse):
                return replace(problem, attempts=attempt + 1)
            if attempt >= self.settings.max_retries or not problem.retryable:
                raise problem
            if self.budget is not None and not self.budget.take():
                raise LlmUnavailable(
                    f"{problem.message} (no maxLlmCalls left to retry)", retryable=False
                )
            delay = self._delay(attempt, hint)
            log.info(
                "llm.retry", attempt=attempt + 1, delay=round(delay, 3), reason=problem.message
            )
            await asyncio.sleep(delay)
            attempt += 1

    async def _attempt(
        self, body: dict[str, Any]
    ) -> tuple[ChatResponse | LlmUnavailable, float | None]:
        async with self._slots:
            try:
                response = await self._http.post(self.url, json=body)
            except httpx.HTTPError as exc:
                text = f"could not reach the LLM at {self.settings.base_url}: {type(exc).__name__}"
                return LlmUnavailable(text, retryable=True), None
        if response.status_code >= 400:
            text = f"the LLM answered HTTP {response.status_code}: {_error_text(response)}"
            retry = response.status_code in RETRY_STATUSES
            return LlmUnavailable(text, retryable=retry), _retry_after(response)
        try:
            data = response.json()
            content = data["choices"][0]["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError):
            return LlmUnavailable(
                "the LLM's answer is not a chat completion", retryable=False
            ), None
        usage = data.get("usage") or {}
        return (
            ChatResponse(
                text=str(content),
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
            ),
            None,
        )
