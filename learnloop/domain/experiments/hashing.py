"""Deterministic assignment compatible with GrowthBook's hash v2 and bucket ranges."""

from __future__ import annotations

from collections.abc import Sequence

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_UINT32 = 2**32

CONTROL = "CONTROL"
TREATMENT = "TREATMENT"
# Ranges are laid out in this order: control first, as GrowthBook does with variation 0.
ARMS = (CONTROL, TREATMENT)


def fnv1a32(text: str) -> int:
    """32-bit FNV-1a over the string's code points (what the GrowthBook SDKs hash)."""
    value = _FNV_OFFSET
    for char in text:
        value ^= ord(char)
        value = (value * _FNV_PRIME) % _UINT32
    return value


def bucket(seed: str, unit_id: str, version: int = 2) -> float:
    """The unit's position in [0, 1): v2 hashes the decimal hash again (10,000 buckets)."""
    if version == 1:
        return (fnv1a32(unit_id + seed) % 1000) / 1000
    return (fnv1a32(str(fnv1a32(seed + unit_id))) % 10000) / 10000


def bucket_ranges(coverage: float, weights: Sequence[float]) -> list[tuple[float, float]]:
    """Each arm's [start, end): arms start where the previous arm's full weight ends, so raising
    coverage only widens ranges and never moves a unit from one arm to the other."""
    coverage = min(max(coverage, 0.0), 1.0)
    total = sum(weights)
    if total <= 0 or abs(total - 1.0) > 0.01:
        weights = [1.0 / len(weights)] * len(weights)
    ranges = []
    start = 0.0
    for weight in weights:
        ranges.append((start, start + coverage * weight))
        start += weight
    return ranges


def choose(position: float, ranges: Sequence[tuple[float, float]]) -> int | None:
    """Index of the range holding `position`, None when it falls outside every range."""
    for index, (start, end) in enumerate(ranges):
        if start <= position < end:
            return index
    return None


def assign(
    seed: str,
    unit_id: str,
    coverage: float,
    control_percentage: float,
    treatment_percentage: float,
) -> str | None:
    """CONTROL, TREATMENT, or None for a unit outside the experiment's coverage."""
    ranges = bucket_ranges(coverage, [control_percentage / 100, treatment_percentage / 100])
    index = choose(bucket(seed, unit_id), ranges)
    return None if index is None else ARMS[index]
