"""CPU accounting for one measurement: server process, its PostgreSQL backends, the load generator,
and everything else on the machine (other engineers' tests), so co-location on 2 cores is visible.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

import asyncpg
import psutil


def _cpu(pid: int) -> float:
    try:
        t = psutil.Process(pid).cpu_times()
        return float(t.user + t.system)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0


def _busy() -> float:
    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0))


def _children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


async def _backends(admin_dsn: str, database: str) -> dict[int, float]:
    """CPU seconds so far of every backend connected to `database` (the monitor itself is not)."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        pids = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)
    finally:
        await conn.close()
    return {r["pid"]: _cpu(r["pid"]) for r in pids}


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds spent during one measurement, by whom, and the machine's state meanwhile."""

    wall: float
    server: float
    postgres: float
    client: float
    others: float
    load1: float

    def per_request_ms(self, requests: int) -> tuple[float, float]:
        """(server, PostgreSQL) CPU milliseconds per request."""
        if not requests:
            return float("nan"), float("nan")
        return self.server * 1000 / requests, self.postgres * 1000 / requests

    @property
    def others_cores(self) -> float:
        return self.others / self.wall if self.wall else float("nan")


class CpuMeter:
    """Snapshot before, snapshot after: `async with meter.measure() as use: ...` then `use()`."""

    def __init__(self, server_pids: list[int], admin_dsn: str, database: str) -> None:
        self.server_pids = server_pids
        self.admin_dsn = admin_dsn
        self.database = database

    async def start(self) -> dict[str, object]:
        return {
            "wall": time.perf_counter(),
            "server": sum(_cpu(p) for p in self.server_pids),
            "backends": await _backends(self.admin_dsn, self.database),
            "client": _children() + _cpu(os.getpid()),
            "busy": _busy(),
            "load1": os.getloadavg()[0],
        }

    async def stop(self, before: dict[str, object]) -> CpuUse:
        after_backends = await _backends(self.admin_dsn, self.database)
        server = sum(_cpu(p) for p in self.server_pids) - float(before["server"])  # type: ignore[arg-type]
        old: dict[int, float] = before["backends"]  # type: ignore[assignment]
        # A backend born during the run counts from zero; one that ended is lost (pools keep theirs).
        postgres = sum(cpu - old.get(pid, 0.0) for pid, cpu in after_backends.items())
        client = _children() + _cpu(os.getpid()) - float(before["client"])  # type: ignore[arg-type]
        busy = _busy() - float(before["busy"])  # type: ignore[arg-type]
        wall = time.perf_counter() - float(before["wall"])  # type: ignore[arg-type]
        load1 = max(float(before["load1"]), os.getloadavg()[0])  # type: ignore[arg-type]
        others = max(0.0, busy - server - postgres - client)
        return CpuUse(wall, server, postgres, client, others, load1)
