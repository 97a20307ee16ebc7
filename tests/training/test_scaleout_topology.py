"""Scale-out as docs/operations.md runs it: two `serve --no-worker` processes and two `worker`
processes on one database. A run created through API 1 and executed by a worker is watched live
on API 2; every webhook event is delivered exactly once although both workers deliver; worker
processes serve their own /metrics and export their job spans over OTLP."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from httpx_ws import aconnect_ws
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import create_async_engine

from learnloop.domain.roles import Role
from learnloop.domain.tokens import TokenSettings
from learnloop.storage.database import DatabaseTarget
from tests.conftest import TEST_SECRET, Api, StatementCounter
from tests.otlp_receiver import otlp_receiver
from tests.training.conftest import WorkerProcess
from tests.training.ops import UPDATED, create_run, eventually
from tests.training.ws import TRANSPORT_WS, Session
from tests.webhooks.ops import endpoint, receiving

pytestmark = pytest.mark.timeout_sensitive

FEEDBACK_EVENTS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def ready(base: str, path: str, proc: WorkerProcess, within: float = 180) -> None:
    """Polls until 200; generous, since imports alone take 25 s on a loaded 2-core machine."""
    deadline = time.monotonic() + within
    last = "no answer"
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            assert proc.proc is not None
            if proc.proc.poll() is not None:
                raise AssertionError(f"{proc.log_path.name} exited early:\n{proc.log()}")
            try:
                response = await client.get(path)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:300]}"
            except httpx.TransportError as exc:
                last = repr(exc)
            await asyncio.sleep(0.1)
    raise AssertionError(f"{base}{path} not ready ({last}):\n{proc.log()}")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@asynccontextmanager
async def remote_api(target: DatabaseTarget, base: str) -> AsyncIterator[Api]:
    """The test's Api helper, but its GraphQL goes over the network to a serve process."""
    engine = create_async_engine(target.app_url)
    owner = create_async_engine(target.owner_url)
    client = httpx.AsyncClient(base_url=base, timeout=30)
    tokens = TokenSettings(secret=TEST_SECRET, issuer="learnloop", audience="learnloop")
    try:
        yield Api(client, engine, owner, target, StatementCounter(engine), tokens, None)
    finally:
        await client.aclose()
        await engine.dispose()
        await owner.dispose()


async def test_two_apis_two_workers_one_database(
    fresh_db: DatabaseTarget, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    started = time.monotonic()
    api_ports = [free_port(), free_port()]
    metric_ports = [free_port(), free_port()]
    async with otlp_receiver() as traces, receiving() as hooks:
        common = {
            "LEARNLOOP_JWT_SECRET": TEST_SECRET,
            "LEARNLOOP_RATE_LIMIT_PER_MINUTE": "0",
            "LEARNLOOP_WEBHOOK_ALLOW_PRIVATE": "true",
            "LEARNLOOP_WEBHOOK_RETRY_SECONDS": "0.2,0.2,0.2",
            "LEARNLOOP_WORKER_POLL_SECONDS": "1",
            # Leases long enough that a loaded machine does not hand the run to the other worker.
            "LEARNLOOP_WORKER_HEARTBEAT_SECONDS": "2",
            "LEARNLOOP_WORKER_LEASE_SECONDS": "30",
            "OTEL_EXPORTER_OTLP_ENDPOINT": traces.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "200",
        }
        for n, port in enumerate(api_ports, 1):
            api = WorkerProcess(fresh_db, tmp_path, f"api{n}", **common, OTEL_SERVICE_NAME="api")
            workers.append(api.start("--no-worker", "--port", str(port), command="serve"))
        for n, port in enumerate(metric_ports, 1):
            worker = WorkerProcess(fresh_db, tmp_path, f"w{n}", **common, OTEL_SERVICE_NAME="wk")
            workers.append(worker.start("--metrics-port", str(port)))
        api_urls = [f"http://127.0.0.1:{p}" for p in api_ports]
        metric_urls = [f"http://127.0.0.1:{p}" for p in metric_ports]
        await asyncio.gather(
            *(ready(u, "/readyz", p) for u, p in zip(api_urls, workers[:2], strict=True)),
            *(ready(u, "/metrics", p) for u, p in zip(metric_urls, workers[2:], strict=True)),
        )
        for worker in workers[2:]:
            await eventually(lambda w=worker: "worker.started" in w.log(), within=60)  # type: ignore[misc]

        async with remote_api(fresh_db, api_urls[0]) as api1:
            org = await api1.org(Role.MANAGER)
            admin = await org.user(Role.ADMIN)
            await endpoint(admin, hooks.url, ["feedback.created", "training_run.completed"])
            run = await create_run(org, config={"steps": 8, "stepSeconds": 0.2})

            # API 2 watches the run that API 1 created and a worker process executes.
            seen: list[dict[str, object]] = []
            async with (
                httpx.AsyncClient(base_url=api_urls[1]) as client,
                aconnect_ws("/graphql", client, subprotocols=[TRANSPORT_WS]) as ws,
            ):
                session = Session(ws, TRANSPORT_WS)
                assert (await session.init(org.token))["type"] == "connection_ack"
                await session.subscribe("run", UPDATED, {"id": run["id"]})
                while True:
                    message = await session.receive(within=20)
                    if message["type"] == "complete":
                        break
                    assert message["type"] == "next", message
                    seen.append(message["payload"]["data"]["trainingRunUpdated"])
            statuses = [s["status"] for s in seen]
            assert statuses[-1] == "COMPLETED", statuses
            live = [s["progress"] for s in seen if s["status"] == "RUNNING"]
            assert len(set(live)) >= 2, seen  # progress arrived while it ran, not only at the end
            assert live == sorted(live)

            items = ", ".join(
                f'{{agentId: "agent-t", executionId: "e{i}", feedbackType: THUMBS_UP}}'
                for i in range(FEEDBACK_EVENTS)
            )
            await org.gql(
                f"mutation {{ submitFeedbackBatch(input: {{items: [{items}]}}) {{ storedCount }} }}"
            )
            expected = FEEDBACK_EVENTS + 1
            await eventually(lambda: len(hooks.got) >= expected, within=20)
            await asyncio.sleep(1.5)  # time enough for a duplicate to show up, were there one
            ids = [h["webhook-id"] for h, _ in hooks.got]
            assert len(ids) == expected and len(set(ids)) == expected

            async with httpx.AsyncClient() as client:
                worker_metrics = [
                    samples((await client.get(f"{u}/metrics")).text) for u in metric_urls
                ]
                api_metrics = samples((await client.get(f"{api_urls[1]}/metrics")).text)
        delivered = [m[("learnloop_webhook_deliveries_total", ())] for m in worker_metrics]
        assert sum(delivered) == expected, delivered  # each attempt counted by exactly one worker
        done = (("status", "COMPLETED"), ("training_type", "PROMPT_OPTIMIZATION"))
        runs = [
            m.get(("learnloop_training_run_duration_seconds_count", done), 0)
            for m in worker_metrics
        ]
        assert sum(runs) == 1, runs
        assert api_metrics[("learnloop_webhook_deliveries_pending", ())] == 0
        assert api_metrics[("learnloop_training_runs_queued", ())] == 0

        # In threads: while they stop, their last spans still go to the receiver in this loop.
        codes = await asyncio.gather(*(asyncio.to_thread(p.stop) for p in workers))
        # uvicorn (serve) re-raises the SIGTERM it handled once it has shut down cleanly.
        assert codes == [-15, -15, 0, 0], [p.log()[-2000:] for p in workers]
        await eventually(lambda: traces.named("training_run.execute"), within=10)
    [job] = traces.named("training_run.execute")
    assert job.service == "wk" and job.attributes["learnloop.outcome"] == "COMPLETED"
    assert job.attributes["learnloop.org_id"] == str(org.org_id)
    assert any(s.attributes.get("db.statement") for s in traces.children(job))
    # The API processes traced their operations too (create_run's document has no name).
    assert {s.service for s in traces.named("mutation anonymous")} == {"api"}
    print(f"topology test: {time.monotonic() - started:.1f}s including process start-up")
