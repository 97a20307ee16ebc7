"""An API and worker wired to a local stub LLM, and datasets whose answers the stub knows."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from learnloop.storage.database import DatabaseTarget
from learnloop.storage.event_bus import EventBus
from learnloop.worker.registry import build_registry
from learnloop.worker.runner import Worker, WorkerSettings
from tests.conftest import Api, make_api, test_settings
from tests.training.conftest import HEARTBEAT, LEASE, _close
from tests.training.seed import seed_dataset
from tests.training.stub_llm import API_KEY, LlmStub, stub_llm


def qa_examples(train: int = 8, validation: int = 12, test: int = 12) -> list[dict[str, Any]]:
    """Questions about numbered items whose answer (a code) nobody could guess."""
    rows = []
    for split, n in (("TRAIN", train), ("VALIDATION", validation), ("TEST", test)):
        for i in range(n):
            item = f"{split[:2]}{i}"
            rows.append(
                {
                    "type": "DEMONSTRATION",
                    "input": f"What is the code of item {item}?",
                    "expected": f"code-{item.lower()}",
                    "split": split,
                    "metadata": {"issueCategories": ["INCORRECT"]} if i % 3 == 0 else {},
                }
            )
    return rows


def answers(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {r["input"]: r["expected"] for r in rows}


@asynccontextmanager
async def optimizer_api(
    db: DatabaseTarget, stub: LlmStub, *, llm: bool = True
) -> AsyncIterator[tuple[Api, LlmStub, dict[str, Any]]]:
    """The app (no test engines: the real PromptOptimizer) pointing at the stub."""
    async with stub_llm(stub) as (url, state):
        settings: dict[str, Any] = {"llm_base_url": url, "llm_api_key": API_KEY} if llm else {}
        settings |= {"llm_model": "stub-model", "llm_concurrency": 8}
        api, engines = await make_api(db, **settings)
        try:
            yield api, state, settings
        finally:
            await _close(api, engines)


@asynccontextmanager
async def optimizer_worker(api: Api, settings: dict[str, Any]) -> AsyncIterator[Worker]:
    registry = build_registry(test_settings(**settings), api.engine)
    bus = EventBus(api.target.app_url)
    cfg = WorkerSettings(
        concurrency=1, lease_seconds=LEASE, heartbeat_seconds=HEARTBEAT, poll_seconds=1
    )
    worker = Worker(api.engine, registry, bus, cfg)
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.stop()
        await asyncio.wait_for(task, timeout=10)
        await bus.stop()


async def qa_dataset(api: Api, org_id: uuid.UUID, rows: list[dict[str, Any]]) -> uuid.UUID:
    return await seed_dataset(api, org_id, name="item codes", examples=rows)
