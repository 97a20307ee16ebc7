"""Experiment rows: create, read, list, change; exposures, custom outcomes, agent snapshots."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Select, Table, Text, Uuid, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from learnloop.domain.experiments.analysis import ExperimentData
from learnloop.domain.experiments.assignment import AgentSnapshot
from learnloop.domain.experiments.records import (
    ExperimentFilter,
    ExperimentRecord,
    ExperimentStatus,
    NewExperiment,
    PromotionStatus,
    Variant,
    Winner,
)
from learnloop.domain.pagination import Page, PageRequest
from learnloop.storage import agents
from learnloop.storage.experiments import moments
from learnloop.storage.models import (
    Agent,
    Deployment,
    ExperimentAssignment,
    ExperimentOutcome,
    LearningExperiment,
)
from learnloop.storage.pagination import count, keyset_page
from learnloop.storage.unit_of_work import UnitOfWork

_T = cast(Table, LearningExperiment.__table__)
_AS = cast(Table, ExperimentAssignment.__table__)
_O = cast(Table, ExperimentOutcome.__table__)
_AGENTS = cast(Table, Agent.__table__)
_D = cast(Table, Deployment.__table__)
_COLUMNS = [c for c in _T.c if c.key != "statistical_significance"]


def record(r: Any) -> ExperimentRecord:
    return ExperimentRecord(
        id=r.id,
        org_id=r.org_id,
        agent_id=r.agent_id,
        agent_key=r.agent_key,
        name=r.name,
        hypothesis=r.hypothesis,
        status=ExperimentStatus(r.status),
        hash_seed=r.hash_seed or str(r.id),
        coverage=float(r.coverage),
        control_percentage=float(r.control_percentage),
        treatment_percentage=float(r.treatment_percentage),
        control_config=dict(r.control_config or {}),
        treatment_config=dict(r.treatment_config or {}),
        primary_metric=r.primary_metric,
        minimum_sample_size=r.minimum_sample_size,
        guardrails=r.guardrails,
        results=dict(r.results or {}),
        winner=Winner(r.winner) if r.winner else None,
        training_run_id=r.training_run_id,
        promoted_deployment_id=r.promoted_deployment_id,
        promotion_status=PromotionStatus(r.promotion_status) if r.promotion_status else None,
        promotion_decided_at=r.promotion_decided_at,
        promotion_decided_by_user_id=r.promotion_decided_by_user_id,
        promotion_notes=r.promotion_notes,
        created_by_user_id=r.created_by_user_id,
        created_at=r.created_at,
        updated_at=r.updated_at,
        started_at=r.started_at,
        ended_at=r.ended_at,
    )


def _select() -> Select[Any]:
    return select(*_COLUMNS, _AGENTS.c.key.label("agent_key")).select_from(
        _T.join(_AGENTS, _AGENTS.c.id == _T.c.agent_id)
    )


async def get(
    uow: UnitOfWork, experiment_id: UUID, *, for_update: bool = False
) -> ExperimentRecord | None:
    stmt = _select().where(_T.c.id == experiment_id)
    if for_update:
        stmt = stmt.with_for_update(of=_T)
    row = await uow.first(stmt)
    return record(row) if row else None


async def by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> dict[UUID, ExperimentRecord]:
    rows = await uow.all(_select().where(_T.c.id.in_(ids)))
    return {r.id: record(r) for r in rows}


def _filtered(f: ExperimentFilter) -> Select[Any]:
    stmt = _select()
    if f.agent_key is not None:
        stmt = stmt.where(_AGENTS.c.key == f.agent_key)
    if f.status is not None:
        stmt = stmt.where(_T.c.status == f.status.value)
    return stmt


async def page(uow: UnitOfWork, request: PageRequest, f: ExperimentFilter) -> Page:
    return await keyset_page(uow, _filtered(f), [_T.c.created_at, _T.c.id], request, convert=record)


async def total(uow: UnitOfWork, f: ExperimentFilter) -> int:
    return await count(uow, _filtered(f))


async def insert_experiment(
    uow: UnitOfWork, org_id: UUID, new: NewExperiment, agent_id: UUID, user_id: UUID | None
) -> ExperimentRecord:
    experiment_id = uuid.uuid4()
    await uow.execute(
        insert(LearningExperiment).values(
            id=experiment_id,
            org_id=org_id,
            agent_id=agent_id,
            name=new.name,
            hypothesis=new.hypothesis,
            control_config=new.control_config,
            treatment_config=new.treatment_config,
            control_percentage=new.control_percentage,
            treatment_percentage=new.treatment_percentage,
            primary_metric=new.primary_metric,
            minimum_sample_size=new.minimum_sample_size,
            hash_seed=new.hash_seed or str(experiment_id),
            coverage=new.coverage,
            guardrails=new.guardrails,
            training_run_id=new.training_run_id,
            created_by_user_id=user_id,
        )
    )
    found = await get(uow, experiment_id)
    assert found is not None
    return found


async def update_experiment(
    uow: UnitOfWork, experiment_id: UUID, values: Mapping[str, Any]
) -> ExperimentRecord:
    await uow.execute(
        update(LearningExperiment)
        .where(LearningExperiment.id == experiment_id)
        .values(**values, updated_at=func.now())
    )
    found = await get(uow, experiment_id)
    assert found is not None
    return found


async def open_canaries(uow: UnitOfWork, agent_ids: Sequence[UUID]) -> list[ExperimentRecord]:
    """The agents' canaries still live (RUNNING, PAUSED) or waiting for a promotion, newest first."""
    rows = await uow.all(
        _select()
        .where(
            _T.c.agent_id.in_(agent_ids),
            _T.c.training_run_id.is_not(None),
            (_T.c.status.in_(("RUNNING", "PAUSED")))
            | (_T.c.promotion_status == PromotionStatus.PENDING.value),
        )
        .order_by(_T.c.created_at.desc(), _T.c.id.desc())
    )
    return [record(r) for r in rows]


async def running_for_agent(uow: UnitOfWork, agent_id: UUID) -> list[UUID]:
    """The agent's RUNNING experiments; the agent row lock serialises concurrent starts."""
    await uow.execute(select(_AGENTS.c.id).where(_AGENTS.c.id == agent_id).with_for_update())
    rows = await uow.all(
        select(_T.c.id).where(
            _T.c.agent_id == agent_id, _T.c.status == ExperimentStatus.RUNNING.value
        )
    )
    return [r.id for r in rows]


@cache
def _expose_statement() -> Any:
    return (
        pg_insert(ExperimentAssignment)
        .values(
            org_id=bindparam("org_id", type_=Uuid()),
            experiment_id=bindparam("experiment_id", type_=Uuid()),
            unit_id=bindparam("unit_id", type_=Text()),
            variant=bindparam("variant", type_=Text()),
        )
        .on_conflict_do_nothing(index_elements=["experiment_id", "unit_id"])
    )


async def expose(
    uow: UnitOfWork, org_id: UUID, experiment_id: UUID, unit_id: str, variant: Variant
) -> Variant:
    """First exposure, once per unit: concurrent first calls insert one row between them. The arm
    is a pure function of settings that cannot change while running, so it needs no read back."""
    await uow.execute(
        _expose_statement(),
        {
            "org_id": org_id,
            "experiment_id": experiment_id,
            "unit_id": unit_id,
            "variant": variant.value,
        },
    )
    return variant


async def exposure(uow: UnitOfWork, experiment_id: UUID, unit_id: str) -> Variant | None:
    found = await uow.scalar(
        select(_AS.c.variant).where(_AS.c.experiment_id == experiment_id, _AS.c.unit_id == unit_id)
    )
    return Variant(found) if found else None


async def add_outcome(
    uow: UnitOfWork,
    org_id: UUID,
    experiment_id: UUID,
    unit_id: str,
    variant: Variant,
    metric: str,
    value: float,
) -> None:
    await uow.execute(
        insert(ExperimentOutcome).values(
            org_id=org_id,
            experiment_id=experiment_id,
            unit_id=unit_id,
            variant=variant.value,
            metric=metric,
            value=value,
        )
    )


@cache
def _snapshot_statement() -> Any:
    """Built once: an aliased table and its labelled columns cost more to build than to run."""
    x = _T.alias("x")
    return (
        select(
            _AGENTS.c.key.label("agent_key"),
            _D.c.version.label("deployment_version"),
            _D.c.config.label("deployment_config"),
            *[c.label(f"x_{c.key}") for c in x.c if c.key != "statistical_significance"],
        )
        .select_from(
            _AGENTS.outerjoin(_D, _D.c.id == _AGENTS.c.active_deployment_id).outerjoin(
                x,
                (x.c.agent_id == _AGENTS.c.id) & (x.c.status == ExperimentStatus.RUNNING.value),
            )
        )
        .where(_AGENTS.c.key == bindparam("agent_key", type_=Text()))
        .order_by(x.c.started_at, x.c.id)
    )


async def agent_snapshot(uow: UnitOfWork, agent_key: str) -> AgentSnapshot | None:
    """The agent, its active deployment and its RUNNING experiments in one indexed statement."""
    stmt = _snapshot_statement()
    rows = await uow.all(stmt, {"agent_key": agent_key})
    if not rows:
        return None
    first = rows[0]
    experiments = [
        record(_Prefixed(r, "x_", agent_key=r.agent_key)) for r in rows if r.x_id is not None
    ]
    return AgentSnapshot(
        first.agent_key,
        first.deployment_version,
        dict(first.deployment_config or {}),
        experiments,
    )


class _Prefixed:
    """Attribute access to a row's prefixed columns as if they were the experiment's own."""

    def __init__(self, row: Any, prefix: str, **extra: Any) -> None:
        self._row, self._prefix, self._extra = row, prefix, extra

    def __getattr__(self, name: str) -> Any:
        if name in self._extra:
            return self._extra[name]
        return getattr(self._row, self._prefix + name)


async def active_config(uow: UnitOfWork, agent_id: UUID) -> dict[str, Any]:
    found = await uow.scalar(
        select(_D.c.config)
        .select_from(_AGENTS.join(_D, _D.c.id == _AGENTS.c.active_deployment_id))
        .where(_AGENTS.c.id == agent_id)
    )
    return dict(found or {})


class ExperimentRepository:
    """The experiment stores of the domain (lifecycle, assignment, canary), bound to one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def ensure_agent(self, key: str) -> UUID:
        return (await agents.ensure(self.uow, [key]))[key]

    async def insert(
        self, org_id: UUID, new: NewExperiment, agent_id: UUID, user_id: UUID | None
    ) -> ExperimentRecord:
        return await insert_experiment(self.uow, org_id, new, agent_id, user_id)

    async def get(self, experiment_id: UUID) -> ExperimentRecord | None:
        return await get(self.uow, experiment_id)

    async def get_for_update(self, experiment_id: UUID) -> ExperimentRecord | None:
        return await get(self.uow, experiment_id, for_update=True)

    async def running_for_agent(self, agent_id: UUID) -> list[UUID]:
        return await running_for_agent(self.uow, agent_id)

    async def update(self, experiment_id: UUID, values: Mapping[str, Any]) -> ExperimentRecord:
        return await update_experiment(self.uow, experiment_id, values)

    async def data(self, experiment_id: UUID) -> ExperimentData:
        return (await moments.data_by_ids(self.uow, [experiment_id]))[experiment_id]

    async def expose(
        self, org_id: UUID, experiment_id: UUID, unit_id: str, variant: Variant
    ) -> Variant:
        return await expose(self.uow, org_id, experiment_id, unit_id, variant)

    async def exposure(self, experiment_id: UUID, unit_id: str) -> Variant | None:
        return await exposure(self.uow, experiment_id, unit_id)

    async def add_outcome(
        self,
        org_id: UUID,
        experiment_id: UUID,
        unit_id: str,
        variant: Variant,
        metric: str,
        value: float,
    ) -> None:
        await add_outcome(self.uow, org_id, experiment_id, unit_id, variant, metric, value)

    async def active_config(self, agent_id: UUID) -> dict[str, Any]:
        return await active_config(self.uow, agent_id)
