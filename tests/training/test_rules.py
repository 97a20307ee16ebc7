"""Pure rules: what lost leases, failures and stops lead to; engine config checks."""

from __future__ import annotations

import pytest

from learnloop.domain.engines import config as checks
from learnloop.domain.engines.base import TrainingFailed
from learnloop.domain.errors import UserInputError
from learnloop.domain.run_queue import (
    IllegalTransition,
    StopReason,
    Transition,
    after_failure,
    after_lease_expiry,
    after_stop,
    check_finish,
    started,
)
from learnloop.domain.training_runs.records import RunStatus, can_transition


def test_lost_lease_requeues_until_the_last_attempt_then_fails() -> None:
    assert (
        after_lease_expiry(attempts=1, max_attempts=3, cancel_requested=False).status
        is RunStatus.PENDING
    )
    last = after_lease_expiry(attempts=3, max_attempts=3, cancel_requested=False)
    assert last.status is RunStatus.FAILED and "attempt 3 of 3" in (last.error or "")
    assert (
        after_lease_expiry(attempts=1, max_attempts=3, cancel_requested=True).status
        is RunStatus.CANCELLED
    )


def test_failures() -> None:
    assert (
        after_failure(TrainingFailed("x", retryable=True), attempts=1, max_attempts=2).status
        is RunStatus.PENDING
    )
    assert (
        after_failure(TrainingFailed("x", retryable=True), attempts=2, max_attempts=2).status
        is RunStatus.FAILED
    )
    assert after_failure(TrainingFailed("x"), attempts=1, max_attempts=3).error == "x"
    crash = after_failure(KeyError("k"), attempts=1, max_attempts=3)
    assert crash.status is RunStatus.FAILED and "KeyError" in (crash.error or "")


def test_stops() -> None:
    assert (
        after_stop(StopReason.CANCEL_REQUESTED, attempts=1, max_attempts=3).status
        is RunStatus.CANCELLED
    )
    shutdown = after_stop(StopReason.SHUTDOWN, attempts=1, max_attempts=3)
    assert shutdown is not None and shutdown.status is RunStatus.PENDING and shutdown.refund_attempt
    assert after_stop(StopReason.LEASE_LOST, attempts=1, max_attempts=3) is None


def test_state_machine() -> None:
    assert can_transition(RunStatus.PENDING, RunStatus.RUNNING)
    assert can_transition(RunStatus.RUNNING, RunStatus.PENDING)  # lease lost
    assert not can_transition(RunStatus.COMPLETED, RunStatus.RUNNING)
    assert not can_transition(RunStatus.PENDING, RunStatus.COMPLETED)


def test_a_worker_ends_an_attempt_only_by_a_legal_transition_even_under_python_O() -> None:
    # A real exception, not an assert: `python -O` strips asserts and would let it through.
    with pytest.raises(IllegalTransition, match="RUNNING"):
        check_finish(Transition(RunStatus.RUNNING, "again"))
    done = check_finish(Transition(RunStatus.COMPLETED, "done"))
    assert done.progress == 1.0 and done.audit_action == "training_run.complete"
    requeued = after_lease_expiry(attempts=1, max_attempts=3, cancel_requested=False)
    assert requeued.progress == 0.0 and requeued.audit_action == "training_run.requeue"
    assert Transition(RunStatus.FAILED, "x").progress is None
    claim = started(2, 3)
    assert claim.status is RunStatus.RUNNING and claim.message == "attempt 2 of 3 started"


def test_config_checks_report_every_problem_with_its_path() -> None:
    rules = [
        checks.unknown_keys({"n", "beta"}),
        checks.integer("n", 1, 5),
        checks.number("beta", 0, 1, exclusive_low=True),
    ]
    with pytest.raises(UserInputError) as refused:
        checks.validate({"n": 9, "beta": 0, "x": 1}, rules, {})
    assert sorted(p.field for p in refused.value.problems) == [
        ("config", "beta"),
        ("config", "n"),
        ("config", "x"),
    ]
    assert checks.validate({"n": 2}, rules, {"n": 1, "beta": 0.1}) == {"n": 2, "beta": 0.1}
    with pytest.raises(UserInputError):
        checks.validate([1, 2], rules, {})  # type: ignore[arg-type]
