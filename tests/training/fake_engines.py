"""A FAKE engine for queue and worker mechanics, plugged in through LEARNLOOP_ENGINE_MODULES.

It is not the prompt optimiser: it registers for PROMPT_OPTIMIZATION only because runs need a
type, replacing the real engine wherever this module is loaded (`training_api`, and
`running_worker` unless given `engine_modules=""`). Tests of the real engines load no engine
modules (see tests/training/optimizer_env.py). It steps
`steps` times, reports progress after each step, and can fail on request. With `probeDir` it
records what it does and holds an exclusive flock on `<probeDir>/<probeKey>.lock` while it runs:
if a second process ever runs the same run at once, it finds the lock taken and writes an
`overlap` line. The kernel drops the lock when a process dies, so a SIGKILLed worker releases it.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from learnloop.domain.engines import config as checks
from learnloop.domain.engines.base import (
    CancelToken,
    EngineResult,
    ProgressReporter,
    TrainingData,
    TrainingFailed,
)
from learnloop.domain.engines.registry import EngineRegistry
from learnloop.domain.training_runs.records import TrainingType

OPTIONS = {
    "steps",
    "stepSeconds",
    "probeDir",
    "probeKey",
    "failWith",
    "retryable",
    "ignoreCancel",
    "crash",
}


class Probe:
    def __init__(self, directory: str | None, key: str) -> None:
        self.dir = Path(directory) if directory else None
        self.key = key
        self.fd: int | None = None

    def write(self, event: str, detail: str = "") -> None:
        if self.dir is None:
            return
        line = f"{time.time():.6f} {event} {self.key} {os.getpid()} {detail}\n"
        fd = os.open(self.dir / "events.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    def __enter__(self) -> Probe:
        if self.dir is not None:
            self.fd = os.open(self.dir / f"{self.key}.lock", os.O_RDWR | os.O_CREAT)
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.write("overlap")
        self.write("start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.write("end")
        if self.fd is not None:
            os.close(self.fd)  # releases the flock


class FakeSteppingEngine:
    training_type = TrainingType.PROMPT_OPTIMIZATION

    def validate_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return checks.validate(
            config,
            [
                checks.unknown_keys(OPTIONS),
                checks.integer("steps", 1, 1000),
                checks.number("stepSeconds", 0, 60),
                checks.text("probeDir", max_length=4096),
                checks.text("probeKey", max_length=200),
                checks.text("failWith", max_length=500),
                checks.boolean("retryable"),
                checks.boolean("ignoreCancel"),
                checks.boolean("crash"),
            ],
            {"steps": 4, "stepSeconds": 0.05, "probeKey": "run"},
        )

    async def run(
        self,
        dataset: TrainingData,
        config: Mapping[str, Any],
        progress: ProgressReporter,
        cancel: CancelToken,
    ) -> EngineResult:
        steps = int(config["steps"])
        with Probe(config.get("probeDir"), str(config["probeKey"])) as probe:
            for step in range(1, steps + 1):
                if config.get("ignoreCancel"):  # an engine that never looks at its token
                    await asyncio.sleep(float(config["stepSeconds"]))
                else:
                    cancel.raise_if_cancelled()
                    await cancel.wait(float(config["stepSeconds"]))
                    cancel.raise_if_cancelled()
                probe.write("step", str(step))
                if config.get("crash") and step == steps:
                    raise ZeroDivisionError("division by zero in step " + str(step))
                if config.get("failWith") and step == steps:
                    raise TrainingFailed(
                        str(config["failWith"]), retryable=bool(config.get("retryable"))
                    )
                if not config.get("ignoreCancel"):
                    await progress(step / steps, metrics={"step": step})
        return EngineResult(
            result={
                "steps": steps,
                "examples": len(dataset.examples),
                "deployable": {"prompt": "v2"},
            },
            metrics={"examples": len(dataset.examples)},
        )


def register(registry: EngineRegistry) -> None:
    registry.register(FakeSteppingEngine())
