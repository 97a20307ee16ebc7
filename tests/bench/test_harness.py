"""The benchmark harness judges responses and makes keys as RESULTS.md says (no timing asserted)."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench import wrk
from bench.cpu import CpuUse
from bench.harness import Table
from bench.ingest import rows_match
from bench.load import Measured, add
from bench.servers import free_port

# One answer of each kind, in turn: only the first is a success.
ANSWERS = [
    (200, {"data": {"submitFeedback": {"feedback": {"id": "1"}, "userErrors": []}}}),
    (200, {"data": {"submitFeedback": {"feedback": None, "userErrors": [{"code": "X"}]}}}),
    (200, {"data": None, "errors": [{"message": "boom"}]}),
    (500, {"errors": [{"message": "internal server error"}]}),
]


@pytest.fixture(scope="module")
def echo() -> Iterator[tuple[str, list[str]]]:
    """A server answering ANSWERS in turn and remembering every key it was sent."""
    keys: list[str] = []

    async def handle(request: Request) -> Response:
        keys.append(json.loads(await request.body())["key"])
        status, body = ANSWERS[(len(keys) - 1) % len(ANSWERS)]
        return JSONResponse(body, status_code=status)

    app = Starlette(routes=[Route("/", handle, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/", keys
    server.should_exit = True
    thread.join(10)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is installed by `make bench`")
def test_wrk_counts_graphql_and_user_errors_as_failures_and_never_repeats_a_key(
    echo: tuple[str, list[str]],
) -> None:
    url, keys = echo
    result = wrk.run(url, '{"key": "{key}"}', {"Content-Type": "application/json"}, 2, 1)
    answered = result.ok + result.http_errors + result.graphql_errors + result.user_errors
    assert answered >= 8
    assert answered <= len(keys) <= result.sent
    # The server answers in a fixed cycle, so each kind is a quarter of the answers (± one each).
    for count in (result.ok, result.user_errors, result.graphql_errors, result.http_errors):
        assert abs(count - answered / 4) <= 2, result
    assert result.first_failure
    assert len(set(keys)) == len(keys)
    assert all(k.startswith(f"{result.run_id}-") for k in keys)
    assert {k.split("-")[1] for k in keys} == {"0", "1"}  # two wrk threads, two key spaces


def test_a_second_run_gets_keys_of_its_own() -> None:
    first = wrk.script('{"k": "{key}"}', {}, wrk.new_run_id())
    second = wrk.script('{"k": "{key}"}', {}, wrk.new_run_id())
    assert first != second
    assert "string.gsub(template" in first


def test_rows_must_equal_successes_up_to_the_requests_in_flight() -> None:
    assert rows_match(rows=100, ok=100, per_request=1, unanswered=0)
    assert rows_match(rows=102, ok=100, per_request=1, unanswered=2)
    assert not rows_match(rows=103, ok=100, per_request=1, unanswered=2)
    # Repeated keys turn inserts into updates: fewer rows than successes.
    assert not rows_match(rows=60, ok=100, per_request=1, unanswered=0)
    assert rows_match(rows=1000, ok=10, per_request=100, unanswered=0)


def _measured(clients: int, ok: int) -> Measured:
    use = CpuUse(wall=1.0, server=0.5, postgres=0.25, client=0.1, others=0.0, load1=1.0)
    return Measured("side", clients, ok, ok, 0, 1.0, 1.0, 2.0, use)


def test_ratios_only_between_rows_at_the_same_concurrency() -> None:
    table = Table("t", ["c"] * 10)
    add(table, _measured(8, 50), _measured(8, 100))
    assert table.rows[0][-1] == "0.50"
    assert table.rows[0][5] == "10.00 + 5.00"  # CPU ms per successful request
    with pytest.raises(ValueError):
        add(table, _measured(8, 50), _measured(1, 100))
