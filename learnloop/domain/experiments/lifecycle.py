"""Experiment lifecycle: create, edit (drafts freely, running ones only ramp coverage), status."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from learnloop.domain.audit import AuditEntry, AuditSink
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.experiments.analysis import ExperimentData, Results, analyse
from learnloop.domain.experiments.records import (
    CUSTOM_METRIC,
    TRANSITIONS,
    ExperimentChanges,
    ExperimentRecord,
    ExperimentStatus,
    NewExperiment,
    promotion_on_conclusion,
)
from learnloop.domain.principal import Principal

MAX_NAME = 200
MAX_TEXT = 5000
MAX_SEED = 200
# Fields that decide who gets which arm and what it does: frozen once an experiment has run.
ASSIGNMENT_FIELDS = (
    "control_config",
    "treatment_config",
    "control_percentage",
    "treatment_percentage",
    "hash_seed",
    "primary_metric",
    "minimum_sample_size",
)


class ExperimentStore(Protocol):
    async def ensure_agent(self, key: str) -> UUID: ...
    async def insert(
        self, org_id: UUID, new: NewExperiment, agent_id: UUID, user_id: UUID | None
    ) -> ExperimentRecord: ...
    async def get_for_update(self, experiment_id: UUID) -> ExperimentRecord | None: ...
    async def running_for_agent(self, agent_id: UUID) -> list[UUID]:
        """Ids of the agent's RUNNING experiments, with the agent row locked until commit."""
        ...

    async def update(self, experiment_id: UUID, values: Mapping[str, Any]) -> ExperimentRecord: ...
    async def data(self, experiment_id: UUID) -> ExperimentData: ...


def _check_fields(values: ExperimentChanges | NewExperiment) -> list[Problem]:
    problems: list[Problem] = []
    if values.name is not None and not (0 < len(values.name.strip()) <= MAX_NAME):
        problems.append(Problem(("name",), f"1 to {MAX_NAME} characters", ErrorCode.INVALID))
    if values.hypothesis is not None and len(values.hypothesis) > MAX_TEXT:
        problems.append(
            Problem(("hypothesis",), f"at most {MAX_TEXT} characters", ErrorCode.TOO_LONG)
        )
    for name, config in (
        ("controlConfig", values.control_config),
        ("treatmentConfig", values.treatment_config),
    ):
        if config is not None and not isinstance(config, dict):
            problems.append(Problem((name,), "must be a JSON object", ErrorCode.INVALID))
    for name, pct in (
        ("controlPercentage", values.control_percentage),
        ("treatmentPercentage", values.treatment_percentage),
    ):
        if pct is not None and not (math.isfinite(pct) and 0 <= pct <= 100):
            problems.append(Problem((name,), "between 0 and 100", ErrorCode.OUT_OF_RANGE))
    if values.primary_metric is not None and not CUSTOM_METRIC.match(values.primary_metric):
        problems.append(
            Problem(
                ("primaryMetric",),
                "a metric name such as thumbs_up_rate, mean_rating or a custom one "
                "(lowercase letters, digits, _ . -)",
                ErrorCode.INVALID,
            )
        )
    if values.minimum_sample_size is not None and not 1 <= values.minimum_sample_size <= 10**9:
        problems.append(Problem(("minimumSampleSize",), "at least 1", ErrorCode.OUT_OF_RANGE))
    if values.hash_seed is not None and not (0 < len(values.hash_seed) <= MAX_SEED):
        problems.append(Problem(("hashSeed",), f"1 to {MAX_SEED} characters", ErrorCode.INVALID))
    if values.coverage is not None and not (
        math.isfinite(values.coverage) and 0 < values.coverage <= 1
    ):
        problems.append(Problem(("coverage",), "a share in (0, 1]", ErrorCode.OUT_OF_RANGE))
    return problems


def _check_split(control: float, treatment: float) -> list[Problem]:
    if abs(control + treatment - 100) > 1e-6:
        return [
            Problem(
                ("treatmentPercentage",),
                f"controlPercentage and treatmentPercentage must add up to 100 (now {control + treatment:g})",
                ErrorCode.INVALID,
            )
        ]
    return []


async def create_experiment(
    store: ExperimentStore, audit: AuditSink, principal: Principal, new: NewExperiment
) -> ExperimentRecord:
    """A DRAFT experiment; every problem with the input is reported at once."""
    assert principal.org_id is not None
    problems = _check_fields(new)
    if not new.agent_key.strip():
        problems.append(Problem(("agentId",), "name the agent", ErrorCode.REQUIRED))
    problems += _check_split(new.control_percentage, new.treatment_percentage)
    if problems:
        raise UserInputError(problems)
    cleaned = replace(
        new,
        name=new.name.strip(),
        agent_key=new.agent_key.strip(),
        control_config=new.control_config if new.control_config is not None else {},
        treatment_config=new.treatment_config if new.treatment_config is not None else {},
    )
    agent_id = await store.ensure_agent(cleaned.agent_key)
    record = await store.insert(principal.org_id, cleaned, agent_id, principal.user_id)
    await audit(
        principal,
        AuditEntry(
            "experiment.create",
            "Experiment",
            record.id,
            {"agent": record.agent_key, "primaryMetric": record.primary_metric},
        ),
    )
    return record


async def existing(store: ExperimentStore, experiment_id: UUID) -> ExperimentRecord:
    record = await store.get_for_update(experiment_id)
    if record is None:
        raise UserInputError.single(
            ("experimentId",), "no such experiment in this organisation", ErrorCode.NOT_FOUND
        )
    return record


def check_changes(record: ExperimentRecord, changes: ExperimentChanges) -> dict[str, Any]:
    """The column values to write; running or paused experiments may only ramp coverage up."""
    problems = _check_fields(changes)
    values = {k: v for k, v in vars(changes).items() if v is not None}
    if record.status.terminal:
        problems.append(
            Problem(
                ("experimentId",),
                f"the experiment is {record.status.value}; it can no longer change",
                ErrorCode.INVALID_STATE,
            )
        )
    elif record.status is not ExperimentStatus.DRAFT:
        for name in ASSIGNMENT_FIELDS:
            if name in values and values[name] != getattr(record, name):
                camel = "".join(w.capitalize() if i else w for i, w in enumerate(name.split("_")))
                problems.append(
                    Problem(
                        (camel,),
                        f"cannot change while {record.status.value}: it would re-bucket units "
                        "already counted; only coverage may ramp up",
                        ErrorCode.FROZEN,
                    )
                )
        if changes.coverage is not None and changes.coverage < record.coverage:
            problems.append(
                Problem(
                    ("coverage",),
                    f"coverage can only ramp up while {record.status.value} "
                    f"(now {record.coverage:g})",
                    ErrorCode.FROZEN,
                )
            )
    control = values.get("control_percentage", record.control_percentage)
    treatment = values.get("treatment_percentage", record.treatment_percentage)
    problems += _check_split(control, treatment)
    if problems:
        raise UserInputError(problems)
    if "name" in values:
        values["name"] = values["name"].strip()
    return values


async def update_experiment(
    store: ExperimentStore,
    audit: AuditSink,
    principal: Principal,
    experiment_id: UUID,
    changes: ExperimentChanges,
) -> ExperimentRecord:
    record = await existing(store, experiment_id)
    values = check_changes(record, changes)
    if not values:
        return record
    updated = await store.update(experiment_id, values)
    await audit(
        principal,
        AuditEntry(
            "experiment.update",
            "Experiment",
            experiment_id,
            {
                "fields": sorted(values),
                **({"coverage": updated.coverage} if "coverage" in values else {}),
            },
        ),
    )
    return updated


def check_transition(record: ExperimentRecord, target: ExperimentStatus) -> None:
    if target not in TRANSITIONS[record.status]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[record.status])) or "none"
        raise UserInputError.single(
            ("status",),
            f"an experiment that is {record.status.value} cannot become {target.value} "
            f"(allowed: {allowed})",
            ErrorCode.INVALID_STATE,
        )


async def change_status(
    store: ExperimentStore,
    audit: AuditSink,
    principal: Principal | None,
    record: ExperimentRecord,
    target: ExperimentStatus,
    *,
    max_running_per_agent: int,
    reason: str | None = None,
) -> ExperimentRecord:
    """Apply a legal transition; concluding stores the final results and winner."""
    check_transition(record, target)
    values: dict[str, Any] = {"status": target.value}
    if target is ExperimentStatus.RUNNING:
        running = [i for i in await store.running_for_agent(record.agent_id) if i != record.id]
        if len(running) >= max_running_per_agent:
            raise UserInputError.single(
                ("status",),
                f"agent '{record.agent_key}' already has {len(running)} RUNNING experiment(s); "
                f"at most {max_running_per_agent} (LEARNLOOP_EXPERIMENTS_PER_AGENT)",
                ErrorCode.LIMIT_EXCEEDED,
            )
        if record.started_at is None:
            values["started_at"] = datetime.now(UTC)
    data_results: Results | None = None
    if target.terminal:
        values["ended_at"] = datetime.now(UTC)
        if target is ExperimentStatus.COMPLETED:
            data_results = analyse(record, await store.data(record.id))
            values["results"] = data_results.as_json()
            values["winner"] = data_results.winner.value
            promotion = promotion_on_conclusion(record, data_results.winner)
            values["promotion_status"] = promotion.value if promotion else None
    updated = await store.update(record.id, values)
    if principal is not None:
        data: dict[str, Any] = {"from": record.status.value, "to": target.value}
        if data_results is not None:
            data["winner"] = data_results.winner.value
        if reason:
            data["reason"] = reason
        await audit(principal, AuditEntry("experiment.status", "Experiment", record.id, data))
    return updated


async def update_experiment_status(
    store: ExperimentStore,
    audit: AuditSink,
    principal: Principal,
    experiment_id: UUID,
    target: ExperimentStatus,
    *,
    max_running_per_agent: int,
) -> ExperimentRecord:
    record = await existing(store, experiment_id)
    return await change_status(
        store, audit, principal, record, target, max_running_per_agent=max_running_per_agent
    )
