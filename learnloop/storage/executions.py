"""Execution rows: lookups by id and by caller keys, stubs, and idempotent recording."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import Text, Uuid, bindparam, column, func, literal_column, select, true
from sqlalchemy.dialects.postgresql import ARRAY, insert

from learnloop.domain.agents import AgentDefaults, AgentRecord
from learnloop.domain.executions import (
    ExampleContext,
    ExecutionRecord,
    ExecutionRef,
    NewExecution,
    Recorded,
)
from learnloop.storage import agents, learning_examples
from learnloop.storage.models import LearningExperiment
from learnloop.storage.pagination import ChildList
from learnloop.storage.rows import json_object, to_record
from learnloop.storage.tables import AGENTS, EXECUTIONS
from learnloop.storage.unit_of_work import UnitOfWork


def _record(r: Any) -> ExecutionRecord:
    return to_record(
        ExecutionRecord,
        r,
        metadata=json_object(r.metadata),
    )


BY_AGENT = ChildList(EXECUTIONS, "agent_id", _record)


async def by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> Mapping[UUID, ExecutionRecord]:
    rows = await uow.all(select(EXECUTIONS).where(EXECUTIONS.c.id.in_(ids)))
    return {r.id: _record(r) for r in rows}


def _wanted(refs: Sequence[ExecutionRef]) -> Any:
    """The named (agent key, execution key) pairs as a derived table `w`."""
    wanted = func.unnest(
        bindparam("agent_keys", [r.agent_key for r in refs], type_=ARRAY(Text())),
        bindparam("execution_keys", [r.execution_key for r in refs], type_=ARRAY(Text())),
    ).table_valued(column("agent_key", Text()), column("execution_key", Text()))
    return wanted.render_derived(name="w")


async def by_refs(
    uow: UnitOfWork, refs: Sequence[ExecutionRef]
) -> dict[ExecutionRef, ExecutionRecord]:
    """Executions named by (agent key, execution key), in one statement."""
    w = _wanted(refs)
    stmt = (
        select(w.c.agent_key, EXECUTIONS)
        .select_from(w)
        .join(AGENTS, AGENTS.c.key == w.c.agent_key)
        .join(
            EXECUTIONS,
            (EXECUTIONS.c.agent_id == AGENTS.c.id) & (EXECUTIONS.c.key == w.c.execution_key),
        )
    )
    rows = await uow.all(stmt)
    return {ExecutionRef(r.agent_key, r.key): _record(r) for r in rows}


async def _with_agents(
    uow: UnitOfWork, refs: Sequence[ExecutionRef]
) -> tuple[dict[ExecutionRef, ExecutionRecord], dict[str, UUID]]:
    """by_refs(), plus the ids of the named agents that exist, in the same statement."""
    w = _wanted(refs)
    stmt = (
        select(w.c.agent_key, AGENTS.c.id.label("known_agent_id"), EXECUTIONS)
        .select_from(w)
        .join(AGENTS, AGENTS.c.key == w.c.agent_key)
        .outerjoin(
            EXECUTIONS,
            (EXECUTIONS.c.agent_id == AGENTS.c.id) & (EXECUTIONS.c.key == w.c.execution_key),
        )
    )
    rows = await uow.all(stmt)
    found = {ExecutionRef(r.agent_key, r.key): _record(r) for r in rows if r.id is not None}
    return found, {r.agent_key: r.known_agent_id for r in rows}


async def resolve(
    uow: UnitOfWork, refs: Sequence[ExecutionRef]
) -> dict[ExecutionRef, ExecutionRecord]:
    """Every execution named, creating missing agents and stub executions (concurrency-safe).

    One statement when all exist and none is a stub (it also returns the named agents' ids);
    otherwise missing agents are ensured, stubs inserted with ON CONFLICT DO NOTHING in a fixed
    order, and a fresh lookup sees concurrent creations.
    """
    found, agent_ids = await _with_agents(uow, refs)
    missing = [r for r in refs if r not in found]
    if not missing:
        return await _hold_stubs(uow, found)
    assert uow.org_id is not None
    unknown = [r.agent_key for r in missing if r.agent_key not in agent_ids]
    if unknown:
        agent_ids.update(await agents.ensure(uow, unknown))
    rows = sorted({(agent_ids[r.agent_key], r.execution_key) for r in missing})
    created = await uow.all(
        _insert_stubs(),
        {"org_id": uow.org_id, "agent_ids": [a for a, _ in rows], "keys": [k for _, k in rows]},
    )
    # The rows we inserted come back whole; only those a concurrent request created need a
    # fresh lookup (its snapshot sees them once their inserter committed).
    key_of = {agent_id: key for key, agent_id in agent_ids.items()}
    for r in created:
        found[ExecutionRef(key_of[r.agent_id], r.key)] = _record(r)
    raced = [r for r in missing if r not in found]
    if raced:
        found.update(await by_refs(uow, raced))
    return await _hold_stubs(uow, found, {r.id for r in created})


@cache
def _insert_stubs() -> Any:
    """Stub rows from two parallel arrays: one SQL text for any batch size (compiled once).

    A stub reports no labels, so it takes its agent's defaults (domain.executions
    .with_agent_defaults with nothing reported).
    """
    pairs = func.unnest(
        bindparam("agent_ids", type_=ARRAY(Uuid())), bindparam("keys", type_=ARRAY(Text()))
    ).table_valued(column("agent_id", Uuid()), column("key", Text()))
    p = pairs.render_derived(name="p")
    return (
        insert(EXECUTIONS)
        .from_select(
            ["org_id", "agent_id", "key", "is_stub", "domain", "task_type"],
            select(
                bindparam("org_id", type_=Uuid()),
                p.c.agent_id,
                p.c.key,
                true(),
                AGENTS.c.default_domain,
                AGENTS.c.default_task_type,
            )
            .select_from(p.join(AGENTS, AGENTS.c.id == p.c.agent_id))
            .order_by(p.c.agent_id, p.c.key),
        )
        .on_conflict_do_nothing(index_elements=["org_id", "agent_id", "key"])
        .returning(*EXECUTIONS.c)
    )


async def _hold_stubs(
    uow: UnitOfWork, found: dict[ExecutionRef, ExecutionRecord], ours: set[UUID] | None = None
) -> dict[ExecutionRef, ExecutionRecord]:
    """Share-lock stubs until commit, re-reading them: a concurrent recordExecution either
    filled them already (we see the input) or waits for us (and then fills our examples).
    Stubs this transaction created need no lock: a recorder waits on our insert anyway."""
    mine = ours or set()
    stubs = {ref: r.id for ref, r in found.items() if r.is_stub and r.id not in mine}
    if stubs:
        rows = await uow.all(
            select(EXECUTIONS)
            .where(EXECUTIONS.c.id.in_(list(stubs.values())))
            .with_for_update(read=True)
        )
        by_id = {r.id: _record(r) for r in rows}
        found.update({ref: by_id[row_id] for ref, row_id in stubs.items()})
    return found


async def record(
    uow: UnitOfWork, new: NewExecution, agent_id: UUID
) -> tuple[ExecutionRecord, Recorded]:
    """Insert; or fill a stub in place (same id); an execution already reported stays as it was."""
    assert uow.org_id is not None
    values = {
        "input": new.input,
        "output": new.output,
        "metadata": new.metadata,
        "experiment_id": new.experiment_id,
        "unit_id": new.unit_id,
        "variant": new.variant,
        "domain": new.domain,
        "task_type": new.task_type,
        "is_stub": False,
    }
    stmt = insert(EXECUTIONS).values(
        org_id=uow.org_id, agent_id=agent_id, key=new.ref.execution_key, **values
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=["org_id", "agent_id", "key"],
        set_={**{k: stmt.excluded[k] for k in values}, "updated_at": func.now()},
        where=EXECUTIONS.c.is_stub,
    ).returning(*EXECUTIONS.c, (literal_column("xmax") == literal_column("0")).label("inserted"))
    row = await uow.first(upsert)
    if row is not None:
        return _record(row), Recorded.CREATED if row.inserted else Recorded.FILLED_STUB
    existing = await uow.first(
        select(EXECUTIONS).where(
            EXECUTIONS.c.agent_id == agent_id, EXECUTIONS.c.key == new.ref.execution_key
        )
    )
    return _record(existing), Recorded.EXISTING


async def record_many(
    uow: UnitOfWork, executions: Sequence[NewExecution], agent_ids: Mapping[str, UUID]
) -> dict[ExecutionRef, tuple[ExecutionRecord, Recorded]]:
    """record() for distinct executions: one upsert (rows in key order, so concurrent batches
    never deadlock) and one lookup for those already reported."""
    assert uow.org_id is not None
    ordered = sorted(executions, key=lambda e: (agent_ids[e.ref.agent_key], e.ref.execution_key))
    if not ordered:
        return {}
    rows = [
        {
            "org_id": uow.org_id,
            "agent_id": agent_ids[e.ref.agent_key],
            "key": e.ref.execution_key,
            "input": e.input,
            "output": e.output,
            "metadata": e.metadata,
            "experiment_id": e.experiment_id,
            "domain": e.domain,
            "task_type": e.task_type,
            "is_stub": False,
        }
        for e in ordered
    ]
    stmt = insert(EXECUTIONS).values(rows)
    changed = ["input", "output", "metadata", "experiment_id", "domain", "task_type", "is_stub"]
    upsert = stmt.on_conflict_do_update(
        index_elements=["org_id", "agent_id", "key"],
        set_={**{k: stmt.excluded[k] for k in changed}, "updated_at": func.now()},
        where=EXECUTIONS.c.is_stub,
    ).returning(*EXECUTIONS.c, (literal_column("xmax") == literal_column("0")).label("inserted"))
    key_of = {agent_id: key for key, agent_id in agent_ids.items()}
    found: dict[ExecutionRef, tuple[ExecutionRecord, Recorded]] = {}
    for r in await uow.all(upsert):
        outcome = Recorded.CREATED if r.inserted else Recorded.FILLED_STUB
        found[ExecutionRef(key_of[r.agent_id], r.key)] = (_record(r), outcome)
    rest = [e.ref for e in ordered if e.ref not in found]
    if rest:
        for ref, record in (await by_refs(uow, rest)).items():
            found[ref] = (record, Recorded.EXISTING)
    return found


async def experiments_existing(uow: UnitOfWork, experiment_ids: set[UUID]) -> set[UUID]:
    t = LearningExperiment.__table__
    rows = await uow.all(select(t.c.id).where(t.c.id.in_(list(experiment_ids))))
    return {r.id for r in rows}


async def experiment_exists(uow: UnitOfWork, experiment_id: UUID) -> bool:
    found = await uow.scalar(
        select(true()).where(LearningExperiment.__table__.c.id == experiment_id)
    )
    return bool(found)


class ExecutionRepository:
    """ExecutionStore for the domain, bound to one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def resolve(self, refs: Sequence[ExecutionRef]) -> Mapping[ExecutionRef, ExecutionRecord]:
        return await resolve(self.uow, refs)

    async def agent(self, key: str) -> AgentRecord:
        return await agents.ensure_one(self.uow, key)

    async def record(
        self, execution: NewExecution, agent_id: UUID
    ) -> tuple[ExecutionRecord, Recorded]:
        return await record(self.uow, execution, agent_id)

    async def set_agent_defaults(self, defaults: AgentDefaults) -> AgentRecord:
        return await agents.set_defaults(self.uow, defaults)

    async def experiment_exists(self, experiment_id: UUID) -> bool:
        return await experiment_exists(self.uow, experiment_id)

    async def experiments_existing(self, experiment_ids: set[UUID]) -> set[UUID]:
        return await experiments_existing(self.uow, experiment_ids)

    async def agents(self, keys: Sequence[str]) -> Mapping[str, AgentRecord]:
        await agents.ensure(self.uow, keys)
        return await agents.by_keys(self.uow, keys)

    async def record_many(
        self, executions: Sequence[NewExecution], agent_ids: Mapping[str, UUID]
    ) -> Mapping[ExecutionRef, tuple[ExecutionRecord, Recorded]]:
        return await record_many(self.uow, executions, agent_ids)

    async def complete_examples(self, execution_id: UUID, context: ExampleContext) -> int:
        return await learning_examples.complete_from_execution(self.uow, execution_id, context)
