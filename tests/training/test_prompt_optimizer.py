"""PROMPT_OPTIMIZATION end to end against a stub LLM over HTTP: selection, verdict, budget, replay."""

from __future__ import annotations

import json
from typing import Any

from learnloop.domain.engines.prompts import render_openai_messages
from learnloop.domain.roles import Role
from learnloop.storage.database import DatabaseTarget
from tests.training.ops import CREATE, DEPLOY, REVIEW, create_run, wait_for
from tests.training.optimizer_env import (
    answers,
    optimizer_api,
    optimizer_worker,
    qa_dataset,
    qa_examples,
)
from tests.training.seed import dataset_gid
from tests.training.stub_llm import LlmStub

CONFIG = {
    "metric": "EXACT_MATCH",
    "maxLlmCalls": 200,
    "seed": 7,
    "basePrompt": "Answer the question.",
}


async def _optimise(
    org: Any, api: Any, settings: dict, dataset: Any, config: dict
) -> dict[str, Any]:
    run = await create_run(org, dataset=dataset, config=config)
    async with optimizer_worker(api, settings):
        done = await wait_for(org, run["id"], {"COMPLETED", "FAILED"}, within=60)
    assert done["status"] == "COMPLETED", done["error"]
    return done


async def _download(api: Any, org: Any, artifact: dict) -> list[dict[str, Any]]:
    response = await api.client.get(
        artifact["downloadUrl"].removeprefix("http://testserver"),
        headers={"authorization": f"Bearer {org.token}"},
    )
    assert response.status_code == 200
    return [json.loads(line) for line in response.text.splitlines()]


async def test_demonstrations_win_significantly_and_replay_costs_nothing(
    fresh_db: DatabaseTarget,
) -> None:
    rows = qa_examples()
    async with optimizer_api(fresh_db, LlmStub(answers(rows), behaviour="demos")) as (
        api,
        stub,
        settings,
    ):
        org = await api.org(Role.MANAGER)
        dataset = await qa_dataset(api, org.org_id, rows)
        done = await _optimise(org, api, settings, dataset, CONFIG)
        result = done["result"]
        assert result["verdict"] == "IMPROVED"
        assert result["best"]["variant"] == "few_shot"  # the simplest variant that helps
        assert result["baseline"] == {"validationScore": 0.0, "testScore": 0.0}
        assert result["best"]["validationScore"] == 1.0 and result["best"]["testScore"] == 1.0
        improvement = result["improvement"]
        assert improvement["test"] == "mcnemar_exact" and improvement["pValue"] < 1e-3
        assert improvement["mean"] == 1.0 and improvement["ciLow"] == 1.0
        assert result["floor"]["testScore"] == 0.0
        assert len(result["bestPrompt"]["demos"]) == 4
        assert stub.calls <= CONFIG["maxLlmCalls"]
        assert result["llmCalls"] == stub.calls == done["metrics"]["httpCalls"]
        assert done["metrics"]["promptTokens"] == 10 * stub.calls
        evaluations = [r for r in stub.requests if "item" in r["messages"][-1]["content"][-12:]]
        assert all(r["max_tokens"] == 256 and r["seed"] == 7 for r in evaluations)
        names = {v["name"] for v in result["variants"]}
        assert {"baseline", "restructured", "few_shot", "instruction_1", "instruction_2"} <= names

        (predictions,) = done["artifacts"]
        lines = await _download(api, org, predictions)
        assert len(lines) == 2 * 12
        assert {line["variant"] for line in lines} == {"baseline", "few_shot"}
        assert all(
            line["score"] == (1.0 if line["variant"] == "few_shot" else 0.0) for line in lines
        )
        assert set(lines[0]) == {"exampleId", "variant", "input", "expected", "output", "score"}

        # The same run again: every answer is replayed from the organisation's cache.
        calls = stub.calls
        again = await _optimise(org, api, settings, dataset, CONFIG)
        assert stub.calls == calls
        assert again["result"] == result
        assert again["metrics"]["httpCalls"] == 0 and again["metrics"]["cachedCalls"] == calls

        # Approved and deployed: the agent's config carries the prompt exactly as evaluated.
        await org.gql(REVIEW, {"id": done["id"], "d": "APPROVE"})
        deployed = (await org.gql(DEPLOY, {"id": done["id"]}))["deployTrainingRun"]
        assert deployed["userErrors"] == []
        prompt = deployed["deployment"]["config"]["deployable"]["prompt"]
        assert prompt == result["bestPrompt"]
        messages = render_openai_messages(prompt, "What is the code of item TE3?")
        assert [m["role"] for m in messages] == ["system"] + ["user", "assistant"] * 4 + ["user"]
        evaluated = next(
            r
            for r in stub.requests
            if r["messages"][-1]["content"].endswith("TE3?") and len(r["messages"]) > 2
        )
        assert evaluated["messages"] == messages

        # The next run starts from that deployed prompt.
        follow = await create_run(org, dataset=dataset, config={"metric": "EXACT_MATCH"})
        assert follow["config"]["basePrompt"] == prompt


async def test_a_model_that_ignores_the_prompt_gives_no_significant_improvement(
    fresh_db: DatabaseTarget,
) -> None:
    rows = qa_examples()
    async with optimizer_api(fresh_db, LlmStub(answers(rows), behaviour="ignore")) as (
        api,
        stub,
        settings,
    ):
        org = await api.org(Role.MANAGER)
        dataset = await qa_dataset(api, org.org_id, rows)
        config = {**CONFIG, "metric": "TOKEN_F1", "instructionCandidates": 1}
        done = await _optimise(org, api, settings, dataset, config)
        result = done["result"]
        assert result["verdict"] == "NO_SIGNIFICANT_IMPROVEMENT"
        assert result["best"]["variant"] == "baseline"
        assert (
            result["improvement"]["pValue"] == 1.0 and result["improvement"]["test"] == "wilcoxon"
        )
        assert stub.calls <= CONFIG["maxLlmCalls"]
        assert any("still fail" in r for r in result["recommendations"])
        assert any("INCORRECT" in r for r in result["recommendations"])


async def test_naming_the_output_format_wins_and_the_budget_is_a_hard_cap(
    fresh_db: DatabaseTarget,
) -> None:
    rows = qa_examples()
    async with optimizer_api(fresh_db, LlmStub(answers(rows), behaviour="format")) as (
        api,
        stub,
        settings,
    ):
        org = await api.org(Role.MANAGER)
        dataset = await qa_dataset(api, org.org_id, rows)
        done = await _optimise(org, api, settings, dataset, CONFIG)
        assert done["result"]["verdict"] == "IMPROVED"
        assert done["result"]["best"]["variant"] == "restructured"
        assert "## Output format" in done["result"]["bestPrompt"]["system"]

        tight = {**CONFIG, "maxLlmCalls": 50, "seed": 8}
        before = stub.calls
        small = await _optimise(org, api, settings, dataset, tight)
        assert stub.calls - before <= 50 and small["result"]["llmCalls"] <= 50


async def test_creation_refusals(fresh_db: DatabaseTarget) -> None:
    rows = qa_examples()
    async with optimizer_api(fresh_db, LlmStub(), llm=False) as (api, _, _settings):
        org = await api.org(Role.MANAGER)
        dataset = await qa_dataset(api, org.org_id, rows)
        data = await org.gql(
            CREATE, {"d": dataset_gid(dataset), "t": "PROMPT_OPTIMIZATION", "a": "b", "c": {}}
        )
        (error,) = data["createTrainingRun"]["userErrors"]
        assert (
            error["field"] == ["input", "trainingType"]
            and "LEARNLOOP_LLM_BASE_URL" in error["message"]
        )
    async with optimizer_api(fresh_db, LlmStub()) as (api, _, _settings):
        org = await api.org(Role.MANAGER)
        no_validation = await qa_dataset(api, org.org_id, qa_examples(validation=0))
        bad = {"metric": "BLEU", "maxLlmCalls": 0, "maxDemos": 9}
        data = await org.gql(
            CREATE,
            {"d": dataset_gid(no_validation), "t": "PROMPT_OPTIMIZATION", "a": "b", "c": bad},
        )
        payload = data["createTrainingRun"]
        assert payload["trainingRun"] is None
        assert sorted((e["field"][-1], e["code"]) for e in payload["userErrors"]) == [
            ("datasetId", "INVALID_STATE"),
            ("maxDemos", "OUT_OF_RANGE"),
            ("maxLlmCalls", "OUT_OF_RANGE"),
            ("metric", "INVALID"),
        ]
