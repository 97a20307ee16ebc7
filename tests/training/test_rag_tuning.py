"""RAG tuning statistics on synthetic logs with a known answer, and the engine's steps."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import numpy as np
import pytest

from learnloop.domain.engines import rag_expansion, rag_trainer, rag_tuning
from learnloop.domain.engines.base import CancelToken, RunCancelled, TrainingData
from learnloop.domain.engines.click_model import FloatArray, Impressions, weighted_count
from learnloop.domain.engines.retrieval_log import RetrievalLog
from tests.training.retrieval_synth import DECOYS, RELEVANT, generate

CONFIG = rag_trainer.validate({"seed": 3})


def helpful_rate(imp: Impressions) -> FloatArray:
    """The naive baseline: helpful / shown, blind to where the chunk was shown."""
    clicks = weighted_count(imp.chunk, imp.helpful, imp.n_chunks)
    shown = np.bincount(imp.chunk, minlength=imp.n_chunks).astype(np.float64)
    return clicks / np.maximum(shown, 1.0)


def test_debiased_ranking_finds_relevant_chunks_where_helpful_rate_is_fooled() -> None:
    log = RetrievalLog.from_rows(generate(4000).rows)
    naive = helpful_rate(log.impressions(rag_tuning.MAX_RANKS))
    naive_top = {log.chunk_ids[c] for c in np.argsort(-naive)[:3]}
    assert naive_top & set(DECOYS), "the plain helpful rate should be fooled by the decoys"

    result = rag_trainer.analyse(log, CONFIG).result
    learned_top = {r["chunkId"] for r in result["chunkRelevance"][:3]}
    assert learned_top == set(RELEVANT)
    assert not learned_top & set(DECOYS)
    for row in result["chunkRelevance"]:
        assert row["ciLow"] <= row["score"] <= row["ciHigh"]
        assert row["impressions"] > 0
    assert result["ndcgAt5"]["after"] > result["ndcgAt5"]["before"]
    assert set(result["deployable"]["reranking"]) >= set(RELEVANT)


def test_same_seed_same_result() -> None:
    log = RetrievalLog.from_rows(generate(600).rows)
    first = rag_trainer.analyse(log, CONFIG)
    second = rag_trainer.analyse(log, CONFIG)
    assert first.result == second.result
    assert first.artifacts == second.artifacts


def test_chunk_size_inconclusive_without_a_real_difference() -> None:
    log = RetrievalLog.from_rows(generate(1500, token_rates={100: 1.0, 300: 1.0}).rows)
    size = rag_trainer.analyse(log, CONFIG).result["chunkSize"]
    assert size["verdict"] == "inconclusive"
    assert size["recommendation"] is None
    assert len(size["buckets"]) == 2


def test_chunk_size_picks_the_better_bucket() -> None:
    log = RetrievalLog.from_rows(generate(3000, token_rates={100: 0.4, 300: 1.0}).rows)
    size = rag_trainer.analyse(log, CONFIG).result["chunkSize"]
    assert size["verdict"] == "recommended"
    assert size["recommendation"] == "256-512 tokens"


def test_triplets_pair_a_helpful_chunk_with_a_skipped_one_above_it() -> None:
    rows = [
        ("e1", "reset password", "a", 1, False, 100),
        ("e1", "reset password", "b", 2, True, 100),
        ("e1", "reset password", "c", 3, False, 100),
    ]
    text = rag_tuning.triplets(RetrievalLog.from_rows(rows))
    assert text == '{"negative": "a", "positive": "b", "query": "reset password"}\n'


def test_an_expansion_is_kept_only_when_it_raises_held_out_recall() -> None:
    """ "refund" alone ranks the status page first; adding "reimbursement" (which users with the
    same need typed) finds the policy page they found helpful."""
    rows: list[tuple[str, str, str, int, bool, int | None]] = []
    for i in range(10):
        rows.append((f"t-a{i}", "refund please", "kb-policy", 1, True, 100))
    for i in range(11):
        rows.append((f"t-b{i}", "refund please", "kb-status", 1, True, 100))
    for i in range(10):
        rows.append((f"t-c{i}", "reimbursement", "kb-policy", 1, True, 100))
    train_rows = len(rows)
    for i in range(5):
        rows.append((f"h-{i}", "refund now", "kb-policy", 1, True, 100))
    log = RetrievalLog.from_rows(rows)
    train = log.take(np.arange(log.size) < train_rows)
    held = log.take(np.arange(log.size) >= train_rows)
    kept = rag_expansion.learn_expansions(train, held, k=1)
    assert [(e["term"], e["expansion"]) for e in kept] == [("refund", "reimbursement")]
    assert kept[0]["recallBefore"] == 0 and kept[0]["recallAfter"] == 1

    # Held-out users who wanted the status page: the same expansion would hurt, so none is kept.
    status = RetrievalLog.from_rows(
        rows[:train_rows] + [(f"h-{i}", "refund now", "kb-status", 1, True, 100) for i in range(5)]
    )
    assert (
        rag_expansion.learn_expansions(
            status.take(np.arange(status.size) < train_rows),
            status.take(np.arange(status.size) >= train_rows),
            k=1,
        )
        == []
    )


class _Memory:
    """A RetrievalSource over a log in memory (the engine alone, without a database)."""

    def __init__(self, log: RetrievalLog) -> None:
        self.log = log

    async def load(self, org_id: UUID, agent_key: str, since: datetime | None) -> RetrievalLog:
        return self.log


DATA = TrainingData(None, "retrieval feedback", 0, (), org_id=uuid4(), agent_key="rag-bot")


async def test_every_step_is_timed_and_a_cancel_stops_before_the_next_one() -> None:
    engine = rag_trainer.RagTrainer(_Memory(RetrievalLog.from_rows(generate(800).rows)))
    messages: list[str] = []

    async def progress(fraction: float, *, message: str | None = None, **_: Any) -> None:
        messages.append(message or "")

    done = await engine.run(DATA, CONFIG, progress, CancelToken())
    steps = ["split", "clickModel", "ndcg", "chunkSize", "expansions", "triplets"]
    assert list(done.metrics["stepSeconds"]) == ["load", *steps]
    assert all(s >= 0 for s in done.metrics["stepSeconds"].values())
    assert messages[-1] == "done" and len(done.artifacts) == 1

    # Cancelled while the chunk-size step is announced: that step finishes, no later one starts.
    token, seen = CancelToken(), []

    async def cancelling(fraction: float, *, message: str | None = None, **_: Any) -> None:
        seen.append(message or "")
        if message == "comparing chunk sizes":
            token.cancel("cancel requested")

    with pytest.raises(RunCancelled):
        await engine.run(DATA, CONFIG, cancelling, token)
    assert seen == messages[: messages.index("comparing chunk sizes") + 1]
