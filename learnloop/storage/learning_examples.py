"""Learning example rows: creation with provenance, lookups, filtered keyset listings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Select, distinct, func, insert, select, true, update

from learnloop.domain.executions import ExampleContext
from learnloop.domain.learning_examples import (
    DomainsInUse,
    ExampleFilter,
    ExampleOrder,
    ExampleType,
    LearningExampleRecord,
    NewLearningExample,
    ReviewStatus,
    RoutingFacts,
)
from learnloop.domain.pagination import Page, PageRequest
from learnloop.storage import agents
from learnloop.storage.pagination import ChildList, count, keyset_page
from learnloop.storage.rows import json_object, to_record
from learnloop.storage.tables import AGENTS, EXAMPLES, FEEDBACK, ORGANIZATIONS
from learnloop.storage.unit_of_work import UnitOfWork


def _record(r: Any) -> LearningExampleRecord:
    return to_record(
        LearningExampleRecord,
        r,
        example_type=ExampleType(r.example_type),
        metadata=json_object(r.metadata),
        review_status=ReviewStatus(r.review_status),
    )


BY_AGENT = ChildList(EXAMPLES, "agent_id", _record)
record = _record  # for the annotation workflow's storage


EXAMPLE_COLUMNS = (
    "agent_id",
    "execution_id",
    "author_user_id",
    "author_key",
    "example_type",
    "domain",
    "task_type",
    "input_text",
    "expected_output",
    "original_output",
    "metadata",
    "priority",
)


def columns_of(example: NewLearningExample) -> dict[str, Any]:
    """The row an example becomes (used by createLearningExample and by corrections)."""
    values = {
        "agent_id": example.agent_id,
        "execution_id": example.execution_id,
        "author_user_id": example.author_user_id,
        "author_key": example.author_key,
        "example_type": example.example_type.value,
        "domain": example.domain,
        "task_type": example.task_type,
        "input_text": example.input_text,
        "expected_output": example.expected_output,
        "original_output": example.original_output,
        "metadata": example.metadata,
        "priority": example.priority,
    }
    assert tuple(values) == EXAMPLE_COLUMNS
    return values


async def create(uow: UnitOfWork, example: NewLearningExample) -> LearningExampleRecord:
    row = await uow.first(
        insert(EXAMPLES).values(org_id=uow.org_id, **columns_of(example)).returning(*EXAMPLES.c)
    )
    return _record(row)


async def by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> Mapping[UUID, LearningExampleRecord]:
    rows = await uow.all(select(EXAMPLES).where(EXAMPLES.c.id.in_(ids)))
    return {r.id: _record(r) for r in rows}


async def by_source_feedback_ids(
    uow: UnitOfWork, feedback_ids: Sequence[UUID]
) -> Mapping[UUID, LearningExampleRecord]:
    rows = await uow.all(select(EXAMPLES).where(EXAMPLES.c.source_feedback_id.in_(feedback_ids)))
    return {r.source_feedback_id: _record(r) for r in rows}


async def complete_from_execution(
    uow: UnitOfWork, execution_id: UUID, context: ExampleContext
) -> int:
    """Examples from feedback on a stub had no input yet: give them the execution's context.

    A label the reported execution carries replaces the stub's (its agent's defaults).
    """
    result = await uow.execute(
        update(EXAMPLES)
        .where(
            EXAMPLES.c.execution_id == execution_id,
            EXAMPLES.c.source_feedback_id.is_not(None),
            EXAMPLES.c.input_text == "",
        )
        .values(
            input_text=context.input_text,
            original_output=context.original_output,
            domain=func.coalesce(context.domain, EXAMPLES.c.domain),
            task_type=func.coalesce(context.task_type, EXAMPLES.c.task_type),
            updated_at=func.now(),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def routing_facts(uow: UnitOfWork, execution_ids: Sequence[UUID]) -> RoutingFacts:
    """The org's settings and each execution's feedback signals (types, categories), one statement."""
    signal = (
        func.unnest(func.array_append(FEEDBACK.c.issue_categories, FEEDBACK.c.feedback_type))
        .table_valued("signal")
        .render_derived("s")
    )
    signals = (
        select(FEEDBACK.c.execution_id, func.array_agg(distinct(signal.c.signal)).label("signals"))
        .select_from(FEEDBACK)
        .join(signal, true())
        .where(FEEDBACK.c.execution_id.in_(execution_ids))
        .group_by(FEEDBACK.c.execution_id)
        .subquery("f")
    )
    rows = await uow.all(
        select(ORGANIZATIONS.c.settings, signals.c.execution_id, signals.c.signals)
        .select_from(ORGANIZATIONS)
        .outerjoin(signals, true())
        .where(ORGANIZATIONS.c.id == uow.org_id)
    )
    settings = dict(rows[0].settings or {}) if rows else {}
    found = {r.execution_id: frozenset(r.signals) for r in rows if r.execution_id is not None}
    return RoutingFacts(settings=settings, execution_signals=found)


DOMAIN_SAMPLE = 20


async def domains_in_use(uow: UnitOfWork, named: Sequence[str]) -> DomainsInUse:
    """Which named domains some example has, and the first DOMAIN_SAMPLE domains by name.

    Both read ix_learning_examples_org_id_domain; only asked when a filter found nothing.
    """
    present = await uow.all(
        select(EXAMPLES.c.domain).where(EXAMPLES.c.domain.in_(list(named))).distinct()
    )
    sample = await uow.all(
        select(EXAMPLES.c.domain)
        .where(EXAMPLES.c.domain.is_not(None))
        .group_by(EXAMPLES.c.domain)
        .order_by(EXAMPLES.c.domain)
        .limit(DOMAIN_SAMPLE)
    )
    return DomainsInUse(
        present=frozenset(r[0] for r in present), sample=tuple(r[0] for r in sample)
    )


def _listing(f: ExampleFilter) -> Select[Any]:
    stmt = select(EXAMPLES)
    if f.agent_key is not None:
        agent_id = select(AGENTS.c.id).where(AGENTS.c.key == f.agent_key).scalar_subquery()
        stmt = stmt.where(EXAMPLES.c.agent_id == agent_id)
    if f.example_types:
        stmt = stmt.where(EXAMPLES.c.example_type.in_([t.value for t in f.example_types]))
    if f.review_statuses:
        stmt = stmt.where(EXAMPLES.c.review_status.in_([s.value for s in f.review_statuses]))
    if f.domain is not None:
        stmt = stmt.where(EXAMPLES.c.domain == f.domain)
    if f.task_type is not None:
        stmt = stmt.where(EXAMPLES.c.task_type == f.task_type)
    if f.from_feedback is not None:
        source = EXAMPLES.c.source_feedback_id
        stmt = stmt.where(source.is_not(None) if f.from_feedback else source.is_(None))
    return stmt


async def page(
    uow: UnitOfWork, f: ExampleFilter, order: ExampleOrder, request: PageRequest
) -> Page:
    return await keyset_page(
        uow,
        _listing(f),
        [EXAMPLES.c.created_at, EXAMPLES.c.id],
        request,
        descending=order is ExampleOrder.CREATED_AT_DESC,
        convert=_record,
    )


async def total(uow: UnitOfWork, f: ExampleFilter) -> int:
    return await count(uow, _listing(f))


class LearningExampleRepository:
    """LearningExampleStore for the domain, bound to one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def create(self, example: NewLearningExample) -> LearningExampleRecord:
        return await create(self.uow, example)

    async def agent_ids(self, keys: Sequence[str]) -> Mapping[str, UUID]:
        return await agents.ensure(self.uow, keys)

    async def routing_facts(self, execution_ids: Sequence[UUID]) -> RoutingFacts:
        return await routing_facts(self.uow, execution_ids)
