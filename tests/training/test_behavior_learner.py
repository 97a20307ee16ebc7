"""BEHAVIOR_CLONING end to end against a stub LLM over HTTP: rules gated on validation, exemplars,
DPO preference pairs; and the mutations that record demonstrations and corrections."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from learnloop.domain.engines.behavior_data import RULE_SYSTEM
from learnloop.domain.roles import Role
from learnloop.storage import datasets
from learnloop.storage.database import DatabaseTarget
from learnloop.storage.unit_of_work import unit_of_work
from tests.conftest import Api, make_api
from tests.training.conftest import _close, running_worker
from tests.training.ops import CREATE, create_run, wait_for
from tests.training.seed import dataset_gid, seed_dataset
from tests.training.stub_llm import LlmStub, real_engines, stub_llm

GOOD_RULE = "Always answer with the item code in lower case."
USELESS_RULE = "Mention the weather."


class RuleStub(LlmStub):
    """Induces a good rule from the first corrections and a useless one from the others; answers
    questions right only when the system text carries the good rule."""

    def answer(self, body: dict[str, Any]) -> str:
        messages = body["messages"]
        if messages[0]["content"] == RULE_SYSTEM:
            return f"1. {GOOD_RULE}" if "item T0" in messages[-1]["content"] else USELESS_RULE
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        question = messages[-1]["content"]
        return self.answers.get(question, "?") if GOOD_RULE in system else "I am not sure."


def rows() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for i in range(4):
        found.append(
            {
                "type": "CORRECTION",
                "input": f"What is the code of item T{i}?",
                "original": f"CODE-T{i}",
                "expected": f"code-t{i}",
            }
        )
    for i in range(6):
        found.append(
            {
                "type": "DEMONSTRATION",
                "input": f"What is the code of item V{i}?",
                "expected": f"code-v{i}",
                "split": "VALIDATION",
            }
        )
    return found


async def approved_dataset(api: Api, org_id: Any, examples: list[dict[str, Any]]) -> Any:
    dataset = await seed_dataset(api, org_id, status="DRAFT", examples=examples)
    async with api.owner_engine.begin() as conn:
        await conn.execute(
            text("UPDATE learning_examples SET review_status = 'APPROVED' WHERE org_id = :o"),
            {"o": org_id},
        )
    async with unit_of_work(api.owner_engine, org_id) as uow:
        await datasets.freeze(uow, dataset)
    return dataset


async def test_rules_exemplars_and_preference_pairs(fresh_db: DatabaseTarget) -> None:
    examples = rows()
    answers = {r["input"]: r["expected"] for r in examples}
    async with stub_llm(RuleStub(answers)) as (url, stub):
        settings = real_engines(url)
        api, engines = await make_api(fresh_db, **settings)
        try:
            org = await api.org(Role.MANAGER)
            dataset = await approved_dataset(api, org.org_id, examples)
            config = {"correctionsPerRule": 2, "maxRules": 2, "seed": 1, "maxExemplars": 2}
            run = await create_run(
                org, dataset=dataset, training_type="BEHAVIOR_CLONING", config=config
            )
            async with running_worker(api, **settings):
                done = await wait_for(org, run["id"], {"COMPLETED", "FAILED"}, within=60)
            assert done["status"] == "COMPLETED", done["error"]
            result = done["result"]
            assert [r["text"] for r in result["rules"]] == [GOOD_RULE]
            assert result["rules"][0]["validationGain"] > 0
            assert [r["text"] for r in result["droppedRules"]] == [USELESS_RULE]
            assert result["droppedRules"][0]["validationGain"] <= 0
            assert result["preferencePairs"] == 4
            assert len(result["exemplars"]) == 2
            assert GOOD_RULE in result["deployable"]["prompt"]["system"]
            calls = stub.calls
            assert calls <= 200

            artifact = next(a for a in done["artifacts"] if a["name"] == "preferences.jsonl")
            response = await api.client.get(
                artifact["downloadUrl"], headers={"authorization": f"Bearer {org.token}"}
            )
            pairs = [json.loads(line) for line in response.text.splitlines()]
            assert len(pairs) == 4
            assert all(set(p) == {"prompt", "chosen", "rejected"} for p in pairs)
            assert all(p["chosen"] != p["rejected"] for p in pairs)

            # Same seed, replay cache: the second run answers from the cache, same result.
            again = await create_run(
                org, dataset=dataset, training_type="BEHAVIOR_CLONING", config=config
            )
            async with running_worker(api, **settings):
                second = await wait_for(org, again["id"], {"COMPLETED", "FAILED"}, within=60)
            assert second["result"] == result
            sha = {a["name"]: a["sha256"] for a in done["artifacts"]}
            assert {a["name"]: a["sha256"] for a in second["artifacts"]} == sha
            assert stub.calls == calls
        finally:
            await _close(api, engines)


async def test_refused_without_llm_or_learnable_examples(fresh_db: DatabaseTarget) -> None:
    api, engines = await make_api(fresh_db, engine_modules="")
    try:
        org = await api.org(Role.MANAGER)
        only_positive = [{"type": "POSITIVE", "input": "q", "expected": "a", "split": "VALIDATION"}]
        dataset = await seed_dataset(api, org.org_id, examples=only_positive)
        payload = (
            await org.gql(
                CREATE,
                {"d": dataset_gid(dataset), "t": "BEHAVIOR_CLONING", "a": "bot", "c": None},
            )
        )["createTrainingRun"]
        by_code = {e["code"]: e["message"] for e in payload["userErrors"]}
        assert "LEARNLOOP_LLM_BASE_URL" in by_code["PROVIDER_REQUIRED"]
        assert "DEMONSTRATION or CORRECTION" in by_code["INVALID_STATE"]
    finally:
        await _close(api, engines)


DEMO = """
mutation($i: LearnFromDemonstrationInput!) {
  learnFromDemonstration(input: $i) {
    learningExample { exampleType inputText expectedOutput metadata reviewStatus }
    userErrors { field code }
  }
}"""
CORRECT = """
mutation($i: IncorporateCorrectionInput!) {
  incorporateCorrection(input: $i) {
    learningExample { exampleType expectedOutput originalOutput metadata }
    userErrors { field code }
  }
}"""


async def test_demonstrations_and_corrections_are_recorded_with_provenance(api: Api) -> None:
    org = await api.org(Role.MEMBER)
    demo = (
        await org.gql(
            DEMO, {"i": {"agentId": "bot", "inputText": "Hi", "expectedOutput": "Hello!"}}
        )
    )["learnFromDemonstration"]
    assert demo["userErrors"] == []
    example = demo["learningExample"]
    assert example["exampleType"] == "DEMONSTRATION"
    assert example["metadata"]["recordedBy"] == "learnFromDemonstration"
    assert example["reviewStatus"] == "PENDING"

    fixed = {"agentId": "bot", "inputText": "2+2?", "originalOutput": "5", "expectedOutput": "4"}
    correction = (await org.gql(CORRECT, {"i": fixed}))["incorporateCorrection"]
    assert correction["learningExample"]["exampleType"] == "CORRECTION"
    assert correction["learningExample"]["metadata"]["recordedBy"] == "incorporateCorrection"

    empty = (await org.gql(CORRECT, {"i": {**fixed, "expectedOutput": " "}}))[
        "incorporateCorrection"
    ]
    assert empty["learningExample"] is None
    assert ["input", "expectedOutput"] in [e["field"] for e in empty["userErrors"]]
