"""Training run rows as the API reads and changes them: create, list, cancel, review, events, artifacts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, insert, select, update

from learnloop.domain.datasets import DatasetRecord
from learnloop.domain.pagination import Page, PageRequest
from learnloop.domain.training_runs.records import (
    ArtifactRecord,
    NewTrainingRun,
    RunEventRecord,
    RunFilter,
    RunReviewStatus,
    RunStatus,
    TrainingRunRecord,
    TrainingType,
)
from learnloop.storage import agents, datasets, deployments, retrieval_feedback
from learnloop.storage.models import TrainingRun, TrainingRunEvent
from learnloop.storage.pagination import count, keyset_page
from learnloop.storage.rows import json_object, to_record
from learnloop.storage.tables import AGENTS, RUN_ARTIFACTS, RUN_EVENTS, RUNS
from learnloop.storage.unit_of_work import UnitOfWork

# Internal lease bookkeeping (lease_owner) stays out of records.
_COLUMNS = [c for c in RUNS.c if c.key != "lease_owner"]


def record(r: Any) -> TrainingRunRecord:
    return to_record(
        TrainingRunRecord,
        r,
        training_type=TrainingType(r.training_type),
        config=json_object(r.config),
        status=RunStatus(r.status),
        progress=float(r.progress),
        metrics=json_object(r.metrics),
        result=dict(r.result) if r.result is not None else None,
        review_status=RunReviewStatus(r.review_status),
    )


def runs_select() -> Select[Any]:
    """Runs with their agent's key (the caller's own name for the agent)."""
    return select(*_COLUMNS, AGENTS.c.key.label("agent_key")).select_from(
        RUNS.outerjoin(AGENTS, AGENTS.c.id == RUNS.c.agent_id)
    )


async def by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> dict[UUID, TrainingRunRecord]:
    rows = await uow.all(runs_select().where(RUNS.c.id.in_(ids)))
    return {r.id: record(r) for r in rows}


async def get(
    uow: UnitOfWork, run_id: UUID, *, for_update: bool = False
) -> TrainingRunRecord | None:
    stmt = runs_select().where(RUNS.c.id == run_id)
    if for_update:
        stmt = stmt.with_for_update(of=RUNS)
    row = await uow.first(stmt)
    return record(row) if row else None


def _filtered(f: RunFilter) -> Select[Any]:
    stmt = runs_select()
    if f.status is not None:
        stmt = stmt.where(RUNS.c.status == f.status.value)
    if f.training_type is not None:
        stmt = stmt.where(RUNS.c.training_type == f.training_type.value)
    if f.agent_key is not None:
        stmt = stmt.where(AGENTS.c.key == f.agent_key)
    if f.dataset_id is not None:
        stmt = stmt.where(RUNS.c.dataset_id == f.dataset_id)
    return stmt


async def page(uow: UnitOfWork, request: PageRequest, f: RunFilter) -> Page:
    return await keyset_page(
        uow, _filtered(f), [RUNS.c.created_at, RUNS.c.id], request, convert=record
    )


async def total(uow: UnitOfWork, f: RunFilter) -> int:
    return await count(uow, _filtered(f))


async def insert_run(
    uow: UnitOfWork, org_id: UUID, new: NewTrainingRun, agent_id: UUID, created_by: UUID | None
) -> TrainingRunRecord:
    run_id = await uow.scalar(
        insert(TrainingRun)
        .values(
            org_id=org_id,
            dataset_id=new.dataset_id,
            agent_id=agent_id,
            training_type=new.training_type.value,
            config=new.config,
            max_attempts=new.max_attempts,
            created_by_user_id=created_by,
        )
        .returning(TrainingRun.id)
    )
    found = await get(uow, run_id)
    assert found is not None
    return found


async def _update(uow: UnitOfWork, run_id: UUID, **values: Any) -> TrainingRunRecord:
    await uow.execute(update(TrainingRun).where(TrainingRun.id == run_id).values(**values))
    found = await get(uow, run_id)
    assert found is not None
    return found


async def add_event(
    uow: UnitOfWork, org_id: UUID, run_id: UUID, kind: str, message: str, data: Mapping[str, Any]
) -> None:
    await uow.execute(
        insert(TrainingRunEvent).values(
            org_id=org_id, run_id=run_id, kind=kind, message=message, data=dict(data)
        )
    )


def _event(r: Any) -> RunEventRecord:
    return to_record(
        RunEventRecord,
        r,
        data=json_object(r.data),
    )


async def events_page(uow: UnitOfWork, run_id: UUID, request: PageRequest) -> Page:
    """A run's log, oldest first."""
    return await keyset_page(
        uow,
        select(RUN_EVENTS).where(RUN_EVENTS.c.run_id == run_id),
        [RUN_EVENTS.c.created_at, RUN_EVENTS.c.id],
        request,
        descending=False,
        convert=_event,
    )


_ARTIFACT_COLUMNS = [c for c in RUN_ARTIFACTS.c if c.key != "content"]


def _artifact(r: Any) -> ArtifactRecord:
    return to_record(ArtifactRecord, r)


async def artifacts_by_run_ids(
    uow: UnitOfWork, run_ids: Sequence[UUID]
) -> dict[UUID, list[ArtifactRecord]]:
    rows = await uow.all(
        select(*_ARTIFACT_COLUMNS)
        .where(RUN_ARTIFACTS.c.run_id.in_(run_ids))
        .order_by(RUN_ARTIFACTS.c.name)
    )
    found: dict[UUID, list[ArtifactRecord]] = defaultdict(list)
    for r in rows:
        found[r.run_id].append(_artifact(r))
    return found


async def artifact_content(
    uow: UnitOfWork, run_id: UUID, name: str
) -> tuple[ArtifactRecord, str] | None:
    row = await uow.first(
        select(RUN_ARTIFACTS).where(RUN_ARTIFACTS.c.run_id == run_id, RUN_ARTIFACTS.c.name == name)
    )
    return (_artifact(row), row.content) if row else None


class TrainingRunRepository:
    """TrainingRunStore for the domain, bound to one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def dataset(self, dataset_id: UUID) -> DatasetRecord | None:
        return await datasets.get(self.uow, dataset_id)

    async def active_deployment_config(self, agent_key: str) -> dict[str, Any] | None:
        agent = await self.uow.first(
            select(AGENTS.c.active_deployment_id).where(AGENTS.c.key == agent_key)
        )
        if agent is None or agent.active_deployment_id is None:
            return None
        found = await deployments.by_ids(self.uow, [agent.active_deployment_id])
        record = found.get(agent.active_deployment_id)
        return record.config if record is not None else None

    async def ensure_agent(self, key: str) -> UUID:
        return (await agents.ensure(self.uow, [key]))[key]

    async def has_retrieval_feedback(self, agent_key: str) -> bool:
        return await retrieval_feedback.has_feedback(self.uow, agent_key)

    async def insert(
        self, org_id: UUID, new: NewTrainingRun, agent_id: UUID, created_by: UUID | None
    ) -> TrainingRunRecord:
        return await insert_run(self.uow, org_id, new, agent_id, created_by)

    async def get_for_update(self, run_id: UUID) -> TrainingRunRecord | None:
        return await get(self.uow, run_id, for_update=True)

    async def cancel_pending(self, run_id: UUID) -> TrainingRunRecord:
        return await _update(
            self.uow,
            run_id,
            status=RunStatus.CANCELLED.value,
            cancel_requested=True,
            finished_at=func.now(),
            updated_at=func.now(),
        )

    async def request_cancel(self, run_id: UUID) -> TrainingRunRecord:
        return await _update(self.uow, run_id, cancel_requested=True, updated_at=func.now())

    async def record_review(
        self, run_id: UUID, status: RunReviewStatus, notes: str | None, user_id: UUID | None
    ) -> TrainingRunRecord:
        return await _update(
            self.uow,
            run_id,
            review_status=status.value,
            review_notes=notes,
            reviewed_by_user_id=user_id,
            reviewed_at=func.now(),
            updated_at=func.now(),
        )

    async def add_event(
        self, org_id: UUID, run_id: UUID, kind: str, message: str, data: Mapping[str, Any]
    ) -> None:
        await add_event(self.uow, org_id, run_id, kind, message, data)
