"""Building the engine registry from settings: the built-in engines plus configured plug-ins."""

from __future__ import annotations

from learnloop.config import Settings
from learnloop.domain.engines.dpo import DpoEngine
from learnloop.domain.engines.fine_tune_api import FineTuneProvider, OpenAIFineTuningClient
from learnloop.domain.engines.fine_tuning import FineTuningEngine
from learnloop.domain.engines.registry import EngineRegistry, load_plugins


def fine_tune_provider(settings: Settings) -> FineTuneProvider | None:
    if not settings.llm_base_url:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return OpenAIFineTuningClient(settings.llm_base_url, key)


def build_registry(settings: Settings) -> EngineRegistry:
    provider = fine_tune_provider(settings)
    registry = EngineRegistry(
        [
            FineTuningEngine(provider, default_model=settings.llm_model),
            DpoEngine(provider, default_model=settings.llm_model),
        ]
    )
    load_plugins(registry, settings.engine_module_list)
    return registry
