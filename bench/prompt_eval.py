"""Prompt evaluation overhead: a 200-example VALIDATION pass against a stub LLM answering in 1 ms.

Compares the evaluator (budget, rendering, scoring, replay cache) with a floor of bare HTTP
calls at the same concurrency, so what is left is the engine's own overhead. The stub runs in a
thread with its own event loop, as a remote endpoint would not share ours.
Run alone: `.venv/bin/python -m bench.prompt_eval` (BENCH_EXAMPLES, default 200).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from bench.harness import Table
from bench.servers import bench_database, free_port
from learnloop.domain.engines.evaluation import EvalExample, Evaluator, Generation
from learnloop.domain.engines.llm import BudgetedModel, CallBudget
from learnloop.domain.engines.metrics import MetricName, Scorer
from learnloop.domain.engines.prompts import Demo, Prompt, render_messages
from learnloop.domain.roles import Role
from learnloop.llm.client import ClientSettings
from learnloop.llm.replay import LlmSessions
from learnloop.storage.identity import admin_ensure_org_and_user
from tests.training.stub_llm import API_KEY

EXAMPLES = int(os.environ.get("BENCH_EXAMPLES", "200"))
CONCURRENCY = 8
ROUNDS = 3


@contextmanager
def serve_stub() -> Iterator[str]:
    """The stub in its own process, as a remote endpoint would not share our CPU time slice."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "tests.training.stub_llm:bench_app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.post(f"{url}/chat/completions", json={}, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def floor(url: str, prompt: Prompt, examples: list[EvalExample]) -> tuple[float, float]:
    """Bare HTTP: the same requests, same concurrency, nothing else."""
    slots = asyncio.Semaphore(CONCURRENCY)
    headers = {"authorization": f"Bearer {API_KEY}"}
    async with httpx.AsyncClient(
        headers=headers, limits=httpx.Limits(max_connections=CONCURRENCY)
    ) as client:

        async def one(e: EvalExample) -> None:
            body = {
                "model": "stub",
                "messages": [m.as_dict() for m in render_messages(prompt, e.input)],
                "max_tokens": 64,
                "temperature": 0,
            }
            async with slots:
                (await client.post(f"{url}/chat/completions", json=body)).raise_for_status()

        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(e) for e in examples))
        return time.perf_counter() - start, time.process_time() - cpu


async def engine_pass(
    sessions: LlmSessions, org: uuid.UUID | None, prompt: Prompt, examples: list[EvalExample]
) -> tuple[float, float, int]:
    async with sessions.session(org) as chat:
        model = BudgetedModel(chat, CallBudget(len(examples)))
        evaluator = Evaluator(
            model, Scorer(MetricName.EXACT_MATCH), Generation(max_tokens=64), None, CONCURRENCY
        )
        start, cpu = time.perf_counter(), time.process_time()
        evaluation = await evaluator.evaluate(prompt, examples)
        assert len(evaluation.rows) == len(examples)
        return time.perf_counter() - start, time.process_time() - cpu, model.usage.http_calls


async def main() -> None:
    examples = [
        EvalExample(str(i), f"What is the code of item V{i}?", f"code-v{i}")
        for i in range(EXAMPLES)
    ]
    prompt = Prompt("Answer with the code only.", (Demo("What is the code of item X?", "code-x"),))
    table = Table(
        f"Prompt evaluation: {EXAMPLES}-example pass, stub LLM answering in 1 ms, "
        f"{CONCURRENCY} in flight (seconds, best of {ROUNDS})",
        [
            "pass",
            "wall s",
            "HTTP floor wall s",
            "client CPU s",
            "floor CPU s",
            "engine overhead (CPU) s",
            "HTTP calls",
        ],
    )
    with serve_stub() as url:
        settings = ClientSettings(
            base_url=url, model="stub", api_key=API_KEY, concurrency=CONCURRENCY
        )
        async with bench_database() as db:
            engine = create_async_engine(db.target.app_url)
            owner = create_async_engine(db.target.owner_url)
            async with owner.begin() as conn:
                org, _ = await admin_ensure_org_and_user(
                    conn, org_slug="bench-llm", email="b@bench.test", role=Role.ADMIN
                )
            await floor(url, prompt, examples)  # warm-up
            bare = min([await floor(url, prompt, examples) for _ in range(ROUNDS)])
            plain = LlmSessions(settings)
            runs = [await engine_pass(plain, None, prompt, examples) for _ in range(ROUNDS)]
            wall, cpu, calls = min(runs)
            table.add("no cache", wall, bare[0], cpu, bare[1], cpu - bare[1], calls)
            recorded = [
                await engine_pass(
                    LlmSessions(settings, engine),
                    org,
                    replace(prompt, system=f"{prompt.system} {i}"),
                    examples,
                )
                for i in range(ROUNDS)
            ]
            wall, cpu, calls = min(recorded)
            table.add("record (cache miss)", wall, bare[0], cpu, bare[1], cpu - bare[1], calls)
            replays = [
                await engine_pass(
                    LlmSessions(settings, engine),
                    org,
                    prompt.__class__(f"{prompt.system} 0", prompt.demos),
                    examples,
                )
                for _ in range(ROUNDS)
            ]
            wall, cpu, calls = min(replays)
            table.add("replay (cache hit)", wall, 0.0, cpu, 0.0, cpu, calls)
            await engine.dispose()
            await owner.dispose()
    table.notes.append(
        "The stub runs in its own process; wall times include its service time on a shared "
        "machine. Engine overhead = CPU time of this process during the pass minus the CPU time "
        "of the bare HTTP floor (the same requests, same concurrency, plain httpx). "
        "Target: well under 1 s for the 200-example pass."
    )
    table.publish()


if __name__ == "__main__":
    asyncio.run(main())
