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

from bench.cpu import CpuMeter, CpuUse
from bench.harness import Table, percentile, ratio
from bench.servers import BenchDb, admin_dsn, bench_database, floor_server, learnloop_server
from learnloop.domain.roles import Role
from learnloop.domain.tokens import issue_user_token

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "1000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
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


async def fan_out(
    db: BenchDb, meter_pids: list[int], url: str, token: str, run: uuid.UUID, progress0: float
) -> dict[str, object]:
    """SUBSCRIBERS sockets on `url`; ROUNDS committed progress changes; delivery times."""
    arrivals: dict[float, list[float]] = {}
    ready, stop = asyncio.Event(), asyncio.Event()
    counter = [0]
    tasks = []
    for i in range(SUBSCRIBERS):
        tasks.append(asyncio.create_task(subscriber(url, token, arrivals, ready, counter, stop)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # connect in waves, as dashboards reconnect
    await asyncio.wait_for(ready.wait(), timeout=300)
    await asyncio.sleep(2)
    writer = await asyncpg.connect(db.asyncpg_dsn(app_role=False))
    meter = CpuMeter(meter_pids, admin_dsn(db), db.name)
    last_delivery, median_delivery = [], []
    before = await meter.start()
    for r in range(1, ROUNDS + 1):
        progress = round(progress0 + r / 1000, 4)
        await writer.execute("UPDATE training_runs SET progress = $1 WHERE id = $2", progress, run)
        committed = time.perf_counter()  # after COMMIT (autocommit statement) returned
        deadline = time.monotonic() + 30
        while len(arrivals.get(progress, [])) < SUBSCRIBERS and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.002)
        times = [t - committed for t in arrivals.get(progress, [])]
        if times:
            last_delivery.append(max(times))
            median_delivery.append(percentile(times, 50))
        await asyncio.sleep(0.2)
    use = await meter.stop(before)
    delivered = min(
        len(arrivals.get(round(progress0 + r / 1000, 4), [])) for r in range(1, ROUNDS + 1)
    )
    await writer.close()
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"last": last_delivery, "median": median_delivery, "delivered": delivered, "cpu": use}


def row(table: Table, side: str, got: dict[str, object], versus: dict[str, object] | None) -> None:
    last: list[float] = got["last"]  # type: ignore[assignment]
    median: list[float] = got["median"]  # type: ignore[assignment]
    use: CpuUse = got["cpu"]  # type: ignore[assignment]
    p99_last = percentile(last, 99) * 1000
    server, pg = use.per_request_ms(ROUNDS)
    compared = "—"
    if versus is not None:
        compared = f"{ratio(p99_last, percentile(versus['last'], 99) * 1000):.2f}"  # type: ignore[arg-type]
    table.add(
        side,
        percentile(last, 50) * 1000,
        p99_last,
        percentile(median, 50) * 1000,
        f"{server:.1f} + {pg:.2f}",
        f"{got['delivered']} / {SUBSCRIBERS}",
        use.client / use.wall,
        use.others_cores,
        use.load1,
        compared,
    )


async def main() -> None:
    async with bench_database() as db:
        _org, run, token = await setup(db)
        with learnloop_server(db) as ours:
            url = ours.url.replace("http://", "ws://") + "/graphql"
            got_ours = await fan_out(db, [ours.pid], url, token, run, 0.0)
        with floor_server(db) as floor:
            url = floor.url.replace("http://", "ws://") + "/floor/subscriptions"
            got_floor = await fan_out(db, [floor.pid], url, token, run, 0.5)
    table = Table(
        f"Subscriptions: {SUBSCRIBERS} trainingRunsUpdated subscribers, {ROUNDS} committed changes "
        "(commit → delivery, ms)",
        [
            "side",
            "p50 to the last subscriber",
            "p99 to the last",
            "p50 to the median subscriber",
            "CPU ms per event server + PG",
            "delivered (worst round)",
            "subscribers' CPU (cores)",
            "others' CPU (cores)",
            "load1",
            "p99 to the last vs floor's",
        ],
    )
    row(table, "learnloop", got_ours, got_floor)
    row(table, "WebSocket floor", got_floor, None)
    table.notes += [
        "- **learnloop**: `subscription { trainingRunsUpdated { id status progress } }` over "
        "graphql-transport-ws with a VIEWER token; the row's trigger NOTIFYs, the process's LISTEN "
        "connection wakes the subscriptions, which re-read the run under RLS and execute the "
        "selection before sending.",
        "- **WebSocket floor**: a Starlette WebSocket endpoint speaking the least of "
        "graphql-transport-ws (ack, then `next`), no auth; on the same NOTIFY it reads the run "
        "once (asyncpg, app role, RLS on), serialises once (json.dumps) and sends the same text to "
        "every socket in a loop.",
        f"- Both: {SUBSCRIBERS} sockets from the benchmark process (same 2 cores), one UPDATE per "
        f"round committed by the bench, 0.2 s apart; p99 of {ROUNDS} rounds is close to the worst "
        "round. CPU per event = CPU during all rounds / rounds.",
        "Target: learnloop's p99 to the last subscriber ≤ 2x the floor's.",
    ]
    table.publish()


if __name__ == "__main__":
    asyncio.run(main())
