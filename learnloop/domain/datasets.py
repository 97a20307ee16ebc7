"""Versioned training datasets: records, validation, the pending policy and the scope filter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.learning_examples import ExampleType, ReviewStatus
from learnloop.domain.splits import Split, SplitRatios, validate_ratios

MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 5000
MAX_SCOPE_VALUES = 100
MAX_EXAMPLE_IDS = 1000
MAX_WEIGHT = 1000.0

# Spelled once, by the learning-example enums (the CHECK constraints are built from them too).
EXAMPLE_TYPES = tuple(t.value for t in ExampleType)
REVIEW_STATUSES = tuple(s.value for s in ReviewStatus)
APPROVED = ReviewStatus.APPROVED.value
REJECTED = ReviewStatus.REJECTED.value


class DatasetStatus(StrEnum):
    DRAFT = "DRAFT"
    FROZEN = "FROZEN"


@dataclass(frozen=True)
class DatasetStats:
    """Counts per split and per example type, kept current by the database."""

    splits: dict[Split, int] = field(default_factory=dict)
    example_types: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> DatasetStats:
        raw = raw or {}
        return cls(
            splits={Split(k): int(v) for k, v in (raw.get("splits") or {}).items()},
            example_types={str(k): int(v) for k, v in (raw.get("exampleTypes") or {}).items()},
        )


@dataclass(frozen=True)
class DatasetRecord:
    id: UUID
    org_id: UUID
    lineage_id: UUID
    version: int
    parent_id: UUID | None
    name: str
    description: str | None
    status: DatasetStatus
    agent_ids: tuple[str, ...]
    domains: tuple[str, ...]
    task_types: tuple[str, ...]
    ratios: SplitRatios
    allow_pending: bool
    stratify_by_type: bool
    total_examples: int
    avg_quality_score: float | None
    stats: DatasetStats
    frozen_at: datetime | None
    created_by_user_id: UUID | None
    created_at: datetime
    updated_at: datetime
    pii_redacted: bool = False  # frozen with PII and secrets replaced by placeholders

    @property
    def frozen(self) -> bool:
        return self.status is DatasetStatus.FROZEN


@dataclass(frozen=True)
class DatasetExampleRecord:
    """One example as a dataset version holds it (content frozen with the version)."""

    id: UUID
    dataset_id: UUID
    example_id: UUID
    split: Split
    weight: float
    example_type: str
    input_text: str
    expected_output: str | None
    original_output: str | None
    quality_score: float | None
    review_status: str
    created_at: datetime


@dataclass(frozen=True)
class NewDataset:
    name: str
    description: str | None
    agent_ids: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    task_types: tuple[str, ...] = ()
    ratios: SplitRatios = field(default_factory=SplitRatios)
    allow_pending: bool = False
    stratify_by_type: bool = False


@dataclass(frozen=True)
class ExampleFilter:
    """Which learning examples to add; an empty tuple means "any"."""

    agent_ids: tuple[str, ...] = ()  # the agents' own string keys
    domains: tuple[str, ...] = ()
    task_types: tuple[str, ...] = ()
    example_types: tuple[str, ...] = ()
    review_statuses: tuple[str, ...] = ()
    min_quality_score: float | None = None


@dataclass(frozen=True)
class ExampleFacts:
    """What the rules need to know about a learning example before it may enter a dataset."""

    id: UUID
    example_type: str
    review_status: str
    agent_key: str | None
    domain: str | None
    task_type: str | None


@dataclass(frozen=True)
class NewDatasetExample:
    example_id: UUID
    split: Split
    weight: float


def _clean_values(values: Sequence[str], path: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(cleaned) > MAX_SCOPE_VALUES:
        raise UserInputError.single(path, f"at most {MAX_SCOPE_VALUES} values", ErrorCode.TOO_LONG)
    return cleaned


def validate_new_dataset(new: NewDataset) -> NewDataset:
    problems: list[Problem] = []
    name = new.name.strip()
    if not name:
        problems.append(Problem(("name",), "give the dataset a name", ErrorCode.REQUIRED))
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(
            Problem(("name",), f"at most {MAX_NAME_LENGTH} characters", ErrorCode.TOO_LONG)
        )
    description = (new.description or "").strip() or None
    if description and len(description) > MAX_DESCRIPTION_LENGTH:
        problems.append(
            Problem(
                ("description",), f"at most {MAX_DESCRIPTION_LENGTH} characters", ErrorCode.TOO_LONG
            )
        )
    try:
        validate_ratios(new.ratios)
    except UserInputError as exc:
        problems.extend(exc.problems)
    if problems:
        raise UserInputError(problems)
    return replace(
        new,
        name=name,
        description=description,
        agent_ids=_clean_values(new.agent_ids, ("agentIds",)),
        domains=_clean_values(new.domains, ("domains",)),
        task_types=_clean_values(new.task_types, ("taskTypes",)),
    )


def validate_weight(weight: float | None) -> float:
    """Weights default to 1.0 and must be positive (at most MAX_WEIGHT)."""
    if weight is None:
        return 1.0
    if not 0 < weight <= MAX_WEIGHT:
        raise UserInputError.single(
            ("weight",), f"must be above 0 and at most {MAX_WEIGHT:g}", ErrorCode.OUT_OF_RANGE
        )
    return float(weight)


def admissible_statuses(allow_pending: bool) -> tuple[str, ...]:
    """Review statuses a version may hold: APPROVED only, unless the dataset allows pending ones.

    REJECTED examples never enter a dataset, whatever the policy.
    """
    return (
        (APPROVED, ReviewStatus.PENDING.value, ReviewStatus.IN_REVIEW.value)
        if allow_pending
        else (APPROVED,)
    )


def _narrow(
    wanted: tuple[str, ...], scope: tuple[str, ...], path: tuple[str, ...]
) -> tuple[str, ...]:
    if not scope:
        return wanted
    if not wanted:
        return scope
    inside = tuple(v for v in wanted if v in scope)
    if not inside:
        raise UserInputError.single(
            path, f"outside this dataset's scope ({', '.join(scope)})", ErrorCode.INVALID
        )
    return inside


def _check_members(
    values: tuple[str, ...], allowed: tuple[str, ...], path: tuple[str, ...]
) -> None:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise UserInputError.single(
            path, f"unknown value(s) {', '.join(unknown)}; one of {', '.join(allowed)}"
        )


def effective_filter(dataset: DatasetRecord, wanted: ExampleFilter) -> ExampleFilter:
    """The caller's filter narrowed to the dataset's scope and its pending policy."""
    path = ("filter",)
    _check_members(wanted.example_types, EXAMPLE_TYPES, (*path, "exampleTypes"))
    _check_members(wanted.review_statuses, REVIEW_STATUSES, (*path, "reviewStatuses"))
    admissible = admissible_statuses(dataset.allow_pending)
    refused = [s for s in wanted.review_statuses if s not in admissible]
    if refused:
        raise UserInputError.single(
            (*path, "reviewStatuses"),
            f"this dataset admits only {', '.join(admissible)} examples"
            + ("" if dataset.allow_pending else " (create it with allowPending for pending ones)"),
            ErrorCode.NOT_ALLOWED,
        )
    score = wanted.min_quality_score
    if score is not None and not 0 <= score <= 1:
        raise UserInputError.single(
            (*path, "minQualityScore"), "must be between 0 and 1", ErrorCode.OUT_OF_RANGE
        )
    return ExampleFilter(
        agent_ids=_narrow(wanted.agent_ids, dataset.agent_ids, (*path, "agentIds")),
        domains=_narrow(wanted.domains, dataset.domains, (*path, "domains")),
        task_types=_narrow(wanted.task_types, dataset.task_types, (*path, "taskTypes")),
        example_types=wanted.example_types,
        review_statuses=wanted.review_statuses or admissible,
        min_quality_score=score,
    )


def example_problem(dataset: DatasetRecord, example: ExampleFacts) -> str | None:
    """Why this example may not enter this dataset, or None when it may."""
    if example.review_status == REJECTED:
        return "rejected examples never enter a dataset"
    if example.review_status not in admissible_statuses(dataset.allow_pending):
        return f"is {example.review_status}; this dataset admits only approved examples"
    scoped = (
        (dataset.agent_ids, example.agent_key, "agent"),
        (dataset.domains, example.domain, "domain"),
        (dataset.task_types, example.task_type, "task type"),
    )
    for scope, value, what in scoped:
        if scope and value not in scope:
            return f"its {what} ({value}) is outside this dataset's scope"
    return None


def require_draft(
    dataset: DatasetRecord | None, path: tuple[str, ...] = ("datasetId",)
) -> DatasetRecord:
    """The dataset, if it exists and can still change; FROZEN and NOT_FOUND user errors otherwise."""
    if dataset is None:
        raise UserInputError.single(
            path, "no such dataset in this organisation", ErrorCode.NOT_FOUND
        )
    if dataset.frozen:
        raise UserInputError.single(
            path,
            f"version {dataset.version} is frozen and never changes; "
            "use createDatasetVersion to make an editable copy",
            ErrorCode.FROZEN,
        )
    return dataset
