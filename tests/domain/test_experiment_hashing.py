"""GrowthBook-compatible hashing and bucket ranges, and the split they produce at scale."""

from __future__ import annotations

import pytest

from learnloop.domain.experiments.hashing import assign, bucket, bucket_ranges, choose
from learnloop.domain.experiments.statistics import srm_p_value


@pytest.mark.parametrize(
    ("seed", "value", "version", "expected"),
    [
        # Published cases of the GrowthBook SDK conformance suite (cases.json, "hash").
        ("", "a", 1, 0.22),
        ("", "b", 1, 0.077),
        ("ef", "d", 1, 0.652),
        ("experiment", "1", 2, 0.4413),
    ],
)
def test_hash_matches_growthbook_cases(
    seed: str, value: str, version: int, expected: float
) -> None:
    assert bucket(seed, value, version) == expected


def test_bucket_ranges_control_first_and_coverage() -> None:
    assert bucket_ranges(1, [0.5, 0.5]) == [(0, 0.5), (0.5, 1)]
    assert bucket_ranges(0.5, [0.5, 0.5]) == [(0, 0.25), (0.5, 0.75)]
    assert bucket_ranges(1, [0.2, 0.8]) == [(0, 0.2), (0.2, 1.0)]
    # Weights that do not sum to 1 fall back to equal weights, as in the SDKs.
    assert bucket_ranges(1, [0.7, 0.7]) == [(0, 0.5), (0.5, 1)]
    assert choose(0.3, [(0, 0.25), (0.5, 0.75)]) is None
    assert choose(0.6, [(0, 0.25), (0.5, 0.75)]) == 1


def test_ramping_coverage_never_moves_a_unit_between_arms() -> None:
    units = [f"user-{i}" for i in range(2000)]
    before = {u: assign("seed", u, 0.2, 50, 50) for u in units}
    after = {u: assign("seed", u, 0.9, 50, 50) for u in units}
    moved = [u for u in units if before[u] is not None and after[u] != before[u]]
    assert moved == []
    assert sum(v is not None for v in after.values()) > sum(v is not None for v in before.values())


def test_100k_units_split_50_50_within_one_percent_and_pass_srm() -> None:
    arms = [assign("exp-seed-42", f"unit-{i}", 1.0, 50, 50) for i in range(100_000)]
    control, treatment = arms.count("CONTROL"), arms.count("TREATMENT")
    assert control + treatment == 100_000
    assert abs(control / 100_000 - 0.5) <= 0.01
    assert srm_p_value([control, treatment], [50, 50]) >= 0.001
