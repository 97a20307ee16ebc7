"""The annotation workflow in SQL: the claim, leases, annotations, decisions, the queue listing.

The queue is a row state of learning_examples, not a table of its own: its rows are the open
ones, `review_status IN ('PENDING', 'IN_REVIEW') OR is_gold` (the predicate of the queue
indexes, migration 0005), and every queue statement states that predicate verbatim. Status
constants are SQL literals, not parameters, so a prepared (generic) plan can still prove the
partial indexes' predicates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

from sqlalchemy import (
    Select,
    Table,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.sql.elements import ColumnElement

from learnloop.domain.annotation_queue import (
    NEGATIVE_FEEDBACK_TYPES,
    NEGATIVE_MAX_RATING,
    QueueOrder,
    QueuePolicy,
)
from learnloop.domain.annotation_rules import AnnotationInput
from learnloop.domain.annotation_tasks import ClaimFilter, ExampleChange, Locked, QueueFilter
from learnloop.domain.expert_annotations import ExpertAnnotationRecord
from learnloop.domain.learning_examples import (
    ExampleHistoryRecord,
    LearningExampleRecord,
    ReviewStatus,
)
from learnloop.domain.pagination import InvalidPageRequest, Page, PageRequest, encode_cursor
from learnloop.domain.roles import Role
from learnloop.storage import expert_annotations, learning_examples
from learnloop.storage.models import (
    Agent,
    AgentFeedback,
    ExampleHistory,
    ExpertAnnotation,
    LearningExample,
    Membership,
    Organization,
)
from learnloop.storage.pagination import ChildList, count
from learnloop.storage.unit_of_work import UnitOfWork

_T = cast(Table, LearningExample.__table__)
_E = cast(Table, ExpertAnnotation.__table__)
_F = cast(Table, AgentFeedback.__table__)
_H = cast(Table, ExampleHistory.__table__)
_A = cast(Table, Agent.__table__)
_M = cast(Table, Membership.__table__)
_O = cast(Table, Organization.__table__)

PENDING: ColumnElement[str] = literal_column("'PENDING'")
IN_REVIEW: ColumnElement[str] = literal_column("'IN_REVIEW'")
# Namespace of the per-annotator advisory lock that serialises one expert's claims.
CLAIM_LOCK_CLASS = 3004
_LOCK_ANNOTATOR = text("SELECT pg_advisory_xact_lock(:cls, hashtext(:key))")


def _history_record(r: Any) -> ExampleHistoryRecord:
    return ExampleHistoryRecord(
        id=r.id,
        example_id=r.example_id,
        field=r.field,
        previous_value=r.previous_value,
        changed_by_user_id=r.changed_by_user_id,
        created_at=r.created_at,
    )


HISTORY_BY_EXAMPLE = ChildList(_H, "example_id", _history_record)


async def history_by_ids(
    uow: UnitOfWork, ids: Sequence[UUID]
) -> Mapping[UUID, ExampleHistoryRecord]:
    rows = await uow.all(select(_H).where(_H.c.id.in_(ids)))
    return {r.id: _history_record(r) for r in rows}


# --- queue conditions ------------------------------------------------------------------------


def open_rows(t: Any) -> ColumnElement[bool]:
    """The queue indexes' predicate, verbatim."""
    return or_(t.c.review_status.in_([PENDING, IN_REVIEW]), t.c.is_gold)


def claimable(t: Any) -> ColumnElement[bool]:
    """What a claim may hand out: PENDING work, and gold items (their lease is checked apart)."""
    return or_(t.c.review_status == PENDING, t.c.is_gold)


def _leased(t: Any) -> ColumnElement[bool]:
    return and_(t.c.lease_holder_user_id.is_not(None), t.c.lease_expires_at > func.now())


def awaiting_annotation(t: Any) -> ColumnElement[bool]:
    """Work waiting for an annotator (not gold): PENDING, or IN_REVIEW with an expired lease."""
    return and_(
        not_(t.c.is_gold),
        or_(
            t.c.review_status == PENDING,
            and_(
                t.c.review_status == IN_REVIEW,
                not_(t.c.needs_adjudication),
                t.c.lease_expires_at <= func.now(),
            ),
        ),
    )


def in_review(t: Any) -> ColumnElement[bool]:
    """Work an annotator holds a live lease on (not gold)."""
    return and_(
        not_(t.c.is_gold),
        t.c.review_status == IN_REVIEW,
        not_(t.c.needs_adjudication),
        t.c.lease_expires_at > func.now(),
    )


def _status_condition(t: Any, status: ReviewStatus | None) -> ColumnElement[bool]:
    """Queue state: gold items are PENDING/IN_REVIEW by their lease, whatever their own status."""
    gold = t.c.is_gold
    if status is ReviewStatus.PENDING:
        return or_(awaiting_annotation(t), and_(gold, not_(_leased(t))))
    if status is ReviewStatus.IN_REVIEW:
        return or_(in_review(t), and_(gold, _leased(t)))
    if status is not None:
        return and_(not_(gold), t.c.review_status == literal_column(f"'{status.value}'"))
    return or_(
        gold, and_(t.c.review_status.in_([PENDING, IN_REVIEW]), not_(t.c.needs_adjudication))
    )


def _agent(key: str) -> Any:
    return select(_A.c.id).where(_A.c.key == key).scalar_subquery()


def _scope(t: Any, domain: str | None, agent_key: str | None) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if domain is not None:
        found.append(t.c.domain == domain)
    if agent_key is not None:
        found.append(t.c.agent_id == _agent(agent_key))
    return found


def queue_conditions(t: Any, f: QueueFilter) -> list[ColumnElement[bool]]:
    found = _scope(t, f.domain, f.agent_key)
    if f.needs_adjudication:
        found.append(t.c.needs_adjudication)
    else:
        found.append(_status_condition(t, f.status))
        if f.status in (None, ReviewStatus.PENDING, ReviewStatus.IN_REVIEW):
            found.append(open_rows(t))
    if f.assigned_to is not None:
        found.append(t.c.assigned_to_user_id == f.assigned_to)
    return found


# --- queue order and keyset pages ------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    """One column of a queue order; only NULLS FIRST keys may be NULL."""

    expr: ColumnElement[Any]
    descending: bool
    kind: type
    nulls_first: bool = False

    def ordered(self) -> Any:
        ordered = self.expr.desc() if self.descending else self.expr.asc()
        return ordered.nulls_first() if self.nulls_first else ordered


def negativity(t: Any) -> ColumnElement[int]:
    """Negative feedback on the example's execution (MOST_NEGATIVE_FIRST)."""
    return (
        select(func.count())
        .select_from(_F)
        .where(
            _F.c.execution_id == t.c.execution_id,
            or_(
                _F.c.feedback_type.in_([literal_column(f"'{v}'") for v in NEGATIVE_FEEDBACK_TYPES]),
                _F.c.rating <= NEGATIVE_MAX_RATING,
            ),
        )
        .scalar_subquery()
    )


def sort_keys(t: Any, order: QueueOrder) -> list[SortKey]:
    """The queue order ending with the unique id; matches the claim indexes' column order."""
    tail = [
        SortKey(t.c.priority, True, int),
        SortKey(t.c.created_at, False, datetime),
        SortKey(t.c.id, False, UUID),
    ]
    if order is QueueOrder.LOWEST_QUALITY_FIRST:
        return [SortKey(t.c.quality_score, False, float, nulls_first=True), *tail]
    if order is QueueOrder.MOST_NEGATIVE_FIRST:
        return [SortKey(negativity(t), True, int), *tail]
    return tail


def _beyond(key: SortKey, value: Any) -> ColumnElement[bool]:
    """Rows after `value` in this key alone (nullable keys sort NULLS FIRST)."""
    if value is None:
        return key.expr.is_not(None) if key.nulls_first else false()
    after: ColumnElement[bool] = key.expr < value if key.descending else key.expr > value
    return after


def _equal(key: SortKey, value: Any) -> ColumnElement[bool]:
    return key.expr.is_(None) if value is None else key.expr == value


def after_cursor(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows after the cursor in a mixed-direction order (lexicographic, NULL-aware)."""
    return or_(
        *[
            and_(*[_equal(keys[j], values[j]) for j in range(i)], _beyond(keys[i], values[i]))
            for i in range(len(keys))
        ]
    )


def _decode(order: QueueOrder, keys: Sequence[SortKey], raw: Sequence[str]) -> list[Any]:
    if len(raw) != len(keys) + 1 or raw[0] != order.value:
        raise InvalidPageRequest("`after` is not a cursor of this queue order")
    values: list[Any] = []
    try:
        for key, text_value in zip(keys, raw[1:], strict=True):
            if text_value == "" and key.kind is float:
                values.append(None)
            elif key.kind is datetime:
                values.append(datetime.fromisoformat(text_value))
            else:
                values.append(key.kind(text_value))
    except ValueError:
        raise InvalidPageRequest("`after` is not a valid cursor for this list") from None
    return values


def _listing(f: QueueFilter) -> Select[Any]:
    return select(_T).where(*queue_conditions(_T, f))


async def queue_page(
    uow: UnitOfWork, f: QueueFilter, order: QueueOrder, request: PageRequest
) -> Page:
    keys = sort_keys(_T, order)
    stmt = select(_T, *[k.expr.label(f"sort_{i}") for i, k in enumerate(keys)]).where(
        *queue_conditions(_T, f)
    )
    if request.after is not None:
        stmt = stmt.where(after_cursor(keys, _decode(order, keys, request.after)))
    stmt = stmt.order_by(*[k.ordered() for k in keys]).limit(request.first + 1)
    rows = list(await uow.all(stmt))
    has_next = len(rows) > request.first
    rows = rows[: request.first]

    def cursor(row: Any) -> str:
        values = [getattr(row, f"sort_{i}") for i in range(len(keys))]
        return encode_cursor([order.value, *["" if v is None else v for v in values]])

    return Page(
        items=[learning_examples.record(r) for r in rows],
        cursors=[cursor(r) for r in rows],
        has_next_page=has_next,
        has_previous_page=request.after is not None,
    )


async def queue_total(uow: UnitOfWork, f: QueueFilter) -> int:
    return await count(uow, select(_T.c.id).where(*queue_conditions(_T, f)))


# --- leases ----------------------------------------------------------------------------------


async def settings(uow: UnitOfWork) -> dict[str, Any]:
    found = await uow.scalar(select(_O.c.settings).where(_O.c.id == uow.org_id))
    return dict(found or {})


async def update_settings(uow: UnitOfWork, patch: Mapping[str, Any]) -> dict[str, Any]:
    found = await uow.scalar(
        update(_O)
        .where(_O.c.id == uow.org_id)
        .values(settings=_O.c.settings.op("||")(literal(dict(patch), JSONB)), updated_at=func.now())
        .returning(_O.c.settings)
    )
    return dict(found or {})


async def lock_annotator(uow: UnitOfWork, user_id: UUID) -> None:
    await uow.execute(_LOCK_ANNOTATOR, {"cls": CLAIM_LOCK_CLASS, "key": f"{uow.org_id}:{user_id}"})


async def return_expired_leases(uow: UnitOfWork) -> int:
    """Expired leases back to PENDING; rows another sweep is handling are skipped, not waited on."""
    expired = (
        select(_T.c.id)
        .where(_T.c.review_status == IN_REVIEW, _T.c.lease_expires_at <= func.now())
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = await uow.execute(
        update(_T)
        .where(_T.c.id.in_(expired))
        .values(
            review_status=PENDING,
            lease_holder_user_id=None,
            lease_expires_at=None,
            updated_at=func.now(),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def live_leases(uow: UnitOfWork, user_id: UUID) -> int:
    found = await uow.scalar(
        select(func.count()).where(
            _T.c.lease_holder_user_id == user_id, _T.c.lease_expires_at > func.now()
        )
    )
    return int(found or 0)


def _next_for(user_id: UUID, f: ClaimFilter, policy: QueuePolicy, assigned_only: bool) -> Any:
    q = _T.alias("q")
    annotated = exists().where(_E.c.example_id == q.c.id, _E.c.annotator_user_id == user_id)
    assignee = q.c.assigned_to_user_id
    stmt = (
        select(q.c.id)
        .where(
            open_rows(q),
            claimable(q),
            or_(not_(q.c.is_gold), not_(_leased(q))),
            not_(annotated),
            assignee == user_id if assigned_only else or_(assignee.is_(None), assignee == user_id),
            *_scope(q, f.domain, f.agent_key),
        )
        .order_by(*[k.ordered() for k in sort_keys(q, policy.order)])
        .limit(1)
        .with_for_update(of=q, skip_locked=True)
    )
    return stmt.scalar_subquery()


def claim_statement(user_id: UUID, f: ClaimFilter, policy: QueuePolicy) -> Any:
    """One UPDATE: the next example assigned to the caller, else the next unassigned one, each
    picked with FOR UPDATE SKIP LOCKED, leased to the caller. A gold item keeps its status."""
    # One scalar subquery around the COALESCE: the UPDATE then finds its row by `id = $param`
    # through the primary key (a bare COALESCE in the WHERE is not an index condition under
    # row-level security). COALESCE evaluates the second pick only when the first is NULL.
    pick = select(
        func.coalesce(
            _next_for(user_id, f, policy, assigned_only=True),
            _next_for(user_id, f, policy, assigned_only=False),
        )
    ).scalar_subquery()
    return (
        update(_T)
        .where(_T.c.id == pick)
        .values(
            review_status=case((_T.c.is_gold, _T.c.review_status), else_=IN_REVIEW),
            lease_holder_user_id=user_id,
            lease_expires_at=func.now() + timedelta(seconds=policy.lease_seconds),
            updated_at=func.now(),
        )
        .returning(*_T.c)
    )


async def claim(
    uow: UnitOfWork, user_id: UUID, f: ClaimFilter, policy: QueuePolicy
) -> LearningExampleRecord | None:
    row = await uow.first(claim_statement(user_id, f, policy))
    return learning_examples.record(row) if row is not None else None


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


class AnnotationRepository:
    """AnnotationStore for the domain, bound to one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def settings(self) -> Mapping[str, Any]:
        return await settings(self.uow)

    async def update_settings(self, patch: Mapping[str, Any]) -> Mapping[str, Any]:
        return await update_settings(self.uow, patch)

    async def lock_annotator(self, user_id: UUID) -> None:
        await lock_annotator(self.uow, user_id)

    async def return_expired_leases(self) -> int:
        return await return_expired_leases(self.uow)

    async def live_leases(self, user_id: UUID) -> int:
        return await live_leases(self.uow, user_id)

    async def claim(
        self, user_id: UUID, f: ClaimFilter, policy: QueuePolicy
    ) -> LearningExampleRecord | None:
        return await claim(self.uow, user_id, f, policy)

    async def lock_example(self, example_id: UUID) -> Locked | None:
        return await lock_example(self.uow, example_id)

    async def lock_examples(self, ids: Sequence[UUID]) -> Mapping[UUID, LearningExampleRecord]:
        return await lock_examples(self.uow, ids)

    async def add_annotation(
        self, example_id: UUID, user_id: UUID, data: AnnotationInput
    ) -> ExpertAnnotationRecord | None:
        return await add_annotation(self.uow, example_id, user_id, data)

    async def annotations_of(self, example_id: UUID) -> list[ExpertAnnotationRecord]:
        return await annotations_of(self.uow, example_id)

    async def change(
        self, example: LearningExampleRecord, change_: ExampleChange, by_user: UUID | None
    ) -> LearningExampleRecord:
        return await change(self.uow, example, change_, by_user)

    async def release(self, example: LearningExampleRecord) -> LearningExampleRecord:
        return await release(self.uow, example)

    async def assign(
        self, ids: Sequence[UUID], user_id: UUID | None
    ) -> list[LearningExampleRecord]:
        return await assign(self.uow, ids, user_id)

    async def set_gold(
        self,
        example: LearningExampleRecord,
        verdict: bool | None,
        review_status: ReviewStatus,
        clear_lease: bool,
    ) -> LearningExampleRecord:
        return await set_gold(self.uow, example, verdict, review_status, clear_lease)

    async def member_role(self, user_id: UUID) -> Role | None:
        return await member_role(self.uow, user_id)
