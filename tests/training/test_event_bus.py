"""The event bus: NOTIFY fan-out by org and run, coalescing, latency, and reconnecting."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

from sqlalchemy import text

from learnloop.domain.roles import Role
from learnloop.storage.event_bus import RESYNC, RUNS, EventBus, Notice
from tests.conftest import Api
from tests.training.ops import create_run, run_uuid

LATENCIES: list[float] = []


async def test_notifications_reach_only_matching_inboxes_quickly(training_api: Api) -> None:
    a = await training_api.org(Role.MANAGER)
    b = await training_api.org(Role.MANAGER)
    run_a = run_uuid((await create_run(a))["id"])
    run_b = run_uuid((await create_run(b))["id"])
    bus = EventBus(training_api.target.app_url)
    await bus.start()
    try:
        with (
            bus.subscribe(RUNS, org_id=a.org_id) as org_a,
            bus.subscribe(RUNS, org_id=a.org_id, run_id=run_a) as only_run_a,
        ):
            for i in range(20):
                sent = time.perf_counter()
                async with training_api.owner_engine.begin() as conn:
                    await conn.execute(
                        text("UPDATE training_runs SET progress = :p WHERE id IN (:a, :b)"),
                        {"p": (i + 1) / 100, "a": run_a, "b": run_b},
                    )
                notice = await org_a.get(within=2)
                LATENCIES.append(time.perf_counter() - sent)
                assert notice == Notice(RUNS, a.org_id, run_a)
                assert await only_run_a.get(within=2) == Notice(RUNS, a.org_id, run_a)
            assert await org_a.get(within=0.2) is None  # B's changes never arrived here
    finally:
        await bus.stop()
    median = statistics.median(LATENCIES)
    print(
        f"NOTIFY -> inbox latency: median {median * 1000:.1f} ms, max {max(LATENCIES) * 1000:.1f} ms"
    )
    assert median < 0.1


async def test_inbox_coalesces_a_run_waiting_to_be_read() -> None:
    bus = EventBus(make_url_unused())
    org, run = uuid.uuid4(), uuid.uuid4()
    with bus.subscribe(RUNS, org_id=org) as inbox:
        for _ in range(3):
            bus.publish_local(Notice(RUNS, org, run))
        bus.publish_local(Notice(RUNS, uuid.uuid4(), run))  # another org: filtered
        assert await inbox.get(within=0.1) == Notice(RUNS, org, run)
        assert await inbox.get(within=0.05) is None


async def test_listener_reconnects_and_asks_subscribers_to_resync(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    run = run_uuid((await create_run(org))["id"])
    bus = EventBus(training_api.target.app_url, retry_seconds=0.05)
    await bus.start()
    try:
        with bus.subscribe(RUNS, org_id=org.org_id) as inbox:
            async with training_api.owner_engine.begin() as conn:
                killed = await conn.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE application_name = 'learnloop-listener' AND datname = current_database()"
                    )
                )
            assert killed >= 1
            assert await inbox.get(within=5) == RESYNC
            await asyncio.sleep(0.05)
            async with training_api.owner_engine.begin() as conn:
                await conn.execute(
                    text("UPDATE training_runs SET progress = 0.5 WHERE id = :r"), {"r": run}
                )
            assert await inbox.get(within=2) == Notice(RUNS, org.org_id, run)
    finally:
        await bus.stop()


def make_url_unused():  # type: ignore[no-untyped-def]
    from sqlalchemy.engine import make_url

    return make_url("postgresql+asyncpg://nobody@127.0.0.1:1/none")
