"""PROMPT_OPTIMIZATION end to end against a stub LLM over HTTP: selection, verdict, budget, replay."""

from __future__ import annotations

import json
from typing import Any

from learnloop.domain.engines.prompts import Prompt, render_messages
from learnloop.storage.database import DatabaseTarget
from tests.training.conftest import running_worker
from tests.training.ops import CANCEL, CREATE, DEPLOY, REVIEW, create_run, eventually, wait_for
from tests.training.optimizer_env import OptimizerEnv, optimise, optimizer_env
from tests.training.seed import dataset_gid


def render_openai_messages(prompt: dict[str, Any], user_input: str) -> list[dict[str, str]]:
    """What an agent sends for a deployed `bestPrompt` JSON (as it reads it from its config)."""
    return [m.as_dict() for m in render_messages(Prompt.from_result(prompt), user_input)]


CONFIG = {
    "metric": "EXACT_MATCH",
    "maxLlmCalls": 200,
    "seed": 7,
    "basePrompt": "Answer the question.",
}


async def _download(env: OptimizerEnv, artifact: dict) -> list[dict[str, Any]]:
    response = await env.api.client.get(
        artifact["downloadUrl"].removeprefix("http://testserver"),
        headers={"authorization": f"Bearer {env.org.token}"},
    )
    assert response.status_code == 200
    return [json.loads(line) for line in response.text.splitlines()]


async def test_demonstrations_win_significantly_and_replay_costs_nothing(
    fresh_db: DatabaseTarget,
) -> None:
    async with optimizer_env(fresh_db, "demos") as env:
        stub = env.stub
        done = await optimise(env, CONFIG)
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
        assert done["metrics"]["promptTokens"] == 10 * len(stub.requests)
        evaluations = [r for r in stub.requests if "item" in r["messages"][-1]["content"][-12:]]
        assert all(r["max_tokens"] == 256 and r["seed"] == 7 for r in evaluations)
        names = {v["name"] for v in result["variants"]}
        assert {"baseline", "restructured", "few_shot", "instruction_1", "instruction_2"} <= names

        (predictions,) = done["artifacts"]
        lines = await _download(env, predictions)
        assert len(lines) == 2 * 12
        assert {line["variant"] for line in lines} == {"baseline", "few_shot"}
        assert all(
            line["score"] == (1.0 if line["variant"] == "few_shot" else 0.0) for line in lines
        )
        assert set(lines[0]) == {"exampleId", "variant", "input", "expected", "output", "score"}

        # The same run again: every answer is replayed from the organisation's cache.
        calls = stub.calls
        again = await optimise(env, CONFIG)
        assert stub.calls == calls
        assert again["result"] == result
        assert again["metrics"]["httpCalls"] == 0 and again["metrics"]["cachedCalls"] > 0

        # Approved and deployed: the agent's config carries the prompt exactly as evaluated.
        await env.org.gql(REVIEW, {"id": done["id"], "d": "APPROVE"})
        deployed = (await env.org.gql(DEPLOY, {"id": done["id"]}))["deployTrainingRun"]
        assert deployed["userErrors"] == []
        prompt = deployed["deployment"]["config"]["deployable"]["prompt"]
        assert prompt == result["bestPrompt"]
        messages = render_openai_messages(prompt, "What is the code of item TE3?")
        assert [m["role"] for m in messages] == ["system"] + ["user", "assistant"] * 4 + ["user"]
        evaluated = [
            r["messages"] for r in stub.requests if r["messages"][-1]["content"].endswith("TE3?")
        ]
        assert messages in evaluated

        # The next run starts from that deployed prompt.
        follow = await create_run(env.org, dataset=env.dataset, config={"metric": "EXACT_MATCH"})
        assert follow["config"]["basePrompt"] == prompt


async def test_a_model_that_ignores_the_prompt_gives_no_significant_improvement(
    fresh_db: DatabaseTarget,
) -> None:
    async with optimizer_env(fresh_db, "ignore") as env:
        config = {**CONFIG, "metric": "TOKEN_F1", "instructionCandidates": 1}
        result = (await optimise(env, config))["result"]
        assert result["verdict"] == "NO_SIGNIFICANT_IMPROVEMENT"
        assert result["best"]["variant"] == "baseline"
        assert (
            result["improvement"]["pValue"] == 1.0 and result["improvement"]["test"] == "wilcoxon"
        )
        assert env.stub.calls <= CONFIG["maxLlmCalls"]
        assert any("still fail" in r for r in result["recommendations"])
        (categories,) = [r for r in result["recommendations"] if r.startswith("Failures by")]
        assert "INCORRECT (" in categories and "INCOMPLETE (" in categories


async def test_naming_the_output_format_wins_and_the_budget_is_a_hard_cap(
    fresh_db: DatabaseTarget,
) -> None:
    async with optimizer_env(fresh_db, "format") as env:
        done = await optimise(env, CONFIG)
        assert done["result"]["verdict"] == "IMPROVED"
        assert done["result"]["best"]["variant"] == "restructured"
        assert "## Output format" in done["result"]["bestPrompt"]["system"]

        before = env.stub.calls
        small = await optimise(env, {**CONFIG, "maxLlmCalls": 50, "seed": 8})
        assert env.stub.calls - before <= 50 and small["result"]["llmCalls"] <= 50


async def test_creation_refusals(fresh_db: DatabaseTarget) -> None:
    async with optimizer_env(fresh_db, llm=False) as env:
        data = await env.org.gql(
            CREATE, {"d": dataset_gid(env.dataset), "t": "PROMPT_OPTIMIZATION", "a": "b", "c": {}}
        )
        (error,) = data["createTrainingRun"]["userErrors"]
        assert (
            error["field"] == ["input", "trainingType"]
            and error["code"] == "PROVIDER_REQUIRED"  # as every option that needs a provider
            and "LEARNLOOP_LLM_BASE_URL" in error["message"]
        )
    async with optimizer_env(fresh_db, validation=0) as env:
        bad = {"metric": "BLEU", "maxLlmCalls": 0, "maxDemos": 9}
        variables = {"d": dataset_gid(env.dataset), "t": "PROMPT_OPTIMIZATION", "a": "b", "c": bad}
        payload = (await env.org.gql(CREATE, variables))["createTrainingRun"]
        assert payload["trainingRun"] is None
        assert sorted((e["field"][-1], e["code"]) for e in payload["userErrors"]) == [
            ("datasetId", "INVALID_STATE"),
            ("maxDemos", "OUT_OF_RANGE"),
            ("maxLlmCalls", "OUT_OF_RANGE"),
            ("metric", "INVALID"),
        ]


async def test_cancel_stops_between_llm_batches(fresh_db: DatabaseTarget) -> None:
    async with optimizer_env(fresh_db, "ignore") as env:
        env.stub.delay = 0.2
        run = await create_run(env.org, dataset=env.dataset, config=CONFIG)
        async with running_worker(env.api, **env.settings):
            await eventually(lambda: env.stub.calls > 0, within=30)
            await env.org.gql(CANCEL, {"id": run["id"]})
            done = await wait_for(
                env.org, run["id"], {"CANCELLED", "COMPLETED", "FAILED"}, within=30
            )
            calls = env.stub.calls
        assert done["status"] == "CANCELLED"
        assert calls < 40  # the baseline pass (12) and at most one more batch, not the whole run
