"""Root fields for training datasets: `dataset`, `datasets` and the curation mutations."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import strawberry
from strawberry import relay

from learnloop.domain.dataset_curation import Change
from learnloop.domain.datasets import ExampleFilter, NewDataset
from learnloop.domain.splits import SplitRatios as DomainSplitRatios
from learnloop.resolvers import datasets as resolve
from learnloop.resolvers.context import Info
from learnloop.schema import fields
from learnloop.schema.datasets.types import (
    LEARNING_EXAMPLE,
    DatasetSplit,
    DatasetStatus,
    TrainingDataset,
)
from learnloop.schema.errors import UserError, user_errors_field
from learnloop.schema.nodes import decode_global_id
from learnloop.schema.pagination import After, Connection, First, page_request


def decode_example_ids(ids: list[relay.GlobalID], field: str) -> list[UUID]:
    """LearningExample global ids (the type is named, not imported: F3 owns it)."""
    return [decode_global_id(gid, LEARNING_EXAMPLE, field) for gid in ids]


@strawberry.input(
    description="The share of examples each split gets; each 0..1, and they must add up to 1."
)
class SplitRatiosInput:
    train: float = strawberry.field(default=0.8, description="Share for TRAIN (default 0.8).")
    validation: float = strawberry.field(
        default=0.1, description="Share for VALIDATION (default 0.1)."
    )
    test: float = strawberry.field(default=0.1, description="Share for TEST (default 0.1).")


@strawberry.input(
    description="A new training dataset (version 1, DRAFT) and the scope its examples must come from."
)
class CreateDatasetInput:
    name: str = strawberry.field(
        description="Shown in lists and in the dataset card; 1 to 200 characters."
    )
    description: str | None = strawberry.field(
        default=None, description="Free text for the dataset card; optional."
    )
    agent_ids: list[str] = strawberry.field(
        default_factory=list,
        description="Agent keys (e.g. agent-456) whose examples may enter; empty means any agent. Training runs must target one of them.",
    )
    domains: list[str] = strawberry.field(
        default_factory=list,
        description="Domains whose examples may enter; empty means any domain.",
    )
    task_types: list[str] = strawberry.field(
        default_factory=list,
        description="Task types whose examples may enter; empty means any task type.",
    )
    split_ratios: SplitRatiosInput | None = strawberry.field(
        default=None,
        description="How new examples are split into TRAIN/VALIDATION/TEST when no split is given; default 0.8/0.1/0.1.",
    )
    allow_pending: bool = strawberry.field(
        default=False,
        description="Let PENDING/IN_REVIEW examples in, and through freezing (REJECTED never).",
    )
    stratify_by_type: bool = strawberry.field(
        default=False, description="Balance the splits within each example type."
    )


@strawberry.type(description="The new DRAFT dataset.")
class CreateDatasetPayload:
    dataset: TrainingDataset | None = strawberry.field(
        description="Version 1 of the new dataset; null when the input was refused."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(
    description="Selects learning examples to add; all given criteria must match (each list is an OR of its values). Only APPROVED examples enter unless the dataset allows pending ones."
)
class DatasetExampleFilter:
    agent_ids: list[str] = strawberry.field(
        default_factory=list, description="Agent keys; empty means any."
    )
    domains: list[str] = strawberry.field(
        default_factory=list,
        description="Domains; empty means any. A domain no example has is an UNKNOWN_DOMAIN user error listing the domains in use.",
    )
    task_types: list[str] = strawberry.field(
        default_factory=list, description="Task types; empty means any."
    )
    example_types: list[str] = strawberry.field(
        default_factory=list,
        description="Example types (POSITIVE, CORRECTION, ...); empty means any.",
    )
    review_statuses: list[str] = strawberry.field(
        default_factory=list, description="Default: the statuses the dataset admits."
    )
    min_quality_score: float | None = strawberry.field(
        default=None,
        description="Only examples whose qualityScore is at least this (0..1); unannotated examples never match when set.",
    )


@strawberry.input(
    description="Which learning examples to add to a DRAFT dataset version: by id or by filter."
)
class AddExamplesToDatasetInput:
    dataset_id: relay.GlobalID = strawberry.field(
        description="The DRAFT TrainingDataset version to add to (a FROZEN one is a FROZEN user error)."
    )
    example_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="LearningExample ids to add. Give these or `filter`."
    )
    filter: DatasetExampleFilter | None = strawberry.field(
        default=None,
        description="Add every example matching this filter (and the dataset's own agents/domains/task types). Give this or `exampleIds`.",
    )
    split: DatasetSplit | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Omit to assign deterministically from the split ratios."
    )
    weight: float | None = strawberry.field(default=None, description="Default 1.0.")


@strawberry.type(description="The dataset after adding, and how many examples were new to it.")
class AddExamplesToDatasetPayload:
    dataset: TrainingDataset | None = strawberry.field(
        description="The dataset version with its updated counts; null when nothing could be done."
    )
    added_count: int = strawberry.field(
        description="Examples newly added; ones already in the dataset are not counted twice."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="Examples to take out of a DRAFT version.")
class RemoveExamplesFromDatasetInput:
    dataset_id: relay.GlobalID = strawberry.field(description="The DRAFT TrainingDataset version.")
    example_ids: list[relay.GlobalID] = strawberry.field(
        description="LearningExample ids to remove; ids not in the dataset are ignored."
    )


@strawberry.type(description="The dataset after removal.")
class RemoveExamplesFromDatasetPayload:
    dataset: TrainingDataset | None = strawberry.field(
        description="The dataset version with its updated counts; null when refused."
    )
    removed_count: int = strawberry.field(description="Examples actually removed.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="Which DRAFT version to freeze.")
class FreezeDatasetInput:
    dataset_id: relay.GlobalID = strawberry.field(
        description="The DRAFT TrainingDataset version to freeze."
    )


@strawberry.type(description="The frozen version.")
class FreezeDatasetPayload:
    dataset: TrainingDataset | None = strawberry.field(
        description="The now FROZEN, immutable version; null when refused."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="Which frozen version to fork into a new DRAFT version.")
class CreateDatasetVersionInput:
    dataset_id: relay.GlobalID = strawberry.field(
        description="A FROZEN TrainingDataset version; the copy becomes version n+1 of its lineage."
    )


@strawberry.type(description="The new DRAFT version.")
class CreateDatasetVersionPayload:
    dataset: TrainingDataset | None = strawberry.field(
        description="The new DRAFT copy (its own id, version n+1); null when refused."
    )
    user_errors: list[UserError] = user_errors_field()


def _new_dataset(i: CreateDatasetInput) -> NewDataset:
    ratios = i.split_ratios or SplitRatiosInput()
    return NewDataset(
        name=i.name,
        description=i.description,
        agent_ids=tuple(i.agent_ids),
        domains=tuple(i.domains),
        task_types=tuple(i.task_types),
        ratios=DomainSplitRatios(ratios.train, ratios.validation, ratios.test),
        allow_pending=i.allow_pending,
        stratify_by_type=i.stratify_by_type,
    )


def _filter(f: DatasetExampleFilter) -> ExampleFilter:
    return ExampleFilter(
        agent_ids=tuple(f.agent_ids),
        domains=tuple(f.domains),
        task_types=tuple(f.task_types),
        example_types=tuple(f.example_types),
        review_statuses=tuple(f.review_statuses),
        min_quality_score=f.min_quality_score,
    )


def _dataset(change: Change | None) -> TrainingDataset | None:
    return TrainingDataset.from_record(change.dataset) if change else None


@strawberry.type
class DatasetQuery:
    @fields.query(description="One dataset version by id (null if not visible).")
    async def dataset(
        self,
        info: Info,
        id: Annotated[
            relay.GlobalID,
            strawberry.argument(description="The TrainingDataset version's global id."),
        ],
    ) -> TrainingDataset | None:
        record = await resolve.dataset(info.context, decode_global_id(id, TrainingDataset, "id"))
        return TrainingDataset.from_record(record) if record else None

    @fields.query(description="Dataset versions, newest first.")
    async def datasets(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        status: Annotated[
            DatasetStatus | None,
            strawberry.argument(description="Only DRAFT or only FROZEN versions; null lists both."),
        ] = None,  # type: ignore[valid-type]
    ) -> Connection[TrainingDataset]:
        page = await resolve.dataset_page(info.context, page_request(first, after), status)
        return Connection[TrainingDataset].from_page(
            page,
            TrainingDataset.from_record,
            lambda: resolve.count_datasets(info.context, status),
        )


@strawberry.type
class DatasetMutation:
    @fields.mutation(description="Start a dataset: version 1, DRAFT.")
    async def create_dataset(self, info: Info, input: CreateDatasetInput) -> CreateDatasetPayload:
        record, problems = await resolve.create_dataset(info.context, _new_dataset(input))
        return CreateDatasetPayload(
            dataset=TrainingDataset.from_record(record) if record else None,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation(description="Add learning examples to a DRAFT version, by id or by filter.")
    async def add_examples_to_dataset(
        self, info: Info, input: AddExamplesToDatasetInput
    ) -> AddExamplesToDatasetPayload:
        change, problems = await resolve.add_examples(
            info.context,
            decode_global_id(input.dataset_id, TrainingDataset, "datasetId"),
            decode_example_ids(input.example_ids, "exampleIds")
            if input.example_ids is not None
            else None,
            _filter(input.filter) if input.filter is not None else None,
            input.split,
            input.weight,
        )
        return AddExamplesToDatasetPayload(
            dataset=_dataset(change),
            added_count=change.count if change else 0,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation()
    async def remove_examples_from_dataset(
        self, info: Info, input: RemoveExamplesFromDatasetInput
    ) -> RemoveExamplesFromDatasetPayload:
        change, problems = await resolve.remove_examples(
            info.context,
            decode_global_id(input.dataset_id, TrainingDataset, "datasetId"),
            decode_example_ids(input.example_ids, "exampleIds"),
        )
        return RemoveExamplesFromDatasetPayload(
            dataset=_dataset(change),
            removed_count=change.count if change else 0,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation(description="Make a DRAFT version immutable (FROZEN), forever.")
    async def freeze_dataset(self, info: Info, input: FreezeDatasetInput) -> FreezeDatasetPayload:
        record, problems = await resolve.freeze_dataset(
            info.context, decode_global_id(input.dataset_id, TrainingDataset, "datasetId")
        )
        return FreezeDatasetPayload(
            dataset=TrainingDataset.from_record(record) if record else None,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation(description="Fork a FROZEN version into the lineage's next, as a DRAFT copy.")
    async def create_dataset_version(
        self, info: Info, input: CreateDatasetVersionInput
    ) -> CreateDatasetVersionPayload:
        record, problems = await resolve.create_dataset_version(
            info.context, decode_global_id(input.dataset_id, TrainingDataset, "datasetId")
        )
        return CreateDatasetVersionPayload(
            dataset=TrainingDataset.from_record(record) if record else None,
            user_errors=UserError.from_problems(problems),
        )
