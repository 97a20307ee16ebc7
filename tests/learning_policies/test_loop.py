"""The whole loop with a stub LLM over HTTP: approvals -> dataset -> run -> review -> canary -> winner."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from learnloop.domain.experiments.hashing import assign
from learnloop.domain.roles import Role
from learnloop.storage.database import DatabaseTarget
from learnloop.worker.learning_policies import check_due
from learnloop.worker.registry import build_registry
from tests.conftest import OrgHandle, make_api
from tests.conftest import test_settings as app_settings
from tests.experiments.ops import AGENT_CONFIG, PROMOTE, STATUS, seed_thumbs
from tests.learning_policies.ops import (
    LIST,
    approve_next,
    loop_state,
    pending_examples,
    set_policy,
)
from tests.training.conftest import _close, running_worker
from tests.training.ops import GET, REVIEW, audit_actions, wait_for
from tests.training.optimizer_env import answers, qa_examples
from tests.training.stub_llm import API_KEY, LlmStub, stub_llm

AGENT = "support-bot"
CONFIG = {"metric": "EXACT_MATCH", "maxLlmCalls": 300, "seed": 7, "basePrompt": "Answer."}
DEPLOY = """
mutation($id: ID!) {
  deployTrainingRun(input: {runId: $id}) {
    deployment { id }
    experiment { id agentId status hashSeed coverage controlPercentage treatmentPercentage
                 treatmentConfig }
    userErrors { field message code }
  }
}"""

POLICY_DATASETS = "{ datasets(first: 5) { edges { node { splitCounts { split count } } } } }"


async def _policy_run(org: OrgHandle, within: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        (policy,) = (await org.gql(LIST, {"a": AGENT}))["learningPolicies"]
        if policy["lastRun"] is not None:
            return policy
        assert time.monotonic() < deadline, "the policy never queued a run"
        await asyncio.sleep(0.1)


async def test_the_loop_runs_by_itself_and_a_manager_confirms_the_winner(
    fresh_db: DatabaseTarget,
) -> None:
    rows = qa_examples(train=14, validation=13, test=13)
    async with stub_llm(LlmStub(answers(rows), behaviour="demos")) as (url, _):
        settings: dict[str, Any] = {
            "llm_base_url": url,
            "llm_api_key": API_KEY,
            "llm_model": "stub-model",
            "llm_concurrency": 8,
            "engine_modules": "",
        }
        api, engines = await make_api(fresh_db, **settings)
        try:
            manager = await api.org(Role.MANAGER)
            set_ = await set_policy(
                manager,
                minNewApprovedExamples=len(rows),
                config=CONFIG,
                autoExperiment=True,
                treatmentPercentage=30,
            )
            assert set_["userErrors"] == []
            await pending_examples(manager, AGENT, rows)
            expert = await manager.user(Role.EXPERT)
            for _ in range(len(rows) - 1):
                await approve_next(expert)
            registry = build_registry(app_settings(**settings), api.engine)
            assert await check_due(api.engine, registry) == []  # one short of the threshold

            # Before: everyone gets the control (no deployment yet).
            before = (await manager.gql(AGENT_CONFIG, {"a": AGENT, "u": "u-1"}))["agentConfig"]
            assert before["variant"] is None and before["deploymentVersion"] is None
            waiting = await loop_state(manager)
            assert waiting["waitingExamples"] == len(rows) - 1
            assert waiting["lastRun"] is None and waiting["canary"] is None

            await approve_next(expert)  # the threshold is crossed; nobody calls anything else
            async with running_worker(api, **settings):
                policy = await _policy_run(manager)
                run = await wait_for(manager, policy["lastRun"]["id"], {"COMPLETED", "FAILED"}, 90)
            assert run["status"] == "COMPLETED", run["error"]
            assert run["result"]["verdict"] == "IMPROVED", run["result"]
            trained = await loop_state(manager)
            assert trained["waitingExamples"] == 0  # all of them are in the new version
            assert trained["lastRun"]["verdict"] == "IMPROVED"
            assert trained["lastRun"]["reviewStatus"] == "UNREVIEWED"
            full = (await manager.gql(GET, {"id": run["id"]}))["trainingRun"]
            reasons = [e["node"]["message"] for e in full["events"]["edges"]]
            assert any(
                m.startswith(f"learning policy: {len(rows)} newly approved") for m in reasons
            )
            actions = [a for a, _ in await audit_actions(api, manager.org_id)]
            assert actions.count("learning_policy.trigger") == 1
            assert "dataset.freeze" in actions
            # The policy's version is stratified: TEST holds its quarter exactly, so the verdict
            # never rests on a handful of examples the hash happened to leave there.
            shelf = (await manager.gql(POLICY_DATASETS))["datasets"]["edges"]
            (counts,) = [e["node"]["splitCounts"] for e in shelf]
            assert {c["split"]: c["count"] for c in counts} == {
                "TRAIN": 20,
                "VALIDATION": 10,
                "TEST": 10,
            }

            review = await manager.gql(REVIEW, {"id": run["id"], "d": "APPROVE"})
            assert review["reviewTrainingRun"]["userErrors"] == []
            deployed = (await manager.gql(DEPLOY, {"id": run["id"]}))["deployTrainingRun"]
            assert deployed["userErrors"] == [] and deployed["deployment"] is None
            experiment = deployed["experiment"]
            assert experiment["status"] == "RUNNING"
            assert experiment["treatmentPercentage"] == 30

            # During: the arms, split at the policy's share.
            units = [f"unit-{i}" for i in range(300)]
            variants = []
            for unit in units:
                found = await manager.gql(AGENT_CONFIG, {"a": AGENT, "u": unit})
                variants.append(found["agentConfig"]["variant"])
            expected = [
                assign(
                    experiment["hashSeed"],
                    u,
                    experiment["coverage"],
                    experiment["controlPercentage"],
                    experiment["treatmentPercentage"],
                )
                for u in units
            ]
            assert variants == expected
            live = await loop_state(manager)
            assert live["canary"]["id"] == experiment["id"]
            assert live["canary"]["treatmentPercentage"] == 30
            assert live["pendingPromotion"] is None
            # The served arms are the hash's; the hash with this experiment's seed sends the
            # configured share to treatment (20,000 units: one standard deviation is 0.3 points;
            # 300 sampled units alone missed a ±8-point band now and then).
            population = [f"unit-{i}" for i in range(20_000)]
            split = [
                assign(
                    experiment["hashSeed"],
                    u,
                    experiment["coverage"],
                    experiment["controlPercentage"],
                    experiment["treatmentPercentage"],
                )
                for u in population
            ]
            share = split.count("TREATMENT") / len(population)
            assert 0.285 < share < 0.315, share

            # After: the treatment wins, and becomes everyone's config only once confirmed.
            await seed_thumbs(manager, experiment, 400, {"CONTROL": 0.2, "TREATMENT": 0.9})
            done = await manager.gql(STATUS, {"id": experiment["id"], "s": "COMPLETED"})
            assert done["updateExperimentStatus"]["experiment"]["winner"] == "TREATMENT"
            unconfirmed = (await manager.gql(AGENT_CONFIG, {"a": AGENT, "u": "unit-1"}))[
                "agentConfig"
            ]
            # Concluded, not yet confirmed: nobody gets an arm, everyone the control again.
            assert unconfirmed["deploymentVersion"] is None and unconfirmed["variant"] is None
            gate = await loop_state(manager)
            assert gate["canary"] is None
            assert gate["pendingPromotion"]["id"] == experiment["id"]
            assert gate["pendingPromotion"]["promotion"] == {
                "status": "PENDING",
                "requiredRole": "MANAGER",
            }
            promoted = (await manager.gql(PROMOTE, {"id": experiment["id"]}))[
                "promoteExperimentWinner"
            ]
            assert promoted["userErrors"] == []
            after = (await manager.gql(AGENT_CONFIG, {"a": AGENT, "u": "unit-1"}))["agentConfig"]
            assert after["variant"] is None and after["deploymentVersion"] == 1
            assert after["config"] == experiment["treatmentConfig"]
            assert (await loop_state(manager))["pendingPromotion"] is None
        finally:
            await _close(api, engines)
