"""Assignment of units to arms, exposures, agentConfig, custom outcomes and guardrail pauses."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar
from uuid import UUID

from learnloop.domain.audit import AuditSink
from learnloop.domain.errors import ErrorCode, Problem, UserInputError
from learnloop.domain.experiments import hashing
from learnloop.domain.experiments.analysis import ExperimentData, Results, analyse
from learnloop.domain.experiments.lifecycle import ExperimentStore, change_status
from learnloop.domain.experiments.records import (
    CUSTOM_METRIC,
    FEEDBACK_METRICS,
    AgentConfig,
    ExperimentRecord,
    ExperimentStatus,
    Variant,
)
from learnloop.domain.principal import Principal

MAX_UNIT_ID = 200


class AssignmentStore(Protocol):
    async def get(self, experiment_id: UUID) -> ExperimentRecord | None: ...
    async def expose(
        self, org_id: UUID, experiment_id: UUID, unit_id: str, variant: Variant
    ) -> Variant:
        """Record the unit's first exposure (once, whoever races); the stored arm wins."""
        ...

    async def exposure(self, experiment_id: UUID, unit_id: str) -> Variant | None: ...
    async def add_outcome(
        self,
        org_id: UUID,
        experiment_id: UUID,
        unit_id: str,
        variant: Variant,
        metric: str,
        value: float,
    ) -> None: ...


@dataclass(frozen=True)
class AgentSnapshot:
    """One read of an agent: its active deployment and its RUNNING experiments, oldest first."""

    agent_key: str
    deployment_version: int | None
    deployment_config: dict[str, Any]
    experiments: Sequence[ExperimentRecord]


def check_unit(unit_id: str, field: str = "unitId") -> str:
    cleaned = unit_id.strip()
    if not cleaned or len(cleaned) > MAX_UNIT_ID:
        raise UserInputError.single((field,), f"1 to {MAX_UNIT_ID} characters", ErrorCode.INVALID)
    return cleaned


def arm(experiment: ExperimentRecord, unit_id: str) -> Variant | None:
    """The unit's arm by hash, None outside coverage."""
    found = hashing.assign(
        experiment.hash_seed,
        unit_id,
        experiment.coverage,
        experiment.control_percentage,
        experiment.treatment_percentage,
    )
    return Variant(found) if found else None


async def expose(
    store: AssignmentStore, experiment: ExperimentRecord, unit_id: str
) -> Variant | None:
    variant = arm(experiment, unit_id)
    if variant is None:
        return None
    return await store.expose(experiment.org_id, experiment.id, unit_id, variant)


class _Taggable(Protocol):
    """An execution about to be recorded (domain.executions.NewExecution)."""

    @property
    def experiment_id(self) -> UUID | None: ...
    @property
    def unit_id(self) -> str | None: ...
    @property
    def ref(self) -> Any: ...


T = TypeVar("T", bound=_Taggable)


async def tag_with_arm(store: AssignmentStore, execution: T) -> T:
    """The execution with its unit and that unit's arm (no arm outside coverage or when the
    experiment is not RUNNING: such executions are kept but never counted)."""
    assert execution.experiment_id is not None
    experiment = await store.get(execution.experiment_id)
    if experiment is None:
        raise UserInputError.single(
            ("experimentId",), "no such experiment in this organisation", ErrorCode.NOT_FOUND
        )
    unit = check_unit(execution.unit_id or execution.ref.execution_key)
    variant = None
    if experiment.status is ExperimentStatus.RUNNING:
        variant = await expose(store, experiment, unit)
    return replace(execution, unit_id=unit, variant=variant.value if variant else None)  # type: ignore[type-var]


async def assign_variant(
    store: AssignmentStore, experiment_id: UUID, unit_id: str
) -> tuple[Variant | None, dict[str, Any] | None]:
    """The unit's arm and its config (None, None outside coverage); RUNNING experiments only."""
    unit = check_unit(unit_id)
    experiment = await store.get(experiment_id)
    if experiment is None:
        raise UserInputError.single(
            ("experimentId",), "no such experiment in this organisation", ErrorCode.NOT_FOUND
        )
    if experiment.status is not ExperimentStatus.RUNNING:
        raise UserInputError.single(
            ("experimentId",),
            f"the experiment is {experiment.status.value}; only RUNNING experiments assign units",
            ErrorCode.INVALID_STATE,
        )
    variant = await expose(store, experiment, unit)
    return variant, experiment.config_of(variant) if variant else None


async def agent_config(
    store: AssignmentStore, snapshot: AgentSnapshot, unit_id: str | None
) -> AgentConfig:
    """The active deployment, overridden by the first running experiment the unit falls into."""
    if unit_id:
        unit = check_unit(unit_id)
        for experiment in snapshot.experiments:
            variant = await expose(store, experiment, unit)
            if variant is not None:
                return AgentConfig(
                    snapshot.agent_key,
                    variant,
                    experiment.id,
                    snapshot.deployment_version,
                    experiment.config_of(variant),
                )
    return AgentConfig(
        snapshot.agent_key, None, None, snapshot.deployment_version, snapshot.deployment_config
    )


async def record_outcome(
    store: AssignmentStore, experiment_id: UUID, unit_id: str, metric: str, value: float
) -> tuple[ExperimentRecord, Variant]:
    """A custom metric value for an exposed unit (task success, latency, cost...)."""
    problems: list[Problem] = []
    if not CUSTOM_METRIC.match(metric):
        problems.append(
            Problem(("metric",), "lowercase letters, digits, _ . - (≤ 64)", ErrorCode.INVALID)
        )
    elif metric in FEEDBACK_METRICS:
        problems.append(
            Problem(
                ("metric",),
                f"'{metric}' is computed from feedback; name a custom metric",
                ErrorCode.INVALID,
            )
        )
    if not math.isfinite(value):
        problems.append(Problem(("value",), "must be a finite number", ErrorCode.INVALID))
    unit = check_unit(unit_id)
    if problems:
        raise UserInputError(problems)
    experiment = await store.get(experiment_id)
    if experiment is None:
        raise UserInputError.single(
            ("experimentId",), "no such experiment in this organisation", ErrorCode.NOT_FOUND
        )
    if experiment.status not in (ExperimentStatus.RUNNING, ExperimentStatus.PAUSED):
        raise UserInputError.single(
            ("experimentId",),
            f"the experiment is {experiment.status.value}; outcomes count while it runs",
            ErrorCode.INVALID_STATE,
        )
    variant = await store.exposure(experiment.id, unit)
    if variant is None:
        raise UserInputError.single(
            ("unitId",),
            "this unit was never assigned (assignVariant or agentConfig first)",
            ErrorCode.NOT_FOUND,
        )
    await store.add_outcome(experiment.org_id, experiment.id, unit, variant, metric, value)
    return experiment, variant


async def enforce_guardrails(
    store: ExperimentStore,
    audit: AuditSink,
    principal: Principal,
    experiment: ExperimentRecord,
    data: ExperimentData,
) -> tuple[ExperimentRecord, Results]:
    """Pause a RUNNING experiment whose treatment is surely worse on a guardrail metric."""
    results = analyse(experiment, data)
    if (
        experiment.guardrails
        and experiment.status is ExperimentStatus.RUNNING
        and results.guardrail_breaches
    ):
        locked = await store.get_for_update(experiment.id)
        if locked is not None and locked.status is ExperimentStatus.RUNNING:
            experiment = await change_status(
                store,
                audit,
                principal,
                locked,
                ExperimentStatus.PAUSED,
                max_running_per_agent=1,
                reason="guardrail: treatment worse on " + ", ".join(results.guardrail_breaches),
            )
    return experiment, results
