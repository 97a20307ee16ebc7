"""Workers as separate processes: live progress to a subscriber, SIGKILL recovery, exactly-once, cancel."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.training.conftest import HEARTBEAT, LEASE, WorkerProcess
from tests.training.ops import CANCEL, UPDATED, audit_actions, create_run, get_run, wait_for
from tests.training.probe import read_probe
from tests.training.seed import seed_dataset
from tests.training.ws import graphql_ws


def start_worker(
    api: Api, workers: list[WorkerProcess], tmp_path: Path, name: str, *args: str, **env: str
) -> WorkerProcess:
    worker = WorkerProcess(api.target, tmp_path, name, **env).start(*args)
    workers.append(worker)
    return worker


async def until(condition, within: float = 15, every: float = 0.05):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not (found := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(every)
    return found


async def test_subscriber_sees_the_run_executed_by_a_worker_process(
    training_api: Api, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    api = training_api
    org = await api.org(Role.MANAGER)
    run = await create_run(org, config={"steps": 5, "stepSeconds": 0.15})
    seen: list[tuple[str, float]] = []
    async with graphql_ws(api.app, org.token) as ws:
        await ws.subscribe("run", UPDATED, {"id": run["id"]})
        first = await ws.receive()
        assert (
            first["type"] == "next"
            and first["payload"]["data"]["trainingRunUpdated"]["status"] == "PENDING"
        )
        seen.append(("PENDING", 0.0))
        start_worker(api, workers, tmp_path, "w1")
        while (message := await ws.receive(within=20))["type"] != "complete":
            assert message["type"] == "next", message
            state = message["payload"]["data"]["trainingRunUpdated"]
            seen.append((state["status"], state["progress"]))
    statuses = [s for i, (s, _) in enumerate(seen) if i == 0 or seen[i - 1][0] != s]
    assert statuses == ["PENDING", "RUNNING", "COMPLETED"], seen
    running = [p for s, p in seen if s == "RUNNING"]
    assert running == sorted(running) and len(set(running)) >= 3, seen  # progress, in order
    assert seen[-1] == ("COMPLETED", 1.0)
    done = await get_run(org, run["id"])
    assert done["attempts"] == 1 and done["result"]["steps"] == 5
    messages = [e["node"]["message"] for e in done["events"]["edges"]]
    assert messages[0] == "queued" and messages[-1] == "completed"
    assert "attempt 1 of 3 started" in messages


async def test_killed_worker_run_is_finished_by_another_after_lease_expiry(
    training_api: Api, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    api = training_api
    org = await api.org(Role.MANAGER)
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()
    config = {"steps": 8, "stepSeconds": 0.1, "probeDir": str(probe_dir), "probeKey": "k"}
    a = start_worker(api, workers, tmp_path, "a")
    b = start_worker(api, workers, tmp_path, "b")
    a.wait_started()
    b.wait_started()
    run = await create_run(org, config=config)

    second_step = await until(
        lambda: [p for p in read_probe(probe_dir) if p.event == "step" and p.detail == "2"]
    )
    victim = a if second_step[0].pid == a.pid else b
    survivor = b if victim is a else a
    victim.kill()
    killed_at = time.time()

    done = await wait_for(org, run["id"], {"COMPLETED", "FAILED"}, within=20)
    print(f"SIGKILL -> run completed by the other worker: {time.time() - killed_at:.2f} s")
    assert done["status"] == "COMPLETED", done
    assert done["attempts"] == 2
    lines = read_probe(probe_dir)
    assert [p for p in lines if p.event == "overlap"] == []  # never two holders of the run
    victim_lines = [p for p in lines if p.pid == victim.pid]
    survivor_lines = [p for p in lines if p.pid == survivor.pid]
    assert max(p.at for p in victim_lines) <= killed_at
    assert (
        min(p.at for p in survivor_lines) >= killed_at + LEASE - 0.3
    )  # only after the lease ran out
    assert [p.detail for p in survivor_lines if p.event == "step"] == [str(i) for i in range(1, 9)]
    messages = [e["node"]["message"] for e in done["events"]["edges"]]
    assert "attempt 1 of 3 lost its worker (lease expired); re-queued" in messages
    assert ("training_run.requeue", "system") in await audit_actions(api, org.org_id)


async def test_two_workers_execute_twenty_runs_exactly_once(
    training_api: Api, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    api = training_api
    org = await api.org(Role.MANAGER)
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()
    # A long poll interval: the workers must be woken by NOTIFY to be this quick.
    pair = [
        start_worker(
            api, workers, tmp_path, name, "--concurrency", "2", LEARNLOOP_WORKER_POLL_SECONDS="30"
        )
        for name in ("w1", "w2")
    ]
    for worker in pair:
        worker.wait_started()
    dataset = await seed_dataset(api, org.org_id)
    started = time.monotonic()
    runs = [
        await create_run(
            org,
            dataset=dataset,
            config={
                "steps": 2,
                "stepSeconds": 0.02,
                "probeDir": str(probe_dir),
                "probeKey": f"r{i}",
            },
        )
        for i in range(20)
    ]
    query = "{ trainingRuns(first: 1, filter: {status: COMPLETED}) { totalCount } }"
    while (await org.gql(query))["trainingRuns"]["totalCount"] < 20:
        assert time.monotonic() - started < 20, "runs did not all complete"
        await asyncio.sleep(0.1)
    print(f"20 runs, 2 workers x 2 slots: all COMPLETED {time.monotonic() - started:.2f} s")
    lines = read_probe(probe_dir)
    starts = sorted(p.key for p in lines if p.event == "start")
    assert starts == sorted(f"r{i}" for i in range(20))  # each exactly once
    assert [p for p in lines if p.event == "overlap"] == []
    assert {p.pid for p in lines} == {w.pid for w in pair}  # both took part
    for run in runs:
        assert (await get_run(org, run["id"]))["attempts"] == 1


async def test_cancel_while_running_ends_cancelled_within_two_heartbeats(
    training_api: Api, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    api = training_api
    org = await api.org(Role.MANAGER)
    run = await create_run(org, config={"steps": 200, "stepSeconds": 0.1})
    start_worker(api, workers, tmp_path, "w1")
    async with graphql_ws(api.app, org.token) as ws:
        await ws.subscribe("run", UPDATED, {"id": run["id"]})
        while True:
            state = (await ws.receive(within=20))["payload"]["data"]["trainingRunUpdated"]
            if state["status"] == "RUNNING" and state["progress"] > 0:
                break
        asked = time.monotonic()
        payload = (await org.gql(CANCEL, {"id": run["id"]}))["cancelTrainingRun"]
        assert payload["trainingRun"]["cancelRequested"] is True
        while (message := await ws.receive(within=5))["type"] == "next":
            state = message["payload"]["data"]["trainingRunUpdated"]
            if state["status"] == "CANCELLED":
                elapsed = time.monotonic() - asked
                break
        assert (await ws.receive())["type"] == "complete"
    print(f"cancel -> CANCELLED at the subscriber: {elapsed * 1000:.0f} ms")
    assert elapsed < 2 * HEARTBEAT, elapsed
    done = await get_run(org, run["id"])
    assert done["status"] == "CANCELLED" and done["progress"] < 0.5
