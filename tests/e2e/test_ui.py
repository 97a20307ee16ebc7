"""The web UI in headless Chromium against `learnloop serve` (real server, worker and database).

The browser part is tests/e2e/browser.mjs (npm playwright-core + axe-core, pinned in
package-lock.json; `make test` installs them and Debian's chromium). This file prepares a
database, an organisation with an expert and a manager, queue items and a frozen dataset, starts
the server and a stub fine-tuning provider (so a run stays RUNNING long enough to be watched),
runs the browser script and then checks what the browser did through the API.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from learnloop.domain.roles import Role
from learnloop.storage.database import DatabaseTarget
from tests.conftest import TEST_SECRET, Api, OrgHandle, make_api
from tests.experiments.ops import AGENT_CONFIG, STATUS, seed_thumbs
from tests.experiments.test_canary import CANARY
from tests.learning_policies.ops import set_policy
from tests.training.seed import dataset_gid, seed_dataset, seed_finished_run
from tests.training.stub_provider import API_KEY, stub_provider

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ARTIFACTS = HERE / "artifacts"
CHROMIUM = "/usr/bin/chromium"
BROWSER_TIMEOUT = 90

pytestmark = pytest.mark.timeout_sensitive

CREATE_EXAMPLE = """
mutation($input: CreateLearningExampleInput!) {
  createLearningExample(input: $input) { learningExample { id } userErrors { message } }
}"""
FEEDBACK = """
mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { userErrors { message } } }
"""
WIDGET_EXAMPLES = """
query { learningExamples(filter: {agentId: "widget-agent", fromFeedback: true}) {
  edges { node { exampleType reviewStatus domain expectedOutput originalOutput sourceFeedback { rating } } }
} }"""
CREATE_EXPERIMENT = """
mutation($input: CreateExperimentInput!) {
  createExperiment(input: $input) { experiment { id } userErrors { message } }
}"""
START_EXPERIMENT = """
mutation($id: ID!) {
  updateExperimentStatus(input: {experimentId: $id, status: RUNNING}) { userErrors { message } }
}"""
DECIDED = """
query { learningExamples(filter: {agentId: "support-bot", reviewStatuses: [APPROVED]}) {
  edges { node { expectedOutput qualityScore } } } }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _require_browser_tools() -> None:
    missing = [
        what
        for what, ok in (
            ("node", shutil.which("node") is not None),
            (CHROMIUM, os.access(CHROMIUM, os.X_OK)),
            ("tests/e2e/node_modules", (HERE / "node_modules" / "playwright-core").is_dir()),
        )
        if not ok
    ]
    if missing:
        pytest.fail(f"browser test tools missing: {', '.join(missing)}; `make test` installs them")


async def _seed(org: OrgHandle) -> None:
    """Three corrections waiting for review and a little feedback for the charts."""
    for n in range(3):
        data = await org.gql(
            CREATE_EXAMPLE,
            {
                "input": {
                    "exampleType": "CORRECTION",
                    "agentId": "support-bot",
                    "domain": "billing",
                    "inputText": f"What is the refund for order {1040 + n}?",
                    "originalOutput": f"The refund for order {1040 + n} is $120.",
                    "expectedOutput": f"The refund for order {1040 + n} is $150, paid within 5 days.",
                }
            },
        )
        assert not data["createLearningExample"]["userErrors"]
    votes: list[dict[str, Any]] = [
        {"feedbackType": "THUMBS_UP"},
        {"feedbackType": "THUMBS_DOWN"},
        {"feedbackType": "STAR_RATING", "rating": 4},
        {"feedbackType": "REPORT_ISSUE", "issueCategories": ["INCORRECT", "UNCLEAR"], "rating": 2},
    ]
    for n, vote in enumerate(votes):
        data = await org.gql(
            FEEDBACK,
            {"input": {"agentId": "support-bot", "executionId": f"exec-{n}", **vote}},
        )
        assert not data["submitFeedback"]["userErrors"]
    created = await org.gql(
        CREATE_EXPERIMENT,
        {
            "input": {
                "name": "shorter answers",
                "agentId": "support-bot",
                "treatmentConfig": {"prompt": "Answer in one sentence."},
            }
        },
    )
    assert not created["createExperiment"]["userErrors"]
    experiment_id = created["createExperiment"]["experiment"]["id"]
    started = await org.gql(START_EXPERIMENT, {"id": experiment_id})
    assert not started["updateExperimentStatus"]["userErrors"]


async def _seed_loop(api: Api, org: OrgHandle) -> str:
    """loop-bot's learning loop: 2 of 5 approved examples waiting, a canary its treatment won."""
    policy = await set_policy(
        org,
        agentId="loop-bot",
        trainingType="FINE_TUNING",
        minNewApprovedExamples=5,
        autoExperiment=True,
        treatmentPercentage=50,
    )
    assert policy["userErrors"] == []
    run = await seed_finished_run(
        api, org.org_id, agent_key="loop-bot", marker="loop", deploy=False
    )
    experiment = (await org.gql(CANARY, {"id": run["run"], "p": 50}))["deployTrainingRun"][
        "experiment"
    ]
    await seed_thumbs(org, experiment, 80, {"CONTROL": 0.1, "TREATMENT": 0.95})
    done = await org.gql(STATUS, {"id": experiment["id"], "s": "COMPLETED"})
    assert done["updateExperimentStatus"]["experiment"]["winner"] == "TREATMENT"
    async with api.owner_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO learning_examples (org_id, agent_id, example_type, input_text,"
                " expected_output, review_status) SELECT :o, a.id, 'DEMONSTRATION', 'q', 'a',"
                " 'APPROVED' FROM agents a, generate_series(1, 2) WHERE a.org_id = :o"
                " AND a.key = 'loop-bot'"
            ),
            {"o": org.org_id},
        )
    experiment_id: str = experiment["id"]
    return experiment_id


@pytest.fixture
async def seeded(fresh_db: DatabaseTarget) -> AsyncIterator[tuple[Api, dict[str, str]]]:
    api, engines = await make_api(fresh_db)
    manager = await api.org(Role.MANAGER)
    expert = await manager.user(Role.EXPERT)
    viewer = await manager.user(Role.VIEWER)
    await _seed(manager)
    dataset = await seed_dataset(api, manager.org_id)
    canary_id = await _seed_loop(api, manager)
    async with api.owner_engine.begin() as conn:
        # The dataset's examples were curated long ago: they are not waiting in the queue.
        await conn.execute(
            text(
                "UPDATE learning_examples SET review_status = 'APPROVED'"
                " WHERE org_id = :o AND agent_id IS NULL"
            ),
            {"o": manager.org_id},
        )
    config = {
        "managerToken": manager.token,
        "expertToken": expert.token,
        "viewerToken": viewer.token,
        "datasetId": dataset_gid(dataset),
        "canaryId": canary_id,
    }
    try:
        yield api, config
    finally:
        await api.client.aclose()
        for engine in engines:
            await engine.dispose()


class Server:
    """`learnloop serve` (uvicorn, in-process worker) on a free port, as an operator runs it."""

    def __init__(self, target: DatabaseTarget, llm_url: str, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("LEARNLOOP_", "DATABASE"))}
        self.env = {
            **base,
            "DATABASE_URL": target.owner_url.render_as_string(hide_password=False),
            "LEARNLOOP_APP_DATABASE_URL": target.app_url.render_as_string(hide_password=False),
            "LEARNLOOP_JWT_SECRET": TEST_SECRET,
            "LEARNLOOP_LLM_BASE_URL": llm_url,
            "LEARNLOOP_LLM_API_KEY": API_KEY,
            "LEARNLOOP_WORKER_POLL_SECONDS": "1",
        }
        self.log_path = log
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Server:
        self._log = self.log_path.open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "learnloop.cli", "serve", "--port", str(self.port)),
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.proc.returncode is not None:
                    raise AssertionError(f"server exited:\n{self.log_path.read_text()}")
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"server not ready:\n{self.log_path.read_text()}")

    async def __aexit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=15)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        self._log.close()


async def _browser(config: dict[str, Any]) -> tuple[int, str]:
    """Run browser.mjs; its output (step timings, failures) also lands in artifacts/browser.log."""
    log_path = ARTIFACTS / "browser.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            "node",
            str(HERE / "browser.mjs"),
            cwd=HERE,
            env={**os.environ, "E2E_CONFIG": json.dumps(config)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            code = await asyncio.wait_for(proc.wait(), timeout=BROWSER_TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            code = -1
    output = log_path.read_text(errors="replace")
    if code == -1:
        output += f"\n(browser run exceeded {BROWSER_TIMEOUT}s)"
    return code, output


async def test_ui_end_to_end(seeded: tuple[Api, dict[str, str]]) -> None:
    _require_browser_tools()
    api, config = seeded
    ARTIFACTS.mkdir(exist_ok=True)
    async with stub_provider() as (llm_url, provider):
        # The provider reports the job running for a few polls: RUNNING lasts long enough to see.
        provider.polls_until_done = 5
        async with Server(api.target, llm_url, ARTIFACTS / "server.log") as server:
            started = time.monotonic()
            code, output = await _browser(
                {**config, "baseUrl": server.url, "artifacts": str(ARTIFACTS)}
            )
            elapsed = time.monotonic() - started
    assert code == 0, f"browser test failed:\n{output}"
    assert elapsed < BROWSER_TIMEOUT

    # What the browser did, read back through the API.
    manager_token = config["managerToken"]
    widget = await api.gql(WIDGET_EXAMPLES, token=manager_token)
    examples = [e["node"] for e in widget["learningExamples"]["edges"]]
    assert [(e["exampleType"], e["reviewStatus"]) for e in examples] == [("CORRECTION", "PENDING")]
    assert examples[0]["expectedOutput"] == "The refund for order 77 is $150."
    assert examples[0]["originalOutput"] == "The refund for order 77 is $120."
    assert examples[0]["sourceFeedback"]["rating"] == 4
    assert examples[0]["domain"] == "refunds"  # from the execution the demo page recorded
    decided = await api.gql(DECIDED, token=manager_token)
    approved = [e["node"] for e in decided["learningExamples"]["edges"]]
    assert [e["expectedOutput"] for e in approved] == ["The refund is $150, paid within 5 days."]
    assert approved[0]["qualityScore"] == pytest.approx((0.9 + 0.8 + 0.75 + 0.95) / 4)
    # The manager confirmed loop-bot's promotion in the browser: its winner is everyone's now.
    promoted = await api.gql(
        "query($id: ID!) { experiment(id: $id) { promotion { status notes } } }",
        {"id": config["canaryId"]},
        token=manager_token,
    )
    assert promoted["experiment"]["promotion"] == {
        "status": "PROMOTED",
        "notes": "clear win on thumbs-up rate",
    }
    loop_bot = await api.gql(AGENT_CONFIG, {"a": "loop-bot", "u": "unit-1"}, token=manager_token)
    assert loop_bot["agentConfig"]["deploymentVersion"] == 1
    for name in ("dashboard", "annotate", "widget", "signin"):
        for size in ("1280x800", "390x844"):
            assert (ARTIFACTS / f"{name}-{size}.png").stat().st_size > 5000
