"""Split assignment: deterministic, stable per lineage, close to the ratios, stratified on demand."""

from __future__ import annotations

import random
import uuid

import pytest

from learnloop.domain.errors import UserInputError
from learnloop.domain.splits import (
    Candidate,
    Split,
    SplitAssigner,
    SplitRatios,
    assign_split,
    validate_ratios,
)

N = 10_000


def split_shares(splits: list[Split]) -> dict[Split, float]:
    """Fraction of `splits` in each split."""
    total = len(splits) or 1
    return {s: sum(1 for x in splits if x is s) / total for s in Split}


def _ids(n: int, seed: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=(seed << 64) + i * 7919) for i in range(n)]


@pytest.mark.parametrize(
    "ratios",
    [
        SplitRatios(),
        SplitRatios(0.7, 0.15, 0.15),
        SplitRatios(0.6, 0.2, 0.2),
        SplitRatios(0.9, 0.1, 0.0),
    ],
)
def test_10000_examples_land_within_2_percent_of_the_ratios(ratios: SplitRatios) -> None:
    rng = random.Random(5)
    lineage = uuid.UUID(int=rng.getrandbits(128))
    examples = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(N)]
    shares = split_shares([assign_split(lineage, e, ratios) for e in examples])
    for split in Split:
        assert abs(shares[split] - ratios.of(split)) <= 0.02, (split, shares)


def test_same_pair_same_split_and_lineages_differ() -> None:
    lineage, other = uuid.uuid4(), uuid.uuid4()
    examples = _ids(2000, 1)
    first = [assign_split(lineage, e, SplitRatios()) for e in examples]
    assert first == [assign_split(lineage, e, SplitRatios()) for e in examples]
    assert first != [assign_split(other, e, SplitRatios()) for e in examples]


def test_assigner_ignores_order_and_remembers() -> None:
    lineage = uuid.uuid4()
    candidates = [Candidate(e, "CORRECTION") for e in _ids(500, 2)]
    forward = dict(SplitAssigner(lineage, SplitRatios(), stratify=False).assign(candidates))
    backward = dict(SplitAssigner(lineage, SplitRatios(), stratify=False).assign(candidates[::-1]))
    assert forward == backward
    pinned = candidates[0].example_id
    remembered = SplitAssigner(
        lineage, SplitRatios(), stratify=False, remembered={pinned: Split.TEST}
    ).assign(candidates[:1])
    assert remembered[0][1] is Split.TEST


def test_stratified_small_types_follow_the_ratios_exactly() -> None:
    lineage = uuid.uuid4()
    kinds = {"CORRECTION": 10, "PREFERENCE": 20, "EDGE_CASE": 40}
    candidates = [Candidate(uuid.uuid4(), kind) for kind, n in kinds.items() for _ in range(n)]
    assigner = SplitAssigner(lineage, SplitRatios(), stratify=True)
    placed = assigner.assign(candidates)
    for kind, n in kinds.items():
        splits = [s for c, s in placed if c.example_type == kind]
        counts = {s: splits.count(s) for s in Split}
        assert counts == {Split.TRAIN: n * 8 // 10, Split.VALIDATION: n // 10, Split.TEST: n // 10}
    again = SplitAssigner(lineage, SplitRatios(), stratify=True).assign(candidates[::-1])
    assert dict(again) == dict(placed)


def test_stratified_counts_what_the_dataset_holds() -> None:
    assigner = SplitAssigner(
        uuid.uuid4(),
        SplitRatios(),
        stratify=True,
        counts={"CORRECTION": {Split.TRAIN: 8}},
    )
    placed = assigner.assign([Candidate(uuid.uuid4(), "CORRECTION") for _ in range(2)])
    assert sorted(s.value for _, s in placed) == ["TEST", "VALIDATION"]


@pytest.mark.parametrize(
    ("ratios", "field"),
    [
        (SplitRatios(0.5, 0.1, 0.1), ("splitRatios",)),
        (SplitRatios(1.2, -0.1, -0.1), ("splitRatios", "train")),
        (SplitRatios(0.0, 0.5, 0.5), ("splitRatios", "train")),
    ],
)
def test_invalid_ratios(ratios: SplitRatios, field: tuple[str, ...]) -> None:
    with pytest.raises(UserInputError) as failure:
        validate_ratios(ratios)
    assert failure.value.problems[0].field == field
