"""Annotation rules: score validation, the quality formula, decisions with several annotators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from learnloop.domain.errors import ErrorCode, Problem, UserInputError

DIMENSIONS = ("technical_accuracy", "professional_quality", "completeness", "clarity")
DIMENSION_FIELDS = {
    "technical_accuracy": "technicalAccuracy",
    "professional_quality": "professionalQuality",
    "completeness": "completeness",
    "clarity": "clarity",
}
MAX_TEXT = 20_000
MAX_OUTPUT = 200_000


@dataclass(frozen=True)
class AnnotationInput:
    approved: bool
    technical_accuracy: float
    professional_quality: float
    completeness: float
    clarity: float
    corrected_output: str | None = None
    notes: str | None = None
    improvement_suggestions: str | None = None

    def scores(self) -> tuple[float, float, float, float]:
        return (self.technical_accuracy, self.professional_quality, self.completeness, self.clarity)


def validate_annotation(data: AnnotationInput) -> None:
    """Scores are fractions in 0..1; texts are bounded. Raises UserInputError listing every problem."""
    problems: list[Problem] = []
    for name, value in zip(DIMENSIONS, data.scores(), strict=True):
        if not (0.0 <= value <= 1.0) or value != value:
            problems.append(
                Problem(
                    (DIMENSION_FIELDS[name],),
                    f"must be between 0 and 1, got {value}",
                    ErrorCode.OUT_OF_RANGE,
                )
            )
    for field, text, limit in (
        ("notes", data.notes, MAX_TEXT),
        ("improvementSuggestions", data.improvement_suggestions, MAX_TEXT),
        ("correctedOutput", data.corrected_output, MAX_OUTPUT),
    ):
        if text is not None and len(text) > limit:
            problems.append(Problem((field,), f"at most {limit} characters", ErrorCode.TOO_LONG))
    if data.corrected_output is not None and not data.corrected_output.strip():
        problems.append(
            Problem(
                ("correctedOutput",), "leave it out rather than sending it empty", ErrorCode.INVALID
            )
        )
    if problems:
        raise UserInputError(problems)


def quality_score(scores: Sequence[float]) -> float:
    """The example's quality: the plain mean of the four dimensions, rounded to 4 places.

    Equal weights keep the number explainable to annotators; 0.95/0.90/0.85/0.92 gives 0.905.
    With several annotations, the example's score is the mean of their quality scores.
    """
    return round(sum(scores) / len(scores), 4)


def combined_quality(per_annotation: Sequence[Sequence[float]]) -> float | None:
    """An example's quality from all its annotations: the mean of their quality scores."""
    if not per_annotation:
        return None
    return round(sum(quality_score(s) for s in per_annotation) / len(per_annotation), 4)


class Decision(StrEnum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    NEEDS_MORE = "NEEDS_MORE"  # fewer annotations than the org requires
    DISAGREEMENT = "DISAGREEMENT"  # enough annotations, verdicts differ: a MANAGER decides


def decide(verdicts: Sequence[bool], required: int) -> Decision:
    """An example is decided when `required` annotations exist and all agree on the verdict."""
    if len(verdicts) < max(1, required):
        return Decision.NEEDS_MORE
    if all(verdicts):
        return Decision.APPROVED
    if not any(verdicts):
        return Decision.REJECTED
    return Decision.DISAGREEMENT


def check_annotations_required(value: int) -> int:
    if not 1 <= value <= 10:
        raise UserInputError.single(
            ("annotationsRequired",), "between 1 and 10", ErrorCode.OUT_OF_RANGE
        )
    return value
