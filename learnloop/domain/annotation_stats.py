"""Quality of the review process: inter-annotator agreement and annotator accuracy on gold items."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from uuid import UUID

import krippendorff
import numpy as np

from learnloop.domain.annotation_rules import DIMENSIONS


def agreement_by_dimension(
    ratings: Mapping[UUID, Mapping[UUID, Sequence[float]]],
) -> dict[str, float | None]:
    """Krippendorff's alpha (interval) per dimension over examples rated by 2+ annotators.

    `ratings[example][annotator]` is the four scores. None where alpha is undefined (fewer than
    two annotators on any example, or no variation at all).
    """
    annotators = sorted({a for by_annotator in ratings.values() for a in by_annotator})
    shared = [e for e, by_annotator in ratings.items() if len(by_annotator) >= 2]
    result: dict[str, float | None] = {}
    for index, name in enumerate(DIMENSIONS):
        if len(annotators) < 2 or not shared:
            result[name] = None
            continue
        matrix = np.full((len(annotators), len(shared)), np.nan)
        for col, example in enumerate(shared):
            for annotator, scores in ratings[example].items():
                matrix[annotators.index(annotator), col] = scores[index]
        try:
            alpha = float(
                krippendorff.alpha(reliability_data=matrix, level_of_measurement="interval")
            )
        except (ValueError, ZeroDivisionError):
            alpha = math.nan
        result[name] = None if math.isnan(alpha) else round(alpha, 4)
    return result


def gold_accuracy(verdicts: Sequence[tuple[bool, bool]]) -> float | None:
    """Share of gold items where the annotator's verdict matched the known one."""
    if not verdicts:
        return None
    return round(sum(1 for given, truth in verdicts if given == truth) / len(verdicts), 4)
