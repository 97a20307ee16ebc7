"""Agent rows: found by id or by the caller's key, created on first use by key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects.postgresql import insert

from learnloop.domain.agents import AgentDefaults, AgentRecord
from learnloop.domain.pagination import Page, PageRequest
from learnloop.storage.models import Agent
from learnloop.storage.pagination import count, keyset_page
from learnloop.storage.unit_of_work import UnitOfWork

_T = cast(Table, Agent.__table__)


def _record(r: Any) -> AgentRecord:
    return AgentRecord(
        id=r.id,
        key=r.key,
        name=r.name,
        description=r.description,
        created_at=r.created_at,
        updated_at=r.updated_at,
        default_domain=r.default_domain,
        default_task_type=r.default_task_type,
    )


async def by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> Mapping[UUID, AgentRecord]:
    rows = await uow.all(select(_T).where(_T.c.id.in_(ids)))
    return {r.id: _record(r) for r in rows}


async def by_keys(uow: UnitOfWork, keys: Sequence[str]) -> Mapping[str, AgentRecord]:
    rows = await uow.all(select(_T).where(_T.c.key.in_(keys)))
    return {r.key: _record(r) for r in rows}


async def ensure(uow: UnitOfWork, keys: Sequence[str]) -> dict[str, UUID]:
    """Ids of the agents with these keys, creating the missing ones.

    One SELECT when all exist. Otherwise INSERT ... ON CONFLICT DO NOTHING (in key order, so
    concurrent creators never deadlock; it waits for a concurrent creator to commit) and a
    second SELECT, whose fresh snapshot sees agents another request created meanwhile.
    """
    wanted = sorted(set(keys))
    found = {
        r.key: r.id for r in await uow.all(select(_T.c.key, _T.c.id).where(_T.c.key.in_(wanted)))
    }
    missing = [k for k in wanted if k not in found]
    if not missing:
        return found
    assert uow.org_id is not None
    created = await uow.all(
        insert(_T)
        .values([{"org_id": uow.org_id, "key": k} for k in missing])
        .on_conflict_do_nothing(index_elements=["org_id", "key"])
        .returning(_T.c.key, _T.c.id)
    )
    found.update({r.key: r.id for r in created})
    if len(found) < len(wanted):
        rest = [k for k in wanted if k not in found]
        rows = await uow.all(select(_T.c.key, _T.c.id).where(_T.c.key.in_(rest)))
        found.update({r.key: r.id for r in rows})
    return found


async def ensure_one(uow: UnitOfWork, key: str) -> AgentRecord:
    """The agent with this key, whole (one SELECT when it exists), created on first use."""
    row = await uow.first(select(_T).where(_T.c.key == key))
    if row is None:
        row = await uow.first(
            insert(_T)
            .values(org_id=uow.org_id, key=key)
            .on_conflict_do_nothing(index_elements=["org_id", "key"])
            .returning(*_T.c)
        )
    if row is None:
        # A concurrent request created it; ON CONFLICT waited for it to commit, so a fresh
        # statement sees it.
        row = await uow.first(select(_T).where(_T.c.key == key))
    return _record(row)


async def set_defaults(uow: UnitOfWork, defaults: AgentDefaults) -> AgentRecord:
    """Store an agent's default domain and task type (the agent is created on first use)."""
    await ensure(uow, [defaults.agent_key])
    row = await uow.first(
        update(_T)
        .where(_T.c.key == defaults.agent_key)
        .values(
            default_domain=defaults.domain,
            default_task_type=defaults.task_type,
            updated_at=func.now(),
        )
        .returning(*_T.c)
    )
    return _record(row)


async def page(uow: UnitOfWork, request: PageRequest) -> Page:
    return await keyset_page(uow, select(_T), [_T.c.created_at, _T.c.id], request, convert=_record)


async def total(uow: UnitOfWork) -> int:
    return await count(uow, select(_T.c.id))
