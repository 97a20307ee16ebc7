"""Training datasets and their members as the domain sees them (curation itself is F5's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class DatasetStatus(StrEnum):
    DRAFT = "DRAFT"
    FROZEN = "FROZEN"


class Split(StrEnum):
    TRAIN = "TRAIN"
    VALIDATION = "VALIDATION"
    TEST = "TEST"


@dataclass(frozen=True)
class TrainingDatasetRecord:
    id: UUID
    lineage_id: UUID
    version: int
    name: str
    description: str | None
    status: DatasetStatus
    total_examples: int
    avg_quality_score: float | None
    frozen_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class DatasetExampleRecord:
    """One example's membership of one dataset version."""

    id: UUID
    dataset_id: UUID
    example_id: UUID
    split: Split
    weight: float
    created_at: datetime
