"""Root fields of the annotation queue: the queue, its statistics and settings, the workflow."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from learnloop.domain.learning_examples import LearningExampleRecord
from learnloop.resolvers import annotations as resolve
from learnloop.resolvers.context import Info
from learnloop.schema import fields
from learnloop.schema.annotations.expert_annotations import ExpertAnnotation
from learnloop.schema.annotations.stats import AnnotationStats
from learnloop.schema.annotations.tasks import (
    AdjudicateExampleInput,
    AdjudicateExamplePayload,
    AnnotationOutcome,
    AnnotationQueueFilter,
    AnnotationSettings,
    AssignAnnotationTasksInput,
    AssignAnnotationTasksPayload,
    ClaimAnnotationTaskInput,
    ClaimAnnotationTaskPayload,
    MarkGoldExampleInput,
    MarkGoldExamplePayload,
    ReleaseAnnotationTaskInput,
    ReleaseAnnotationTaskPayload,
    SubmitAnnotationInput,
    SubmitAnnotationPayload,
    UpdateAnnotationSettingsInput,
    UpdateAnnotationSettingsPayload,
    Verdict,
)
from learnloop.schema.datasets.operations import decode_example_ids
from learnloop.schema.errors import UserError
from learnloop.schema.identity import User
from learnloop.schema.learning_examples.types import LearningExample
from learnloop.schema.nodes import decode_global_id
from learnloop.schema.pagination import After, Connection, First, load_page, page_request


def _example(record: LearningExampleRecord | None) -> LearningExample | None:
    return LearningExample.from_record(record) if record is not None else None


@strawberry.type
class AnnotationsQuery:
    @fields.query(
        description="Examples for review in the org's queue order (annotationSettings.queueOrder)."
        " Each carries its execution, source feedback and (blind mode permitting) annotations."
    )
    async def annotation_queue(
        self,
        info: Info,
        filter: Annotated[
            AnnotationQueueFilter | None,
            strawberry.argument(
                description="Narrow the queue; null lists PENDING and IN_REVIEW examples of every domain."
            ),
        ] = None,
        first: First = 20,
        after: After = None,
    ) -> Connection[LearningExample]:
        given = filter or AnnotationQueueFilter()
        f = await resolve.queue_filter(
            info.context,
            domain=given.domain,
            agent_key=given.agent_id,
            status=given.status,
            needs_adjudication=given.needs_adjudication,
            assigned_to_me=given.assigned_to_me,
        )
        request = page_request(first, after)
        page = await load_page(resolve.queue_page(info.context, f, request))
        return Connection[LearningExample].from_page(
            page, LearningExample.from_record, lambda: resolve.queue_total(info.context, f)
        )

    @fields.query(
        description="Queue depth, throughput, approval, scores, gold accuracy, agreement."
    )
    async def annotation_stats(
        self,
        info: Info,
        since: Annotated[
            datetime | None,
            strawberry.argument(
                description="Count annotations from this time on; null means all time."
            ),
        ] = None,
    ) -> AnnotationStats:
        return AnnotationStats.from_record(await resolve.stats(info.context, since))

    @fields.query(description="The organisation's annotation queue policy.")
    async def annotation_settings(self, info: Info) -> AnnotationSettings:
        return AnnotationSettings.from_record(await resolve.policy(info.context))


@strawberry.type
class AnnotationsMutation:
    @fields.mutation(
        description="Lease the next example to you: IN_REVIEW until leaseExpiresAt, "
        "then back in the queue. `example` is null when nothing is left for you."
    )
    async def claim_annotation_task(
        self, info: Info, input: ClaimAnnotationTaskInput
    ) -> ClaimAnnotationTaskPayload:
        claimed, problems = await resolve.claim(info.context, input.to_domain())
        return ClaimAnnotationTaskPayload(
            example=_example(claimed.example) if claimed else None,
            lease_expires_at=claimed.lease_expires_at if claimed else None,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation(description="Give a leased example back to the queue unannotated.")
    async def release_annotation_task(
        self, info: Info, input: ReleaseAnnotationTaskInput
    ) -> ReleaseAnnotationTaskPayload:
        example_id = decode_example_ids([input.example_id], "exampleId")[0]
        record, problems = await resolve.release(info.context, example_id)
        return ReleaseAnnotationTaskPayload(
            example=_example(record), user_errors=UserError.from_problems(problems)
        )

    @fields.mutation(
        description="Annotate an example you hold the lease on. It is decided (APPROVED or "
        "REJECTED, qualityScore, corrected expected output) once annotationsRequired annotations "
        "agree; disagreement sends it to adjudication."
    )
    async def submit_annotation(
        self, info: Info, input: SubmitAnnotationInput
    ) -> SubmitAnnotationPayload:
        example_id = decode_example_ids([input.example_id], "exampleId")[0]
        done, problems = await resolve.submit(info.context, example_id, input.to_domain())
        return SubmitAnnotationPayload(
            annotation=ExpertAnnotation.from_record(done.annotation) if done else None,
            example=_example(done.example) if done else None,
            outcome=AnnotationOutcome(done.outcome.value) if done else None,
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation(description="Decide an example whose annotations disagree.")
    async def adjudicate_example(
        self, info: Info, input: AdjudicateExampleInput
    ) -> AdjudicateExamplePayload:
        example_id = decode_example_ids([input.example_id], "exampleId")[0]
        record, problems = await resolve.adjudicate(
            info.context, example_id, input.approved, input.notes, input.corrected_output
        )
        return AdjudicateExamplePayload(
            example=_example(record), user_errors=UserError.from_problems(problems)
        )

    @fields.mutation(description="Offer examples only to one expert, or to everyone.")
    async def assign_annotation_tasks(
        self, info: Info, input: AssignAnnotationTasksInput
    ) -> AssignAnnotationTasksPayload:
        ids = decode_example_ids(input.example_ids, "exampleIds")
        expert = (
            decode_global_id(input.expert_id, User, "expertId")
            if input.expert_id is not None
            else None
        )
        records, problems = await resolve.assign(info.context, ids, expert)
        return AssignAnnotationTasksPayload(
            examples=[LearningExample.from_record(r) for r in records or []],
            user_errors=UserError.from_problems(problems),
        )

    @fields.mutation(
        description="Make an example a gold item with a known verdict, mixed into the queue to "
        "measure annotators. Its own status never changes through annotations."
    )
    async def mark_gold_example(
        self, info: Info, input: MarkGoldExampleInput
    ) -> MarkGoldExamplePayload:
        example_id = decode_example_ids([input.example_id], "exampleId")[0]
        verdict = None if input.verdict is None else input.verdict is Verdict.APPROVED
        record, problems = await resolve.mark_gold(info.context, example_id, verdict)
        return MarkGoldExamplePayload(
            example=_example(record), user_errors=UserError.from_problems(problems)
        )

    @fields.mutation(description="Change the annotation queue policy.")
    async def update_annotation_settings(
        self, info: Info, input: UpdateAnnotationSettingsInput
    ) -> UpdateAnnotationSettingsPayload:
        policy, problems = await resolve.update_settings(info.context, input.to_domain())
        return UpdateAnnotationSettingsPayload(
            settings=AnnotationSettings.from_record(policy) if policy else None,
            user_errors=UserError.from_problems(problems),
        )
