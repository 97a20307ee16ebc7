"""A real uvicorn process serving the test database, and an API key for the client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from learnloop.domain.roles import Role
from learnloop.storage.database import DatabaseTarget
from tests.conftest import Api, OrgHandle

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    url: str

    def fail_for(self, seconds: float) -> None:
        httpx.post(f"{self.url}/_fail?seconds={seconds}").raise_for_status()


@pytest.fixture(scope="session")
def served(db: DatabaseTarget) -> Iterator[Served]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app_url = db.app_url.render_as_string(hide_password=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.client.flaky_server", str(port), app_url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "server exited"
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        yield Served(url)
    finally:
        process.terminate()
        process.wait(10)


@dataclass
class KeyedOrg:
    org: OrgHandle
    api_key: str


@pytest.fixture
async def keyed(api: Api) -> AsyncIterator[KeyedOrg]:
    org = await api.org(Role.ADMIN)
    data = await org.gql(
        'mutation { createApiKey(input: {name: "client", role: MEMBER}) { secret } }'
    )
    yield KeyedOrg(org, data["createApiKey"]["secret"])
