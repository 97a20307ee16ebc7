"""Cancelling RAG_TUNING and BEHAVIOR_CLONING runs while their (real) engines work, through the
API and a worker: the engine stops at its next checkpoint, the run ends CANCELLED, and nothing
half-made (result, artifact) is written. PROMPT_OPTIMIZATION's is in test_prompt_optimizer.py."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from uuid import UUID

from learnloop.domain.engines.rag_trainer import RagTrainer, RetrievalSource
from learnloop.domain.engines.retrieval_log import RetrievalLog
from learnloop.domain.roles import Role
from learnloop.domain.training_runs.records import TrainingType
from learnloop.storage.database import DatabaseTarget
from tests.conftest import Api, make_api
from tests.training.conftest import _close, running_worker
from tests.training.ops import CANCEL, create_run, eventually, run_uuid, wait_for
from tests.training.retrieval_synth import generate
from tests.training.stub_llm import real_engines, stub_llm
from tests.training.test_behavior_learner import RuleStub, approved_dataset
from tests.training.test_retrieval_feedback import CREATE_RUN, items, send

ENDED = {"CANCELLED", "COMPLETED", "FAILED"}


class GatedSource:
    """The worker's real retrieval-log source, holding the engine inside its load step until the
    test lets go: so the cancel lands while the engine is working, not before or after."""

    def __init__(self, inner: RetrievalSource) -> None:
        self.inner = inner
        self.loaded = asyncio.Event()
        self.release = asyncio.Event()

    async def load(self, org_id: UUID, agent_key: str, since: datetime | None) -> RetrievalLog:
        log = await self.inner.load(org_id, agent_key, since)
        self.loaded.set()
        await self.release.wait()
        return log


def messages(run: dict[str, Any]) -> list[str]:
    return [e["node"]["message"] for e in run["events"]["edges"]]


async def test_rag_tuning_cancelled_while_loading_stops_before_the_analysis(
    fresh_api: Api,
) -> None:
    org = await fresh_api.org(Role.MANAGER)
    assert (await send(org, items(generate(300).rows)))["userErrors"] == []
    async with running_worker(fresh_api, engine_modules="") as worker:
        trainer = worker.registry.get(TrainingType.RAG_TUNING)
        assert isinstance(trainer, RagTrainer) and trainer.source is not None
        gate = trainer.source = GatedSource(trainer.source)
        created = await org.gql(CREATE_RUN, {"t": "RAG_TUNING", "a": "rag-bot"})
        run = created["createTrainingRun"]["trainingRun"]
        await asyncio.wait_for(gate.loaded.wait(), timeout=30)
        assert (await org.gql(CANCEL, {"id": run["id"]}))["cancelTrainingRun"]["userErrors"] == []
        execution, _ = worker.running[run_uuid(run["id"])]
        await eventually(lambda: execution.token.cancelled, within=15)
        gate.release.set()  # the log arrives; the checkpoint before the first step must stop it
        done = await wait_for(org, run["id"], ENDED, within=30)
    assert done["status"] == "CANCELLED"
    assert done["result"] is None and done["artifacts"] == []
    assert "loading retrieval feedback" in messages(done)
    assert not [m for m in messages(done) if m and m.startswith(("holding out", "fitting"))]


async def test_behavior_cloning_cancelled_between_rule_requests(fresh_db: DatabaseTarget) -> None:
    examples = [
        {
            "type": "CORRECTION",
            "input": f"What is the code of item T{i}?",
            "original": f"CODE-T{i}",
            "expected": f"code-t{i}",
        }
        for i in range(12)
    ] + [
        {
            "type": "DEMONSTRATION",
            "input": f"What is the code of item V{i}?",
            "expected": f"code-v{i}",
            "split": "VALIDATION",
        }
        for i in range(4)
    ]
    stub = RuleStub({r["input"]: r["expected"] for r in examples}, delay=0.3)
    async with stub_llm(stub) as (url, _):
        settings = real_engines(url)
        api, engines = await make_api(fresh_db, **settings)
        try:
            org = await api.org(Role.MANAGER)
            dataset = await approved_dataset(api, org.org_id, examples)
            # Twelve rule requests one after another (about 4 s), then the validation passes.
            config = {"correctionsPerRule": 1, "maxRules": 12, "seed": 1}
            run = await create_run(
                org, dataset=dataset, training_type="BEHAVIOR_CLONING", config=config
            )
            async with running_worker(api, **settings):
                await eventually(lambda: stub.calls >= 1, within=30)
                await org.gql(CANCEL, {"id": run["id"]})
                done = await wait_for(org, run["id"], ENDED, within=30)
                calls = stub.calls
            assert done["status"] == "CANCELLED"
            assert done["result"] is None and done["artifacts"] == []
            assert calls < 12  # stopped among the rule requests, long before validation
            await asyncio.sleep(1)
            assert stub.calls == calls  # and nothing more after it ended
        finally:
            await _close(api, engines)
