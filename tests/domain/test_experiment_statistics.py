"""Experiment statistics against scipy computed here, and the sequential procedure under A/A peeking."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from learnloop.domain.experiments.statistics import (
    ArmMoments,
    adjust_p_values,
    compare,
    power,
    sequential_halfwidth,
    srm_p_value,
    two_proportion_z,
)


def _binary(successes: int, n: int) -> ArmMoments:
    return ArmMoments.from_units([1] * successes + [0] * (n - successes), [1] * n)


def test_srm_flags_only_real_mismatches() -> None:
    assert srm_p_value([5050, 4950], [50, 50]) == pytest.approx(0.3173, abs=1e-4)
    assert srm_p_value([5500, 4500], [50, 50]) < 0.001
    assert srm_p_value([2000, 8000], [20, 80]) == pytest.approx(1.0)


def test_two_proportion_z_matches_hand_computed_scipy() -> None:
    result = compare(_binary(480, 1000), _binary(530, 1000))
    assert result is not None
    p0, p1 = 0.48, 0.53
    se = np.sqrt(p0 * (1 - p0) / 1000 + p1 * (1 - p1) / 1000)
    z = (p1 - p0) / se
    assert result.test == "TWO_PROPORTION_Z"
    assert result.statistic == pytest.approx(z) and z == pytest.approx(2.24, abs=0.005)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(z))
    assert result.p_value == pytest.approx(0.025, abs=0.001)
    assert result.absolute_lift == pytest.approx(0.05)
    assert result.ci_low == pytest.approx(0.05 - stats.norm.ppf(0.975) * se)
    assert result.relative_lift == pytest.approx(0.53 / 0.48 - 1)
    # The always-valid interval is wider than the fixed-horizon one.
    assert result.sequential_low < result.ci_low and result.sequential_high > result.ci_high


def test_welch_t_equals_scipy() -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(3.5, 1.0, 80).round(1)
    b = rng.normal(3.8, 1.6, 120).round(1)
    result = compare(ArmMoments.from_units(a, [1] * 80), ArmMoments.from_units(b, [1] * 120))
    expected = stats.ttest_ind(b, a, equal_var=False)
    assert result is not None and result.test == "WELCH_T"
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)


def test_small_counts_use_fishers_exact_test() -> None:
    result = compare(_binary(1, 20), _binary(6, 20))
    assert result is not None and result.test == "FISHER_EXACT"
    assert result.p_value == pytest.approx(stats.fisher_exact([[1, 19], [6, 14]]).pvalue)


def test_ratio_metric_uses_the_delta_method() -> None:
    rng = np.random.default_rng(3)
    counts = rng.integers(1, 5, 400)
    sums = np.array([rng.integers(1, 6, c).sum() for c in counts], dtype=float)
    arm = ArmMoments.from_units(sums, counts)
    assert arm.is_ratio and arm.mean == pytest.approx(sums.sum() / counts.sum())
    # Compare with a bootstrap of the ratio of sums: the delta variance is close.
    boot = []
    for _ in range(2000):
        i = rng.integers(0, 400, 400)
        boot.append(sums[i].sum() / counts[i].sum())
    assert arm.variance_of_mean == pytest.approx(np.var(boot), rel=0.15)
    result = compare(arm, ArmMoments.from_units(sums + counts * 0.2, counts))
    assert result is not None and result.test == "DELTA_METHOD_Z"


def test_benjamini_hochberg_matches_scipy() -> None:
    p = [0.01, 0.04, 0.03, 0.2]
    assert adjust_p_values(p) == pytest.approx(list(stats.false_discovery_control(p)))


def test_power_and_sample_needed() -> None:
    a, b = _binary(480, 1000), _binary(530, 1000)
    result = power(a, b, 0.05)
    assert 0.5 < result.power_at_observed < 0.7
    # Textbook n per arm for 0.48 vs 0.53 at alpha 0.05, 80 % power is about 1,560.
    assert result.units_per_arm_needed == pytest.approx(1565, rel=0.02)
    assert result.minimum_detectable_effect == pytest.approx(2.8 * 0.0223, rel=0.01)


def test_sequential_interval_keeps_false_positives_under_alpha_when_peeking() -> None:
    """1,000 simulated A/A experiments, 50/50 with a 30 % conversion rate, looked at every 100
    units up to 10,000: a peeker stops at the first significant look."""
    rng = np.random.default_rng(20260)
    experiments, looks, per_look = 1000, 100, 50  # 50 units per arm between looks
    conversions_a = rng.binomial(per_look, 0.3, (experiments, looks)).cumsum(axis=1)
    conversions_b = rng.binomial(per_look, 0.3, (experiments, looks)).cumsum(axis=1)
    n = per_look * np.arange(1, looks + 1)
    diff, _, p = two_proportion_z(conversions_a, n, conversions_b, n)
    pa, pb = conversions_a / n, conversions_b / n
    se = np.sqrt(pa * (1 - pa) / n + pb * (1 - pb) / n)
    half = sequential_halfwidth(se, 2 * n)
    fixed_rate = float((p < 0.05).any(axis=1).mean())
    sequential_rate = float((np.abs(diff) > half).any(axis=1).mean())
    print(
        f"A/A peeking every 100 units: fixed-horizon {fixed_rate:.3f}, sequential {sequential_rate:.3f}"
    )
    assert sequential_rate <= 0.05
    assert fixed_rate > 0.15
