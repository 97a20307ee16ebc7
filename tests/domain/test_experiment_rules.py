"""Pure experiment rules: the winner rule, lower-is-better metrics, and what a running experiment may change."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from learnloop.domain.errors import UserInputError
from learnloop.domain.experiments.analysis import decide
from learnloop.domain.experiments.lifecycle import check_changes
from learnloop.domain.experiments.records import (
    ExperimentChanges,
    ExperimentRecord,
    ExperimentStatus,
    Winner,
)
from learnloop.domain.experiments.statistics import Comparison


def _comparison(low: float, high: float) -> Comparison:
    return Comparison(0.1, 0.1, low, high, low, high, 0.01, "TWO_PROPORTION_Z", 2.5, low, high)


def test_winner_needs_the_sequential_interval_the_sample_and_a_healthy_split() -> None:
    sure = _comparison(0.01, 0.2)
    assert decide(sure, "thumbs_up_rate", True, True) is Winner.TREATMENT
    assert decide(sure, "thumbs_up_rate", False, True) is Winner.INCONCLUSIVE
    assert decide(sure, "thumbs_up_rate", True, False) is Winner.INCONCLUSIVE
    assert decide(_comparison(-0.01, 0.2), "thumbs_up_rate", True, True) is Winner.INCONCLUSIVE
    assert decide(_comparison(-0.2, -0.01), "mean_rating", True, True) is Winner.CONTROL
    # More issues in the treatment is the control winning.
    assert decide(sure, "issue_rate", True, True) is Winner.CONTROL
    assert decide(None, "thumbs_up_rate", True, True) is Winner.INCONCLUSIVE


def _record(status: ExperimentStatus) -> ExperimentRecord:
    now = datetime.now(UTC)
    return ExperimentRecord(
        uuid4(),
        uuid4(),
        uuid4(),
        "bot",
        "e",
        None,
        status,
        "seed",
        0.5,
        50.0,
        50.0,
        {"p": "a"},
        {"p": "b"},
        "thumbs_up_rate",
        100,
        True,
        {},
        None,
        None,
        None,
        None,  # promotion: status, decided at, decided by, notes
        None,
        None,
        None,
        None,
        now,
        now,
        None,
        None,
    )


@pytest.mark.parametrize("status", [ExperimentStatus.RUNNING, ExperimentStatus.PAUSED])
def test_running_or_paused_experiments_only_ramp_coverage(status: ExperimentStatus) -> None:
    record = _record(status)
    assert check_changes(record, ExperimentChanges(coverage=0.8)) == {"coverage": 0.8}
    assert check_changes(record, ExperimentChanges(name=" renamed ")) == {"name": "renamed"}
    # Re-sending an unchanged value is not a change.
    assert check_changes(record, ExperimentChanges(treatment_config={"p": "b"})) == {
        "treatment_config": {"p": "b"}
    }
    for change in (
        ExperimentChanges(treatment_config={"p": "c"}),
        ExperimentChanges(control_percentage=40, treatment_percentage=60),
        ExperimentChanges(coverage=0.4),
        ExperimentChanges(primary_metric="mean_rating"),
    ):
        with pytest.raises(UserInputError) as refused:
            check_changes(record, change)
        assert {p.code.value for p in refused.value.problems} == {"FROZEN"}


def test_finished_experiments_change_nothing_and_drafts_change_anything() -> None:
    with pytest.raises(UserInputError):
        check_changes(_record(ExperimentStatus.COMPLETED), ExperimentChanges(name="x"))
    draft = dataclasses.replace(_record(ExperimentStatus.DRAFT))
    assert check_changes(draft, ExperimentChanges(coverage=0.1, hash_seed="new")) == {
        "coverage": 0.1,
        "hash_seed": "new",
    }
