"""The command line as a person uses it: one-line errors for bad config, embedded server lifecycle."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

ENV = {k: v for k, v in os.environ.items() if not k.startswith(("LEARNLOOP_", "DATABASE_URL"))}


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "learnloop.cli", *args],
        env={**ENV, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_malformed_database_url_is_one_line() -> None:
    result = run_cli("migrate", env={"DATABASE_URL": "not a url at all"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DATABASE_URL" in lines[0]


def test_unreachable_database_is_one_line() -> None:
    port = free_port()  # nothing listens there
    result = run_cli("migrate", env={"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/x"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "cannot reach PostgreSQL" in lines[0] and str(port) in lines[0]


def test_port_in_use_is_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli(
            "serve", "--port", str(port), env={"DATABASE_URL": "postgresql://postgres@127.0.0.1/x"}
        )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"learnloop: error: port {port} on 127.0.0.1 is already in use: stop the other process or pass --port"
    ]


def _postgres_processes(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(attrs=("name", "cmdline")):
        cmdline = proc.info.get("cmdline") or []
        if proc.info.get("name") == "postgres" and any(str(pgdata) in part for part in cmdline):
            found.append(proc)
    return found


def _wait_ready(port: int, proc: subprocess.Popen[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited early: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("serve did not become ready")


@pytest.mark.timeout_sensitive
def test_embedded_serve_stops_postgres_and_keeps_data(tmp_path: Path) -> None:
    """No DATABASE_URL: serve starts its own PostgreSQL, SIGTERM stops it, data survives a restart."""
    data_dir = tmp_path / "data"
    env = {"LEARNLOOP_DATA_DIR": str(data_dir)}
    pgdata = (data_dir / "pgdata").resolve()

    def start() -> tuple[subprocess.Popen[str], int]:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "learnloop.cli", "serve", "--port", str(port)],
            env={**ENV, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_ready(port, proc)
        return proc, port

    proc, port = start()
    try:
        token = run_cli("token", "--org", "persist", "--role", "admin", env=env)
        assert token.returncode == 0, token.stderr
        assert token.stdout.count("\n") == 1 and token.stdout.count(".") == 2  # only the JWT
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ viewer { role organization { slug } } }"},
            headers={"authorization": f"Bearer {token.stdout.strip()}"},
        )
        assert response.json()["data"]["viewer"] == {
            "role": "ADMIN",
            "organization": {"slug": "persist"},
        }
        assert _postgres_processes(pgdata)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _postgres_processes(pgdata) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _postgres_processes(pgdata) == [], "postgres left running after SIGTERM"

    proc, port = start()
    try:
        again = run_cli(
            "token", "--org", "persist", "--role", "viewer", "--user", "dev@example.com", env=env
        )
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ members { user { email } role } }"},
            headers={"authorization": f"Bearer {again.stdout.strip()}"},
        )
        # The same member as before the restart, now with the role the second token asked for.
        assert response.json()["data"]["members"] == [
            {"user": {"email": "dev@example.com"}, "role": "VIEWER"}
        ]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert _postgres_processes(pgdata) == []


def test_serve_after_sigkill_cleans_up_leftover_server(tmp_path: Path) -> None:
    """A SIGKILLed serve leaves postgres running with a stale handle; the next serve must still stop it."""
    env = {**ENV, "LEARNLOOP_DATA_DIR": str(tmp_path / "data")}
    pgdata = (tmp_path / "data" / "pgdata").resolve()

    def start() -> subprocess.Popen[str]:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "learnloop.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_ready(port, proc)
        return proc

    first = start()
    first.kill()
    first.wait(timeout=10)
    assert _postgres_processes(pgdata), "expected the killed serve to leave postgres behind"

    second = start()
    second.send_signal(signal.SIGTERM)
    second.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _postgres_processes(pgdata) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _postgres_processes(pgdata) == []
