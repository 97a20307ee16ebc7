"""Root fields for training datasets: `dataset`, `datasets` and the curation mutations."""

from __future__ import annotations

from uuid import UUID

import strawberry
from strawberry import relay

from learnloop.domain.dataset_curation import Change
from learnloop.domain.datasets import ExampleFilter, NewDataset
from learnloop.domain.splits import SplitRatios as DomainSplitRatios
from learnloop.resolvers import datasets as resolve
from learnloop.resolvers.context import Info
from learnloop.schema import fields
from learnloop.schema.dataset import (
    LEARNING_EXAMPLE,
    DatasetSplit,
    DatasetStatus,
    TrainingDataset,
)
from learnloop.schema.errors import UserError
from learnloop.schema.node import decode_global_id
from learnloop.schema.pagination import Connection, page_request


def decode_example_ids(ids: list[relay.GlobalID], field: str) -> list[UUID]:
    """LearningExample global ids (the type is named, not imported: F3 owns it)."""
    return [decode_global_id(gid, LEARNING_EXAMPLE, field) for gid in ids]


@strawberry.input
class SplitRatiosInput:
    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1


@strawberry.input
class CreateDatasetInput:
    name: str
    description: str | None = None
    agent_ids: list[str] = strawberry.field(default_factory=list)
    domains: list[str] = strawberry.field(default_factory=list)
    task_types: list[str] = strawberry.field(default_factory=list)
    split_ratios: SplitRatiosInput | None = None
    allow_pending: bool = strawberry.field(
        default=False,
        description="Let PENDING/IN_REVIEW examples in, and through freezing (REJECTED never).",
    )
    stratify_by_type: bool = strawberry.field(
        default=False, description="Balance the splits within each example type."
    )


@strawberry.type
class CreateDatasetPayload:
    dataset: TrainingDataset | None
    user_errors: list[UserError]


@strawberry.input
class DatasetExampleFilter:
    agent_ids: list[str] = strawberry.field(default_factory=list)
    domains: list[str] = strawberry.field(default_factory=list)
    task_types: list[str] = strawberry.field(default_factory=list)
    example_types: list[str] = strawberry.field(default_factory=list)
    review_statuses: list[str] = strawberry.field(
        default_factory=list, description="Default: the statuses the dataset admits."
    )
    min_quality_score: float | None = None


@strawberry.input
class AddExamplesToDatasetInput:
    dataset_id: relay.GlobalID
    example_ids: list[relay.GlobalID] | None = None
    filter: DatasetExampleFilter | None = None
    split: DatasetSplit | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Omit to assign deterministically from the split ratios."
    )
    weight: float | None = strawberry.field(default=None, description="Default 1.0.")


@strawberry.type
class AddExamplesToDatasetPayload:
    dataset: TrainingDataset | None
    added_count: int
    user_errors: list[UserError]


@strawberry.input
class RemoveExamplesFromDatasetInput:
    dataset_id: relay.GlobalID
    example_ids: list[relay.GlobalID]


@strawberry.type
class RemoveExamplesFromDatasetPayload:
    dataset: TrainingDataset | None
    removed_count: int
    user_errors: list[UserError]


@strawberry.input
class FreezeDatasetInput:
    dataset_id: relay.GlobalID


@strawberry.type
class FreezeDatasetPayload:
    dataset: TrainingDataset | None
    user_errors: list[UserError]


@strawberry.input
class CreateDatasetVersionInput:
    dataset_id: relay.GlobalID


@strawberry.type
class CreateDatasetVersionPayload:
    dataset: TrainingDataset | None
    user_errors: list[UserError]


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
    async def dataset(self, info: Info, id: relay.GlobalID) -> TrainingDataset | None:
        record = await resolve.dataset(info.context, decode_global_id(id, TrainingDataset, "id"))
        return TrainingDataset.from_record(record) if record else None

    @fields.query(description="Dataset versions, newest first.")
    async def datasets(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        status: DatasetStatus | None = None,  # type: ignore[valid-type]
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
