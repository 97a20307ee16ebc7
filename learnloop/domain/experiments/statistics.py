"""Pure statistics for two-arm experiments: per-arm moments, fixed-horizon tests, sequential
intervals, sample ratio mismatch, multiple-testing control and power (scipy distributions)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

ALPHA = 0.05
POWER = 0.8
SRM_THRESHOLD = 0.001
# Tuning of the asymptotic confidence sequence: the interval is tightest near this many units.
SEQUENTIAL_TUNING_UNITS = 5000
# Below this many successes or failures in an arm, the z approximation is not trusted.
EXACT_TEST_BELOW = 5


@dataclass(frozen=True)
class ArmMoments:
    """Sufficient statistics of one arm and metric over its units.

    Each unit contributes a numerator y (sum of its observed values) and a denominator x (how
    many observations it had); a unit with several ratings makes the metric a ratio Σy/Σx.
    """

    units: int
    sum_y: float
    sum_x: float
    sum_yy: float
    sum_xx: float
    sum_xy: float

    @classmethod
    def from_units(cls, ys: Sequence[float], xs: Sequence[float]) -> ArmMoments:
        y = np.asarray(ys, dtype=float)
        x = np.asarray(xs, dtype=float)
        return cls(
            len(y),
            float(y.sum()),
            float(x.sum()),
            float((y * y).sum()),
            float((x * x).sum()),
            float((x * y).sum()),
        )

    @property
    def is_ratio(self) -> bool:
        """True when some unit had more than one observation (Σx ≠ n)."""
        return abs(self.sum_x - self.units) > 1e-9 or abs(self.sum_xx - self.units) > 1e-9

    @property
    def mean(self) -> float:
        return self.sum_y / self.sum_x if self.sum_x else math.nan

    @property
    def variance(self) -> float:
        """Per-unit sample variance of y (of the unit means' linearisation for ratios)."""
        n = self.units
        if n < 2:
            return math.nan
        if not self.is_ratio:
            return max(self.sum_yy - self.sum_y**2 / n, 0.0) / (n - 1)
        # Delta method: Var(sum y / sum x) ~ (var_y - 2 R cov_xy + R^2 var_x) / (n mu_x^2); report n Var.
        r = self.mean
        var_y = (self.sum_yy - self.sum_y**2 / n) / (n - 1)
        var_x = (self.sum_xx - self.sum_x**2 / n) / (n - 1)
        cov = (self.sum_xy - self.sum_y * self.sum_x / n) / (n - 1)
        mu_x = self.sum_x / n
        return max(var_y - 2 * r * cov + r * r * var_x, 0.0) / (mu_x * mu_x)

    @property
    def variance_of_mean(self) -> float:
        return self.variance / self.units if self.units >= 2 else math.nan


def is_binary(arms: Sequence[ArmMoments]) -> bool:
    """Every observation 0 or 1 and one observation per unit: a proportion."""
    return all(not a.is_ratio and abs(a.sum_yy - a.sum_y) < 1e-9 for a in arms)


@dataclass(frozen=True)
class Comparison:
    absolute_lift: float
    relative_lift: float
    ci_low: float
    ci_high: float
    relative_ci_low: float
    relative_ci_high: float
    p_value: float
    test: str
    statistic: float
    sequential_low: float
    sequential_high: float


def sequential_halfwidth(
    std_error: ArrayLike,
    total_units: ArrayLike,
    alpha: float = ALPHA,
    tuning_units: int = SEQUENTIAL_TUNING_UNITS,
) -> NDArray[np.float64]:
    """Half-width of the asymptotic confidence sequence (Waudby-Smith et al., as GrowthBook uses):
    valid at every look at once, so a dashboard may be checked as often as anyone likes."""
    se = np.asarray(std_error, dtype=float)
    n = np.asarray(total_units, dtype=float)
    rho_sq = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning_units
    # Per-unit standard deviation of the estimate: se·√n.
    scale = se * np.sqrt(n)
    width = np.sqrt(
        2 * (n * rho_sq + 1) / (n * n * rho_sq) * np.log(np.sqrt(n * rho_sq + 1) / alpha)
    )
    result: NDArray[np.float64] = scale * width
    return result


def two_proportion_z(
    successes_a: ArrayLike, n_a: ArrayLike, successes_b: ArrayLike, n_b: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Unpooled two-proportion z test of b - a: (difference, z, two-sided p); vectorised."""
    pa = np.asarray(successes_a, dtype=float) / np.asarray(n_a, dtype=float)
    pb = np.asarray(successes_b, dtype=float) / np.asarray(n_b, dtype=float)
    se = np.sqrt(pa * (1 - pa) / np.asarray(n_a) + pb * (1 - pb) / np.asarray(n_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (pb - pa) / se, 0.0)
    p = 2 * stats.norm.sf(np.abs(z))
    return pb - pa, z, p


def welch_t(a: ArmMoments, b: ArmMoments) -> tuple[float, float, float]:
    """Welch's t of b - a from moments: (t, degrees of freedom, two-sided p)."""
    va, vb = a.variance_of_mean, b.variance_of_mean
    se = math.sqrt(va + vb)
    if not se > 0:
        return 0.0, math.nan, 1.0
    t = (b.mean - a.mean) / se
    df = (va + vb) ** 2 / (va**2 / (a.units - 1) + vb**2 / (b.units - 1))
    return t, df, float(2 * stats.t.sf(abs(t), df))


def _fixed_horizon(a: ArmMoments, b: ArmMoments) -> tuple[str, float, float]:
    """(test name, statistic, p) — the right test for the metric's shape and size."""
    if is_binary([a, b]):
        cells = [a.sum_y, a.units - a.sum_y, b.sum_y, b.units - b.sum_y]
        if min(cells) < EXACT_TEST_BELOW:
            table = [[int(a.sum_y), int(a.units - a.sum_y)], [int(b.sum_y), int(b.units - b.sum_y)]]
            odds, p = stats.fisher_exact(table)
            return "FISHER_EXACT", float(odds), float(p)
        _, z_arr, p_arr = two_proportion_z(a.sum_y, a.units, b.sum_y, b.units)
        return "TWO_PROPORTION_Z", float(z_arr), float(p_arr)
    if a.is_ratio or b.is_ratio:
        se = math.sqrt(a.variance_of_mean + b.variance_of_mean)
        z = (b.mean - a.mean) / se if se > 0 else 0.0
        return "DELTA_METHOD_Z", z, float(2 * stats.norm.sf(abs(z)))
    t, _, p = welch_t(a, b)
    return "WELCH_T", t, p


def compare(control: ArmMoments, treatment: ArmMoments, alpha: float = ALPHA) -> Comparison | None:
    """Treatment against control; None until each arm has two units."""
    if control.units < 2 or treatment.units < 2 or not control.sum_x or not treatment.sum_x:
        return None
    m0, m1 = control.mean, treatment.mean
    if is_binary([control, treatment]):
        # The unpooled z test's own standard error, so interval and p-value agree.
        v0, v1 = m0 * (1 - m0) / control.units, m1 * (1 - m1) / treatment.units
    else:
        v0, v1 = control.variance_of_mean, treatment.variance_of_mean
    se = math.sqrt(v0 + v1)
    z_crit = float(stats.norm.ppf(1 - alpha / 2))
    diff = m1 - m0
    test, statistic, p = _fixed_horizon(control, treatment)
    if m0 != 0:
        relative = m1 / m0 - 1
        # Delta method for the ratio of two independent means.
        rel_se = math.sqrt(v1 / m0**2 + m1**2 * v0 / m0**4)
    else:
        relative, rel_se = math.nan, math.nan
    half = float(sequential_halfwidth(se, control.units + treatment.units, alpha))
    return Comparison(
        absolute_lift=diff,
        relative_lift=relative,
        ci_low=diff - z_crit * se,
        ci_high=diff + z_crit * se,
        relative_ci_low=relative - z_crit * rel_se,
        relative_ci_high=relative + z_crit * rel_se,
        p_value=p,
        test=test,
        statistic=statistic,
        sequential_low=diff - half,
        sequential_high=diff + half,
    )


def srm_p_value(observed: Sequence[int], weights: Sequence[float]) -> float:
    """Chi-square goodness of fit of the arms' unit counts to their configured split."""
    total = sum(observed)
    if total == 0:
        return 1.0
    share = sum(weights)
    expected = [total * w / share for w in weights]
    return float(stats.chisquare(observed, expected).pvalue)


def adjust_p_values(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (false discovery rate across secondary metrics)."""
    if not p_values:
        return []
    return [float(p) for p in stats.false_discovery_control(np.asarray(p_values), method="bh")]


@dataclass(frozen=True)
class Power:
    minimum_detectable_effect: float
    power_at_observed: float
    units_per_arm_needed: int | None


def power(
    control: ArmMoments,
    treatment: ArmMoments,
    observed_effect: float,
    alpha: float = ALPHA,
    target_power: float = POWER,
) -> Power:
    """MDE at the current sample, power for the observed effect, and units per arm to detect it."""
    z_a = float(stats.norm.ppf(1 - alpha / 2))
    z_b = float(stats.norm.ppf(target_power))
    se = math.sqrt(control.variance_of_mean + treatment.variance_of_mean)
    mde = (z_a + z_b) * se
    achieved = float(stats.norm.cdf(abs(observed_effect) / se - z_a)) if se > 0 else math.nan
    pooled = (control.variance + treatment.variance) / 2
    needed = None
    if observed_effect != 0 and pooled > 0:
        needed = math.ceil(2 * pooled * (z_a + z_b) ** 2 / observed_effect**2)
    return Power(mde, achieved, needed)
