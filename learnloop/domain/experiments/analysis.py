"""Experiment results: every metric's arms compared, SRM, the winner rule and guardrails."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from learnloop.domain.experiments.records import (
    FEEDBACK_METRICS,
    GUARDRAIL_METRICS,
    LOWER_IS_BETTER,
    Variant,
    Winner,
)
from learnloop.domain.experiments.statistics import (
    ALPHA,
    SRM_THRESHOLD,
    ArmMoments,
    Comparison,
    Power,
    adjust_p_values,
    compare,
    power,
    srm_p_value,
)

if TYPE_CHECKING:
    from learnloop.domain.experiments.records import ExperimentRecord

_EMPTY = ArmMoments(0, 0.0, 0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class ExperimentData:
    """What storage reads: exposed units per arm and each metric's per-arm moments."""

    exposures: Mapping[Variant, int]
    metrics: Mapping[str, Mapping[Variant, ArmMoments]] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricResult:
    metric: str
    arms: Mapping[Variant, ArmMoments]
    comparison: Comparison | None
    adjusted_p_value: float | None = None


@dataclass(frozen=True)
class Results:
    primary: MetricResult
    exposures: Mapping[Variant, int]
    srm_p_value: float
    minimum_sample_reached: bool
    winner: Winner
    power: Power | None
    secondary: list[MetricResult]
    guardrail_breaches: list[str]

    @property
    def srm_passed(self) -> bool:
        return self.srm_p_value >= SRM_THRESHOLD

    def as_json(self) -> dict[str, Any]:
        """The `results` document (also stored when an experiment completes)."""
        return {
            **_metric_json(self.primary, self.exposures),
            "srmPValue": _num(self.srm_p_value),
            "srmPassed": self.srm_passed,
            "minimumSampleReached": self.minimum_sample_reached,
            "winner": self.winner.value,
            "power": None
            if self.power is None
            else {
                "minimumDetectableEffect": _num(self.power.minimum_detectable_effect),
                "powerAtObservedLift": _num(self.power.power_at_observed),
                "unitsPerArmNeeded": self.power.units_per_arm_needed,
            },
            "secondary": [_metric_json(m, self.exposures) for m in self.secondary],
            "guardrailBreaches": self.guardrail_breaches,
        }


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


def _metric_json(result: MetricResult, exposures: Mapping[Variant, int]) -> dict[str, Any]:
    c = result.comparison
    arms = []
    for variant in Variant:
        moments = result.arms.get(variant, _EMPTY)
        arms.append(
            {
                "variant": variant.value,
                "units": exposures.get(variant, 0),
                "n": moments.units,
                "observations": moments.sum_x,
                "mean": _num(moments.mean) if moments.units else None,
                "variance": _num(moments.variance),
            }
        )
    return {
        "metric": result.metric,
        "arms": arms,
        "absoluteLift": _num(c.absolute_lift) if c else None,
        "relativeLift": _num(c.relative_lift) if c else None,
        "ciLow": _num(c.ci_low) if c else None,
        "ciHigh": _num(c.ci_high) if c else None,
        "relativeCiLow": _num(c.relative_ci_low) if c else None,
        "relativeCiHigh": _num(c.relative_ci_high) if c else None,
        "pValue": _num(c.p_value) if c else None,
        "adjustedPValue": _num(result.adjusted_p_value),
        "test": c.test if c else None,
        "sequential": {"ciLow": _num(c.sequential_low), "ciHigh": _num(c.sequential_high)}
        if c
        else None,
    }


def _metric(name: str, arms: Mapping[Variant, ArmMoments]) -> MetricResult:
    return MetricResult(
        name, arms, compare(arms.get(Variant.CONTROL, _EMPTY), arms.get(Variant.TREATMENT, _EMPTY))
    )


def decide(
    comparison: Comparison | None, metric: str, srm_passed: bool, sample_reached: bool
) -> Winner:
    """A winner only when the always-valid interval excludes zero, enough units were seen and
    the split is healthy; otherwise INCONCLUSIVE."""
    if comparison is None or not srm_passed or not sample_reached:
        return Winner.INCONCLUSIVE
    better = Winner.TREATMENT
    worse = Winner.CONTROL
    if metric in LOWER_IS_BETTER:
        better, worse = worse, better
    if comparison.sequential_low > 0:
        return better
    if comparison.sequential_high < 0:
        return worse
    return Winner.INCONCLUSIVE


def analyse(experiment: ExperimentRecord, data: ExperimentData) -> Results:
    observed = [data.exposures.get(v, 0) for v in Variant]
    srm = srm_p_value(observed, [experiment.control_percentage, experiment.treatment_percentage])
    primary = _metric(experiment.primary_metric, data.metrics.get(experiment.primary_metric, {}))
    sample_reached = all(
        primary.arms.get(v, _EMPTY).units >= experiment.minimum_sample_size for v in Variant
    )
    names = [m for m in (*FEEDBACK_METRICS, *sorted(data.metrics)) if m != primary.metric]
    secondary = [_metric(m, data.metrics[m]) for m in dict.fromkeys(names) if m in data.metrics]
    tested = [m for m in secondary if m.comparison is not None]
    adjusted = adjust_p_values([m.comparison.p_value for m in tested if m.comparison])
    by_name = {m.metric: p for m, p in zip(tested, adjusted, strict=True)}
    secondary = [
        MetricResult(m.metric, m.arms, m.comparison, by_name.get(m.metric)) for m in secondary
    ]
    srm_passed = srm >= SRM_THRESHOLD
    c = primary.comparison
    return Results(
        primary=primary,
        exposures=dict(data.exposures),
        srm_p_value=srm,
        minimum_sample_reached=sample_reached,
        winner=decide(c, primary.metric, srm_passed, sample_reached),
        power=power(
            primary.arms[Variant.CONTROL], primary.arms[Variant.TREATMENT], c.absolute_lift, ALPHA
        )
        if c
        else None,
        secondary=secondary,
        guardrail_breaches=guardrail_breaches([primary, *secondary], srm_passed),
    )


def guardrail_breaches(metrics: list[MetricResult], srm_passed: bool) -> list[str]:
    """Guardrail metrics on which the treatment is worse beyond the always-valid interval."""
    if not srm_passed:
        return []
    return [
        m.metric
        for m in metrics
        if m.metric in GUARDRAIL_METRICS and m.comparison and m.comparison.sequential_low > 0
    ]
