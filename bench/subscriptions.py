"""Subscription fan-out: N `trainingRunsUpdated` subscribers over WebSocket, commit-to-delivery time.

Run alone: `.venv/bin/python -m bench.subscriptions` (BENCH_SUBSCRIBERS, default 1000).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid

import asyncpg
import websockets

from bench.harness import Table, percentile, ratio
from bench.servers import BenchDb, bench_database, uvicorn
from learnloop.domain.roles import Role
from learnloop.domain.tokens import issue_user_token

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "1000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
SUBSCRIPTION = "subscription { trainingRunsUpdated { id status progress } }"


async def setup(db: BenchDb) -> tuple[uuid.UUID, uuid.UUID, str]:
    conn = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
    try:
        org = await conn.fetchval(
            "INSERT INTO organizations (slug, name) VALUES ($1, 'subs') RETURNING id",
            f"subs-{uuid.uuid4().hex[:6]}",
        )
        user = await conn.fetchval(
            "INSERT INTO users (email) VALUES ($1) RETURNING id",
            f"{uuid.uuid4().hex[:8]}@subs.example",
        )
        await conn.execute(
            "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'VIEWER')", org, user
        )
        dataset = await conn.fetchval(
            "INSERT INTO training_datasets (org_id, lineage_id, name) VALUES ($1, gen_random_uuid(), 'd') RETURNING id",
            org,
        )
        await conn.execute(
            "UPDATE training_datasets SET status = 'FROZEN', frozen_at = now() WHERE id = $1",
            dataset,
        )
        run = await conn.fetchval(
            "INSERT INTO training_runs (org_id, dataset_id, training_type, config, status, progress) "
            "VALUES ($1, $2, 'FINE_TUNING', '{}', 'RUNNING', 0) RETURNING id",
            org,
            dataset,
        )
    finally:
        await conn.close()
    token = issue_user_token(db.tokens, user_id=user, org_id=org, role=Role.VIEWER, ttl=3600)
    return org, run, token


async def subscriber(
    url: str,
    token: str,
    arrivals: dict[float, list[float]],
    ready: asyncio.Event,
    counter: list[int],
    stop: asyncio.Event,
) -> None:
    async with websockets.connect(
        url,
        subprotocols=["graphql-transport-ws"],
        max_queue=None,
        open_timeout=120,
        ping_interval=None,
    ) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
        )
        counter[0] += 1
        if counter[0] == SUBSCRIBERS:
            ready.set()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=1)
            except TimeoutError:
                continue
            now = time.perf_counter()
            msg = json.loads(raw)
            if msg.get("type") == "next":
                progress = msg["payload"]["data"]["trainingRunsUpdated"]["progress"]
                arrivals.setdefault(round(progress, 4), []).append(now)


async def notify_floor(db: BenchDb, rounds: int) -> list[float]:
    listener = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
    sender = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
    got: asyncio.Queue[float] = asyncio.Queue()
    await listener.add_listener("bench_floor", lambda *a: got.put_nowait(time.perf_counter()))
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        await sender.execute("SELECT pg_notify('bench_floor', 'x')")
        samples.append(await got.get() - t)
    await listener.close()
    await sender.close()
    return samples


async def main() -> None:
    async with bench_database() as db:
        _org, run, token = await setup(db)
        env = {**db.env(), "LEARNLOOP_WORKER_IN_PROCESS": "false"}
        with uvicorn("learnloop.app:create_app_from_env", env, factory=True) as base:
            url = base.replace("http://", "ws://") + "/graphql"
            arrivals: dict[float, list[float]] = {}
            ready, stop = asyncio.Event(), asyncio.Event()
            counter = [0]
            tasks = []
            for i in range(SUBSCRIBERS):
                tasks.append(
                    asyncio.create_task(subscriber(url, token, arrivals, ready, counter, stop))
                )
                if i % 50 == 49:
                    await asyncio.sleep(0.05)  # connect in waves, as dashboards reconnect
            await asyncio.wait_for(ready.wait(), timeout=300)
            await asyncio.sleep(2)
            writer = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
            last_delivery, median_delivery = [], []
            for r in range(1, ROUNDS + 1):
                progress = round(r / 100, 4)
                await writer.execute(
                    "UPDATE training_runs SET progress = $1 WHERE id = $2", progress, run
                )
                committed = time.perf_counter()  # after COMMIT (autocommit statement) returned
                deadline = time.monotonic() + 30
                while len(arrivals.get(progress, [])) < SUBSCRIBERS and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
                times = [t - committed for t in arrivals.get(progress, [])]
                if times:
                    last_delivery.append(max(times))
                    median_delivery.append(percentile(times, 50))
                await asyncio.sleep(0.2)
            delivered = min(len(arrivals.get(round(r / 100, 4), [])) for r in range(1, ROUNDS + 1))
            await writer.close()
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
        floor = await notify_floor(db, 50)
    table = Table(
        f"Subscriptions: {SUBSCRIBERS} trainingRunsUpdated subscribers (commit -> delivery, ms)",
        ["measure", "p50", "p99", "raw LISTEN/NOTIFY p50", "vs floor (p99 / floor p50)"],
    )
    f50 = percentile(floor, 50) * 1000
    table.add(
        "to the last subscriber",
        percentile(last_delivery, 50) * 1000,
        percentile(last_delivery, 99) * 1000,
        f50,
        ratio(percentile(last_delivery, 99) * 1000, f50),
    )
    table.add(
        "to the median subscriber",
        percentile(median_delivery, 50) * 1000,
        percentile(median_delivery, 99) * 1000,
        f50,
        ratio(percentile(median_delivery, 99) * 1000, f50),
    )
    table.notes.append(
        f"Every round reached {delivered} of {SUBSCRIBERS} subscribers. The subscribers run in the "
        "benchmark process on the same 2 cores as the server and PostgreSQL."
    )
    table.notes.append("Target: p99 to the last subscriber ≤ 10x a raw LISTEN/NOTIFY round trip.")
    table.publish()


if __name__ == "__main__":
    asyncio.run(main())
