"""The chat client against a stub endpoint: retries, bounded concurrency, budget, no key in logs."""

from __future__ import annotations

import asyncio

import pytest
import structlog

from learnloop.domain.engines.llm import (
    BudgetedModel,
    BudgetExhausted,
    CallBudget,
    ChatMessage,
    ChatRequest,
    LlmUnavailable,
)
from learnloop.llm.client import ClientSettings, OpenAIChatClient
from tests.training.stub_llm import API_KEY, LlmStub, stub_llm


def ask(text: str) -> ChatRequest:
    return ChatRequest((ChatMessage("user", text),), temperature=0, max_tokens=32, seed=3)


def settings(url: str, **overrides: object) -> ClientSettings:
    base: dict[str, object] = {
        "base_url": url,
        "model": "m",
        "api_key": API_KEY,
        "backoff_seconds": 0.001,
        "concurrency": 3,
    }
    return ClientSettings(**{**base, **overrides})  # type: ignore[arg-type]


async def test_retries_rate_limits_then_answers_and_sends_max_tokens() -> None:
    stub = LlmStub({"hi": "hello"}, behaviour="ignore", fail_first=2)
    async with stub_llm(stub) as (url, _), OpenAIChatClient(settings(url)) as client:
        response = await client.complete(ask("hi"))
    assert stub.calls == 3 and response.attempts == 3
    body = stub.requests[-1]
    assert body["max_tokens"] == 32 and body["seed"] == 3 and body["model"] == "m"
    assert body["messages"] == [{"role": "user", "content": "hi"}]


async def test_retries_spend_the_budget_and_stop_when_it_is_gone() -> None:
    async with stub_llm(LlmStub(fail_first=10)) as (url, stub):
        budget = CallBudget(3)
        async with OpenAIChatClient(settings(url), budget=budget) as client:
            model = BudgetedModel(client, budget)
            with pytest.raises(LlmUnavailable, match="no maxLlmCalls left"):
                await model.complete(ask("hi"))
            with pytest.raises(BudgetExhausted):
                await model.complete(ask("hi"))
    assert stub.calls == 3 == budget.spent


async def test_concurrency_is_bounded_and_the_budget_never_overshoots() -> None:
    async with stub_llm(LlmStub(delay=0.02)) as (url, stub):
        budget = CallBudget(10)
        async with OpenAIChatClient(settings(url), budget=budget) as client:
            model = BudgetedModel(client, budget)
            results = await asyncio.gather(
                *(model.complete(ask(f"q{i}")) for i in range(25)), return_exceptions=True
            )
    assert sum(not isinstance(r, BaseException) for r in results) == 10
    assert sum(isinstance(r, BudgetExhausted) for r in results) == 15
    assert stub.calls == 10 and stub.max_in_flight == 3


async def test_refusals_do_not_retry_and_never_show_the_key() -> None:
    async with stub_llm(LlmStub()) as (url, stub):
        with structlog.testing.capture_logs() as logs:
            async with OpenAIChatClient(settings(url, api_key="sk-wrong-secret")) as client:
                with pytest.raises(LlmUnavailable) as refused:
                    await client.complete(ask("hi"))
    assert stub.calls == 1 and not refused.value.retryable
    assert "401" in refused.value.message and "sk-wrong-secret" not in refused.value.message
    assert "sk-wrong-secret" not in repr(logs)


async def test_unreachable_endpoint_is_a_retryable_failure() -> None:
    async with OpenAIChatClient(settings("http://127.0.0.1:9/v1", max_retries=1)) as client:
        with pytest.raises(LlmUnavailable) as failed:
            await client.complete(ask("hi"))
    assert failed.value.retryable and API_KEY not in failed.value.message
