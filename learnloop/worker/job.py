"""One claimed run from start to finish: heartbeat, engine, progress, cooperative stop, outcome."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

import structlog

from learnloop.domain.engines.base import (
    CancelToken,
    Engine,
    EngineResult,
    RunCancelled,
    TrainingData,
    TrainingFailed,
)
from learnloop.domain.engines.registry import EngineRegistry
from learnloop.domain.run_queue import (
    ClaimedRun,
    StopReason,
    Transition,
    after_failure,
    after_stop,
    clamp_progress,
)
from learnloop.domain.training_runs import RunStatus, TrainingRunRecord
from learnloop.storage.run_queue import JobQueue

log = structlog.get_logger("learnloop.worker")

# Progress-only updates closer than this to the last written value are not written.
PROGRESS_STEP = 0.005


class RunReporter:
    """What engines report to: progress (a cancellation checkpoint) and the provider job an
    attempt starts (ProviderJobLedger)."""

    def __init__(self, execution: RunExecution, previous_provider_job_id: str | None) -> None:
        self.execution = execution
        self.previous_provider_job_id = previous_provider_job_id
        self._written = -1.0

    async def __call__(
        self,
        fraction: float,
        *,
        message: str | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> None:
        run = self.execution
        run.token.raise_if_cancelled()
        value = clamp_progress(fraction)
        if not message and not metrics and abs(value - self._written) < PROGRESS_STEP:
            return
        if not await run.queue.progress(run.claimed, value, message, metrics):
            run.stop(StopReason.LEASE_LOST)
            run.token.raise_if_cancelled()
        self._written = value

    async def record_provider_job(self, job_id: str) -> None:
        """Written before the job is followed, so a retry of this run finds it."""
        run = self.execution
        # Already stopping: the engine cancels the job at once instead (no write in the way).
        run.token.raise_if_cancelled()
        if not await run.queue.record_provider_job(run.claimed, job_id):
            # Another worker owns the run now and cannot know this job: the engine cancels it.
            run.log.warning("worker.provider_job_not_recorded", provider_job=job_id)
            run.stop(StopReason.LEASE_LOST)
            run.token.raise_if_cancelled()
        run.log.info("worker.provider_job_started", provider_job=job_id)


class RunExecution:
    """Runs the engine while a heartbeat renews the lease; any stop request sets the cancel token."""

    def __init__(
        self,
        queue: JobQueue,
        registry: EngineRegistry,
        claimed: ClaimedRun,
        heartbeat_seconds: float,
    ) -> None:
        self.queue = queue
        self.registry = registry
        self.claimed = claimed
        self.heartbeat_seconds = heartbeat_seconds
        self.token = CancelToken()
        self.log = log.bind(
            run_id=str(claimed.run_id), org=str(claimed.org_id), attempt=claimed.attempt
        )

    def stop(self, reason: StopReason) -> None:
        self.token.cancel(reason.value)

    @property
    def stop_reason(self) -> StopReason | None:
        return StopReason(self.token.reason) if self.token.reason else None

    async def run(self) -> None:
        loaded = await self.queue.load(self.claimed)
        if loaded is None:
            await self._end(Transition(RunStatus.FAILED, "failed", "the run's dataset is gone"))
            return
        run, data = loaded
        engine = self.registry.get(run.training_type)
        if engine is None:  # claims only ask for registered types; kept as a clear failure
            error = f"this worker has no engine for {run.training_type.value}"
            await self._end(Transition(RunStatus.FAILED, "failed", error))
            return
        if run.cancel_requested:
            self.stop(StopReason.CANCEL_REQUESTED)
        heartbeat = asyncio.create_task(self._heartbeat())
        try:
            outcome = await self._execute(engine, run, data)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        await self._record(run, outcome)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            try:
                cancel_requested = await self.queue.heartbeat(self.claimed)
            except Exception:
                # A database hiccup: keep trying; if it lasts, the lease expires and the run moves.
                self.log.warning("worker.heartbeat_failed", exc_info=True)
                continue
            if cancel_requested is None:
                self.log.warning("worker.lease_lost")
                self.stop(StopReason.LEASE_LOST)
                return
            if cancel_requested:
                self.stop(StopReason.CANCEL_REQUESTED)

    async def _execute(
        self, engine: Engine, run: TrainingRunRecord, data: TrainingData
    ) -> EngineResult | BaseException:
        """The engine's result, or the exception that ended it (RunCancelled when stopped)."""
        reporter = RunReporter(self, run.provider_job_id)
        task = asyncio.create_task(engine.run(data, run.config, reporter, self.token))
        stopped = asyncio.create_task(self.token.wait())
        try:
            await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                # Cooperative first: the engine gets one heartbeat interval to notice the token.
                done, _ = await asyncio.wait({task}, timeout=self.heartbeat_seconds)
                if not done:
                    self.log.warning("worker.engine_ignored_stop", reason=self.token.reason)
                    task.cancel()
            try:
                return await task
            except asyncio.CancelledError:
                if self.token.cancelled:
                    return RunCancelled(self.token.reason or "stopped")
                raise
            except Exception as exc:
                return exc
        finally:
            stopped.cancel()

    async def _record(self, run: TrainingRunRecord, outcome: EngineResult | BaseException) -> None:
        if isinstance(outcome, EngineResult):
            if self.stop_reason is StopReason.LEASE_LOST:
                return  # another worker owns the run now; our result must not count
            done = Transition(RunStatus.COMPLETED, "completed")
            ok = await self.queue.finish(
                self.claimed,
                done,
                result=outcome.result,
                metrics=outcome.metrics,
                artifacts=outcome.artifacts,
            )
            self.log.info("worker.run_completed", recorded=ok)
            return
        reason = self.stop_reason
        if reason is not None:
            attempts = self.claimed.attempt
            stop = after_stop(reason, attempts=attempts, max_attempts=run.max_attempts)
            if stop is not None:
                await self._end(stop)
            self.log.info("worker.run_stopped", reason=reason.value)
            return
        if isinstance(outcome, TrainingFailed):
            self.log.info("worker.run_failed", error=outcome.message, retryable=outcome.retryable)
        else:
            self.log.error("worker.engine_crashed", exc_info=outcome)
        attempts = self.claimed.attempt
        await self._end(after_failure(outcome, attempts=attempts, max_attempts=run.max_attempts))

    async def _end(self, t: Transition) -> None:
        if not await self.queue.finish(self.claimed, t):
            self.log.warning("worker.outcome_not_recorded", status=t.status.value)
