"""The run queue as a worker uses it: claim, heartbeat, progress, finish and reap expired leases.

Only `claim` and `expired` cross organisations (through the SECURITY DEFINER functions of
migration 0005); every other statement runs as the app role in a transaction scoped to the run's
organisation. Writes about a claimed run are fenced on (status RUNNING, lease owner, attempt), so
a worker that lost its lease can never overwrite the run's new owner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import ColumnElement, and_, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from learnloop.domain import webhooks as webhook_rules
from learnloop.domain.audit import AuditEntry
from learnloop.domain.engines.base import Artifact, TrainingData
from learnloop.domain.principal import system
from learnloop.domain.run_queue import ClaimedRun, Transition, after_lease_expiry
from learnloop.domain.training_runs import (
    RunStatus,
    TrainingRunRecord,
    TrainingType,
    can_transition,
)
from learnloop.storage import training_data, training_runs, webhooks
from learnloop.storage.audit import AuditLog
from learnloop.storage.models import TrainingRun, TrainingRunArtifact
from learnloop.storage.unit_of_work import UnitOfWork, unit_of_work

log = structlog.get_logger("learnloop.worker")
_T = TrainingRun.__table__
_CLAIM = text(
    "SELECT run_id, org_id, attempt FROM learnloop_claim_training_run(:worker, :lease, :types)"
)
_EXPIRED = text("SELECT run_id, org_id FROM learnloop_expired_training_runs(:limit)")

AUDIT_ACTIONS: Mapping[RunStatus, str] = {
    RunStatus.RUNNING: "training_run.start",
    RunStatus.COMPLETED: "training_run.complete",
    RunStatus.FAILED: "training_run.fail",
    RunStatus.CANCELLED: "training_run.cancel",
    RunStatus.PENDING: "training_run.requeue",
}


def _held(claimed: ClaimedRun) -> ColumnElement[bool]:
    return and_(
        _T.c.id == claimed.run_id,
        _T.c.status == RunStatus.RUNNING.value,
        _T.c.lease_owner == claimed.worker_id,
        _T.c.attempts == claimed.attempt,
    )


def _merged_metrics(metrics: Mapping[str, Any]) -> Any:
    return func.coalesce(_T.c.metrics, literal({}, JSONB)).op("||")(literal(dict(metrics), JSONB))


async def _record_transition(
    uow: UnitOfWork, org_id: UUID, run_id: UUID, t: Transition, data: Mapping[str, Any]
) -> None:
    details = {"status": t.status.value, **data, **({"error": t.error} if t.error else {})}
    await training_runs.add_event(uow, org_id, run_id, "status", t.message, details)
    finished = webhook_rules.training_run_finished(
        run_id, t.status.value, t.error, datetime.now(UTC)
    )
    if finished is not None:
        # In the transaction of the transition: a fenced-out (rolled back) finish sends nothing.
        await webhooks.enqueue(uow, [finished])
    await AuditLog(uow, None)(
        system(org_id), AuditEntry(AUDIT_ACTIONS[t.status], "TrainingRun", run_id, details)
    )


def _transition_values(t: Transition) -> dict[str, Any]:
    values: dict[str, Any] = {
        "status": t.status.value,
        "error": t.error,
        "lease_owner": None,
        "lease_expires_at": None,
        "updated_at": func.now(),
    }
    if t.status.terminal:
        values["finished_at"] = func.now()
    if t.status is RunStatus.PENDING:
        values["progress"] = 0.0
    if t.status is RunStatus.COMPLETED:
        values["progress"] = 1.0
    if t.refund_attempt:
        values["attempts"] = _T.c.attempts - 1
    return values


class JobQueue:
    """One worker's view of the queue; `worker_id` is the lease owner it writes."""

    def __init__(self, engine: AsyncEngine, worker_id: str, lease_seconds: float) -> None:
        self.engine = engine
        self.worker_id = worker_id
        self.lease = timedelta(seconds=lease_seconds)

    async def claim(self, types: Sequence[TrainingType]) -> ClaimedRun | None:
        """Take the oldest PENDING run of these types (skipping ones other workers are taking)."""
        async with unit_of_work(self.engine, None) as uow:
            row = await uow.first(
                _CLAIM,
                {
                    "worker": self.worker_id,
                    "lease": self.lease.total_seconds(),
                    "types": [t.value for t in types],
                },
            )
            if row is None:
                return None
            await uow.set_org(row.org_id)
            run = await training_runs.get(uow, row.run_id)
            assert run is not None
            message = f"attempt {row.attempt} of {run.max_attempts} started"
            start = Transition(RunStatus.RUNNING, message)
            await _record_transition(
                uow,
                row.org_id,
                row.run_id,
                start,
                {"attempt": row.attempt, "worker": self.worker_id},
            )
            log.info(
                "worker.run_claimed",
                run_id=str(row.run_id),
                org=str(row.org_id),
                attempt=row.attempt,
            )
            return ClaimedRun(row.run_id, row.org_id, row.attempt, self.worker_id)

    async def load(self, claimed: ClaimedRun) -> tuple[TrainingRunRecord, TrainingData] | None:
        async with unit_of_work(self.engine, claimed.org_id) as uow:
            run = await training_runs.get(uow, claimed.run_id)
            if run is None:
                return None
            if run.dataset_id is None:  # RAG_TUNING on retrieval feedback alone
                data: TrainingData | None = TrainingData(None, "", 0, (), org_id=run.org_id)
            else:
                data = await training_data.load(uow, run.dataset_id)
            if data is None:
                return None
            return run, replace(data, agent_key=run.agent_key)

    async def heartbeat(self, claimed: ClaimedRun) -> bool | None:
        """Renew the lease; returns whether cancellation was requested, None if the run is lost."""
        async with unit_of_work(self.engine, claimed.org_id) as uow:
            row = await uow.first(
                update(TrainingRun)
                .where(_held(claimed))
                .values(lease_expires_at=func.clock_timestamp() + self.lease)
                .returning(TrainingRun.cancel_requested)
            )
        return None if row is None else bool(row.cancel_requested)

    async def progress(
        self,
        claimed: ClaimedRun,
        fraction: float,
        message: str | None,
        metrics: Mapping[str, Any] | None,
    ) -> bool:
        """Record progress (and merge metrics); False when the run is no longer ours."""
        values: dict[str, Any] = {"progress": fraction, "updated_at": func.now()}
        if metrics:
            values["metrics"] = _merged_metrics(metrics)
        async with unit_of_work(self.engine, claimed.org_id) as uow:
            row = await uow.first(
                update(TrainingRun).where(_held(claimed)).values(**values).returning(TrainingRun.id)
            )
            if row is not None and message:
                await training_runs.add_event(
                    uow, claimed.org_id, claimed.run_id, "progress", message, {"progress": fraction}
                )
        return row is not None

    async def record_provider_job(self, claimed: ClaimedRun, job_id: str) -> bool:
        """Remember the provider job this attempt started (and log it); False if not ours."""
        async with unit_of_work(self.engine, claimed.org_id) as uow:
            row = await uow.first(
                update(TrainingRun)
                .where(_held(claimed))
                .values(provider_job_id=job_id, updated_at=func.now())
                .returning(TrainingRun.id)
            )
            if row is not None:
                await training_runs.add_event(
                    uow,
                    claimed.org_id,
                    claimed.run_id,
                    "log",
                    f"fine-tuning job {job_id} started",
                    {"providerJobId": job_id},
                )
        return row is not None

    async def finish(
        self,
        claimed: ClaimedRun,
        t: Transition,
        *,
        result: dict[str, Any] | None = None,
        metrics: Mapping[str, Any] | None = None,
        artifacts: Sequence[Artifact] = (),
    ) -> bool:
        """End this attempt (result, artifacts, event and audit together); False if not ours."""
        assert can_transition(RunStatus.RUNNING, t.status), t
        values = _transition_values(t)
        if result is not None:
            values["result"] = result
        if metrics:
            values["metrics"] = _merged_metrics(metrics)
        async with unit_of_work(self.engine, claimed.org_id) as uow:
            row = await uow.first(
                update(TrainingRun).where(_held(claimed)).values(**values).returning(TrainingRun.id)
            )
            if row is None:
                return False
            for artifact in artifacts:
                await save_artifact(uow, claimed.org_id, claimed.run_id, artifact)
            await _record_transition(
                uow, claimed.org_id, claimed.run_id, t, {"attempt": claimed.attempt}
            )
        return True

    async def expired(self, limit: int = 20) -> list[tuple[UUID, UUID]]:
        async with unit_of_work(self.engine, None) as uow:
            rows = await uow.all(_EXPIRED, {"limit": limit})
        return [(r.run_id, r.org_id) for r in rows]

    async def reap(self, run_id: UUID, org_id: UUID) -> Transition | None:
        """Re-queue (or fail, or cancel) a run whose lease expired; None if someone got there first."""
        async with unit_of_work(self.engine, org_id) as uow:
            row = await uow.first(
                select(_T.c.attempts, _T.c.max_attempts, _T.c.cancel_requested)
                .where(
                    _T.c.id == run_id,
                    _T.c.status == RunStatus.RUNNING.value,
                    _T.c.lease_expires_at < func.clock_timestamp(),
                )
                .with_for_update(skip_locked=True)
            )
            if row is None:
                return None
            t = after_lease_expiry(
                attempts=row.attempts,
                max_attempts=row.max_attempts,
                cancel_requested=row.cancel_requested,
            )
            await uow.execute(
                update(TrainingRun).where(TrainingRun.id == run_id).values(**_transition_values(t))
            )
            await _record_transition(uow, org_id, run_id, t, {"attempt": row.attempts})
        return t


async def save_artifact(uow: UnitOfWork, org_id: UUID, run_id: UUID, artifact: Artifact) -> None:
    """Insert or replace (a retried attempt rewrites its files)."""
    values = {
        "media_type": artifact.media_type,
        "content": artifact.content,
        "size_bytes": artifact.size_bytes,
        "line_count": artifact.line_count,
        "sha256": artifact.sha256,
    }
    stmt = insert(TrainingRunArtifact).values(
        org_id=org_id, run_id=run_id, name=artifact.name, **values
    )
    await uow.execute(
        stmt.on_conflict_do_update(
            index_elements=["run_id", "name"], set_={**values, "created_at": func.now()}
        )
    )
