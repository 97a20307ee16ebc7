"""FINE_TUNING and DPO: training files as downloadable artifacts, metrics, and provider jobs."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from learnloop.domain.roles import Role
from learnloop.storage.database import DatabaseTarget
from tests.conftest import Api, make_api
from tests.training.conftest import FAKE_ENGINES, _close, running_worker
from tests.training.ops import (
    CANCEL,
    CREATE,
    DEPLOY,
    REVIEW,
    create_run,
    eventually,
    get_run,
    wait_for,
)
from tests.training.seed import dataset_gid, seed_dataset
from tests.training.stub_provider import API_KEY, stub_provider


@asynccontextmanager
async def api_with_provider(
    db: DatabaseTarget, key: str = API_KEY
) -> AsyncIterator[tuple[Api, Any, dict]]:
    """API and worker settings pointing at a local stub fine-tuning API."""
    async with stub_provider() as (url, stub):
        llm = {"llm_base_url": url, "llm_api_key": key}
        api, engines = await make_api(db, engine_modules=FAKE_ENGINES, **llm)
        try:
            yield api, stub, llm
        finally:
            await _close(api, engines)


async def test_fine_tuning_files_are_artifacts_with_metrics(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    run = await create_run(org, training_type="FINE_TUNING", config={"nEpochs": 3})
    assert run["config"]["submit"] is False  # no provider configured: files only
    async with running_worker(training_api):
        done = await wait_for(org, run["id"], {"COMPLETED", "FAILED"})
    assert done["status"] == "COMPLETED", done["error"]
    assert done["metrics"]["examples"] == {"train": 3, "validation": 1}
    assert done["metrics"]["skippedExamples"] == 1  # the NEGATIVE one has no good answer
    tokens = done["metrics"]["tokens"]["train"]
    assert tokens["total"] > 0 and tokens["max"] >= tokens["mean"] > 0
    assert done["metrics"]["estimatedTrainingTokens"] == 3 * tokens["total"]
    assert done["result"]["provider"] is None
    assert done["result"]["kind"] == "FILES_ONLY"
    artifacts = {a["name"]: a for a in done["artifacts"]}
    downloads = {d["name"]: d["url"] for d in done["result"]["downloads"]}
    assert downloads == {name: a["downloadUrl"] for name, a in artifacts.items()}
    # Files are not a model: approving is fine, deploying says what to configure.
    await org.gql(REVIEW, {"id": run["id"], "d": "APPROVE"})
    refused = (await org.gql(DEPLOY, {"id": run["id"]}))["deployTrainingRun"]
    assert refused["deployment"] is None
    (problem,) = refused["userErrors"]
    assert problem["code"] == "NOT_DEPLOYABLE" and "LEARNLOOP_LLM_BASE_URL" in problem["message"]
    assert set(artifacts) == {"chat.train.jsonl", "chat.validation.jsonl"}
    train = artifacts["chat.train.jsonl"]
    assert train["lineCount"] == 3 and train["mediaType"] == "application/jsonl"

    response = await training_api.client.get(
        train["downloadUrl"].removeprefix("http://testserver"),
        headers={"authorization": f"Bearer {org.token}"},
    )
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == train["sha256"]
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert {
        "messages": [
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "4"},
        ]
    } in rows
    assert all([m["role"] for m in r["messages"]] == ["user", "assistant"] for r in rows)


async def test_dpo_pairs_and_config_rules(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    dataset = await seed_dataset(training_api, org.org_id)
    refused = await org.gql(
        CREATE,
        {"d": dataset_gid(dataset), "t": "DPO", "a": "bot", "c": {"beta": 0, "submit": True}},
    )
    assert sorted((e["field"], e["code"]) for e in refused["createTrainingRun"]["userErrors"]) == [
        (["input", "config", "beta"], "OUT_OF_RANGE"),
        (["input", "config", "submit"], "PROVIDER_REQUIRED"),
    ]
    waiting = await org.gql(
        CREATE,
        {"d": dataset_gid(dataset), "t": "FINE_TUNING", "a": "bot", "c": {"waitForJob": True}},
    )
    (problem,) = waiting["createTrainingRun"]["userErrors"]
    assert problem["code"] == "PROVIDER_REQUIRED" and "LEARNLOOP_LLM_BASE_URL" in problem["message"]
    run = await create_run(org, dataset=dataset, training_type="DPO", config={"beta": 0.3})
    async with running_worker(training_api):
        done = await wait_for(org, run["id"], {"COMPLETED", "FAILED"})
    assert done["status"] == "COMPLETED", done["error"]
    assert done["metrics"]["pairs"] == {"train": 2, "validation": 0}
    assert [a["name"] for a in done["artifacts"]] == ["dpo.train.jsonl"]
    response = await training_api.client.get(
        done["artifacts"][0]["downloadUrl"].removeprefix("http://testserver"),
        headers={"authorization": f"Bearer {org.token}"},
    )
    pairs = [json.loads(line) for line in response.text.splitlines()]
    assert {(p["chosen"], p["rejected"]) for p in pairs} == {
        ("4", "5"),
        ("Cats sleep much.", "Dogs bark."),
    }


async def test_too_few_examples_fails_with_what_to_do(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    run = await create_run(org, training_type="FINE_TUNING", config={"minExamples": 10})
    async with running_worker(training_api):
        failed = await wait_for(org, run["id"], {"FAILED", "COMPLETED"})
    assert failed["status"] == "FAILED"
    assert "has 3 usable training examples" in failed["error"]
    assert "lower minExamples" in failed["error"]


async def test_dpo_submitted_to_provider_then_approved_and_deployed(
    fresh_db: DatabaseTarget,
) -> None:
    async with api_with_provider(fresh_db) as (api, stub, llm):
        org = await api.org(Role.MANAGER)
        config = {"beta": 0.2, "suffix": "support", "waitForJob": True, "pollSeconds": 0.05}
        run = await create_run(org, training_type="DPO", config=config)
        async with running_worker(api, **llm):
            done = await wait_for(org, run["id"], {"COMPLETED", "FAILED"})
        assert done["status"] == "COMPLETED", done["error"]
        (job,) = stub.job_requests
        assert job["method"] == {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}}
        assert job["suffix"] == "support" and "validation_file" not in job
        name, content = stub.files[job["training_file"]]
        assert name == "dpo.train.provider.jsonl"
        first = json.loads(content.splitlines()[0])
        assert set(first) == {"input", "preferred_output", "non_preferred_output"}
        assert done["result"]["provider"]["status"] == "succeeded"
        assert done["result"]["kind"] == "FINE_TUNED_MODEL"
        assert done["providerJobId"] == "ftjob-1"
        model = done["result"]["deployable"]["fineTunedModel"]
        assert model and model.startswith("ft:")
        assert {a["name"] for a in done["artifacts"]} == {
            "dpo.train.jsonl",
            "dpo.train.provider.jsonl",
        }

        await org.gql(REVIEW, {"id": run["id"], "d": "APPROVE"})
        deployed = (await org.gql(DEPLOY, {"id": run["id"]}))["deployTrainingRun"]
        assert deployed["deployment"]["config"]["deployable"]["fineTunedModel"] == model
        assert deployed["deployment"]["config"]["trainingRunId"] == run["id"]  # a global id
        again = (await org.gql(DEPLOY, {"id": run["id"]}))["deployTrainingRun"]
        assert [e["code"] for e in again["userErrors"]] == ["ALREADY_DEPLOYED"]


async def test_provider_job_failure_and_cancellation(fresh_db: DatabaseTarget) -> None:
    async with api_with_provider(fresh_db) as (api, stub, llm):
        org = await api.org(Role.MANAGER)
        follow = {"waitForJob": True, "pollSeconds": 0.05}
        stub.outcome = "failed"
        failing = await create_run(org, training_type="FINE_TUNING", config=follow)
        async with running_worker(api, **llm):
            failed = await wait_for(org, failing["id"], {"COMPLETED", "FAILED"})
            # Under load the attempt's lease can lapse and the retry start a second job (the
            # first one had already failed): the job's number is not the point, its fate is.
            failed_job = f"ftjob-{len(stub.jobs)}"
            assert (
                failed["error"]
                == f"fine-tuning job {failed_job} ended failed: training loss diverged"
            )
            stub.polls_until_done = 10_000
            slow_job = f"ftjob-{len(stub.jobs) + 1}"  # the next job the stub will hand out
            slow = await create_run(org, training_type="FINE_TUNING", config=follow)
            await wait_for(org, slow["id"], {"RUNNING"})
            await eventually(lambda: stub.jobs.get(slow_job))
            await org.gql(CANCEL, {"id": slow["id"]})
            cancelled = await wait_for(org, slow["id"], {"CANCELLED", "FAILED", "COMPLETED"})
        assert cancelled["status"] == "CANCELLED"
        assert stub.cancelled == [slow_job]  # the provider's job was stopped too


async def test_wrong_api_key_fails_without_retrying(fresh_db: DatabaseTarget) -> None:
    async with api_with_provider(fresh_db, key="wrong") as (api, _stub, llm):
        org = await api.org(Role.MANAGER)
        run = await create_run(org, training_type="FINE_TUNING")
        async with running_worker(api, **llm):
            failed = await wait_for(org, run["id"], {"FAILED", "COMPLETED"})
    assert failed["attempts"] == 1
    assert "refused to upload chat.train.jsonl (HTTP 401): Incorrect API key" in failed["error"]


async def test_cancel_right_after_job_creation_cancels_the_providers_job(
    fresh_db: DatabaseTarget,
) -> None:
    """A cancel that lands while the job is being created (before it is followed) still stops it."""
    async with api_with_provider(fresh_db) as (api, stub, llm):
        org = await api.org(Role.MANAGER)
        run = await create_run(org, training_type="FINE_TUNING", config={"waitForJob": False})
        original = stub.create_job_hook

        async def cancel_while_creating() -> None:
            await org.gql(CANCEL, {"id": run["id"]})
            await asyncio.sleep(0.2)  # the worker sees the cancel before the response arrives

        stub.create_job_hook = cancel_while_creating
        async with running_worker(api, **llm):
            done = await wait_for(org, run["id"], {"CANCELLED", "COMPLETED", "FAILED"})
        stub.create_job_hook = original
        assert done["status"] == "CANCELLED"
        assert stub.cancelled == ["ftjob-1"]


async def test_worker_without_provider_fails_the_run_with_what_to_configure(
    fresh_db: DatabaseTarget,
) -> None:
    """The API has a fine-tuning API configured (submit defaults to true), the worker has none."""
    async with api_with_provider(fresh_db) as (api, stub, _llm):
        org = await api.org(Role.MANAGER)
        run = await create_run(org, training_type="FINE_TUNING")
        assert run["config"]["submit"] is True
        async with running_worker(api):  # no LEARNLOOP_LLM_* here
            failed = await wait_for(org, run["id"], {"FAILED", "COMPLETED"})
    assert failed["status"] == "FAILED" and failed["attempts"] == 1
    assert "crashed" not in failed["error"] and "AssertionError" not in failed["error"]
    assert "LEARNLOOP_LLM_BASE_URL" in failed["error"] and "submit: false" in failed["error"]
    assert stub.jobs == {}


async def test_a_retried_run_follows_its_providers_job_instead_of_starting_another(
    fresh_db: DatabaseTarget,
) -> None:
    async with api_with_provider(fresh_db) as (api, stub, llm):
        org = await api.org(Role.MANAGER)
        stub.failing_reads = 1  # the first poll hits an outage: attempt 1 is re-queued
        config = {"waitForJob": True, "pollSeconds": 0.05}
        run = await create_run(org, training_type="FINE_TUNING", config=config)
        async with running_worker(api, **llm):
            done = await wait_for(org, run["id"], {"COMPLETED", "FAILED"})
        assert done["status"] == "COMPLETED", done["error"]
        assert done["attempts"] == 2
        assert list(stub.jobs) == ["ftjob-1"]  # one job, followed by both attempts
        assert done["providerJobId"] == "ftjob-1"
        assert done["result"]["deployable"]["fineTunedModel"] == "ft:gpt-4o-mini:learnloop:ftjob-1"
        messages = [
            e["node"]["message"] for e in (await get_run(org, run["id"]))["events"]["edges"]
        ]
        assert "following fine-tuning job ftjob-1 started by an earlier attempt" in messages
