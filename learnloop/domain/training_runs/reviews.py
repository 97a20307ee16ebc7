"""A run after creation: cancellation (at once or cooperative) and the human review."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from learnloop.domain.audit import AuditEntry, AuditSink
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.principal import Principal
from learnloop.domain.training_runs.records import (
    MAX_NOTES_LENGTH,
    ReviewDecision,
    RunReviewStatus,
    RunStatus,
    TrainingRunRecord,
    TrainingRunStore,
    can_transition,
)


async def _existing(store: TrainingRunStore, run_id: UUID, field: str) -> TrainingRunRecord:
    run = await store.get_for_update(run_id)
    if run is None:
        raise UserInputError.single(
            (field,), "no such training run in this organisation", ErrorCode.NOT_FOUND
        )
    return run


def check_cancellable(run: TrainingRunRecord) -> None:
    if not can_transition(run.status, RunStatus.CANCELLED):
        raise UserInputError.single(
            ("runId",),
            f"the run is already {run.status.value}; there is nothing to cancel",
            ErrorCode.INVALID_STATE,
        )


async def cancel_training_run(
    store: TrainingRunStore, audit: AuditSink, principal: Principal, run_id: UUID
) -> TrainingRunRecord:
    """A queued run is cancelled at once; a running one is asked to stop (its worker confirms)."""
    run = await _existing(store, run_id, "runId")
    check_cancellable(run)
    if run.status is RunStatus.PENDING:
        run = await store.cancel_pending(run_id)
        await store.add_event(
            run.org_id,
            run.id,
            "status",
            "cancelled before it started",
            {"status": RunStatus.CANCELLED.value},
        )
        await audit(principal, AuditEntry("training_run.cancel", "TrainingRun", run.id))
        return run
    if not run.cancel_requested:
        run = await store.request_cancel(run_id)
        await store.add_event(run.org_id, run.id, "log", "cancellation requested", {})
        await audit(principal, AuditEntry("training_run.cancel_request", "TrainingRun", run.id))
    return run


def check_reviewable(run: TrainingRunRecord) -> None:
    if run.status is not RunStatus.COMPLETED:
        raise UserInputError.single(
            ("runId",),
            f"only COMPLETED runs can be reviewed; this one is {run.status.value}",
            ErrorCode.INVALID_STATE,
        )
    if run.review_status is not RunReviewStatus.UNREVIEWED:
        raise UserInputError.single(
            ("runId",),
            f"the run was already reviewed ({run.review_status.value}); start a new run to "
            "change the outcome",
            ErrorCode.INVALID_STATE,
        )


def check_review_notes(decision: ReviewDecision, notes: str | None) -> list[Problem]:
    cleaned = (notes or "").strip()
    if decision is ReviewDecision.REJECT and not cleaned:
        return [Problem(("notes",), "say why the run is rejected", ErrorCode.REQUIRED)]
    if len(cleaned) > MAX_NOTES_LENGTH:
        return [Problem(("notes",), f"at most {MAX_NOTES_LENGTH} characters", ErrorCode.TOO_LONG)]
    return []


async def review_training_run(
    store: TrainingRunStore,
    audit: AuditSink,
    principal: Principal,
    run_id: UUID,
    decision: ReviewDecision,
    notes: str | None,
) -> TrainingRunRecord:
    """A person approves or rejects a completed run; only approved runs can be deployed."""
    run = await _existing(store, run_id, "runId")
    check_reviewable(run)
    problems: Sequence[Problem] = check_review_notes(decision, notes)
    if problems:
        raise UserInputError(problems)
    status = (
        RunReviewStatus.APPROVED if decision is ReviewDecision.APPROVE else RunReviewStatus.REJECTED
    )
    cleaned = (notes or "").strip() or None
    run = await store.record_review(run_id, status, cleaned, principal.user_id)
    await store.add_event(
        run.org_id, run.id, "log", f"review: {status.value}", {"notes": cleaned or ""}
    )
    await audit(
        principal,
        AuditEntry(
            "training_run.review",
            "TrainingRun",
            run.id,
            {"decision": decision.value, "notes": cleaned},
        ),
    )
    return run
