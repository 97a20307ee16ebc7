"""Exporting 100,000 examples streams through a real server in bounded memory."""

from __future__ import annotations

import asyncio
import gc
import json
import time

import httpx
import psutil
import uvicorn
from sqlalchemy import text
from strawberry import relay

from learnloop.domain.roles import Role
from tests.api.test_datasets import FREEZE, create
from tests.conftest import Api

ROWS = 100_000
LIMIT_BYTES = 100 * 1024 * 1024

SEED = """
WITH examples AS (
  INSERT INTO learning_examples
    (org_id, example_type, input_text, expected_output, original_output, review_status, quality_score)
  SELECT :org, 'CORRECTION', 'question ' || g || ' ' || repeat('q', 400),
         'answer ' || g || ' ' || repeat('a', 400), 'wrong ' || g, 'APPROVED', (g % 100) / 100.0
    FROM generate_series(1, :n) AS g
  RETURNING id
)
INSERT INTO dataset_examples (org_id, dataset_id, example_id, split)
SELECT :org, :dataset, id, (ARRAY['TRAIN', 'VALIDATION', 'TEST'])[1 + abs(hashtext(id::text)) % 3]
  FROM examples
"""


class PeakRss:
    """Samples this process's resident memory every few milliseconds while a block runs."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = 0
        self._task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, self.process.memory_info().rss)
            await asyncio.sleep(0.005)

    def start(self) -> int:
        gc.collect()
        baseline = self.process.memory_info().rss
        self.peak = baseline
        self._task = asyncio.create_task(self._sample())
        return baseline

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        self.peak = max(self.peak, self.process.memory_info().rss)


async def test_export_of_100k_examples_runs_in_bounded_memory(fresh_api: Api) -> None:
    h = await fresh_api.org(Role.MANAGER)
    dataset = await create(h, name="big")
    dataset_id = relay.GlobalID.from_id(dataset["id"]).node_id
    async with fresh_api.owner_engine.begin() as conn:
        await conn.execute(text(SEED), {"org": h.org_id, "dataset": dataset_id, "n": ROWS})
    frozen = await h.gql(FREEZE, {"id": dataset["id"]})
    assert frozen["freezeDataset"]["dataset"]["totalExamples"] == ROWS

    server = uvicorn.Server(
        uvicorn.Config(fresh_api.app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/exports/datasets/{dataset['id']}.jsonl?format=jsonl"

    rss = PeakRss()
    baseline = rss.start()
    lines = 0
    size = 0
    started = time.perf_counter()
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            headers = {"authorization": f"Bearer {h.token}"}
            async with client.stream("GET", url, headers=headers) as response:
                assert response.status_code == 200
                assert response.headers["x-learnloop-dataset-version"] == "1"
                async for line in response.aiter_lines():
                    if lines % 10_000 == 0:
                        assert json.loads(line)["dataset_version"] == 1
                    lines += 1
                    size += len(line) + 1
    finally:
        elapsed = time.perf_counter() - started
        await rss.stop()
        server.should_exit = True
        await serving
    growth = rss.peak - baseline
    print(
        f"\nexported {lines} rows ({size / 1e6:.0f} MB) in {elapsed:.1f}s = "
        f"{lines / elapsed:,.0f} rows/s; peak RSS growth {growth / 2**20:.1f} MiB"
    )
    assert lines == ROWS
    assert size > LIMIT_BYTES * 0.8  # the file is about as big as the limit: buffering would show
    assert growth < LIMIT_BYTES
