"""Building the engine registry from settings: the built-in engines plus configured plug-ins."""

from __future__ import annotations

from learnloop.config import Settings
from learnloop.domain.engines.registry import EngineRegistry, load_plugins


def build_registry(settings: Settings) -> EngineRegistry:
    registry = EngineRegistry()
    load_plugins(registry, settings.engine_module_list)
    return registry
