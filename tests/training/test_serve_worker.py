"""`serve` runs a worker in its lifespan unless told not to (LEARNLOOP_WORKER_IN_PROCESS / --no-worker)."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from learnloop.app import create_app
from learnloop.domain.roles import Role
from tests.conftest import Api
from tests.conftest import test_settings as settings_for_tests
from tests.training.ops import create_run, eventually, get_run, run_uuid


async def status_while_serving(api: Api, run_id: str, *, in_process: bool, within: float) -> str:
    """Serve the app with uvicorn (lifespan on) until the run completes or `within` passes."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = create_async_engine(api.target.app_url)
    settings = settings_for_tests(
        worker_in_process=in_process, worker_heartbeat_seconds=0.5, worker_lease_seconds=1.5
    )
    app = create_app(settings, engine=engine)
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    status = None
    try:
        await eventually(lambda: server.started)
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
        deadline = time.monotonic() + within
        while status != "COMPLETED" and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            async with api.owner_engine.connect() as conn:
                status = await conn.scalar(
                    text("SELECT status FROM training_runs WHERE id = :i"), {"i": run_uuid(run_id)}
                )
    finally:
        server.should_exit = True
        await task
        await engine.dispose()
    return str(status)


async def test_serve_runs_a_worker_unless_disabled(training_api: Api) -> None:
    org = await training_api.org(Role.MANAGER)
    run = await create_run(org, training_type="FINE_TUNING")
    assert (
        await status_while_serving(training_api, run["id"], in_process=False, within=1) == "PENDING"
    )
    assert (
        await status_while_serving(training_api, run["id"], in_process=True, within=10)
        == "COMPLETED"
    )
    assert (await get_run(org, run["id"]))["artifacts"]
