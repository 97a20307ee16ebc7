"""Annotation queue types: filter, inputs and payloads of the workflow, settings, statistics."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Self
from uuid import UUID

import strawberry
from strawberry import relay

from learnloop.domain import annotation_stats as stats_rules
from learnloop.domain.annotation_queue import QueueOrder as DomainQueueOrder
from learnloop.domain.annotation_queue import QueuePolicy
from learnloop.domain.annotation_rules import AnnotationInput
from learnloop.domain.annotation_tasks import ClaimFilter
from learnloop.domain.annotation_tasks import Outcome as DomainOutcome
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.identity import UserByIdLoader
from learnloop.schema.enums import ReviewStatus
from learnloop.schema.errors import UserError
from learnloop.schema.expert_annotation import ExpertAnnotation
from learnloop.schema.identity import User
from learnloop.schema.learning_example import LearningExample
from learnloop.schema.node import load_one

QueueOrder = strawberry.enum(
    DomainQueueOrder,
    name="QueueOrder",
    description="PRIORITY_OLDEST_FIRST: routing priority, then oldest. LOWEST_QUALITY_FIRST: "
    "unannotated first, then lowest running quality score. MOST_NEGATIVE_FIRST: most negative "
    "feedback (thumbs down, issue reports, corrections, ratings <= 2) on the source execution.",
)
AnnotationOutcome = strawberry.enum(
    DomainOutcome, name="AnnotationOutcome", description="What submitAnnotation did."
)


@strawberry.enum(description="A decided verdict.")
class Verdict(StrEnum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


# --- queue -----------------------------------------------------------------------------------


@strawberry.input
class AnnotationQueueFilter:
    domain: str | None = None
    agent_id: str | None = strawberry.field(default=None, description="The agent's key.")
    status: ReviewStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="Queue state: PENDING (waiting, expired leases included), IN_REVIEW "
        "(leased now), APPROVED/REJECTED (decided). Default: PENDING and IN_REVIEW.",
    )
    needs_adjudication: bool | None = strawberry.field(
        default=None, description="true: only the examples waiting for a manager's decision."
    )
    assigned_to_me: bool = strawberry.field(
        default=False, description="Only examples assigned to the caller."
    )


# --- leases ----------------------------------------------------------------------------------


@strawberry.input
class ClaimAnnotationTaskInput:
    domain: str | None = None
    agent_id: str | None = strawberry.field(default=None, description="The agent's key.")

    def to_domain(self) -> ClaimFilter:
        return ClaimFilter(domain=self.domain, agent_key=self.agent_id)


@strawberry.type
class ClaimAnnotationTaskPayload:
    example: LearningExample | None = strawberry.field(
        description="Leased to you until leaseExpiresAt; null when nothing is left for you."
    )
    lease_expires_at: datetime | None
    user_errors: list[UserError]


@strawberry.input
class ReleaseAnnotationTaskInput:
    example_id: relay.GlobalID


@strawberry.type
class ReleaseAnnotationTaskPayload:
    example: LearningExample | None
    user_errors: list[UserError]


# --- annotating and deciding -----------------------------------------------------------------


@strawberry.input(description="Scores are 0..1; quality = their plain mean.")
class SubmitAnnotationInput:
    example_id: relay.GlobalID
    approved: bool
    technical_accuracy: float
    professional_quality: float
    completeness: float
    clarity: float
    corrected_output: str | None = strawberry.field(
        default=None,
        description="Becomes the example's expected output when it is decided (the previous "
        "one is kept in `history`).",
    )
    notes: str | None = None
    improvement_suggestions: str | None = None

    def to_domain(self) -> AnnotationInput:
        return AnnotationInput(
            approved=self.approved,
            technical_accuracy=self.technical_accuracy,
            professional_quality=self.professional_quality,
            completeness=self.completeness,
            clarity=self.clarity,
            corrected_output=self.corrected_output,
            notes=self.notes,
            improvement_suggestions=self.improvement_suggestions,
        )


@strawberry.type
class SubmitAnnotationPayload:
    annotation: ExpertAnnotation | None
    example: LearningExample | None
    outcome: AnnotationOutcome | None  # type: ignore[valid-type]
    user_errors: list[UserError]


@strawberry.input
class AdjudicateExampleInput:
    example_id: relay.GlobalID
    approved: bool
    notes: str | None = None
    corrected_output: str | None = strawberry.field(
        default=None,
        description="Default: the newest correction among the annotations sharing your verdict.",
    )


@strawberry.type
class AdjudicateExamplePayload:
    example: LearningExample | None
    user_errors: list[UserError]


# --- assignment, gold, settings --------------------------------------------------------------


@strawberry.input
class AssignAnnotationTasksInput:
    example_ids: list[relay.GlobalID]
    expert_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A User with role EXPERT or above; null: offer to everyone."
    )


@strawberry.type
class AssignAnnotationTasksPayload:
    examples: list[LearningExample]
    user_errors: list[UserError]


@strawberry.input
class MarkGoldExampleInput:
    example_id: relay.GlobalID
    verdict: Verdict | None = strawberry.field(
        description="The known right verdict; null makes it an ordinary example again."
    )


@strawberry.type
class MarkGoldExamplePayload:
    example: LearningExample | None
    user_errors: list[UserError]


@strawberry.type
class RoutingPriority:
    signal: str = strawberry.field(description="A FeedbackType or IssueCategory value.")
    priority: int


@strawberry.input
class RoutingPriorityInput:
    signal: str
    priority: int


@strawberry.type
class AnnotationSettings:
    annotations_required: int
    queue_order: QueueOrder  # type: ignore[valid-type]
    lease_seconds: int
    max_leases_per_expert: int
    blind_annotations: bool
    routing_priorities: list[RoutingPriority]

    @classmethod
    def from_record(cls, p: QueuePolicy) -> Self:
        return cls(
            annotations_required=p.annotations_required,
            queue_order=p.order,
            lease_seconds=p.lease_seconds,
            max_leases_per_expert=p.max_leases_per_expert,
            blind_annotations=p.blind,
            routing_priorities=[
                RoutingPriority(signal=k, priority=v) for k, v in sorted(p.routing.items())
            ],
        )


@strawberry.input(description="Only the fields given change.")
class UpdateAnnotationSettingsInput:
    annotations_required: int | None = None
    queue_order: QueueOrder | None = None  # type: ignore[valid-type]
    lease_seconds: int | None = None
    max_leases_per_expert: int | None = None
    blind_annotations: bool | None = None
    routing_priorities: list[RoutingPriorityInput] | None = strawberry.field(
        default=None,
        description="Replaces the stored map; signals left out keep their default priority.",
    )

    def to_domain(self) -> dict[str, Any]:
        routing = (
            {r.signal.strip().upper(): r.priority for r in self.routing_priorities}
            if self.routing_priorities is not None
            else None
        )
        return {
            "annotationsRequired": self.annotations_required,
            "queueOrder": self.queue_order,
            "leaseSeconds": self.lease_seconds,
            "maxLeasesPerExpert": self.max_leases_per_expert,
            "blindAnnotations": self.blind_annotations,
            "routingPriorities": routing,
        }


@strawberry.type
class UpdateAnnotationSettingsPayload:
    settings: AnnotationSettings | None
    user_errors: list[UserError]


# --- statistics ------------------------------------------------------------------------------


@strawberry.type(description="Means (0..1), or Krippendorff's alpha for `agreement`.")
class DimensionValues:
    technical_accuracy: float | None
    professional_quality: float | None
    completeness: float | None
    clarity: float | None

    @classmethod
    def from_record(cls, r: stats_rules.DimensionValues) -> Self:
        return cls(
            technical_accuracy=r.technical_accuracy,
            professional_quality=r.professional_quality,
            completeness=r.completeness,
            clarity=r.clarity,
        )


@strawberry.type
class QueueDepth:
    domain: str | None
    pending: int
    in_review: int
    needs_adjudication: int
    gold_items: int

    @classmethod
    def from_record(cls, r: stats_rules.QueueDepth) -> Self:
        return cls(
            domain=r.domain,
            pending=r.pending,
            in_review=r.in_review,
            needs_adjudication=r.needs_adjudication,
            gold_items=r.gold_items,
        )


@strawberry.type
class AnnotatorStats:
    annotations_today: int = strawberry.field(description="Since 00:00 UTC.")
    annotations_last_7_days: int
    annotations: int = strawberry.field(description="Within the report's window (`since`).")
    approval_rate: float | None
    average_scores: DimensionValues
    average_quality: float | None
    gold_annotations: int
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

    @strawberry.field
    async def annotator(self, info: Info) -> User | None:
        return await load_one(info, UserByIdLoader, self.annotator_user_id, User.from_record)


@strawberry.type
class AnnotationStats:
    queue_depth: list[QueueDepth] = strawberry.field(description="Undecided work per domain.")
    pending: int
    in_review: int
    needs_adjudication: int
    gold_items: int
    annotated_today: int = strawberry.field(description="Annotations since 00:00 UTC.")
    annotations: int = strawberry.field(description="Annotations within the window (`since`).")
    approval_rate: float | None
    average_scores: DimensionValues
    average_quality: float | None
    annotators: list[AnnotatorStats]
    agreement: DimensionValues = strawberry.field(
        description="Inter-annotator agreement per dimension: Krippendorff's alpha (interval) "
        f"over the {stats_rules.AGREEMENT_SAMPLE} most recent examples with 2+ annotations; "
        "null when undefined."
    )
    agreement_examples: int

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
