"""The worker's periodic learning-policy check: queue each due policy's next run, once."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.domain.errors import UserInputError
from learnloop.domain.learning_policies import PolicyServices, Triggered, check_policy
from learnloop.domain.training_runs import EngineCatalog
from learnloop.storage import learning_policies
from learnloop.storage.audit import AuditLog
from learnloop.storage.datasets import DatasetRepository
from learnloop.storage.learning_policies import PolicyTriggerRepository
from learnloop.storage.training_runs import TrainingRunRepository
from learnloop.storage.unit_of_work import unit_of_work

log = structlog.get_logger("learnloop.learning_policies")


async def check_one(
    engine: AsyncEngine, catalog: EngineCatalog, policy_id: UUID, org_id: UUID
) -> Triggered | None:
    """One policy in its own transaction: all of its writes commit together, or none do."""
    try:
        async with unit_of_work(engine, org_id) as uow:
            services = PolicyServices(
                policies=PolicyTriggerRepository(uow),
                datasets=DatasetRepository(uow),
                runs=TrainingRunRepository(uow),
                catalog=catalog,
                audit=AuditLog(uow, None),
            )
            return await check_policy(services, policy_id, datetime.now(UTC))
    except UserInputError as exc:
        # E.g. the engine was uninstalled or the examples no longer fit it: retried next time.
        log.warning(
            "learning_policy.refused",
            policy_id=str(policy_id),
            problems=[f"{'.'.join(p.field)}: {p.message}" for p in exc.problems],
        )
        return None


async def check_due(engine: AsyncEngine, catalog: EngineCatalog) -> list[Triggered]:
    """Check every due policy; returns the runs this call queued."""
    queued: list[Triggered] = []
    for policy_id, org_id in await learning_policies.due(engine):
        triggered = await check_one(engine, catalog, policy_id, org_id)
        if triggered is not None:
            log.info(
                "learning_policy.triggered",
                policy_id=str(policy_id),
                run_id=str(triggered.run.id),
                new_examples=triggered.new_examples,
            )
            queued.append(triggered)
    return queued
