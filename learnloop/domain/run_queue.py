"""Worker-side rules of the run queue: what a lost lease, a failure or a stop request leads to."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from learnloop.domain.engines.base import TrainingFailed
from learnloop.domain.training_runs.records import RunStatus, can_transition

# The audit action each status a worker (or the reaper) moves a run to is recorded under.
AUDIT_ACTIONS: dict[RunStatus, str] = {
    RunStatus.RUNNING: "training_run.start",
    RunStatus.COMPLETED: "training_run.complete",
    RunStatus.FAILED: "training_run.fail",
    RunStatus.CANCELLED: "training_run.cancel",
    RunStatus.PENDING: "training_run.requeue",
}


class IllegalTransition(Exception):
    """A worker asked for a status change the run state machine forbids (a bug, not input)."""


@dataclass(frozen=True)
class ClaimedRun:
    """A run this worker holds: writes about it are fenced on (lease owner, attempt)."""

    run_id: UUID
    org_id: UUID
    attempt: int
    worker_id: str


@dataclass(frozen=True)
class Transition:
    status: RunStatus
    message: str
    error: str | None = None
    # An attempt interrupted on purpose (worker shutdown) is given back.
    refund_attempt: bool = False

    @property
    def progress(self) -> float | None:
        """The progress the run shows afterwards: reset when re-queued, full when completed."""
        if self.status is RunStatus.PENDING:
            return 0.0
        if self.status is RunStatus.COMPLETED:
            return 1.0
        return None

    @property
    def audit_action(self) -> str:
        return AUDIT_ACTIONS[self.status]


def started(attempt: int, max_attempts: int) -> Transition:
    """A worker claimed a PENDING run: it is RUNNING under that worker's lease."""
    return Transition(RunStatus.RUNNING, f"attempt {attempt} of {max_attempts} started")


def check_finish(t: Transition) -> Transition:
    """How a worker may end an attempt it holds: any status RUNNING may move to."""
    if not can_transition(RunStatus.RUNNING, t.status):
        raise IllegalTransition(f"a running attempt cannot end as {t.status.value}")
    return t


class StopReason(StrEnum):
    """Why a worker interrupts an engine (the value is the cancel token's reason)."""

    CANCEL_REQUESTED = "cancel requested"
    LEASE_LOST = "lease lost"
    SHUTDOWN = "worker shutting down"


def after_lease_expiry(*, attempts: int, max_attempts: int, cancel_requested: bool) -> Transition:
    """A run whose worker stopped heartbeating: cancelled if asked, re-queued, or failed at the limit."""
    if cancel_requested:
        return Transition(RunStatus.CANCELLED, "cancelled (its worker stopped before confirming)")
    if attempts >= max_attempts:
        error = (
            f"the worker running attempt {attempts} of {max_attempts} stopped responding "
            "(its lease expired). Check that worker's logs for a crash or an out-of-memory "
            "kill, fix the cause, then start a new run."
        )
        return Transition(RunStatus.FAILED, "failed: no attempts left after lost lease", error)
    return Transition(
        RunStatus.PENDING,
        f"attempt {attempts} of {max_attempts} lost its worker (lease expired); re-queued",
    )


def after_failure(exc: BaseException, *, attempts: int, max_attempts: int) -> Transition:
    """Engine errors fail the run with a message a person can act on; transient ones retry."""
    if isinstance(exc, TrainingFailed):
        if exc.retryable and attempts < max_attempts:
            return Transition(
                RunStatus.PENDING,
                f"attempt {attempts} of {max_attempts} hit a temporary problem ({exc.message}); "
                "re-queued",
            )
        return Transition(RunStatus.FAILED, "failed", exc.message)
    error = (
        f"the engine crashed: {type(exc).__name__}: {exc}. This is a bug or an unexpected "
        "dataset; the worker log has the traceback (search for this run's id)."
    )
    return Transition(RunStatus.FAILED, "failed: engine error", error)


def after_stop(reason: StopReason, *, attempts: int, max_attempts: int) -> Transition | None:
    """What to record when the worker interrupts an engine; None when the run is no longer ours."""
    if reason is StopReason.CANCEL_REQUESTED:
        return Transition(RunStatus.CANCELLED, "cancelled")
    if reason is StopReason.SHUTDOWN:
        return Transition(
            RunStatus.PENDING,
            f"attempt {attempts} of {max_attempts} interrupted: its worker is shutting down; "
            "re-queued",
            refund_attempt=True,
        )
    return None


def clamp_progress(fraction: float) -> float:
    return min(1.0, max(0.0, float(fraction)))
