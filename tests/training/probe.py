"""Reading the fake engine's probe log (see tests/training/fake_engines.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProbeLine:
    at: float
    event: str  # start, step, end, overlap
    key: str
    pid: int
    detail: str


def read_probe(directory: Path) -> list[ProbeLine]:
    path = directory / "events.log"
    if not path.exists():
        return []
    lines = []
    for raw in path.read_text().splitlines():
        at, event, key, pid, *detail = raw.split(" ")
        lines.append(ProbeLine(float(at), event, key, int(pid), " ".join(detail).strip()))
    return lines
