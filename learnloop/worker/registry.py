"""Building the engine registry from settings: the built-in engines plus configured plug-ins."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.config import Settings
from learnloop.domain.engines.behavior_learner import BehaviorLearner
from learnloop.domain.engines.dpo import DpoEngine
from learnloop.domain.engines.fine_tune_api import FineTuneProvider
from learnloop.domain.engines.fine_tuning import FineTuningEngine
from learnloop.domain.engines.prompt_optimizer import PromptOptimizer
from learnloop.domain.engines.rag_trainer import RagTrainer
from learnloop.domain.engines.registry import EngineRegistry, load_plugins
from learnloop.llm.client import ClientSettings
from learnloop.llm.embeddings import MiniLmEmbedder
from learnloop.llm.fine_tune_api import OpenAIFineTuningClient
from learnloop.llm.replay import LlmSessions
from learnloop.storage.retrieval_feedback import RetrievalLogSource


def _api_key(settings: Settings) -> str | None:
    return settings.llm_api_key.get_secret_value() if settings.llm_api_key else None


def fine_tune_provider(settings: Settings) -> FineTuneProvider | None:
    if not settings.llm_base_url:
        return None
    return OpenAIFineTuningClient(settings.llm_base_url, _api_key(settings))


def llm_sessions(settings: Settings, db: AsyncEngine | None = None) -> LlmSessions | None:
    """Chat sessions for engines; with `db`, answers are recorded and replayed per organisation."""
    if not settings.llm_base_url:
        return None
    client = ClientSettings(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=_api_key(settings),
        timeout=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        concurrency=settings.llm_concurrency,
    )
    return LlmSessions(client, db)


def build_registry(settings: Settings, db: AsyncEngine | None = None) -> EngineRegistry:
    provider = fine_tune_provider(settings)
    sessions = llm_sessions(settings, db)
    embedder = MiniLmEmbedder()
    registry = EngineRegistry(
        [
            FineTuningEngine(provider, default_model=settings.llm_model),
            DpoEngine(provider, default_model=settings.llm_model),
            PromptOptimizer(sessions, embedder),
            BehaviorLearner(sessions, embedder),
            RagTrainer(RetrievalLogSource(db) if db is not None else None),
        ]
    )
    load_plugins(registry, settings.engine_module_list)
    return registry
