"""Load generation with wrk (Debian package, installed by `make bench`), scripted in Lua.

Every script built here does three things the numbers depend on:
- keys are unique across runs, threads and requests: `{key}` in a body becomes
  `<run id>-<thread>-<counter>` (the run id is fresh per `run()`), so an insert stays an insert;
- every response body is judged in Lua: only HTTP 200 with no GraphQL `errors` and only empty
  `userErrors` lists counts as a success; everything else is a failure, with its first body kept;
- the totals (sent, succeeded, failed by kind) and wrk's own latency percentiles come back from
  `done()` as one machine-readable line, so nothing is parsed from wrk's human summary.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

KEY = "{key}"
TIMEOUT_S = 30  # wrk's default (2 s) turns slow answers into "errors"; we report p99 instead


@dataclass(frozen=True)
class WrkResult:
    run_id: str
    seconds: float
    sent: int
    ok: int
    http_errors: int
    graphql_errors: int
    user_errors: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    first_failure: str

    @property
    def failed(self) -> int:
        return self.http_errors + self.graphql_errors + self.user_errors + self.socket_errors

    @property
    def in_flight(self) -> int:
        """Requests sent but never answered before wrk stopped (the server may still finish them)."""
        return max(
            0, self.sent - self.ok - self.http_errors - self.graphql_errors - self.user_errors
        )

    @property
    def ok_per_s(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def _lua_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # valid Lua too (Lua has no \\u escapes)


def script(body: str | None, headers: dict[str, str], run_id: str, method: str = "POST") -> str:
    """Lua for one request shape; `{key}` anywhere in `body` becomes a unique key per request."""
    build = "nil" if body is None else f"(string.gsub(template, {_lua_string(KEY)}, key))"
    header_lua = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
    return f"""
run_id = {_lua_string(run_id)}
template = {_lua_string(body or "")}
threads = {{}}
thread_id = 0
counter = 0
sent, ok, http_errors, graphql_errors, user_errors = 0, 0, 0, 0, 0
first_failure = ""

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  sent = sent + 1
  local key = run_id .. "-" .. thread_id .. "-" .. counter
  return wrk.format({_lua_string(method)}, nil, {{{header_lua}}}, {build})
end

local function fail(kind, status, body)
  if first_failure == "" then first_failure = status .. " " .. string.sub(body, 1, 600) end
  return kind + 1
end

function response(status, headers, body)
  if status ~= 200 then http_errors = fail(http_errors, status, body); return end
  if string.find(body, '"errors"%s*:') or not string.find(body, '"data"%s*:') then
    graphql_errors = fail(graphql_errors, status, body); return
  end
  local lists, empty = 0, 0
  for _ in string.gmatch(body, '"userErrors"%s*:%s*%[') do lists = lists + 1 end
  for _ in string.gmatch(body, '"userErrors"%s*:%s*%[%s*%]') do empty = empty + 1 end
  if lists ~= empty then user_errors = fail(user_errors, status, body); return end
  ok = ok + 1
end

function done(summary, latency, requests)
  local t = {{sent = 0, ok = 0, http_errors = 0, graphql_errors = 0, user_errors = 0}}
  local failure = ""
  for _, th in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + th:get(k) end
    if failure == "" then failure = th:get("first_failure") end
  end
  local e = summary.errors
  io.write(string.format("LLBENCH %d %d %d %d %d %d %d %.1f %.1f\\n",
    summary.duration, t.sent, t.ok, t.http_errors, t.graphql_errors, t.user_errors,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
  io.write("LLBENCH_FAILURE " .. string.gsub(failure, "\\n", " ") .. "\\n")
end
"""


def parse(output: str, run_id: str) -> WrkResult:
    line = next(x for x in output.splitlines() if x.startswith("LLBENCH "))
    failure = next((x for x in output.splitlines() if x.startswith("LLBENCH_FAILURE")), "")
    duration_us, sent, ok, http_e, gql_e, user_e, sock_e, p50_us, p99_us = line.split()[1:]
    return WrkResult(
        run_id=run_id,
        seconds=int(duration_us) / 1e6,
        sent=int(sent),
        ok=int(ok),
        http_errors=int(http_e),
        graphql_errors=int(gql_e),
        user_errors=int(user_e),
        socket_errors=int(sock_e),
        p50_ms=float(p50_us) / 1000,
        p99_ms=float(p99_us) / 1000,
        first_failure=failure.removeprefix("LLBENCH_FAILURE").strip(),
    )


def new_run_id() -> str:
    return uuid.uuid4().hex[:10]


def run(
    url: str,
    body: str | None,
    headers: dict[str, str],
    connections: int,
    seconds: float,
    *,
    method: str = "POST",
    run_id: str | None = None,
) -> WrkResult:
    """`connections` clients (one request in flight each) for `seconds`; wrk on 1-2 threads."""
    binary = shutil.which("wrk")
    if binary is None:
        raise SystemExit("wrk is not installed: run `make bench` (it installs Debian's wrk)")
    run_id = run_id or new_run_id()
    threads = max(1, min(2, connections))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script(body, headers, run_id, method))
    try:
        done = subprocess.run(
            [
                binary,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                f"--timeout={TIMEOUT_S}s",
                "-s",
                fh.name,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + TIMEOUT_S + 60,
        )
    finally:
        Path(fh.name).unlink(missing_ok=True)
    if done.returncode != 0 or "LLBENCH " not in done.stdout:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}\n{done.stdout}")
    return parse(done.stdout, run_id)
