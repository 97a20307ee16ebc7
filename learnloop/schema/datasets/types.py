"""TrainingDataset and DatasetExample types, and the dataset enums."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self
from uuid import UUID

import strawberry
from strawberry import relay

from learnloop.domain.datasets import DatasetExampleRecord, DatasetRecord
from learnloop.domain.datasets import DatasetStatus as DomainDatasetStatus
from learnloop.domain.exports import ExportFormat as DomainExportFormat
from learnloop.domain.learning_examples import ExampleType as DomainExampleType
from learnloop.domain.learning_examples import ReviewStatus as DomainReviewStatus
from learnloop.domain.splits import Split
from learnloop.resolvers import datasets as resolve
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.datasets import DatasetByIdLoader, DatasetExampleByIdLoader
from learnloop.resolvers.loaders.learning_examples import LearningExampleByIdLoader
from learnloop.schema.enums import ExampleType, ReviewStatus
from learnloop.schema.nodes import LoadableNode, load_one
from learnloop.schema.pagination import After, Connection, First, page_request

if TYPE_CHECKING:
    from learnloop.schema.learning_examples.types import LearningExample

DatasetStatus = strawberry.enum(
    DomainDatasetStatus, name="DatasetStatus", description="DRAFT can change; FROZEN never does."
)
DatasetSplit = strawberry.enum(
    Split,
    name="DatasetSplit",
    description="Which part of a dataset an example belongs to: TRAIN fits, VALIDATION selects, TEST reports.",
)
ExportFormat = strawberry.enum(
    DomainExportFormat,
    name="ExportFormat",
    description="OPENAI_CHAT (chat fine-tuning), DPO/KTO (preference tuning), JSONL (raw with "
    "provenance), HF (flat rows for Hugging Face `datasets`, with a dataset card).",
)

LEARNING_EXAMPLE = "LearningExample"


@strawberry.type(description="The share of examples each split gets; the three add up to 1.")
class SplitRatios:
    train: float = strawberry.field(description="Share for TRAIN, 0..1.")
    validation: float = strawberry.field(description="Share for VALIDATION, 0..1.")
    test: float = strawberry.field(description="Share for TEST, 0..1.")


@strawberry.type(description="How many examples of a dataset version are in one split.")
class SplitCount:
    split: DatasetSplit = strawberry.field(description="The split.")  # type: ignore[valid-type]
    count: int = strawberry.field(description="Examples in it.")


@strawberry.type(description="How many examples of one type a dataset version holds.")
class ExampleTypeCount:
    example_type: str = strawberry.field(description="The example type (e.g. CORRECTION).")
    count: int = strawberry.field(description="Examples of that type.")


@strawberry.type(
    description="One learning example as it sits in one dataset version, with its split and weight. In a FROZEN version the text is the frozen (PII-redacted) copy."
)
class DatasetExample(LoadableNode, relay.Node):  # type: ignore[misc]
    """A learning example as one dataset version holds it: its split, weight and content."""

    loader = DatasetExampleByIdLoader
    id: relay.NodeID[str]
    example_id: relay.GlobalID = strawberry.field(description="The LearningExample's global id.")
    dataset_id: relay.GlobalID = strawberry.field(
        description="Global id of the TrainingDataset version this row belongs to."
    )
    split: DatasetSplit = strawberry.field(description="TRAIN, VALIDATION or TEST.")  # type: ignore[valid-type]
    weight: float = strawberry.field(description="Relative training weight, > 0 (default 1.0).")
    example_type: ExampleType = strawberry.field(
        description="The example's type when it entered the dataset."
    )  # type: ignore[valid-type]
    input_text: str = strawberry.field(description="The prompt or input the agent got.")
    expected_output: str | None = strawberry.field(
        description="The answer the model should give; null when the example has none."
    )
    original_output: str | None = strawberry.field(
        description="What the agent answered (the rejected side of DPO pairs); null when unknown."
    )
    quality_score: float | None = strawberry.field(
        description="Mean annotation score 0..1 when it entered; null when not annotated."
    )
    review_status: ReviewStatus = strawberry.field(
        description="The example's review status when it entered."
    )  # type: ignore[valid-type]
    added_at: datetime = strawberry.field(description="When the example was added to this version.")
    example_uuid: strawberry.Private[UUID]
    dataset_uuid: strawberry.Private[UUID]

    @classmethod
    def from_record(cls, r: DatasetExampleRecord) -> Self:
        return cls(
            id=str(r.id),
            example_id=relay.GlobalID(LEARNING_EXAMPLE, str(r.example_id)),
            dataset_id=relay.GlobalID("TrainingDataset", str(r.dataset_id)),
            split=r.split,
            weight=r.weight,
            example_type=DomainExampleType(r.example_type),
            input_text=r.input_text,
            expected_output=r.expected_output,
            original_output=r.original_output,
            quality_score=r.quality_score,
            review_status=DomainReviewStatus(r.review_status),
            added_at=r.created_at,
            example_uuid=r.example_id,
            dataset_uuid=r.dataset_id,
        )

    @strawberry.field(description="The learning example as it is now (content above is as frozen).")
    async def example(
        self, info: Info
    ) -> (
        Annotated[LearningExample, strawberry.lazy("learnloop.schema.learning_examples.types")]
        | None
    ):
        from learnloop.schema.learning_examples.types import LearningExample

        return await load_one(
            info, LearningExampleByIdLoader, self.example_uuid, LearningExample.from_record
        )

    @strawberry.field(description="The TrainingDataset version this row belongs to.")
    async def dataset(self, info: Info) -> TrainingDataset | None:
        return await load_one(
            info, DatasetByIdLoader, self.dataset_uuid, TrainingDataset.from_record
        )


@strawberry.type(
    description="One version of a curated training dataset. DRAFT versions can be edited; FROZEN ones never change and always export the same bytes."
)
class TrainingDataset(LoadableNode, relay.Node):  # type: ignore[misc]
    """One version of a dataset. DRAFT until frozen; a FROZEN version never changes."""

    loader = DatasetByIdLoader
    id: relay.NodeID[str]
    record: strawberry.Private[DatasetRecord]
    lineage_id: str = strawberry.field(description="Shared by every version of this dataset.")
    version: int = strawberry.field(description="Version number within its lineage, starting at 1.")
    name: str = strawberry.field(description="The dataset's name (shared by all its versions).")
    description: str | None = strawberry.field(
        description="Free text for the dataset card; null when none."
    )
    status: DatasetStatus = strawberry.field(description="DRAFT (editable) or FROZEN (immutable).")  # type: ignore[valid-type]
    agent_ids: list[str] = strawberry.field(
        description="Agent keys examples must come from; empty means any agent."
    )
    domains: list[str] = strawberry.field(
        description="Domains examples must come from; empty means any."
    )
    task_types: list[str] = strawberry.field(
        description="Task types examples must come from; empty means any."
    )
    split_ratios: SplitRatios = strawberry.field(
        description="How examples without an explicit split are assigned."
    )
    allow_pending: bool = strawberry.field(
        description="Whether PENDING/IN_REVIEW examples may enter (and stay through freezing)."
    )
    stratify_by_type: bool = strawberry.field(
        description="Whether splits are balanced within each example type."
    )
    total_examples: int = strawberry.field(
        description="Examples in this version (kept current by the database)."
    )
    avg_quality_score: float | None = strawberry.field(
        description="Mean qualityScore (0..1) of its annotated examples; null when none is annotated."
    )
    frozen_at: datetime | None = strawberry.field(
        description="When it was frozen; null while DRAFT."
    )
    created_at: datetime = strawberry.field(description="When this version was created.")
    updated_at: datetime = strawberry.field(
        description="When its content or settings last changed."
    )

    @classmethod
    def from_record(cls, r: DatasetRecord) -> Self:
        return cls(
            id=str(r.id),
            record=r,
            lineage_id=str(r.lineage_id),
            version=r.version,
            name=r.name,
            description=r.description,
            status=r.status,
            agent_ids=list(r.agent_ids),
            domains=list(r.domains),
            task_types=list(r.task_types),
            split_ratios=SplitRatios(
                train=r.ratios.train, validation=r.ratios.validation, test=r.ratios.test
            ),
            allow_pending=r.allow_pending,
            stratify_by_type=r.stratify_by_type,
            total_examples=r.total_examples,
            avg_quality_score=r.avg_quality_score,
            frozen_at=r.frozen_at,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )

    @strawberry.field(description="Examples per split (maintained by the database).")
    def split_counts(self) -> list[SplitCount]:
        return [SplitCount(split=s, count=self.record.stats.splits.get(s, 0)) for s in Split]

    @strawberry.field(description="Examples per example type.")
    def example_type_counts(self) -> list[ExampleTypeCount]:
        counts = sorted(self.record.stats.example_types.items())
        return [ExampleTypeCount(example_type=t, count=n) for t, n in counts]

    @strawberry.field(description="The frozen version this one was forked from.")
    async def parent(self, info: Info) -> TrainingDataset | None:
        if self.record.parent_id is None:
            return None
        found = await resolve.dataset(info.context, self.record.parent_id)
        return TrainingDataset.from_record(found) if found else None

    @strawberry.field(description="Every version of this dataset's lineage, oldest first.")
    async def versions(self, info: Info) -> list[TrainingDataset]:
        found = await resolve.versions(info.context, self.record.lineage_id)
        return [TrainingDataset.from_record(r) for r in found]

    @strawberry.field(description="The examples in this version, in a stable order.")
    async def examples(
        self,
        info: Info,
        first: First = 50,
        after: After = None,
        split: Annotated[
            DatasetSplit | None, strawberry.argument(description="Only this split; null means all.")
        ] = None,  # type: ignore[valid-type]
    ) -> Connection[DatasetExample]:
        dataset_id: UUID = self.record.id
        page = await resolve.example_page(
            info.context, dataset_id, split, page_request(first, after)
        )
        return Connection[DatasetExample].from_page(
            page,
            DatasetExample.from_record,
            lambda: resolve.count_examples(info.context, dataset_id, split),
        )

    @strawberry.field(
        description="Where to download this version (GET with the same bearer token as /graphql)."
    )
    def export_url(
        self,
        info: Info,
        format: Annotated[
            ExportFormat,
            strawberry.argument(description="Line format: OPENAI_CHAT, DPO, KTO, JSONL or HF."),
        ],  # type: ignore[valid-type]
        split: Annotated[
            DatasetSplit | None,
            strawberry.argument(description="Only this split; null exports all splits."),
        ] = None,  # type: ignore[valid-type]
    ) -> str:
        gid = str(relay.GlobalID("TrainingDataset", str(self.record.id)))
        return resolve.absolute(info.context, resolve.export_path(gid, format, split))

    @strawberry.field(description="The dataset card (README.md) that goes with the HF export.")
    def dataset_card_url(self, info: Info) -> str:
        gid = str(relay.GlobalID("TrainingDataset", str(self.record.id)))
        return resolve.absolute(info.context, resolve.card_path(gid))
