"""The Experiment node, its live results and the experiment enums."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from learnloop.domain.experiments import records as domain
from learnloop.resolvers import experiments as resolve
from learnloop.resolvers.context import Info
from learnloop.resolvers.loaders.experiments import ExperimentByIdLoader
from learnloop.resolvers.loaders.training_runs import DeploymentByIdLoader, TrainingRunByIdLoader
from learnloop.schema.deployments import Deployment
from learnloop.schema.nodes import LoadableNode, load_one
from learnloop.schema.training_runs.types import TrainingRun

ExperimentStatus = strawberry.enum(
    domain.ExperimentStatus,
    name="ExperimentStatus",
    description="DRAFT -> RUNNING <-> PAUSED -> COMPLETED | CANCELLED.",
)
Variant = strawberry.enum(domain.Variant, name="Variant", description="An experiment arm.")
Winner = strawberry.enum(
    domain.Winner,
    name="ExperimentWinner",
    description="Decided on the always-valid interval; INCONCLUSIVE until it excludes zero, "
    "the minimum sample is reached and the split passes the SRM check.",
)


@strawberry.type(description="One arm's numbers for one metric.")
class ExperimentArm:
    variant: Variant = strawberry.field(description="CONTROL or TREATMENT.")  # type: ignore[valid-type]
    units: int = strawberry.field(description="Units exposed to this arm (first exposures).")
    n: int = strawberry.field(description="Units with at least one value of this metric.")
    observations: float = strawberry.field(description="Values counted (several per unit allowed).")
    mean: float | None = strawberry.field(description="Mean value (ratio of sums over units).")
    variance: float | None = strawberry.field(
        description="Per-unit variance (delta method when units have several values)."
    )


@strawberry.type(description="An always-valid confidence interval of the absolute lift.")
class SequentialInterval:
    ci_low: float | None = strawberry.field(
        description="Lower end of the always-valid interval of the absolute lift; null without enough data."
    )
    ci_high: float | None = strawberry.field(
        description="Upper end of the always-valid interval of the absolute lift; null without enough data."
    )


@strawberry.type(description="Power analysis of the primary metric at the current sample.")
class ExperimentPower:
    minimum_detectable_effect: float | None = strawberry.field(
        description="Smallest absolute lift detectable with 80 % power at alpha = 0.05 now."
    )
    power_at_observed_lift: float | None = strawberry.field(
        description="Probability 0..1 of detecting the observed lift at this sample size; null when undefined."
    )
    units_per_arm_needed: int | None = strawberry.field(
        description="Units per arm to detect the observed lift with 80 % power."
    )
    units_still_needed: int | None = strawberry.field(
        description="More units per arm before both the minimum sample and the power target are met."
    )


@strawberry.type(description="Treatment against control on one metric.")
class ExperimentMetricResult:
    metric: str = strawberry.field(description="The metric compared (e.g. thumbs_up_rate).")
    arms: list[ExperimentArm] = strawberry.field(description="Both arms' numbers, CONTROL first.")
    absolute_lift: float | None = strawberry.field(description="Treatment mean - control mean.")
    relative_lift: float | None = strawberry.field(description="Treatment / control - 1.")
    ci_low: float | None = strawberry.field(description="95 % fixed-horizon CI of absoluteLift.")
    ci_high: float | None = strawberry.field(
        description="Upper end of the 95 % fixed-horizon CI of absoluteLift; null without enough data."
    )
    relative_ci_low: float | None = strawberry.field(
        description="Lower end of the 95 % CI of relativeLift; null without enough data."
    )
    relative_ci_high: float | None = strawberry.field(
        description="Upper end of the 95 % CI of relativeLift; null without enough data."
    )
    p_value: float | None = strawberry.field(
        description="Fixed-horizon p (two-proportion z, Welch t, Fisher exact or delta-method z); "
        "valid only at a sample size fixed in advance."
    )
    adjusted_p_value: float | None = strawberry.field(
        description="Benjamini-Hochberg adjusted p across secondary metrics."
    )
    test: str | None = strawberry.field(description="Which fixed-horizon test gave pValue.")
    sequential: SequentialInterval | None = strawberry.field(
        description="Always-valid interval: may be checked at any time; the winner is decided on it."
    )

    @staticmethod
    def fields_from(doc: dict[str, Any]) -> dict[str, Any]:
        seq = doc.get("sequential")
        return {
            "metric": doc["metric"],
            "arms": [
                ExperimentArm(
                    variant=domain.Variant(a["variant"]),
                    units=a["units"],
                    n=a["n"],
                    observations=a["observations"],
                    mean=a["mean"],
                    variance=a["variance"],
                )
                for a in doc["arms"]
            ],
            "absolute_lift": doc["absoluteLift"],
            "relative_lift": doc["relativeLift"],
            "ci_low": doc["ciLow"],
            "ci_high": doc["ciHigh"],
            "relative_ci_low": doc["relativeCiLow"],
            "relative_ci_high": doc["relativeCiHigh"],
            "p_value": doc["pValue"],
            "adjusted_p_value": doc.get("adjustedPValue"),
            "test": doc["test"],
            "sequential": SequentialInterval(ci_low=seq["ciLow"], ci_high=seq["ciHigh"])
            if seq
            else None,
        }


@strawberry.type(description="The primary metric's comparison, the split check and the verdict.")
class ExperimentResults(ExperimentMetricResult):
    srm_p_value: float | None = strawberry.field(
        description="Sample ratio mismatch chi-square p; below 0.001 the results are invalid."
    )
    srm_passed: bool = strawberry.field(
        description="False when the sample ratio mismatch test fails (srmPValue < 0.001): the split is broken and the results are not to be trusted."
    )
    minimum_sample_reached: bool = strawberry.field(
        description="True once each arm has minimumSampleSize units with the primary metric."
    )
    winner: Winner = strawberry.field(
        description="CONTROL or TREATMENT when the sequential interval excludes 0 with enough units, else INCONCLUSIVE."
    )  # type: ignore[valid-type]
    power: ExperimentPower | None = strawberry.field(
        description="Power analysis at the current sample; null without enough data."
    )
    secondary: list[ExperimentMetricResult] = strawberry.field(
        description="Every other metric with data (feedback metrics and custom outcomes)."
    )
    guardrail_breaches: list[str] = strawberry.field(
        description="Guardrail metrics (thumbs_down_rate, issue_rate) the treatment is surely worse on."
    )

    @classmethod
    def from_json(cls, doc: dict[str, Any], minimum_sample_size: int) -> Self:
        power = doc.get("power")
        units = [a["n"] for a in doc["arms"]]
        still: int | None = None
        if power is not None:
            target = max(minimum_sample_size, power["unitsPerArmNeeded"] or 0)
            still = max(0, target - min(units))
        return cls(
            **ExperimentMetricResult.fields_from(doc),
            srm_p_value=doc["srmPValue"],
            srm_passed=doc["srmPassed"],
            minimum_sample_reached=doc["minimumSampleReached"],
            winner=domain.Winner(doc["winner"]),
            power=ExperimentPower(
                minimum_detectable_effect=power["minimumDetectableEffect"],
                power_at_observed_lift=power["powerAtObservedLift"],
                units_per_arm_needed=power["unitsPerArmNeeded"],
                units_still_needed=still,
            )
            if power
            else None,
            secondary=[
                ExperimentMetricResult(**ExperimentMetricResult.fields_from(m))
                for m in doc["secondary"]
            ],
            guardrail_breaches=list(doc["guardrailBreaches"]),
        )


@strawberry.type(
    description="An A/B test of two configs of one agent on live traffic: units are assigned deterministically, outcomes come from feedback and recorded metrics, and a winner is declared on an always-valid interval."
)
class Experiment(LoadableNode, relay.Node):
    """An A/B experiment on one agent's live traffic: control config against treatment config."""

    loader = ExperimentByIdLoader
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Shown in lists.")
    agent_id: str = strawberry.field(description="The agent's own id (its key).")
    status: ExperimentStatus = strawberry.field(
        description="DRAFT, RUNNING, PAUSED, COMPLETED or CANCELLED."
    )  # type: ignore[valid-type]
    hypothesis: str | None = strawberry.field(
        description="What the treatment is expected to change; null when not given."
    )
    hash_seed: str = strawberry.field(description="GrowthBook hash v2 seed of the assignment.")
    coverage: float = strawberry.field(description="Share of units in the experiment, (0, 1].")
    control_percentage: float = strawberry.field(
        description="Share (0..100) of covered units in CONTROL."
    )
    treatment_percentage: float = strawberry.field(
        description="Share (0..100) of covered units in TREATMENT."
    )
    control_config: JSON = strawberry.field(description="The config CONTROL units get (JSON).")
    treatment_config: JSON = strawberry.field(description="The config TREATMENT units get (JSON).")
    primary_metric: str = strawberry.field(
        description="thumbs_up_rate, thumbs_down_rate, mean_rating, accuracy, helpfulness, "
        "clarity, completeness, correction_rate, issue_rate, or a custom outcome metric."
    )
    minimum_sample_size: int = strawberry.field(
        description="Units per arm with the primary metric before a winner can be declared."
    )
    guardrails: bool = strawberry.field(
        description="Pause automatically when the treatment is surely worse on a guardrail metric."
    )
    winner: Winner | None = strawberry.field(  # type: ignore[valid-type]
        description="Set when the experiment is COMPLETED."
    )
    started_at: datetime | None = strawberry.field(
        description="When it first went RUNNING; null while DRAFT."
    )
    ended_at: datetime | None = strawberry.field(
        description="When it was COMPLETED or CANCELLED; null until then."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    record: strawberry.Private[domain.ExperimentRecord]

    @classmethod
    def from_record(cls, r: domain.ExperimentRecord) -> Self:
        return cls(
            id=str(r.id),
            name=r.name,
            agent_id=r.agent_key,
            status=r.status,
            hypothesis=r.hypothesis,
            hash_seed=r.hash_seed,
            coverage=r.coverage,
            control_percentage=r.control_percentage,
            treatment_percentage=r.treatment_percentage,
            control_config=JSON(r.control_config),
            treatment_config=JSON(r.treatment_config),
            primary_metric=r.primary_metric,
            minimum_sample_size=r.minimum_sample_size,
            guardrails=r.guardrails,
            winner=r.winner,
            started_at=r.started_at,
            ended_at=r.ended_at,
            created_at=r.created_at,
            updated_at=r.updated_at,
            record=r,
        )

    @strawberry.field(
        description="Live analysis while it runs (stored at completion); see docs/decisions."
    )
    async def results(self, info: Info) -> ExperimentResults:
        doc = await resolve.results(info.context, self.record)
        return ExperimentResults.from_json(doc, self.record.minimum_sample_size)

    @strawberry.field(description="The approved training run a canary experiment tests.")
    async def training_run(self, info: Info) -> TrainingRun | None:
        return await load_one(
            info, TrainingRunByIdLoader, self.record.training_run_id, TrainingRun.from_record
        )

    @strawberry.field(description="The deployment made when a MANAGER promoted the winner.")
    async def promoted_deployment(self, info: Info) -> Deployment | None:
        return await load_one(
            info, DeploymentByIdLoader, self.record.promoted_deployment_id, Deployment.from_record
        )


@strawberry.type(description="What an agent should use for one unit.")
class AgentConfig:
    variant: Variant | None = strawberry.field(  # type: ignore[valid-type]
        description="The unit's arm in a running experiment; null: the active deployment applies."
    )
    experiment_id: relay.GlobalID | None = strawberry.field(
        description="The Experiment the unit is in; null when none applies."
    )
    deployment_version: int | None = strawberry.field(
        description="The agent's active deployment version (null: none yet)."
    )
    config: JSON = strawberry.field(description="The effective config to use.")

    @classmethod
    def from_domain(cls, c: domain.AgentConfig) -> Self:
        return cls(
            variant=c.variant,
            experiment_id=relay.GlobalID("Experiment", str(c.experiment_id))
            if c.experiment_id
            else None,
            deployment_version=c.deployment_version,
            config=JSON(c.config),
        )
