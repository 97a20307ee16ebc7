"""RAG_TUNING: learn a position-debiased re-ranking, chunk size and query expansions from feedback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

import numpy as np

from learnloop.domain.engines import config as checks
from learnloop.domain.engines import rag_tuning
from learnloop.domain.engines.base import (
    Artifact,
    CancelToken,
    EngineResult,
    ProgressReporter,
    TrainingData,
    TrainingFailed,
)
from learnloop.domain.engines.rag_expansion import learn_expansions
from learnloop.domain.engines.retrieval_log import RetrievalLog, split_by_execution
from learnloop.domain.errors import Problem
from learnloop.domain.training_runs.records import TrainingType

DEFAULTS: dict[str, Any] = {"seed": 0, "holdout": 0.2, "topK": 5, "since": None}
RERANK_TABLE_LIMIT = 5000  # chunks carried into the deployment config, most shown first


class RetrievalSource(Protocol):
    """Where the worker reads an agent's retrieval feedback (storage implements it)."""

    async def load(self, org_id: UUID, agent_key: str, since: datetime | None) -> RetrievalLog: ...


def _since(config: Mapping[str, Any]) -> list[Problem]:
    value = config.get("since")
    if value is None:
        return []
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        return [Problem(("config", "since"), "'since' must be an ISO 8601 date or timestamp")]
    return []


def validate(config: Mapping[str, Any]) -> dict[str, Any]:
    return checks.validate(
        config,
        [
            checks.unknown_keys(set(DEFAULTS)),
            checks.integer("seed", 0, 2**31 - 1),
            checks.number("holdout", 0.05, 0.5),
            checks.integer("topK", 1, 100),
            _since,
        ],
        DEFAULTS,
    )


class Analysis:
    """The analysis as named steps (pure, CPU-bound: run each in a thread), each one timed.

    The engine checks for cancellation between steps and reports `stepSeconds` in the run's
    metrics, so a slow run shows where its time went.
    """

    def __init__(self, log: RetrievalLog, config: Mapping[str, Any]) -> None:
        self.log = log
        self.config = config
        self.seconds: dict[str, float] = {}
        self.steps: tuple[tuple[str, str, Callable[[], None]], ...] = (
            ("split", "holding out feedback", self._split),
            ("clickModel", f"fitting the click model on {log.size} impressions", self._relevance),
            ("ndcg", "scoring the learned ranking on held-out feedback", self._ndcg),
            ("chunkSize", "comparing chunk sizes", self._chunk_size),
            ("expansions", "learning query expansions", self._expansions),
            ("triplets", "writing training triplets", self._triplets),
        )

    def run(self, name: str, step: Callable[[], None]) -> None:
        started = time.perf_counter()
        step()
        self.seconds[name] = round(time.perf_counter() - started, 4)

    def _split(self) -> None:
        config = self.config
        train_rows, held_rows = split_by_execution(
            self.log, float(config["holdout"]), int(config["seed"])
        )
        self.train, self.held = self.log.take(train_rows), self.log.take(held_rows)
        if self.train.size == 0 or self.held.size == 0:
            raise TrainingFailed("too little retrieval feedback to hold some out; record more")

    def _relevance(self) -> None:
        self.rel = rag_tuning.learn_relevance(self.train)

    def _ndcg(self) -> None:
        held, rel = self.held, self.rel
        gain = rag_tuning.ipw_gain(held, rel.model)
        self.before = rag_tuning.ndcg_at(held, -held.rank.astype(np.float64), gain)
        self.after = rag_tuning.ndcg_at(held, rag_tuning.learned_key(held, rel), gain)

    def _chunk_size(self) -> None:
        self.size = rag_tuning.chunk_size(self.train, self.rel.model)

    def _expansions(self) -> None:
        self.expansions = learn_expansions(self.train, self.held, int(self.config["topK"]))

    def _triplets(self) -> None:
        self.triplets = rag_tuning.triplets(self.train)

    def result(self) -> EngineResult:
        log, rel, size, expansions = self.log, self.rel, self.size, self.expansions
        shown = np.flatnonzero(rel.impressions > 0)
        ordered = shown[np.lexsort((shown, -rel.mean[shown]))]
        relevance = [
            {
                "chunkId": log.chunk_ids[c],
                "score": float(rel.mean[c]),
                "ciLow": float(rel.low[c]),
                "ciHigh": float(rel.high[c]),
                "impressions": int(rel.impressions[c]),
            }
            for c in ordered
        ]
        by_shown = sorted(relevance, key=lambda r: (-r["impressions"], r["chunkId"]))
        table = {r["chunkId"]: round(r["score"], 6) for r in by_shown[:RERANK_TABLE_LIMIT]}
        before, after = self.before, self.after
        result = {
            "chunkRelevance": relevance,
            "ndcgAt5": {"before": before, "after": after},
            "chunkSize": size,
            "expansionTerms": expansions,
            "examinationByRank": [round(float(t), 6) for t in rel.model.theta],
            "feedbackEvents": log.size,
            "executions": len(log.queries),
            "deployable": {
                "reranking": table,
                "settings": {
                    "rerank": after > before,
                    "defaultChunkScore": 0.5,
                    "chunkSizeTokens": size["recommendation"],
                    "queryExpansions": {e["term"]: e["expansion"] for e in expansions},
                },
            },
        }
        artifact = Artifact("triplets.jsonl", "application/x-ndjson", self.triplets)
        metrics = {
            "ndcgAt5Before": before,
            "ndcgAt5After": after,
            "emIterations": rel.model.iterations,
            "stepSeconds": dict(self.seconds),
        }
        return EngineResult(result=result, metrics=metrics, artifacts=(artifact,))


def analyse(log: RetrievalLog, config: Mapping[str, Any]) -> EngineResult:
    """Every step in one go (benchmarks and tests; the engine runs them one by one)."""
    analysis = Analysis(log, config)
    for name, _, step in analysis.steps:
        analysis.run(name, step)
    return analysis.result()


class RagTrainer:
    training_type = TrainingType.RAG_TUNING

    def __init__(self, source: RetrievalSource | None) -> None:
        self.source = source

    def validate_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return validate(config)

    async def run(
        self,
        dataset: TrainingData,
        config: Mapping[str, Any],
        progress: ProgressReporter,
        cancel: CancelToken,
    ) -> EngineResult:
        if self.source is None or dataset.org_id is None or not dataset.agent_key:
            raise TrainingFailed("this worker cannot read retrieval feedback for the run's agent")
        since = datetime.fromisoformat(config["since"]) if config.get("since") else None
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        await progress(0.05, message="loading retrieval feedback")
        started = time.perf_counter()
        log = await self.source.load(dataset.org_id, dataset.agent_key, since)
        if log.size == 0:
            raise TrainingFailed(
                f"agent '{dataset.agent_key}' has no retrieval feedback to learn from"
            )
        analysis = Analysis(log, config)
        analysis.seconds["load"] = round(time.perf_counter() - started, 4)
        for i, (name, message, step) in enumerate(analysis.steps):
            # A checkpoint before every step: a cancelled run stops here, writing nothing.
            cancel.raise_if_cancelled()
            await progress(0.1 + 0.85 * i / len(analysis.steps), message=message)
            await asyncio.to_thread(analysis.run, name, step)
        cancel.raise_if_cancelled()
        await progress(1.0, message="done")
        return analysis.result()
