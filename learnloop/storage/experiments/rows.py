"""Experiment rows: create, read, list, change; exposures, custom outcomes, agent snapshots."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import Select, Text, Uuid, bindparam, func, insert, select, update
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
    ExperimentAssignment,
    ExperimentOutcome,
    LearningExperiment,
)
from learnloop.storage.pagination import count, keyset_page
from learnloop.storage.rows import json_object, to_record
from learnloop.storage.tables import AGENTS, ASSIGNMENTS, DEPLOYMENTS, EXPERIMENTS
from learnloop.storage.unit_of_work import UnitOfWork

_COLUMNS = [c for c in EXPERIMENTS.c if c.key != "statistical_significance"]


def record(r: Any) -> ExperimentRecord:
    return to_record(
        ExperimentRecord,
        r,
        status=ExperimentStatus(r.status),
        hash_seed=r.hash_seed or str(r.id),
        coverage=float(r.coverage),
        control_percentage=float(r.control_percentage),
        treatment_percentage=float(r.treatment_percentage),
        control_config=json_object(r.control_config),
        treatment_config=json_object(r.treatment_config),
        results=json_object(r.results),
        winner=Winner(r.winner) if r.winner else None,
        promotion_status=PromotionStatus(r.promotion_status) if r.promotion_status else None,
    )


def _select() -> Select[Any]:
    return select(*_COLUMNS, AGENTS.c.key.label("agent_key")).select_from(
        EXPERIMENTS.join(AGENTS, AGENTS.c.id == EXPERIMENTS.c.agent_id)
    )


async def get(
    uow: UnitOfWork, experiment_id: UUID, *, for_update: bool = False
) -> ExperimentRecord | None:
    stmt = _select().where(EXPERIMENTS.c.id == experiment_id)
    if for_update:
        stmt = stmt.with_for_update(of=EXPERIMENTS)
    row = await uow.first(stmt)
    return record(row) if row else None


async def by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> dict[UUID, ExperimentRecord]:
    rows = await uow.all(_select().where(EXPERIMENTS.c.id.in_(ids)))
    return {r.id: record(r) for r in rows}


def _filtered(f: ExperimentFilter) -> Select[Any]:
    stmt = _select()
    if f.agent_key is not None:
        stmt = stmt.where(AGENTS.c.key == f.agent_key)
    if f.status is not None:
        stmt = stmt.where(EXPERIMENTS.c.status == f.status.value)
    return stmt


async def page(uow: UnitOfWork, request: PageRequest, f: ExperimentFilter) -> Page:
    return await keyset_page(
        uow, _filtered(f), [EXPERIMENTS.c.created_at, EXPERIMENTS.c.id], request, convert=record
    )


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
            EXPERIMENTS.c.agent_id.in_(agent_ids),
            EXPERIMENTS.c.training_run_id.is_not(None),
            (
                EXPERIMENTS.c.status.in_(
                    (ExperimentStatus.RUNNING.value, ExperimentStatus.PAUSED.value)
                )
            )
            | (EXPERIMENTS.c.promotion_status == PromotionStatus.PENDING.value),
        )
        .order_by(EXPERIMENTS.c.created_at.desc(), EXPERIMENTS.c.id.desc())
    )
    return [record(r) for r in rows]


async def running_for_agent(uow: UnitOfWork, agent_id: UUID) -> list[UUID]:
    """The agent's RUNNING experiments; the agent row lock serialises concurrent starts."""
    await uow.execute(select(AGENTS.c.id).where(AGENTS.c.id == agent_id).with_for_update())
    rows = await uow.all(
        select(EXPERIMENTS.c.id).where(
            EXPERIMENTS.c.agent_id == agent_id,
            EXPERIMENTS.c.status == ExperimentStatus.RUNNING.value,
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
        select(ASSIGNMENTS.c.variant).where(
            ASSIGNMENTS.c.experiment_id == experiment_id, ASSIGNMENTS.c.unit_id == unit_id
        )
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
    x = EXPERIMENTS.alias("x")
    return (
        select(
            AGENTS.c.key.label("agent_key"),
            DEPLOYMENTS.c.version.label("deployment_version"),
            DEPLOYMENTS.c.config.label("deployment_config"),
            *[c.label(f"x_{c.key}") for c in x.c if c.key != "statistical_significance"],
        )
        .select_from(
            AGENTS.outerjoin(
                DEPLOYMENTS, DEPLOYMENTS.c.id == AGENTS.c.active_deployment_id
            ).outerjoin(
                x,
                (x.c.agent_id == AGENTS.c.id) & (x.c.status == ExperimentStatus.RUNNING.value),
            )
        )
        .where(AGENTS.c.key == bindparam("agent_key", type_=Text()))
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

    @property
    def _mapping(self) -> dict[str, Any]:
        """The prefixed columns by their own names (what rows.to_record reads)."""
        cut = len(self._prefix)
        own = {k[cut:]: v for k, v in self._row._mapping.items() if k.startswith(self._prefix)}
        return {**own, **self._extra}


async def active_config(uow: UnitOfWork, agent_id: UUID) -> dict[str, Any]:
    found = await uow.scalar(
        select(DEPLOYMENTS.c.config)
        .select_from(AGENTS.join(DEPLOYMENTS, DEPLOYMENTS.c.id == AGENTS.c.active_deployment_id))
        .where(AGENTS.c.id == agent_id)
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
