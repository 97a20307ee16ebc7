"""Expert annotations as the domain sees them (the annotation workflow itself is F4's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class ExpertAnnotationRecord:
    id: UUID
    example_id: UUID
    annotator_user_id: UUID
    approved: bool
    technical_accuracy: float
    professional_quality: float
    completeness: float
    clarity: float
    corrected_output: str | None
    notes: str | None
    improvement_suggestions: str | None
    created_at: datetime

    def scores(self) -> tuple[float, float, float, float]:
        return (self.technical_accuracy, self.professional_quality, self.completeness, self.clarity)
