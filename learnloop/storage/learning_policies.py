"""Learning policy rows: upsert per agent, lists, and the locked read the trigger uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Select, Uuid, and_, bindparam, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.domain.datasets import DatasetStatus
from learnloop.domain.learning_examples import ReviewStatus
from learnloop.domain.learning_policies import LearningPolicyRecord, PolicySettings
from learnloop.domain.training_runs.records import TrainingRunRecord, TrainingType
from learnloop.storage import agents, training_runs
from learnloop.storage.models import (
    LearningPolicy,
)
from learnloop.storage.rows import json_object, to_record
from learnloop.storage.tables import AGENTS, DATASET_EXAMPLES, DATASETS, EXAMPLES, POLICIES
from learnloop.storage.unit_of_work import UnitOfWork, unit_of_work

_DUE = text("SELECT policy_id, org_id FROM learnloop_due_learning_policies(:limit)")


def _record(r: Any) -> LearningPolicyRecord:
    return to_record(
        LearningPolicyRecord,
        r,
        training_type=TrainingType(r.training_type),
        config=json_object(r.config),
    )


def _select() -> Select[Any]:
    return select(*POLICIES.c, AGENTS.c.key.label("agent_key")).select_from(
        POLICIES.join(AGENTS, AGENTS.c.id == POLICIES.c.agent_id)
    )


async def list_all(uow: UnitOfWork, agent_key: str | None = None) -> list[LearningPolicyRecord]:
    """The organisation's policies (one per agent), by agent id."""
    query = _select().order_by(AGENTS.c.key)
    if agent_key is not None:
        query = query.where(AGENTS.c.key == agent_key)
    return [_record(r) for r in await uow.all(query)]


async def get(
    uow: UnitOfWork, policy_id: UUID, *, for_update: bool = False
) -> LearningPolicyRecord | None:
    query = _select().where(POLICIES.c.id == policy_id)
    if for_update:
        # Serialises triggers of one policy across API processes and workers.
        query = query.with_for_update(of=POLICIES)
    row = await uow.first(query)
    return _record(row) if row else None


async def for_agent(uow: UnitOfWork, agent_id: UUID) -> LearningPolicyRecord | None:
    row = await uow.first(_select().where(POLICIES.c.agent_id == agent_id))
    return _record(row) if row else None


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
            .returning(POLICIES.c.id)
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
        EXAMPLES.c.agent_id == wanted.c.agent_id,
        EXAMPLES.c.review_status == ReviewStatus.APPROVED.value,
        ~exists().where(
            DATASET_EXAMPLES.c.dataset_id == wanted.c.dataset_id,
            DATASET_EXAMPLES.c.example_id == EXAMPLES.c.id,
        ),
    )
    query = (
        select(wanted.c.agent_id, wanted.c.dataset_id, func.count(EXAMPLES.c.id).label("n"))
        .select_from(wanted.outerjoin(EXAMPLES, new))
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
            select(DATASETS.c.id).where(
                DATASETS.c.id == dataset_id, DATASETS.c.status == DatasetStatus.FROZEN.value
            )
        )
        return found

    async def count_new_approved(self, agent_id: UUID, dataset_id: UUID | None) -> int:
        key = (agent_id, dataset_id)
        return (await count_new_approved(self.uow, [key]))[key]

    async def mark_triggered(self, policy_id: UUID, run_id: UUID, dataset_id: UUID) -> None:
        await self.uow.execute(
            update(LearningPolicy)
            .where(POLICIES.c.id == policy_id)
            .values(
                last_run_id=run_id,
                last_dataset_id=dataset_id,
                last_triggered_at=func.now(),
                updated_at=func.now(),
            )
        )
