"""The annotation workflow: leases, annotations and decisions, adjudication, assignment, gold
items, queue settings, and what each viewer may see of an example under review.

See docs/decisions/0006-annotation-queue.md. Pure rules live in annotation_rules.py (scores,
quality formula, decide), the per-org policy in annotation_queue.py, statistics in
annotation_stats.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from learnloop.domain.annotation_queue import (
    QueueOrder,
    QueuePolicy,
    policy_from_settings,
    validate_policy_update,
)
from learnloop.domain.annotation_rules import (
    MAX_OUTPUT,
    MAX_TEXT,
    AnnotationInput,
    Decision,
    combined_quality,
    decide,
    validate_annotation,
)
from learnloop.domain.audit import AuditEntry, AuditSink
from learnloop.domain.errors import ErrorCode, Forbidden, Problem, UserInputError
from learnloop.domain.executions import check_key
from learnloop.domain.expert_annotations import ExpertAnnotationRecord
from learnloop.domain.feedback import FeedbackType, IssueCategory
from learnloop.domain.learning_examples import MAX_LABEL_LENGTH, LearningExampleRecord, ReviewStatus
from learnloop.domain.principal import Principal, PrincipalKind
from learnloop.domain.roles import Role

MAX_ASSIGN = 100
ROUTING_SIGNALS = frozenset({*(t.value for t in FeedbackType), *(c.value for c in IssueCategory)})


# --- records and store ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimFilter:
    """Narrow what claimAnnotationTask may hand out."""

    domain: str | None = None
    agent_key: str | None = None


@dataclass(frozen=True)
class QueueFilter:
    """annotationQueue's filter. `status` is the queue state (see queue_status)."""

    domain: str | None = None
    agent_key: str | None = None
    status: ReviewStatus | None = None
    needs_adjudication: bool | None = None
    assigned_to: UUID | None = None


@dataclass(frozen=True)
class Locked:
    """An example locked for this transaction, with the database's clock."""

    example: LearningExampleRecord
    now: datetime


@dataclass(frozen=True)
class ExampleChange:
    """What an annotation or adjudication does to its example (None: leave as is)."""

    review_status: ReviewStatus | None = None
    quality_score: float | None = None
    expected_output: str | None = None  # the previous one goes to example_history
    needs_adjudication: bool | None = None
    annotations_count: int | None = None
    decided: bool = False  # sets decided_at
    clear_lease: bool = False
    clear_assignment: bool = False


class Outcome(StrEnum):
    """What submitAnnotation did to the example."""

    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    NEEDS_MORE_ANNOTATIONS = "NEEDS_MORE_ANNOTATIONS"
    NEEDS_ADJUDICATION = "NEEDS_ADJUDICATION"
    GOLD_RECORDED = "GOLD_RECORDED"  # a gold item: scored against its verdict, status unchanged


@dataclass(frozen=True)
class Submitted:
    annotation: ExpertAnnotationRecord
    example: LearningExampleRecord
    outcome: Outcome


@dataclass(frozen=True)
class Claimed:
    example: LearningExampleRecord | None
    lease_expires_at: datetime | None


class AnnotationStore(Protocol):
    async def settings(self) -> Mapping[str, Any]: ...

    async def update_settings(self, patch: Mapping[str, Any]) -> Mapping[str, Any]:
        """Merge camelCase keys into the org's settings; returns the stored settings."""
        ...

    async def lock_annotator(self, user_id: UUID) -> None:
        """Serialise one annotator's claims until the transaction ends (the lease bound)."""
        ...

    async def return_expired_leases(self) -> int:
        """Examples whose lease ran out go back to PENDING."""
        ...

    async def live_leases(self, user_id: UUID) -> int: ...

    async def claim(
        self, user_id: UUID, f: ClaimFilter, policy: QueuePolicy
    ) -> LearningExampleRecord | None:
        """Lease the next claimable example (skipping rows other claims hold locked)."""
        ...

    async def lock_example(self, example_id: UUID) -> Locked | None: ...

    async def lock_examples(self, ids: Sequence[UUID]) -> Mapping[UUID, LearningExampleRecord]: ...

    async def add_annotation(
        self, example_id: UUID, user_id: UUID, data: AnnotationInput
    ) -> ExpertAnnotationRecord | None:
        """None when this user already annotated the example."""
        ...

    async def annotations_of(self, example_id: UUID) -> list[ExpertAnnotationRecord]:
        """Oldest first."""
        ...

    async def change(
        self, example: LearningExampleRecord, change: ExampleChange, by_user: UUID | None
    ) -> LearningExampleRecord: ...

    async def release(self, example: LearningExampleRecord) -> LearningExampleRecord: ...

    async def assign(
        self, ids: Sequence[UUID], user_id: UUID | None
    ) -> list[LearningExampleRecord]: ...

    async def set_gold(
        self,
        example: LearningExampleRecord,
        verdict: bool | None,
        review_status: ReviewStatus,
        clear_lease: bool,
    ) -> LearningExampleRecord: ...

    async def member_role(self, user_id: UUID) -> Role | None: ...


# --- who may see what ------------------------------------------------------------------------


def is_manager(principal: Principal) -> bool:
    return principal.role is not None and principal.role.includes(Role.MANAGER)


def leased(example: LearningExampleRecord, now: datetime) -> bool:
    return (
        example.lease_holder_user_id is not None
        and example.lease_expires_at is not None
        and example.lease_expires_at > now
    )


def undecided_to(principal: Principal, example: LearningExampleRecord) -> bool:
    """Gold items look undecided to everyone below MANAGER (they must not stand out)."""
    return not example.decided or (example.is_gold and not is_manager(principal))


def shown_status(
    principal: Principal, example: LearningExampleRecord, now: datetime
) -> ReviewStatus:
    """The status a viewer sees: an expired lease is PENDING again (the next claim sweeps it);
    below MANAGER a gold item shows its queue state, not its own status."""
    if example.is_gold and not is_manager(principal):
        return ReviewStatus.IN_REVIEW if leased(example, now) else ReviewStatus.PENDING
    if (
        example.review_status is ReviewStatus.IN_REVIEW
        and not example.is_gold
        and not example.needs_adjudication
        and not leased(example, now)
    ):
        return ReviewStatus.PENDING
    return example.review_status


def sees_all_annotations(
    principal: Principal, policy: QueuePolicy, example: LearningExampleRecord
) -> bool:
    """Blind mode: below MANAGER, only one's own annotations of an undecided example."""
    return not policy.blind or is_manager(principal) or not undecided_to(principal, example)


def shown_quality(
    principal: Principal, policy: QueuePolicy, example: LearningExampleRecord
) -> float | None:
    """Before the decision the score is the running mean of the annotations so far: blind."""
    if is_manager(principal) or not undecided_to(principal, example):
        return example.quality_score
    if example.is_gold or policy.blind:
        return None
    return example.quality_score


# --- claiming and releasing ------------------------------------------------------------------


def annotator(principal: Principal) -> UUID:
    """Annotations are made by people: API keys and tokens cannot hold leases."""
    if principal.kind is not PrincipalKind.USER or principal.user_id is None:
        raise Forbidden("annotation tasks are for signed-in users, not API keys")
    return principal.user_id


def validate_claim_filter(f: ClaimFilter) -> ClaimFilter:
    problems: list[Problem] = []
    agent = check_key(f.agent_key, ("agentId",), problems) if f.agent_key is not None else None
    domain = f.domain.strip() if f.domain is not None else None
    if domain is not None and len(domain) > MAX_LABEL_LENGTH:
        problems.append(
            Problem(("domain",), f"at most {MAX_LABEL_LENGTH} characters", ErrorCode.TOO_LONG)
        )
    if problems:
        raise UserInputError(problems)
    return ClaimFilter(domain=domain or None, agent_key=agent)


async def claim_task(store: AnnotationStore, principal: Principal, f: ClaimFilter) -> Claimed:
    """Lease the next example to the caller; `example` is None when nothing is left for them.

    Expired leases are returned to the queue first. An expert holds at most
    `maxLeasesPerExpert` live leases (LIMIT_EXCEEDED beyond); their claims take turns, so
    concurrent claims of one expert cannot overshoot the bound.
    """
    user = annotator(principal)
    cleaned = validate_claim_filter(f)
    policy = policy_from_settings(await store.settings())
    await store.lock_annotator(user)
    await store.return_expired_leases()
    held = await store.live_leases(user)
    if held >= policy.max_leases_per_expert:
        raise UserInputError.single(
            (),
            f"you already hold {held} tasks (at most {policy.max_leases_per_expert}); "
            "submit or release one first",
            ErrorCode.LIMIT_EXCEEDED,
        )
    example = await store.claim(user, cleaned, policy)
    return Claimed(example, example.lease_expires_at if example else None)


def check_lease(locked: Locked, user: UUID) -> None:
    """The caller must hold a live lease on the example (LEASE_NOT_HELD otherwise)."""
    example = locked.example
    if example.lease_holder_user_id == user and leased(example, locked.now):
        return
    if example.lease_holder_user_id == user and example.lease_expires_at is not None:
        message = (
            f"your lease expired at {example.lease_expires_at.isoformat()}; "
            "the example went back to the queue, claim a new task"
        )
    elif example.lease_holder_user_id is not None and leased(example, locked.now):
        message = "another expert holds the lease on this example"
    else:
        message = "you do not hold a lease on this example: claim it first"
    raise UserInputError.single(("exampleId",), message, ErrorCode.LEASE_NOT_HELD)


def _not_found() -> UserInputError:
    return UserInputError.single(("exampleId",), "no such learning example", ErrorCode.NOT_FOUND)


async def release_task(
    store: AnnotationStore, principal: Principal, example_id: UUID
) -> LearningExampleRecord:
    """Give a leased example back to the queue unannotated."""
    user = annotator(principal)
    locked = await store.lock_example(example_id)
    if locked is None:
        raise _not_found()
    check_lease(locked, user)
    return await store.release(locked.example)


# --- annotating and deciding -----------------------------------------------------------------


def _check_decidable(example: LearningExampleRecord) -> None:
    if example.needs_adjudication:
        raise UserInputError.single(
            ("exampleId",),
            "the annotations disagree; the example waits for a manager's adjudication",
            ErrorCode.INVALID_STATE,
        )
    if example.decided and not example.is_gold:
        raise UserInputError.single(
            ("exampleId",),
            f"the example is already decided ({example.review_status.value})",
            ErrorCode.INVALID_STATE,
        )


def newest_correction(annotations: Sequence[ExpertAnnotationRecord], verdict: bool) -> str | None:
    """The output a decision adopts: the newest correction among the annotations that agree."""
    for a in sorted(annotations, key=lambda a: a.created_at, reverse=True):
        if a.approved == verdict and a.corrected_output is not None:
            return a.corrected_output
    return None


def outcome_of(
    example: LearningExampleRecord,
    annotations: Sequence[ExpertAnnotationRecord],
    required: int,
) -> tuple[Outcome, ExampleChange]:
    """What the annotations so far decide (the example is locked and was undecided)."""
    count = len(annotations)
    if example.is_gold:
        return Outcome.GOLD_RECORDED, ExampleChange(annotations_count=count, clear_lease=True)
    quality = combined_quality([a.scores() for a in annotations])
    decision = decide([a.approved for a in annotations], required)
    if decision is Decision.NEEDS_MORE:
        return Outcome.NEEDS_MORE_ANNOTATIONS, ExampleChange(
            review_status=ReviewStatus.PENDING,
            quality_score=quality,
            annotations_count=count,
            clear_lease=True,
        )
    if decision is Decision.DISAGREEMENT:
        return Outcome.NEEDS_ADJUDICATION, ExampleChange(
            review_status=ReviewStatus.IN_REVIEW,
            quality_score=quality,
            needs_adjudication=True,
            annotations_count=count,
            clear_lease=True,
        )
    approved = decision is Decision.APPROVED
    return Outcome(decision.value), ExampleChange(
        review_status=ReviewStatus.APPROVED if approved else ReviewStatus.REJECTED,
        quality_score=quality,
        expected_output=newest_correction(annotations, approved),
        annotations_count=count,
        decided=True,
        clear_lease=True,
    )


async def submit_annotation(
    store: AnnotationStore,
    audit: AuditSink,
    principal: Principal,
    example_id: UUID,
    data: AnnotationInput,
) -> Submitted:
    """Store the caller's annotation of an example they hold the lease on, and decide it when
    the org's `annotationsRequired` annotations agree. Refusals write nothing."""
    user = annotator(principal)
    validate_annotation(data)
    policy = policy_from_settings(await store.settings())
    locked = await store.lock_example(example_id)
    if locked is None:
        raise _not_found()
    example = locked.example
    _check_decidable(example)
    check_lease(locked, user)
    annotation = await store.add_annotation(example.id, user, data)
    if annotation is None:
        raise UserInputError.single(
            ("exampleId",), "you already annotated this example", ErrorCode.DUPLICATE
        )
    annotations = await store.annotations_of(example.id)
    outcome, change = outcome_of(example, annotations, policy.annotations_required)
    if example.assigned_to_user_id == user:
        change = replace(change, clear_assignment=True)  # the assignment is done
    updated = await store.change(example, change, user)
    if change.decided:
        await audit(
            principal,
            AuditEntry(
                f"example.{'approve' if outcome is Outcome.APPROVED else 'reject'}",
                "LearningExample",
                example.id,
                {
                    "annotations": len(annotations),
                    "required": policy.annotations_required,
                    "qualityScore": updated.quality_score,
                    "correctedOutput": change.expected_output is not None,
                },
            ),
        )
    return Submitted(annotation=annotation, example=updated, outcome=outcome)


def _check_texts(fields: Mapping[str, tuple[str | None, int]]) -> None:
    problems = [
        Problem((name,), f"at most {limit} characters", ErrorCode.TOO_LONG)
        for name, (value, limit) in fields.items()
        if value is not None and len(value) > limit
    ]
    if problems:
        raise UserInputError(problems)


async def adjudicate_example(
    store: AnnotationStore,
    audit: AuditSink,
    principal: Principal,
    example_id: UUID,
    approved: bool,
    notes: str | None,
    corrected_output: str | None,
) -> LearningExampleRecord:
    """A MANAGER decides an example whose annotations disagree.

    The expected output becomes `correctedOutput` when given, else the newest correction among
    the annotations that share the manager's verdict.
    """
    _check_texts({"notes": (notes, MAX_TEXT), "correctedOutput": (corrected_output, MAX_OUTPUT)})
    if corrected_output is not None and not corrected_output.strip():
        raise UserInputError.single(
            ("correctedOutput",), "leave it out rather than sending it empty", ErrorCode.INVALID
        )
    locked = await store.lock_example(example_id)
    if locked is None:
        raise _not_found()
    example = locked.example
    if not example.needs_adjudication:
        raise UserInputError.single(
            ("exampleId",),
            "only examples whose annotations disagree wait for adjudication",
            ErrorCode.INVALID_STATE,
        )
    annotations = await store.annotations_of(example.id)
    change = ExampleChange(
        review_status=ReviewStatus.APPROVED if approved else ReviewStatus.REJECTED,
        needs_adjudication=False,
        expected_output=corrected_output or newest_correction(annotations, approved),
        decided=True,
        clear_lease=True,
    )
    updated = await store.change(example, change, principal.user_id)
    await audit(
        principal,
        AuditEntry(
            "example.adjudicate",
            "LearningExample",
            example.id,
            {
                "verdict": change.review_status.value if change.review_status else None,
                "notes": notes,
                "annotations": [
                    {"annotator": str(a.annotator_user_id), "approved": a.approved}
                    for a in annotations
                ],
                "correctedOutput": change.expected_output is not None,
            },
        ),
    )
    return updated


# --- assignment, gold items, settings --------------------------------------------------------


async def assign_tasks(
    store: AnnotationStore,
    audit: AuditSink,
    principal: Principal,
    example_ids: Sequence[UUID],
    expert_id: UUID | None,
) -> list[LearningExampleRecord]:
    """Offer these examples only to `expert_id` (None: back to everyone)."""
    ids = list(dict.fromkeys(example_ids))
    if not ids:
        raise UserInputError.single(
            ("exampleIds",), "name at least one example", ErrorCode.REQUIRED
        )
    if len(ids) > MAX_ASSIGN:
        raise UserInputError.single(
            ("exampleIds",), f"at most {MAX_ASSIGN} examples at once", ErrorCode.LIMIT_EXCEEDED
        )
    if expert_id is not None:
        role = await store.member_role(expert_id)
        if role is None:
            raise UserInputError.single(
                ("expertId",), "no such member in this organisation", ErrorCode.NOT_FOUND
            )
        if not role.includes(Role.EXPERT):
            raise UserInputError.single(
                ("expertId",),
                f"annotators need role EXPERT or above; this member is {role.value}",
                ErrorCode.NOT_ALLOWED,
            )
    found = await store.lock_examples(ids)
    problems: list[Problem] = []
    for index, example_id in enumerate(example_ids):
        example = found.get(example_id)
        path = ("exampleIds", str(index))
        if example is None:
            problems.append(Problem(path, "no such learning example", ErrorCode.NOT_FOUND))
        elif example.needs_adjudication or (example.decided and not example.is_gold):
            problems.append(
                Problem(
                    path, "the example is no longer waiting for annotation", ErrorCode.INVALID_STATE
                )
            )
    if problems:
        raise UserInputError(problems)
    assigned = await store.assign(ids, expert_id)
    await audit(
        principal,
        AuditEntry(
            "annotation.assign" if expert_id else "annotation.unassign",
            "User" if expert_id else "LearningExample",
            expert_id,
            {"exampleIds": [str(i) for i in ids]},
        ),
    )
    return assigned


async def mark_gold(
    store: AnnotationStore,
    audit: AuditSink,
    principal: Principal,
    example_id: UUID,
    verdict: bool | None,
) -> LearningExampleRecord:
    """Make an example a gold item with a known verdict (None: an ordinary example again).

    A gold item stays in the queue for every expert once, keeps its own review status, and
    its annotations only measure the annotators. An undecided example being marked waits in the
    queue as PENDING; unmarking ends any lease on it.
    """
    locked = await store.lock_example(example_id)
    if locked is None:
        raise _not_found()
    example = locked.example
    if example.needs_adjudication:
        raise UserInputError.single(
            ("exampleId",),
            "adjudicate the example before using it as gold",
            ErrorCode.INVALID_STATE,
        )
    status = example.review_status
    if verdict is not None and status is ReviewStatus.IN_REVIEW:
        status = ReviewStatus.PENDING  # a gold item's lease lives in the lease columns only
    if verdict is None and example.is_gold and not example.decided:
        status = ReviewStatus.PENDING
    updated = await store.set_gold(example, verdict, status, clear_lease=verdict is None)
    await audit(
        principal,
        AuditEntry(
            "example.mark_gold" if verdict is not None else "example.unmark_gold",
            "LearningExample",
            example.id,
            {"verdict": None if verdict is None else ("APPROVED" if verdict else "REJECTED")},
        ),
    )
    return updated


def validate_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """validate_policy_update plus: routing signals must be feedback types or issue categories."""
    routing = values.get("routingPriorities")
    problems: list[Problem] = []
    if routing is not None:
        unknown = sorted(set(routing) - ROUTING_SIGNALS)
        if unknown:
            problems.append(
                Problem(
                    ("routingPriorities",),
                    f"unknown signals {unknown}; use feedback types or issue categories",
                    ErrorCode.INVALID,
                )
            )
    try:
        cleaned = validate_policy_update(values)
    except UserInputError as exc:
        problems.extend(exc.problems)
        cleaned = {}
    if problems:
        raise UserInputError(problems)
    if isinstance(cleaned.get("queueOrder"), QueueOrder):
        cleaned["queueOrder"] = cleaned["queueOrder"].value
    return cleaned


async def update_settings(
    store: AnnotationStore, audit: AuditSink, principal: Principal, values: Mapping[str, Any]
) -> QueuePolicy:
    """Change the org's queue policy (only the keys given); audited."""
    cleaned = validate_settings(values)
    if not cleaned:
        return policy_from_settings(await store.settings())
    stored = await store.update_settings(cleaned)
    await audit(
        principal, AuditEntry("annotation.settings", "Organization", principal.org_id, cleaned)
    )
    return policy_from_settings(stored)
