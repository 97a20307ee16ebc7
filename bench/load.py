"""One measured load: wrk (or a Python driver) against a server, with its CPU accounting, as a row.

Every benchmark table built from these rows has the same columns, so a reader can compare any
two rows of one table: same clients, same run, successes only, CPU per successful request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from bench import wrk
from bench.cpu import CpuMeter, CpuUse
from bench.harness import Table, ratio

# A Python load: (successes, failures, seconds, latencies in seconds).
Drive = Callable[[], Awaitable[tuple[int, int, float, list[float]]]]

COLUMNS = [
    "side",
    "clients",
    "ok req/s",
    "p50 ms",
    "p99 ms",
    "CPU ms/req server + PG",
    "failed / sent",
    "others' CPU (cores)",
    "load1",
]


@dataclass(frozen=True)
class Measured:
    side: str
    clients: int
    ok: int
    sent: int
    failed: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu: CpuUse
    first_failure: str = ""
    run_id: str = ""
    unanswered: int = 0  # sent but never answered before the load stopped

    @property
    def ok_per_s(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def cells(self, scale: float = 1.0) -> list[object]:
        """The COLUMNS cells; `scale` turns requests into rows (batches)."""
        server, pg = self.cpu.per_request_ms(self.ok)
        return [
            self.side,
            self.clients,
            self.ok_per_s * scale,
            self.p50_ms,
            self.p99_ms,
            f"{server:.2f} + {pg:.2f}",
            f"{self.failed} / {self.sent}",
            self.cpu.others_cores,
            self.cpu.load1,
        ]


async def with_wrk(
    meter: CpuMeter,
    side: str,
    url: str,
    body: str | None,
    headers: dict[str, str],
    clients: int,
    seconds: float,
    method: str = "POST",
) -> Measured:
    before = await meter.start()
    result = wrk.run(url, body, headers, clients, seconds, method=method)
    use = await meter.stop(before)
    m = Measured(
        side,
        clients,
        result.ok,
        result.sent,
        result.failed,
        result.seconds,
        result.p50_ms,
        result.p99_ms,
        use,
        result.first_failure,
        result.run_id,
        result.in_flight,
    )
    report(m)
    return m


async def with_driver(
    meter: CpuMeter,
    side: str,
    clients: int,
    driver: AbstractAsyncContextManager[Drive],
    run_id: str = "",
) -> Measured:
    """A Python driver (e.g. the raw asyncpg floors): entering it opens its connections, which
    are measured while its `drive()` runs and closed only after the CPU snapshot."""
    from bench.harness import percentile

    async with driver as drive:
        before = await meter.start()
        ok, failed, seconds, samples = await drive()
        use = await meter.stop(before)
    m = Measured(
        side,
        clients,
        ok,
        ok + failed,
        failed,
        seconds,
        percentile(samples, 50) * 1000,
        percentile(samples, 99) * 1000,
        use,
        run_id=run_id,
    )
    report(m)
    return m


def report(m: Measured) -> None:
    print(
        f"  {m.side} c={m.clients}: {m.ok_per_s:,.1f} ok/s p50 {m.p50_ms:.1f} p99 {m.p99_ms:.1f} "
        f"failed {m.failed}/{m.sent} load {m.cpu.load1:.1f}"
    )
    if m.first_failure:
        print(f"    first failure: {m.first_failure[:400]}")


def add(table: Table, m: Measured, *versus: Measured | None, scale: float = 1.0) -> None:
    """A row whose ratio columns divide its ok req/s by each `versus` row's (same clients, same
    run; "—" where a row is not compared)."""
    ratios: list[object] = []
    for v in versus:
        if v is None:
            ratios.append("—")
            continue
        if v.clients != m.clients:
            raise ValueError("ratios only at the same concurrency")
        ratios.append(ratio(m.ok_per_s, v.ok_per_s))
    table.add(*m.cells(scale), *ratios)
