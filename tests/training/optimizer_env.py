"""An API and worker wired to a local stub LLM, and datasets whose answers the stub knows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from learnloop.domain.roles import Role
from learnloop.storage.database import DatabaseTarget
from tests.conftest import Api, OrgHandle, make_api
from tests.training.conftest import _close, running_worker
from tests.training.ops import create_run, wait_for
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
                    "metadata": {"issueCategories": ["INCORRECT" if i % 2 else "INCOMPLETE"]},
                }
            )
    return rows


def answers(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {r["input"]: r["expected"] for r in rows}


@dataclass
class OptimizerEnv:
    api: Api
    stub: LlmStub
    settings: dict[str, Any]
    org: OrgHandle
    dataset: uuid.UUID


@asynccontextmanager
async def optimizer_env(
    db: DatabaseTarget, behaviour: str = "demos", *, llm: bool = True, **dataset: int
) -> AsyncIterator[OptimizerEnv]:
    """The app (no test engines: the real PromptOptimizer) pointing at a stub LLM, a manager of
    a new organisation, and a frozen dataset of item-code questions the stub knows."""
    rows = qa_examples(**dataset)
    async with stub_llm(LlmStub(answers(rows), behaviour=behaviour)) as (url, stub):
        settings: dict[str, Any] = {"llm_base_url": url, "llm_api_key": API_KEY} if llm else {}
        settings |= {"llm_model": "stub-model", "llm_concurrency": 8, "engine_modules": ""}
        api, engines = await make_api(db, **settings)
        try:
            org = await api.org(Role.MANAGER)
            data = await seed_dataset(api, org.org_id, name="item codes", examples=rows)
            yield OptimizerEnv(api, stub, settings, org, data)
        finally:
            await _close(api, engines)


async def optimise(env: OptimizerEnv, config: dict[str, Any]) -> dict[str, Any]:
    """Create a run, let a worker finish it, return the COMPLETED run."""
    run = await create_run(env.org, dataset=env.dataset, config=config)
    async with running_worker(env.api, **env.settings):
        done = await wait_for(env.org, run["id"], {"COMPLETED", "FAILED"}, within=60)
    assert done["status"] == "COMPLETED", done["error"]
    return done
