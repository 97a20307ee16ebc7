"""Position-based click model fitted by EM: examination propensity per rank, relevance per chunk.

P(helpful | chunk c shown at rank r) = theta[r] * gamma[c] (see ADR 0018). Everything is
vectorised with numpy so 100,000 impressions fit in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Posterior intervals are central 95% credible intervals of a Beta(1 + a, 1 + b).
CREDIBLE_MASS = 0.95
PRIOR = 1.0


@dataclass(frozen=True)
class Impressions:
    """One row per (execution, chunk) shown: integer-coded chunk, 0-based rank, helpful flag."""

    chunk: IntArray
    rank: IntArray
    helpful: FloatArray
    n_chunks: int
    n_ranks: int


@dataclass(frozen=True)
class ClickModel:
    theta: FloatArray  # examination propensity per rank, max 1
    gamma: FloatArray  # relevance per chunk (EM point estimate)
    iterations: int


def _cells(imp: Impressions) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """The sufficient statistics: (chunk, rank, impressions, clicks) per cell that was shown.

    EM only ever needs per-(chunk, rank) sums, so it iterates over at most chunks x ranks cells
    instead of every impression (600,000 rows became ~700 cells in the benchmark).
    """
    cell = imp.chunk * imp.n_ranks + imp.rank
    size = imp.n_chunks * imp.n_ranks
    shown = np.bincount(cell, minlength=size).astype(np.float64)
    clicks = np.bincount(cell, imp.helpful, size).astype(np.float64)
    used = np.flatnonzero(shown > 0)
    return used // imp.n_ranks, used % imp.n_ranks, shown[used], clicks[used]


def fit(imp: Impressions, *, max_iter: int = 200, tol: float = 1e-6) -> ClickModel:
    """EM for the position-based model (Chuklin et al., Click Models for Web Search, ch. 4)."""
    chunk, rank, shown, click = _cells(imp)
    no_click = shown - click
    per_rank = np.bincount(rank, shown, imp.n_ranks)
    per_chunk = np.bincount(chunk, shown, imp.n_chunks)
    theta = np.full(imp.n_ranks, 0.5)
    gamma = np.full(imp.n_chunks, 0.5)
    iteration = 0
    for iteration in range(1, max_iter + 1):  # noqa: B007 - reported as `iterations`
        t = theta[rank]
        g = gamma[chunk]
        miss = np.maximum(1.0 - t * g, 1e-12)
        # E-step: a skipped chunk was either not examined or examined and not relevant.
        relevant = click + no_click * (1.0 - t) * g / miss
        examined = click + no_click * t * (1.0 - g) / miss
        new_gamma = np.bincount(chunk, relevant, imp.n_chunks) / np.maximum(per_chunk, 1.0)
        new_theta = np.bincount(rank, examined, imp.n_ranks) / np.maximum(per_rank, 1.0)
        # The model only fixes theta * gamma: pin the most examined rank to 1 so runs compare.
        top = float(new_theta.max()) or 1.0
        new_theta = new_theta / top
        new_gamma = np.clip(new_gamma * top, 1e-6, 1.0 - 1e-6)
        delta = max(np.abs(new_theta - theta).max(), np.abs(new_gamma - gamma).max())
        theta, gamma = new_theta, new_gamma
        if delta < tol:
            break
    return ClickModel(theta=theta, gamma=gamma, iterations=iteration)


@dataclass(frozen=True)
class Posterior:
    """Beta posterior of each chunk's relevance from helpful counts over expected examinations."""

    mean: FloatArray
    low: FloatArray
    high: FloatArray
    impressions: IntArray


def weighted_count(index: IntArray, weights: FloatArray, size: int) -> FloatArray:
    """Sum of `weights` per index value (0..size-1), as float64."""
    return np.bincount(index, weights, size).astype(np.float64)


def beta_interval(successes: FloatArray, trials: FloatArray) -> tuple[FloatArray, ...]:
    """Posterior mean and central credible interval of Beta(1 + s, 1 + max(trials - s, 0))."""
    a = PRIOR + successes
    b = PRIOR + np.maximum(trials - successes, 0.0)
    tail = (1.0 - CREDIBLE_MASS) / 2
    return a / (a + b), stats.beta.ppf(tail, a, b), stats.beta.ppf(1.0 - tail, a, b)


def posterior(imp: Impressions, model: ClickModel) -> Posterior:
    """A chunk shown n times at ranks r_i was examined sum(theta[r_i]) times in expectation."""
    clicks = weighted_count(imp.chunk, imp.helpful, imp.n_chunks)
    examined = weighted_count(imp.chunk, model.theta[imp.rank], imp.n_chunks)
    mean, low, high = beta_interval(clicks, examined)
    return Posterior(mean, low, high, np.bincount(imp.chunk, minlength=imp.n_chunks))
