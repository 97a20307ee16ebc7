"""Paired comparison of two prompts on the same examples: mean gain, bootstrap CI and a paired test.

McNemar's exact test for 0/1 scores (a binomial test on the discordant pairs), the Wilcoxon
signed-rank test for graded scores; both two-sided, both from scipy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

ALPHA = 0.05
BOOTSTRAP_RESAMPLES = 2000


@dataclass(frozen=True)
class PairedComparison:
    n: int
    mean: float  # mean of (candidate - reference) per example
    ci_low: float
    ci_high: float
    p_value: float
    test: str

    def significant_gain(self, alpha: float = ALPHA) -> bool:
        return self.mean > 0 and self.p_value < alpha

    def as_result(self) -> dict[str, Any]:
        return {
            "mean": self.mean,
            "ciLow": self.ci_low,
            "ciHigh": self.ci_high,
            "pValue": self.p_value,
            "test": self.test,
            "n": self.n,
        }


def _p_value(diffs: np.ndarray, binary: bool) -> tuple[float, str]:
    if binary:
        gains, losses = int((diffs > 0).sum()), int((diffs < 0).sum())
        if gains + losses == 0:
            return 1.0, "mcnemar_exact"
        return float(stats.binomtest(gains, gains + losses, 0.5).pvalue), "mcnemar_exact"
    if not np.any(diffs != 0):
        return 1.0, "wilcoxon"
    nonzero = diffs[diffs != 0]
    # Exact when it is cheap and valid (no ties, few pairs); with ties scipy's "auto" falls back
    # to a permutation test that takes seconds, so use the normal approximation there.
    exact = len(nonzero) <= 50 and len(np.unique(np.abs(nonzero))) == len(nonzero)
    method = "exact" if exact else "asymptotic"
    result = stats.wilcoxon(nonzero, zero_method="wilcox", method=method, correction=not exact)
    return float(result.pvalue), "wilcoxon"


def _ci(diffs: np.ndarray, seed: int) -> tuple[float, float]:
    if len(diffs) < 2 or np.all(diffs == diffs[0]):
        value = float(diffs.mean()) if len(diffs) else 0.0
        return value, value
    result = stats.bootstrap(
        (diffs,),
        np.mean,
        n_resamples=BOOTSTRAP_RESAMPLES,
        confidence_level=0.95,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def compare(
    reference: Sequence[float], candidate: Sequence[float], *, binary: bool, seed: int
) -> PairedComparison:
    """How much `candidate` beats `reference` on the same examples (same order)."""
    diffs = np.asarray(candidate, dtype=float) - np.asarray(reference, dtype=float)
    p_value, test = _p_value(diffs, binary)
    low, high = _ci(diffs, seed)
    mean = float(diffs.mean()) if len(diffs) else 0.0
    return PairedComparison(len(diffs), mean, low, high, p_value, test)
