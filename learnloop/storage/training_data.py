"""What training reads about datasets and agents: a dataset version's state, its examples, agent ids."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from learnloop.domain.engines.base import TrainingData, TrainingExample
from learnloop.domain.training_runs import DatasetRef
from learnloop.storage.models import Agent, DatasetExample, LearningExample, TrainingDataset
from learnloop.storage.unit_of_work import UnitOfWork

_D = TrainingDataset.__table__
_DE = DatasetExample.__table__
_LE = LearningExample.__table__


async def dataset_ref(uow: UnitOfWork, dataset_id: UUID) -> DatasetRef | None:
    row = await uow.first(
        select(_D.c.id, _D.c.name, _D.c.version, _D.c.status).where(_D.c.id == dataset_id)
    )
    if row is None:
        return None
    total = await uow.scalar(
        select(func.count()).select_from(_DE).where(_DE.c.dataset_id == dataset_id)
    )
    return DatasetRef(
        id=row.id, name=row.name, version=row.version, status=row.status, total_examples=total
    )


async def ensure_agent(uow: UnitOfWork, org_id: UUID, key: str) -> UUID:
    """The agent with this key, created on first mention (as executions do)."""
    await uow.execute(
        insert(Agent)
        .values(org_id=org_id, key=key)
        .on_conflict_do_nothing(index_elements=["org_id", "key"])
    )
    agent_id: UUID = await uow.scalar(select(Agent.id).where(Agent.key == key))
    return agent_id


async def load(uow: UnitOfWork, dataset_id: UUID) -> TrainingData | None:
    """A dataset version with every example and its split, in a stable order."""
    head = await uow.first(select(_D.c.id, _D.c.name, _D.c.version).where(_D.c.id == dataset_id))
    if head is None:
        return None
    rows = await uow.all(
        select(
            _LE.c.id,
            _DE.c.split,
            _DE.c.weight,
            _LE.c.example_type,
            _LE.c.input_text,
            _LE.c.expected_output,
            _LE.c.original_output,
            _LE.c.quality_score,
            _LE.c.domain,
            _LE.c.task_type,
            _LE.c.metadata,
        )
        .select_from(_DE.join(_LE, _LE.c.id == _DE.c.example_id))
        .where(_DE.c.dataset_id == dataset_id)
        .order_by(_DE.c.split, _DE.c.id)
    )
    examples = tuple(
        TrainingExample(
            id=str(r.id),
            split=r.split,
            weight=float(r.weight),
            example_type=r.example_type,
            input_text=r.input_text,
            expected_output=r.expected_output,
            original_output=r.original_output,
            quality_score=r.quality_score,
            domain=r.domain,
            task_type=r.task_type,
            metadata=dict(r.metadata or {}),
        )
        for r in rows
    )
    return TrainingData(
        dataset_id=str(head.id), name=head.name, version=head.version, examples=examples
    )
