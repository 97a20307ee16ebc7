"""A local stand-in for an OpenAI-compatible chat-completions endpoint, with scripted behaviour.

`behaviour` decides whether an answer is right: "demos" (right only when the request carries
demonstrations), "format" (right only when the system text names the output format) or
"ignore" (right for a fixed half of the inputs whatever the prompt says). Instruction proposals
(the optimiser's meta-prompt) get a numbered instruction back. Every request is counted.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from learnloop.domain.engines.prompt_candidates import PROPOSER_SYSTEM
from tests.training.local_server import serve_app

API_KEY = "stub-llm-key"


def real_engines(url: str) -> dict[str, Any]:
    """App and worker settings: the product engines (no test modules) talking to the stub."""
    return {
        "llm_base_url": url,
        "llm_api_key": API_KEY,
        "llm_model": "stub-model",
        "engine_modules": "",
    }


@dataclass
class LlmStub:
    answers: dict[str, str] = field(default_factory=dict)  # input -> right answer
    behaviour: str = "demos"
    delay: float = 0.0
    fail_first: int = 0  # answer 429 to this many requests first
    calls: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def right(self, messages: list[dict[str, str]]) -> bool:
        question = messages[-1]["content"]
        if self.behaviour == "demos":
            return any(m["role"] == "assistant" for m in messages)
        if self.behaviour == "format":
            system = next((m["content"] for m in messages if m["role"] == "system"), "")
            return "Output format" in system
        return int(hashlib.sha256(question.encode()).hexdigest(), 16) % 2 == 0

    def answer(self, body: dict[str, Any]) -> str:
        messages = body["messages"]
        if messages[0]["content"] == PROPOSER_SYSTEM:
            number = "#2" if "instruction #2" in messages[-1]["content"] else "#1"
            return f"Answer the question about the item ({number})."
        question = messages[-1]["content"]
        return self.answers.get(question, "?") if self.right(messages) else "I am not sure."


def build_app(stub: LlmStub) -> Starlette:
    async def complete(request: Request) -> JSONResponse:
        stub.calls += 1  # every request that reaches the endpoint, refused or not
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return JSONResponse({"error": {"message": "Incorrect API key provided"}}, 401)
        body = await request.json()
        stub.requests.append(body)
        if stub.fail_first > 0:
            stub.fail_first -= 1
            return JSONResponse({"error": {"message": "slow down"}}, 429, {"retry-after": "0"})
        stub.in_flight += 1
        stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
        try:
            if stub.delay:
                await asyncio.sleep(stub.delay)
            text = stub.answer(body)
        finally:
            stub.in_flight -= 1
        return JSONResponse(
            {
                "id": f"chatcmpl-{stub.calls}",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
            }
        )

    return Starlette(routes=[Route("/v1/chat/completions", complete, methods=["POST"])])


@asynccontextmanager
async def stub_llm(stub: LlmStub | None = None) -> AsyncIterator[tuple[str, LlmStub]]:
    """Serve the stub on a free local port; yields its base URL (…/v1) and its state."""
    state = stub or LlmStub()
    async with serve_app(build_app(state)) as base:
        yield f"{base}/v1", state


def bench_app() -> Starlette:
    """`uvicorn --factory tests.training.stub_llm:bench_app`: answers after 1 ms (bench/prompt_eval)."""
    return build_app(LlmStub(delay=0.001))
