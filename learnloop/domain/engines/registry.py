"""The engine registry: which engine runs each training type, including plug-in engines."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from learnloop.domain.datasets import DatasetRecord
from learnloop.domain.engines.base import Engine
from learnloop.domain.errors import Problem
from learnloop.domain.training_runs.records import TrainingType


class EngineRegistry:
    """Training type -> engine. The API asks it which types are available; workers run them."""

    def __init__(self, engines: Sequence[Engine] = ()) -> None:
        self._engines: dict[TrainingType, Engine] = {}
        for engine in engines:
            self.register(engine)

    def register(self, engine: Engine) -> None:
        self._engines[engine.training_type] = engine

    def get(self, training_type: TrainingType) -> Engine | None:
        return self._engines.get(training_type)

    def supports(self, training_type: TrainingType) -> bool:
        return training_type in self._engines

    def available(self) -> list[TrainingType]:
        return [t for t in TrainingType if t in self._engines]

    def validate_config(
        self, training_type: TrainingType, config: Mapping[str, Any]
    ) -> dict[str, Any]:
        return self._engines[training_type].validate_config(config)

    def dataset_problems(
        self, training_type: TrainingType, dataset: DatasetRecord
    ) -> list[Problem]:
        """What the engine needs from a dataset that this one lacks (engines may not check)."""
        check = getattr(self._engines.get(training_type), "check_dataset", None)
        return list(check(dataset)) if check is not None else []


def load_plugins(registry: EngineRegistry, modules: Sequence[str]) -> None:
    """Import each module and call its `register(registry)` (LEARNLOOP_ENGINE_MODULES)."""
    for name in modules:
        module = importlib.import_module(name)
        register = getattr(module, "register", None)
        if register is None:
            raise ValueError(f"engine module '{name}' has no register(registry) function")
        register(registry)
