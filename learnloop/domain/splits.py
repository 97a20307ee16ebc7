"""Deterministic train/validation/test assignment: a hash of (lineage, example) against the ratios."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from learnloop.domain.errors import ErrorCode, Problem, UserInputError

RATIO_TOLERANCE = 1e-6


class Split(StrEnum):
    TRAIN = "TRAIN"
    VALIDATION = "VALIDATION"
    TEST = "TEST"


@dataclass(frozen=True)
class SplitRatios:
    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1

    def of(self, split: Split) -> float:
        return {Split.TRAIN: self.train, Split.VALIDATION: self.validation, Split.TEST: self.test}[
            split
        ]


DEFAULT_RATIOS = SplitRatios()


def validate_ratios(ratios: SplitRatios, path: tuple[str, ...] = ("splitRatios",)) -> SplitRatios:
    """Each ratio in [0, 1], together 1, and some data left to train on."""
    problems = [
        Problem((*path, split.value.lower()), "must be between 0 and 1", ErrorCode.OUT_OF_RANGE)
        for split in Split
        if not 0 <= ratios.of(split) <= 1
    ]
    total = ratios.train + ratios.validation + ratios.test
    if not problems and abs(total - 1) > RATIO_TOLERANCE:
        problems.append(Problem(path, f"must add up to 1 (they add up to {total:g})"))
    if not problems and ratios.train == 0:
        problems.append(Problem((*path, "train"), "a dataset needs a training split"))
    if problems:
        raise UserInputError(problems)
    return ratios


def split_point(lineage_id: UUID, example_id: UUID) -> float:
    """A uniform number in [0, 1) fixed by the pair: SHA-256 of both ids' bytes, first 64 bits."""
    digest = hashlib.sha256(lineage_id.bytes + example_id.bytes).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_at(point: float, ratios: SplitRatios) -> Split:
    """[0, train) -> TRAIN, [train, train + validation) -> VALIDATION, the rest -> TEST."""
    if point < ratios.train:
        return Split.TRAIN
    if point < ratios.train + ratios.validation:
        return Split.VALIDATION
    return Split.TEST


def assign_split(lineage_id: UUID, example_id: UUID, ratios: SplitRatios) -> Split:
    """The split an example gets in every version of a lineage (no stratification)."""
    return split_at(split_point(lineage_id, example_id), ratios)


def most_lacking(counts: Mapping[Split, int], ratios: SplitRatios) -> Split:
    """The split furthest below its share once one more example is added (ties: TRAIN first)."""
    total = sum(counts.values()) + 1
    return max(Split, key=lambda s: ratios.of(s) * total - counts.get(s, 0))


@dataclass(frozen=True)
class Candidate:
    """An example about to enter a dataset: what split assignment needs to know about it."""

    example_id: UUID
    example_type: str


class SplitAssigner:
    """Assigns splits to the new examples of one dataset version.

    An example that some version of the lineage already placed keeps that split. Otherwise,
    without stratification, `assign_split` decides. With stratification by example type, the
    newcomers of each type are taken in hash order and each goes to the split furthest below its
    ratio for that type (counting what the dataset already holds), so every type is split as
    close to the ratios as its size allows; the result depends only on the data, never on the
    order examples were sent in.
    """

    def __init__(
        self,
        lineage_id: UUID,
        ratios: SplitRatios,
        *,
        stratify: bool,
        remembered: Mapping[UUID, Split] | None = None,
        counts: Mapping[str, Mapping[Split, int]] | None = None,
    ) -> None:
        self.lineage_id = lineage_id
        self.ratios = ratios
        self.stratify = stratify
        self.remembered = dict(remembered or {})
        self.counts: dict[str, dict[Split, int]] = {t: dict(c) for t, c in (counts or {}).items()}

    def assign(self, candidates: Iterable[Candidate]) -> list[tuple[Candidate, Split]]:
        ordered = sorted(candidates, key=lambda c: split_point(self.lineage_id, c.example_id))
        return [(c, self._one(c)) for c in ordered]

    def _one(self, candidate: Candidate) -> Split:
        split = self.remembered.get(candidate.example_id)
        if split is None and not self.stratify:
            split = assign_split(self.lineage_id, candidate.example_id, self.ratios)
        if split is None:
            split = most_lacking(self.counts.get(candidate.example_type, {}), self.ratios)
        per_type = self.counts.setdefault(candidate.example_type, {})
        per_type[split] = per_type.get(split, 0) + 1
        return split
