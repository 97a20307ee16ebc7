"""annotationStats types: queue depth per domain, annotator throughput and quality, agreement."""

from __future__ import annotations

from typing import Self
from uuid import UUID

import strawberry

from learnloop.domain.annotations import stats as stats_rules
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.identity import UserByIdLoader
from learnloop.schema.identity import User
from learnloop.schema.nodes import load_one


@strawberry.type(description="Means (0..1), or Krippendorff's alpha for `agreement`.")
class DimensionValues:
    technical_accuracy: float | None = strawberry.field(
        description="Is it technically correct? 0..1."
    )
    professional_quality: float | None = strawberry.field(
        description="Is it professionally written? 0..1."
    )
    completeness: float | None = strawberry.field(description="Does it cover everything? 0..1.")
    clarity: float | None = strawberry.field(description="Is it clear? 0..1.")

    @classmethod
    def from_record(cls, r: stats_rules.DimensionValues) -> Self:
        return cls(
            technical_accuracy=r.technical_accuracy,
            professional_quality=r.professional_quality,
            completeness=r.completeness,
            clarity=r.clarity,
        )


@strawberry.type(description="Queue counts for one domain.")
class QueueDepth:
    domain: str | None = strawberry.field(description="The domain; null for examples without one.")
    pending: int = strawberry.field(description="Examples waiting.")
    in_review: int = strawberry.field(description="Examples leased now.")
    needs_adjudication: int = strawberry.field(description="Examples waiting for a manager.")
    gold_items: int = strawberry.field(description="Gold examples.")

    @classmethod
    def from_record(cls, r: stats_rules.QueueDepth) -> Self:
        return cls(
            domain=r.domain,
            pending=r.pending,
            in_review=r.in_review,
            needs_adjudication=r.needs_adjudication,
            gold_items=r.gold_items,
        )


@strawberry.type(description="One annotator's throughput and quality.")
class AnnotatorStats:
    annotations_today: int = strawberry.field(description="Since 00:00 UTC.")
    annotations_last_7_days: int = strawberry.field(description="Annotations in the last 7 days.")
    annotations: int = strawberry.field(description="Within the report's window (`since`).")
    approval_rate: float | None = strawberry.field(
        description="Share 0..1 of their annotations that approved; null when none."
    )
    average_scores: DimensionValues = strawberry.field(
        description="Mean of each of their scores 0..1."
    )
    average_quality: float | None = strawberry.field(
        description="Mean of their four scores 0..1; null when none."
    )
    gold_annotations: int = strawberry.field(description="Their annotations on gold examples.")
    gold_accuracy: float | None = strawberry.field(
        description="Share of gold items where the verdict matched the known one."
    )
    annotator_user_id: strawberry.Private[UUID]

    @classmethod
    def from_record(cls, r: stats_rules.AnnotatorStats) -> Self:
        return cls(
            annotations_today=r.annotations_today,
            annotations_last_7_days=r.annotations_last_7_days,
            annotations=r.annotations,
            approval_rate=r.approval_rate,
            average_scores=DimensionValues.from_record(r.average_scores),
            average_quality=r.average_quality,
            gold_annotations=r.gold_annotations,
            gold_accuracy=r.gold_accuracy,
            annotator_user_id=r.annotator_user_id,
        )

    @strawberry.field(description="The annotator; null when the user is gone.")
    async def annotator(self, info: Info) -> User | None:
        return await load_one(info, UserByIdLoader, self.annotator_user_id, User.from_record)


@strawberry.type(description="Annotation queue health and annotator performance.")
class AnnotationStats:
    queue_depth: list[QueueDepth] = strawberry.field(description="Undecided work per domain.")
    pending: int = strawberry.field(description="Examples waiting in the queue.")
    in_review: int = strawberry.field(description="Examples leased to an expert right now.")
    needs_adjudication: int = strawberry.field(
        description="Examples whose annotations disagree, waiting for a manager."
    )
    gold_items: int = strawberry.field(
        description="Gold examples (known verdicts used to measure annotators)."
    )
    annotated_today: int = strawberry.field(description="Annotations since 00:00 UTC.")
    annotations: int = strawberry.field(description="Annotations within the window (`since`).")
    approval_rate: float | None = strawberry.field(
        description="Share 0..1 of annotations that approved; null when there are none."
    )
    average_scores: DimensionValues = strawberry.field(
        description="Mean of each annotation score 0..1."
    )
    average_quality: float | None = strawberry.field(
        description="Mean of the four scores 0..1; null when there are no annotations."
    )
    annotators: list[AnnotatorStats] = strawberry.field(
        description="Per-annotator throughput and quality."
    )
    agreement: DimensionValues = strawberry.field(
        description="Inter-annotator agreement per dimension: Krippendorff's alpha (interval) "
        f"over the {stats_rules.AGREEMENT_SAMPLE} most recent examples with 2+ annotations; "
        "null when undefined."
    )
    agreement_examples: int = strawberry.field(
        description="Examples with 2+ annotations the agreement was computed over."
    )

    @classmethod
    def from_record(cls, r: stats_rules.AnnotationStats) -> Self:
        return cls(
            queue_depth=[QueueDepth.from_record(d) for d in r.queue_depth],
            pending=r.pending,
            in_review=r.in_review,
            needs_adjudication=r.needs_adjudication,
            gold_items=r.gold_items,
            annotated_today=r.annotated_today,
            annotations=r.annotations,
            approval_rate=r.approval_rate,
            average_scores=DimensionValues.from_record(r.average_scores),
            average_quality=r.average_quality,
            annotators=[AnnotatorStats.from_record(a) for a in r.annotators],
            agreement=DimensionValues.from_record(r.agreement),
            agreement_examples=r.agreement_examples,
        )
