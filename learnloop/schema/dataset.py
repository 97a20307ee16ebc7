"""TrainingDataset and DatasetExample types, as far as a learning example shows them (F5 curates)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self
from uuid import UUID

import strawberry
from strawberry import relay

from learnloop.domain.datasets import DatasetExampleRecord, TrainingDatasetRecord
from learnloop.domain.datasets import DatasetStatus as DomainDatasetStatus
from learnloop.domain.datasets import Split as DomainSplit
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.learning_examples import (
    DatasetExampleByIdLoader,
    LearningExampleByIdLoader,
    TrainingDatasetByIdLoader,
)
from learnloop.schema.node import LoadableNode

if TYPE_CHECKING:
    from learnloop.schema.learning_example import LearningExample

DatasetStatus = strawberry.enum(DomainDatasetStatus, name="DatasetStatus")
Split = strawberry.enum(DomainSplit, name="Split")


@strawberry.type
class TrainingDataset(LoadableNode, relay.Node):
    """One version of a dataset: DRAFT while curated, FROZEN (immutable) once frozen."""

    loader = TrainingDatasetByIdLoader
    id: relay.NodeID[str]
    name: str
    description: str | None
    version: int
    status: DatasetStatus  # type: ignore[valid-type]
    total_examples: int
    avg_quality_score: float | None
    frozen_at: datetime | None
    created_at: datetime

    @classmethod
    def from_record(cls, r: TrainingDatasetRecord) -> Self:
        return cls(
            id=str(r.id),
            name=r.name,
            description=r.description,
            version=r.version,
            status=r.status,
            total_examples=r.total_examples,
            avg_quality_score=r.avg_quality_score,
            frozen_at=r.frozen_at,
            created_at=r.created_at,
        )


@strawberry.type
class DatasetExample(LoadableNode, relay.Node):
    """A learning example's place in one dataset version: its split and weight."""

    loader = DatasetExampleByIdLoader
    id: relay.NodeID[str]
    split: Split  # type: ignore[valid-type]
    weight: float
    created_at: datetime
    dataset_id: strawberry.Private[UUID]
    example_id: strawberry.Private[UUID]

    @classmethod
    def from_record(cls, r: DatasetExampleRecord) -> Self:
        return cls(
            id=str(r.id),
            split=r.split,
            weight=r.weight,
            created_at=r.created_at,
            dataset_id=r.dataset_id,
            example_id=r.example_id,
        )

    @strawberry.field
    async def dataset(self, info: Info) -> TrainingDataset | None:
        record = await info.context.loaders.get(TrainingDatasetByIdLoader).load(self.dataset_id)
        return TrainingDataset.from_record(record) if record else None

    @strawberry.field
    async def example(
        self, info: Info
    ) -> Annotated[LearningExample, strawberry.lazy("learnloop.schema.learning_example")] | None:
        from learnloop.schema.learning_example import LearningExample

        record = await info.context.loaders.get(LearningExampleByIdLoader).load(self.example_id)
        return LearningExample.from_record(record) if record else None
