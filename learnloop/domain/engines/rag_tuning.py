"""RAG tuning statistics: debiased chunk relevance, NDCG@5, chunk-size buckets, triplets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from learnloop.domain.engines import click_model
from learnloop.domain.engines.click_model import (
    ClickModel,
    FloatArray,
    beta_interval,
    weighted_count,
)
from learnloop.domain.engines.retrieval_log import RetrievalLog

# Ranks below this share one propensity; deeper ranks are rarely looked at anyway.
MAX_RANKS = 20
# Inverse propensities are capped so one click at a rarely seen rank cannot dominate.
MIN_PROPENSITY = 0.05
# Token-length buckets for the chunk-size recommendation: [low, high) in tokens.
SIZE_BUCKETS: tuple[tuple[int, int], ...] = (
    (0, 128),
    (128, 256),
    (256, 512),
    (512, 1024),
    (1024, 1 << 30),
)


def _within_group_position(group: np.ndarray, key: FloatArray) -> np.ndarray:
    """0-based position of each row inside its group when each group is sorted by key descending."""
    order = np.lexsort((-key, group))
    sorted_group = group[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_group)) + 1]
    counts = np.diff(np.r_[starts, sorted_group.shape[0]])
    position_sorted = np.arange(sorted_group.shape[0]) - np.repeat(starts, counts)
    position: np.ndarray = np.empty_like(position_sorted)
    position[order] = position_sorted
    return position


def _dcg(group: np.ndarray, key: FloatArray, gain: FloatArray, k: int, groups: int) -> FloatArray:
    pos = _within_group_position(group, key)
    discount = np.where(pos < k, 1.0 / np.log2(pos + 2.0), 0.0)
    return weighted_count(group, gain * discount, groups)


def ndcg_at(log: RetrievalLog, key: FloatArray, gain: FloatArray, k: int = 5) -> float:
    """NDCG@k when each execution's chunks are sorted by key: summed DCG over summed ideal DCG.

    With inverse-propensity gains each execution's DCG is an unbiased estimate, so their sum is
    too; a mean of per-execution ratios would not be (it over-weights executions whose only
    helpful chunk sat on top, exactly the bias being corrected). See ADR 0015.
    """
    groups = len(log.queries)
    ideal = float(_dcg(log.execution, gain, gain, k, groups).sum())
    got = float(_dcg(log.execution, key, gain, k, groups).sum())
    return got / ideal if ideal > 0 else 0.0


def ipw_gain(log: RetrievalLog, model: ClickModel) -> FloatArray:
    """Helpful / examination propensity of the logged rank: an unbiased estimate of relevance."""
    rank = np.minimum(log.rank, MAX_RANKS) - 1
    gain: FloatArray = log.helpful / np.maximum(model.theta[rank], MIN_PROPENSITY)
    return gain


@dataclass(frozen=True)
class Relevance:
    model: ClickModel
    mean: FloatArray
    low: FloatArray
    high: FloatArray
    impressions: np.ndarray


def learn_relevance(log: RetrievalLog) -> Relevance:
    imp = log.impressions(MAX_RANKS)
    model = click_model.fit(imp)
    post = click_model.posterior(imp, model)
    return Relevance(model, post.mean, post.low, post.high, post.impressions)


def learned_key(log: RetrievalLog, rel: Relevance) -> FloatArray:
    """Sort key for held-out rows: the posterior mean, chunks never trained on at the prior mean."""
    known = rel.impressions[log.chunk] > 0
    # The logged order breaks ties (and orders unknown chunks among themselves).
    key: FloatArray = np.where(known, rel.mean[log.chunk], 0.5) - log.rank * 1e-9
    return key


def chunk_size(log: RetrievalLog, model: ClickModel) -> dict[str, Any]:
    """Debiased helpful rate per token-length bucket; a winner only when its interval stands apart."""
    rank = np.minimum(log.rank, MAX_RANKS) - 1
    examined = model.theta[rank]
    buckets: list[dict[str, Any]] = []
    for low, high in SIZE_BUCKETS:
        rows = (log.tokens >= low) & (log.tokens < high)
        if not rows.any():
            continue
        mean, lo, hi = beta_interval(
            np.array([log.helpful[rows].sum()]), np.array([examined[rows].sum()])
        )
        buckets.append(
            {
                "minTokens": low,
                "maxTokens": high if high < SIZE_BUCKETS[-1][1] else None,
                "helpfulRate": float(mean[0]),
                "ciLow": float(lo[0]),
                "ciHigh": float(hi[0]),
                "impressions": int(rows.sum()),
            }
        )
    if len(buckets) < 2:
        return {"recommendation": None, "verdict": "inconclusive", "buckets": buckets}
    best = max(buckets, key=lambda b: b["helpfulRate"])
    separated = all(best["ciLow"] > b["ciHigh"] for b in buckets if b is not best)
    label = f"{best['minTokens']}-{best['maxTokens'] or ''}".rstrip("-") + " tokens"
    return {
        "recommendation": label if separated else None,
        "verdict": "recommended" if separated else "inconclusive",
        "buckets": buckets,
    }


def triplets(log: RetrievalLog, limit: int = 50_000) -> str:
    """(query, positive, hard negative) as JSON lines: a skipped chunk ranked above a helpful one.

    A chunk above a helpful one was very likely examined (the user read past it), so its not
    being helpful is real evidence, unlike chunks below that may never have been seen.
    """
    # Only executions with a helpful chunk can give a triplet; walk those alone, as lists
    # (indexing numpy scalars row by row was most of this step's time).
    keep = np.isin(log.execution, np.unique(log.execution[log.helpful > 0]))
    order = np.flatnonzero(keep)[np.lexsort((log.rank[keep], log.execution[keep]))]
    execution = log.execution[order].tolist()
    chunk = log.chunk[order].tolist()
    helpful = (log.helpful[order] > 0).tolist()
    quoted: dict[int, str] = {}

    def quote(c: int) -> str:
        found = quoted.get(c)
        if found is None:
            found = quoted[c] = json.dumps(log.chunk_ids[c])
        return found

    lines: list[str] = []
    seen_negatives: list[int] = []
    current, query = -1, ""
    for e, c, h in zip(execution, chunk, helpful, strict=True):
        if e != current:
            current, query, seen_negatives = e, json.dumps(log.queries[e]), []
        if not h:
            seen_negatives.append(c)
            continue
        for negative in seen_negatives:
            # The exact text of json.dumps(record, sort_keys=True), without a dict per line.
            lines.append(
                f'{{"negative": {quote(negative)}, "positive": {quote(c)}, "query": {query}}}'
            )
            if len(lines) >= limit:
                return "\n".join(lines) + "\n"
    return "\n".join(lines) + ("\n" if lines else "")
