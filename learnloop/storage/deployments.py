"""Deployment rows: each agent's numbered config versions and which one is active."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, insert, select, update

from learnloop.domain.deployments import DeploymentRecord
from learnloop.domain.pagination import Page, PageRequest
from learnloop.storage.models import Agent, Deployment
from learnloop.storage.pagination import count, keyset_page
from learnloop.storage.rows import json_object, to_record
from learnloop.storage.tables import AGENTS, DEPLOYMENTS
from learnloop.storage.unit_of_work import UnitOfWork


def _record(r: Any) -> DeploymentRecord:
    return to_record(
        DeploymentRecord,
        r,
        config=json_object(r.config),
    )


def _select() -> Select[Any]:
    return select(
        *DEPLOYMENTS.c,
        AGENTS.c.key.label("agent_key"),
        (AGENTS.c.active_deployment_id == DEPLOYMENTS.c.id).label("active"),
    ).select_from(DEPLOYMENTS.join(AGENTS, AGENTS.c.id == DEPLOYMENTS.c.agent_id))


async def by_ids(uow: UnitOfWork, ids: Sequence[UUID]) -> dict[UUID, DeploymentRecord]:
    rows = await uow.all(_select().where(DEPLOYMENTS.c.id.in_(ids)))
    return {r.id: _record(r) for r in rows}


async def active_by_agent_ids(
    uow: UnitOfWork, agent_ids: Sequence[UUID]
) -> dict[UUID, DeploymentRecord]:
    """Each agent's active deployment (agents without one are absent)."""
    rows = await uow.all(
        _select().where(
            AGENTS.c.id.in_(agent_ids), AGENTS.c.active_deployment_id == DEPLOYMENTS.c.id
        )
    )
    return {r.agent_id: _record(r) for r in rows}


def _for_agent(agent_key: str) -> Select[Any]:
    return _select().where(AGENTS.c.key == agent_key)


async def page_for_agent(uow: UnitOfWork, agent_key: str, request: PageRequest) -> Page:
    """An agent's deployments, newest first."""
    return await keyset_page(
        uow,
        _for_agent(agent_key),
        [DEPLOYMENTS.c.created_at, DEPLOYMENTS.c.id],
        request,
        convert=_record,
    )


async def total_for_agent(uow: UnitOfWork, agent_key: str) -> int:
    return await count(uow, _for_agent(agent_key))


async def create(
    uow: UnitOfWork,
    org_id: UUID,
    agent_id: UUID,
    run_id: UUID,
    config: dict[str, Any],
    user_id: UUID | None,
) -> DeploymentRecord:
    """The agent's next version, made active. The agent row lock serialises concurrent deploys."""
    await uow.execute(select(Agent.id).where(Agent.id == agent_id).with_for_update())
    latest = await uow.scalar(
        select(func.max(Deployment.version)).where(Deployment.agent_id == agent_id)
    )
    deployment_id = await uow.scalar(
        insert(Deployment)
        .values(
            org_id=org_id,
            agent_id=agent_id,
            training_run_id=run_id,
            config=config,
            version=(latest or 0) + 1,
            deployed_by_user_id=user_id,
        )
        .returning(Deployment.id)
    )
    await uow.execute(
        update(Agent)
        .where(Agent.id == agent_id)
        .values(active_deployment_id=deployment_id, updated_at=func.now())
    )
    found = await by_ids(uow, [deployment_id])
    return found[deployment_id]


async def for_run(uow: UnitOfWork, run_id: UUID) -> DeploymentRecord | None:
    row = await uow.first(_select().where(DEPLOYMENTS.c.training_run_id == run_id).limit(1))
    return _record(row) if row else None


class DeploymentRepository:
    """DeploymentStore for the domain, bound to one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def create(
        self,
        org_id: UUID,
        agent_id: UUID,
        run_id: UUID,
        config: dict[str, Any],
        user_id: UUID | None,
    ) -> DeploymentRecord:
        return await create(self.uow, org_id, agent_id, run_id, config, user_id)

    async def for_run(self, run_id: UUID) -> DeploymentRecord | None:
        return await for_run(self.uow, run_id)
