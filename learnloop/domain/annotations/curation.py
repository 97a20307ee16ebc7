"""Assignment, gold items and the org queue settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from learnloop.domain.annotations.claims import _not_found
from learnloop.domain.annotations.queue import (
    QueueOrder,
    QueuePolicy,
    policy_from_settings,
    validate_policy_update,
)
from learnloop.domain.annotations.records import MAX_ASSIGN, ROUTING_SIGNALS, AnnotationStore
from learnloop.domain.audit import AuditEntry, AuditSink
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.learning_examples import LearningExampleRecord, ReviewStatus
from learnloop.domain.principal import Principal
from learnloop.domain.roles import Role

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
