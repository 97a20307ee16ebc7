"""Annotation queue types: filter, inputs and payloads of the workflow, and the queue settings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Self

import strawberry
from strawberry import relay

from learnloop.domain.annotations.queue import QueueOrder as DomainQueueOrder
from learnloop.domain.annotations.queue import QueuePolicy
from learnloop.domain.annotations.records import ClaimFilter
from learnloop.domain.annotations.records import Outcome as DomainOutcome
from learnloop.domain.annotations.rules import AnnotationInput
from learnloop.schema.annotations.expert_annotations import ExpertAnnotation
from learnloop.schema.enums import ReviewStatus, describe_values
from learnloop.schema.errors import UserError, user_errors_field
from learnloop.schema.learning_examples.types import LearningExample

QueueOrder = strawberry.enum(
    DomainQueueOrder,
    name="QueueOrder",
    description="PRIORITY_OLDEST_FIRST: routing priority, then oldest. LOWEST_QUALITY_FIRST: "
    "unannotated first, then lowest running quality score. MOST_NEGATIVE_FIRST: most negative "
    "feedback (thumbs down, issue reports, corrections, ratings <= 2) on the source execution.",
)
AnnotationOutcome = describe_values(
    strawberry.enum(
        DomainOutcome, name="AnnotationOutcome", description="What submitAnnotation did."
    ),
    {
        "APPROVED": "Enough annotations agreed: the example is APPROVED.",
        "REJECTED": "Enough annotations agreed: the example is REJECTED.",
        "NEEDS_MORE_ANNOTATIONS": "Stored; the example goes back to the queue for another expert.",
        "NEEDS_ADJUDICATION": "The annotations disagree; a MANAGER decides (adjudicateExample).",
        "GOLD_RECORDED": "A gold item: your verdict was scored against the known one; its status is unchanged.",
    },
)


@strawberry.enum(description="A decided verdict.")
class Verdict(StrEnum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


# --- queue -----------------------------------------------------------------------------------


@strawberry.input(description="Narrows the annotation queue; all given criteria must match.")
class AnnotationQueueFilter:
    domain: str | None = strawberry.field(
        default=None, description="Only this domain; null means all."
    )
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


@strawberry.input(description="Optional narrowing of which example to claim.")
class ClaimAnnotationTaskInput:
    domain: str | None = strawberry.field(
        default=None, description="Only an example of this domain; null means any."
    )
    agent_id: str | None = strawberry.field(default=None, description="The agent's key.")

    def to_domain(self) -> ClaimFilter:
        return ClaimFilter(domain=self.domain, agent_key=self.agent_id)


@strawberry.type(description="The example leased to you, if any.")
class ClaimAnnotationTaskPayload:
    example: LearningExample | None = strawberry.field(
        description="Leased to you until leaseExpiresAt; null when nothing is left for you."
    )
    lease_expires_at: datetime | None = strawberry.field(
        description="When your lease ends and the example returns to the queue; null when nothing was claimed."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="The example you give back unannotated.")
class ReleaseAnnotationTaskInput:
    example_id: relay.GlobalID = strawberry.field(
        description="A LearningExample you hold a lease on."
    )


@strawberry.type(description="The released example.")
class ReleaseAnnotationTaskPayload:
    example: LearningExample | None = strawberry.field(
        description="The example, back in the queue; null when refused."
    )
    user_errors: list[UserError] = user_errors_field()


# --- annotating and deciding -----------------------------------------------------------------


@strawberry.input(description="Scores are 0..1; quality = their plain mean.")
class SubmitAnnotationInput:
    example_id: relay.GlobalID = strawberry.field(
        description="A LearningExample you hold a lease on (claimAnnotationTask)."
    )
    approved: bool = strawberry.field(description="True approves the example, false rejects it.")
    technical_accuracy: float = strawberry.field(description="Score 0..1.")
    professional_quality: float = strawberry.field(description="Score 0..1.")
    completeness: float = strawberry.field(description="Score 0..1.")
    clarity: float = strawberry.field(description="Score 0..1.")
    corrected_output: str | None = strawberry.field(
        default=None,
        description="Becomes the example's expected output when it is decided (the previous "
        "one is kept in `history`).",
    )
    notes: str | None = strawberry.field(default=None, description="Notes for other reviewers.")
    improvement_suggestions: str | None = strawberry.field(
        default=None, description="How the agent could improve."
    )

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


@strawberry.type(description="Your annotation and what it did to the example.")
class SubmitAnnotationPayload:
    annotation: ExpertAnnotation | None = strawberry.field(
        description="Your stored annotation; null when refused."
    )
    example: LearningExample | None = strawberry.field(
        description="The example after your annotation."
    )
    outcome: AnnotationOutcome | None = strawberry.field(
        description="APPROVED/REJECTED (decided), NEEDS_MORE_ANNOTATIONS, NEEDS_ADJUDICATION or GOLD_RECORDED."
    )  # type: ignore[valid-type]
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="A manager's final verdict on an example whose annotations disagree.")
class AdjudicateExampleInput:
    example_id: relay.GlobalID = strawberry.field(
        description="The LearningExample waiting for adjudication."
    )
    approved: bool = strawberry.field(description="True approves it, false rejects it.")
    notes: str | None = strawberry.field(default=None, description="Why; kept in the audit log.")
    corrected_output: str | None = strawberry.field(
        default=None,
        description="Default: the newest correction among the annotations sharing your verdict.",
    )


@strawberry.type(description="The decided example.")
class AdjudicateExamplePayload:
    example: LearningExample | None = strawberry.field(
        description="The example, now APPROVED or REJECTED; null when refused."
    )
    user_errors: list[UserError] = user_errors_field()


# --- assignment, gold, settings --------------------------------------------------------------


@strawberry.input(description="Examples to reserve for one expert (or to release to everyone).")
class AssignAnnotationTasksInput:
    example_ids: list[relay.GlobalID] = strawberry.field(
        description="LearningExample ids to assign."
    )
    expert_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A User with role EXPERT or above; null: offer to everyone."
    )


@strawberry.type(description="The assigned examples.")
class AssignAnnotationTasksPayload:
    examples: list[LearningExample] = strawberry.field(description="The examples as assigned now.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="An example to turn into a gold item (or back).")
class MarkGoldExampleInput:
    example_id: relay.GlobalID = strawberry.field(description="The LearningExample.")
    verdict: Verdict | None = strawberry.field(
        description="The known right verdict; null makes it an ordinary example again."
    )


@strawberry.type(description="The gold example.")
class MarkGoldExamplePayload:
    example: LearningExample | None = strawberry.field(
        description="The example; null when refused."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="How much a signal moves examples up the queue.")
class RoutingPriority:
    signal: str = strawberry.field(description="A FeedbackType or IssueCategory value.")
    priority: int = strawberry.field(
        description="Added to the example's priority; higher is served first."
    )


@strawberry.input(description="How much a signal moves examples up the queue.")
class RoutingPriorityInput:
    signal: str = strawberry.field(
        description="THUMBS_DOWN, REPORT_ISSUE or an issue category such as HALLUCINATION or UNSAFE."
    )
    priority: int = strawberry.field(
        description="Added to the example's priority, -1000..1000; higher is served first."
    )


@strawberry.type(
    description="The organisation's annotation queue policy (updateAnnotationSettings changes it)."
)
class AnnotationSettings:
    annotations_required: int = strawberry.field(
        description="Agreeing annotations an example needs to be decided (1 = one expert decides)."
    )
    queue_order: QueueOrder = strawberry.field(
        description="Which pending example a claim hands out first."
    )  # type: ignore[valid-type]
    lease_seconds: int = strawberry.field(
        description="How long a claim holds an example before it returns to the queue."
    )
    max_leases_per_expert: int = strawberry.field(
        description="Examples one expert may hold at once; more claims fail with LIMIT_EXCEEDED."
    )
    blind_annotations: bool = strawberry.field(
        description="Below MANAGER, experts see only their own annotations until an example is decided."
    )
    routing_priorities: list[RoutingPriority] = strawberry.field(
        description="Signals on an example's execution that move it up the queue, with their weight."
    )

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
    annotations_required: int | None = strawberry.field(
        default=None,
        description="Agreeing annotations needed to decide an example, 1..10; null keeps it.",
    )
    queue_order: QueueOrder | None = strawberry.field(
        default=None, description="Which example a claim hands out first; null keeps it."
    )  # type: ignore[valid-type]
    lease_seconds: int | None = strawberry.field(
        default=None, description="Lease length in seconds, 30..86400; null keeps it."
    )
    max_leases_per_expert: int | None = strawberry.field(
        default=None, description="Leases one expert may hold, 1..100; null keeps it."
    )
    blind_annotations: bool | None = strawberry.field(
        default=None,
        description="Hide other annotations below MANAGER until decided; null keeps it.",
    )
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


@strawberry.type(description="The settings now in force.")
class UpdateAnnotationSettingsPayload:
    settings: AnnotationSettings | None = strawberry.field(
        description="The settings after the change; null when refused."
    )
    user_errors: list[UserError] = user_errors_field()


# --- statistics ------------------------------------------------------------------------------
