"""Quality of the review process: inter-annotator agreement and annotator accuracy on gold items."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

import krippendorff
import numpy as np

from learnloop.domain.annotations.rules import DIMENSIONS


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


# --- the annotationStats report ---------------------------------------------------------------

AGREEMENT_SAMPLE = 2000  # most recent examples with 2+ annotations that alpha is computed over


@dataclass(frozen=True)
class QueueDepth:
    """Undecided work of one domain (None: examples without a domain); gold items excluded."""

    domain: str | None
    pending: int
    in_review: int
    needs_adjudication: int
    gold_items: int


@dataclass(frozen=True)
class AnnotatorCounts:
    """What SQL sums per annotator (`total`/`approved`/sums within the report's window)."""

    annotator_user_id: UUID
    today: int
    last_7_days: int
    total: int
    approved: int
    score_sums: tuple[float, float, float, float]


@dataclass(frozen=True)
class DimensionValues:
    technical_accuracy: float | None
    professional_quality: float | None
    completeness: float | None
    clarity: float | None

    @classmethod
    def of(cls, values: Sequence[float | None]) -> DimensionValues:
        return cls(*values)


@dataclass(frozen=True)
class AnnotatorStats:
    annotator_user_id: UUID
    annotations_today: int
    annotations_last_7_days: int
    annotations: int
    approval_rate: float | None
    average_scores: DimensionValues
    average_quality: float | None
    gold_annotations: int
    gold_accuracy: float | None


@dataclass(frozen=True)
class AnnotationStats:
    queue_depth: list[QueueDepth]
    pending: int
    in_review: int
    needs_adjudication: int
    gold_items: int
    annotated_today: int
    annotations: int
    approval_rate: float | None
    average_scores: DimensionValues
    average_quality: float | None
    annotators: list[AnnotatorStats]
    agreement: DimensionValues
    agreement_examples: int


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _averages(sums: Sequence[float], n: int) -> DimensionValues:
    return DimensionValues.of([_ratio(s, n) for s in sums])


def _quality(sums: Sequence[float], n: int) -> float | None:
    """The mean quality score (each annotation's is the plain mean of its four dimensions)."""
    return _ratio(sum(sums) / len(sums), n) if n else None


def annotation_stats(
    depth: Sequence[QueueDepth],
    counts: Sequence[AnnotatorCounts],
    gold: Sequence[tuple[UUID, bool, bool]],
    ratings: Mapping[UUID, Mapping[UUID, Sequence[float]]],
) -> AnnotationStats:
    """The report from SQL's sums: rates and means here, agreement via Krippendorff's alpha.

    `gold` is (annotator, verdict given, known verdict) per annotation of a gold item.
    """
    gold_by: dict[UUID, list[tuple[bool, bool]]] = {}
    for annotator, given, truth in gold:
        gold_by.setdefault(annotator, []).append((given, truth))
    annotators = [
        AnnotatorStats(
            annotator_user_id=c.annotator_user_id,
            annotations_today=c.today,
            annotations_last_7_days=c.last_7_days,
            annotations=c.total,
            approval_rate=_ratio(c.approved, c.total),
            average_scores=_averages(c.score_sums, c.total),
            average_quality=_quality(c.score_sums, c.total),
            gold_annotations=len(gold_by.get(c.annotator_user_id, [])),
            gold_accuracy=gold_accuracy(gold_by.get(c.annotator_user_id, [])),
        )
        for c in sorted(counts, key=lambda c: (-c.last_7_days, -c.total, str(c.annotator_user_id)))
    ]
    total = sum(c.total for c in counts)
    sums = [sum(c.score_sums[i] for c in counts) for i in range(len(DIMENSIONS))]
    alpha = agreement_by_dimension(ratings)
    return AnnotationStats(
        queue_depth=list(depth),
        pending=sum(d.pending for d in depth),
        in_review=sum(d.in_review for d in depth),
        needs_adjudication=sum(d.needs_adjudication for d in depth),
        gold_items=sum(d.gold_items for d in depth),
        annotated_today=sum(c.today for c in counts),
        annotations=total,
        approval_rate=_ratio(sum(c.approved for c in counts), total),
        average_scores=_averages(sums, total),
        average_quality=_quality(sums, total),
        annotators=annotators,
        agreement=DimensionValues.of([alpha[name] for name in DIMENSIONS]),
        agreement_examples=sum(1 for by in ratings.values() if len(by) >= 2),
    )
