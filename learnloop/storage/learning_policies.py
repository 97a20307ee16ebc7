"""Learning policy rows: upsert per agent, lists, and the locked read the trigger uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Select, Uuid, and_, bindparam, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.domain.learning_policies import LearningPolicyRecord, PolicySettings
from learnloop.domain.training_runs import TrainingRunRecord, TrainingType
from learnloop.storage import agents, training_runs
from learnloop.storage.models import (
    Agent,
    DatasetExample,
    LearningExample,
    LearningPolicy,
    TrainingDataset,
)
from learnloop.storage.unit_of_work import UnitOfWork, unit_of_work

_T = LearningPolicy.__table__
_AGENTS = Agent.__table__
_L = LearningExample.__table__
_E = DatasetExample.__table__
_D = TrainingDataset.__table__
_DUE = text("SELECT policy_id, org_id FROM learnloop_due_learning_policies(:limit)")


def _record(r: Any) -> LearningPolicyRecord:
    return LearningPolicyRecord(
        id=r.id,
        org_id=r.org_id,
        agent_id=r.agent_id,
        agent_key=r.agent_key,
        training_type=TrainingType(r.training_type),
        min_new_approved_examples=r.min_new_approved_examples,
        config=dict(r.config or {}),
        auto_experiment=r.auto_experiment,
        treatment_percentage=r.treatment_percentage,
        enabled=r.enabled,
        period_seconds=r.period_seconds,
        last_run_id=r.last_run_id,
        last_dataset_id=r.last_dataset_id,
        last_triggered_at=r.last_triggered_at,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def _select() -> Select[Any]:
    return select(*_T.c, _AGENTS.c.key.label("agent_key")).select_from(
        _T.join(_AGENTS, _AGENTS.c.id == _T.c.agent_id)
    )


async def list_all(uow: UnitOfWork, agent_key: str | None = None) -> list[LearningPolicyRecord]:
    """The organisation's policies (one per agent), by agent id."""
    query = _select().order_by(_AGENTS.c.key)
    if agent_key is not None:
        query = query.where(_AGENTS.c.key == agent_key)
    return [_record(r) for r in await uow.all(query)]


async def get(
    uow: UnitOfWork, policy_id: UUID, *, for_update: bool = False
) -> LearningPolicyRecord | None:
    query = _select().where(_T.c.id == policy_id)
    if for_update:
        # Serialises triggers of one policy across API processes and workers.
        query = query.with_for_update(of=_T)
    row = await uow.first(query)
    return _record(row) if row else None


async def for_agent(uow: UnitOfWork, agent_id: UUID) -> LearningPolicyRecord | None:
    row = await uow.first(_select().where(_T.c.agent_id == agent_id))
    return _record(row) if row else None


async def enabled_ids(uow: UnitOfWork) -> list[UUID]:
    """Ids of enabled policies visible to this session (uses the partial index)."""
    return list((await uow.execute(select(_T.c.id).where(_T.c.enabled))).scalars())


class LearningPolicyRepository:
    """The LearningPolicyStore of domain/learning_policies.py over one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def ensure_agent(self, key: str) -> UUID:
        return (await agents.ensure(self.uow, [key]))[key]

    async def upsert(
        self, org_id: UUID, agent_id: UUID, settings: PolicySettings
    ) -> LearningPolicyRecord:
        values = {
            "training_type": settings.training_type.value,
            "min_new_approved_examples": settings.min_new_approved_examples,
            "config": settings.config,
            "auto_experiment": settings.auto_experiment,
            "treatment_percentage": settings.treatment_percentage,
            "enabled": settings.enabled,
            "period_seconds": settings.period_seconds,
        }
        statement = (
            pg_insert(LearningPolicy)
            .values(org_id=org_id, agent_id=agent_id, **values)
            .on_conflict_do_update(
                index_elements=["org_id", "agent_id"],
                set_={**values, "updated_at": func.now()},
            )
            .returning(_T.c.id)
        )
        policy_id = await self.uow.scalar(statement)
        found = await get(self.uow, policy_id)
        assert found is not None
        return found


async def due(engine: AsyncEngine, limit: int = 50) -> list[tuple[UUID, UUID]]:
    """(policy id, org id) of enabled policies whose last run is closed, across organisations."""
    async with unit_of_work(engine, None) as uow:
        rows = await uow.all(_DUE, {"limit": limit})
    return [(r.policy_id, r.org_id) for r in rows]


async def count_new_approved(
    uow: UnitOfWork, keys: Sequence[tuple[UUID, UUID | None]]
) -> dict[tuple[UUID, UUID | None], int]:
    """Per (agent, policy dataset version): APPROVED examples of the agent not in that version.

    One statement for any number of agents (the trigger asks for one, the dashboard for all).
    """
    if not keys:
        return {}
    wanted = (
        select(
            func.unnest(bindparam("agents", type_=ARRAY(Uuid()))).label("agent_id"),
            func.unnest(bindparam("datasets", type_=ARRAY(Uuid()))).label("dataset_id"),
        )
    ).subquery("wanted")
    new = and_(
        _L.c.agent_id == wanted.c.agent_id,
        _L.c.review_status == "APPROVED",
        ~exists().where(_E.c.dataset_id == wanted.c.dataset_id, _E.c.example_id == _L.c.id),
    )
    query = (
        select(wanted.c.agent_id, wanted.c.dataset_id, func.count(_L.c.id).label("n"))
        .select_from(wanted.outerjoin(_L, new))
        .group_by(wanted.c.agent_id, wanted.c.dataset_id)
    )
    rows = await uow.all(query, {"agents": [a for a, _ in keys], "datasets": [d for _, d in keys]})
    counted = {(r.agent_id, r.dataset_id): int(r.n) for r in rows}
    return {key: counted.get(key, 0) for key in keys}


class PolicyTriggerRepository:
    """The PolicyTriggerStore of domain/learning_policies.py over one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def lock(self, policy_id: UUID) -> LearningPolicyRecord | None:
        return await get(self.uow, policy_id, for_update=True)

    async def run(self, run_id: UUID) -> TrainingRunRecord | None:
        return await training_runs.get(self.uow, run_id)

    async def frozen_dataset(self, dataset_id: UUID) -> UUID | None:
        found: UUID | None = await self.uow.scalar(
            select(_D.c.id).where(_D.c.id == dataset_id, _D.c.status == "FROZEN")
        )
        return found

    async def count_new_approved(self, agent_id: UUID, dataset_id: UUID | None) -> int:
        key = (agent_id, dataset_id)
        return (await count_new_approved(self.uow, [key]))[key]

    async def mark_triggered(self, policy_id: UUID, run_id: UUID, dataset_id: UUID) -> None:
        await self.uow.execute(
            update(LearningPolicy)
            .where(_T.c.id == policy_id)
            .values(
                last_run_id=run_id,
                last_dataset_id=dataset_id,
                last_triggered_at=func.now(),
                updated_at=func.now(),
            )
        )
