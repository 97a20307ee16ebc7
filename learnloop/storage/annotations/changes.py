"""Locked changes of examples: annotations, decisions, release, assignment, gold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    case,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from learnloop.domain.annotations.expert_annotations import ExpertAnnotationRecord
from learnloop.domain.annotations.records import ExampleChange, Locked
from learnloop.domain.annotations.rules import AnnotationInput
from learnloop.domain.learning_examples import (
    LearningExampleRecord,
    ReviewStatus,
)
from learnloop.domain.roles import Role
from learnloop.storage import learning_examples
from learnloop.storage.annotations import expert_annotations
from learnloop.storage.annotations.tables import _E, _H, _M, _T, PENDING
from learnloop.storage.unit_of_work import UnitOfWork

# --- locked changes --------------------------------------------------------------------------


async def lock_example(uow: UnitOfWork, example_id: UUID) -> Locked | None:
    row = await uow.first(
        select(_T, func.now().label("db_now")).where(_T.c.id == example_id).with_for_update(of=_T)
    )
    return Locked(learning_examples.record(row), row.db_now) if row is not None else None


async def lock_examples(uow: UnitOfWork, ids: Sequence[UUID]) -> dict[UUID, LearningExampleRecord]:
    """In id order, so two managers assigning overlapping sets never deadlock."""
    rows = await uow.all(select(_T).where(_T.c.id.in_(ids)).order_by(_T.c.id).with_for_update())
    return {r.id: learning_examples.record(r) for r in rows}


async def add_annotation(
    uow: UnitOfWork, example_id: UUID, user_id: UUID, data: AnnotationInput
) -> ExpertAnnotationRecord | None:
    row = await uow.first(
        insert(_E)
        .values(
            org_id=uow.org_id,
            example_id=example_id,
            annotator_user_id=user_id,
            approved=data.approved,
            technical_accuracy=data.technical_accuracy,
            professional_quality=data.professional_quality,
            completeness=data.completeness,
            clarity=data.clarity,
            corrected_output=data.corrected_output,
            notes=data.notes,
            improvement_suggestions=data.improvement_suggestions,
        )
        .on_conflict_do_nothing(index_elements=["example_id", "annotator_user_id"])
        .returning(*_E.c)
    )
    return expert_annotations.record(row) if row is not None else None


async def annotations_of(uow: UnitOfWork, example_id: UUID) -> list[ExpertAnnotationRecord]:
    rows = await uow.all(
        select(_E).where(_E.c.example_id == example_id).order_by(_E.c.created_at, _E.c.id)
    )
    return [expert_annotations.record(r) for r in rows]


async def change(
    uow: UnitOfWork, example: LearningExampleRecord, c: ExampleChange, by_user: UUID | None
) -> LearningExampleRecord:
    """Apply a decision's change; a replaced expected output is kept in example_history."""
    values: dict[str, Any] = {"updated_at": func.now()}
    if c.review_status is not None:
        values["review_status"] = c.review_status.value
    if c.quality_score is not None:
        values["quality_score"] = c.quality_score
    if c.needs_adjudication is not None:
        values["needs_adjudication"] = c.needs_adjudication
    if c.annotations_count is not None:
        values["annotations_count"] = c.annotations_count
    if c.decided:
        values["decided_at"] = func.now()
    if c.clear_lease:
        values.update(lease_holder_user_id=None, lease_expires_at=None)
    if c.clear_assignment:
        values["assigned_to_user_id"] = None
    if c.expected_output is not None and c.expected_output != example.expected_output:
        await uow.execute(
            insert(_H).values(
                org_id=uow.org_id,
                example_id=example.id,
                field="expected_output",
                previous_value=example.expected_output,
                changed_by_user_id=by_user,
            )
        )
        values["expected_output"] = c.expected_output
    row = await uow.first(update(_T).where(_T.c.id == example.id).values(**values).returning(*_T.c))
    return learning_examples.record(row)


async def release(uow: UnitOfWork, example: LearningExampleRecord) -> LearningExampleRecord:
    row = await uow.first(
        update(_T)
        .where(_T.c.id == example.id)
        .values(
            review_status=case((_T.c.is_gold, _T.c.review_status), else_=PENDING),
            lease_holder_user_id=None,
            lease_expires_at=None,
            updated_at=func.now(),
        )
        .returning(*_T.c)
    )
    return learning_examples.record(row)


async def assign(
    uow: UnitOfWork, ids: Sequence[UUID], user_id: UUID | None
) -> list[LearningExampleRecord]:
    rows = await uow.all(
        update(_T)
        .where(_T.c.id.in_(ids))
        .values(assigned_to_user_id=user_id, updated_at=func.now())
        .returning(*_T.c)
    )
    by_id = {r.id: learning_examples.record(r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


async def set_gold(
    uow: UnitOfWork,
    example: LearningExampleRecord,
    verdict: bool | None,
    review_status: ReviewStatus,
    clear_lease: bool,
) -> LearningExampleRecord:
    values: dict[str, Any] = {
        "is_gold": verdict is not None,
        "gold_verdict": verdict,
        "review_status": review_status.value,
        "updated_at": func.now(),
    }
    if clear_lease:
        values.update(lease_holder_user_id=None, lease_expires_at=None)
    row = await uow.first(update(_T).where(_T.c.id == example.id).values(**values).returning(*_T.c))
    return learning_examples.record(row)


async def member_role(uow: UnitOfWork, user_id: UUID) -> Role | None:
    found = await uow.scalar(select(_M.c.role).where(_M.c.user_id == user_id))
    return Role(found) if found else None
