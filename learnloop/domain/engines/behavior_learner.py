"""BEHAVIOR_CLONING: rules induced from corrections (kept only if validation improves), nearest-
neighbour exemplars over approved examples, and DPO preference pairs from corrections."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learnloop.domain.datasets import DatasetRecord
from learnloop.domain.engines import behavior_data as data
from learnloop.domain.engines import config as checks
from learnloop.domain.engines.base import (
    Artifact,
    CancelToken,
    EngineResult,
    ProgressReporter,
    TrainingData,
    TrainingFailed,
    budgeted_session,
)
from learnloop.domain.engines.evaluation import Evaluator, Generation
from learnloop.domain.engines.llm import (
    BudgetedModel,
    ChatModelFactory,
    Embedder,
)
from learnloop.domain.engines.metrics import MetricName, Scorer
from learnloop.domain.engines.prompt_optimizer import eval_examples
from learnloop.domain.engines.prompts import Prompt
from learnloop.domain.errors import ErrorCode, Problem
from learnloop.domain.splits import Split
from learnloop.domain.training_runs.records import TrainingType

DEFAULTS: dict[str, Any] = {
    "basePrompt": "",
    "metric": MetricName.TOKEN_F1.value,
    "maxLlmCalls": 200,
    "seed": 0,
    "maxRules": 3,
    "correctionsPerRule": 4,
    "maxExemplars": 4,
    "minGain": 0.0,
}


def validate(config: Mapping[str, Any], *, llm_configured: bool) -> dict[str, Any]:
    return checks.validate(
        config,
        [
            checks.unknown_keys(set(DEFAULTS)),
            checks.text("basePrompt", max_length=20_000),
            checks.one_of("metric", tuple(m.value for m in MetricName)),
            checks.integer("maxLlmCalls", 1, 10_000),
            checks.integer("seed", 0, 2**31 - 1),
            checks.integer("maxRules", 0, 20),
            checks.integer("correctionsPerRule", 1, 20),
            checks.integer("maxExemplars", 0, 32),
            checks.number("minGain", 0.0, 1.0),
            checks.needs_llm("BEHAVIOR_CLONING", llm_configured),
        ],
        DEFAULTS,
    )


def dataset_problems(dataset: DatasetRecord) -> list[Problem]:
    types = dataset.stats.example_types
    problems = []
    if not any(types.get(t, 0) for t in data.LEARNED_TYPES):
        problems.append(
            Problem(
                ("datasetId",),
                f"dataset '{dataset.name}' v{dataset.version} has no DEMONSTRATION or CORRECTION "
                "examples; record some with learnFromDemonstration or incorporateCorrection",
                ErrorCode.INVALID_STATE,
            )
        )
    if not dataset.stats.splits.get(Split.VALIDATION, 0):
        problems.append(
            Problem(
                ("datasetId",),
                f"dataset '{dataset.name}' v{dataset.version} has no VALIDATION examples; "
                "BEHAVIOR_CLONING keeps a rule only if it improves the validation score",
                ErrorCode.INVALID_STATE,
            )
        )
    return problems


class BehaviorLearner:
    training_type = TrainingType.BEHAVIOR_CLONING

    def __init__(self, llm: ChatModelFactory | None, embedder: Embedder | None) -> None:
        self.llm = llm
        self.embedder = embedder

    def validate_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return validate(config, llm_configured=self.llm is not None)

    def check_dataset(self, dataset: DatasetRecord) -> list[Problem]:
        return dataset_problems(dataset)

    async def run(
        self,
        dataset: TrainingData,
        config: Mapping[str, Any],
        progress: ProgressReporter,
        cancel: CancelToken,
    ) -> EngineResult:
        spent = "; raise it or lower maxRules"
        async with budgeted_session(
            self.llm, dataset.org_id, int(config["maxLlmCalls"]), spent
        ) as model:
            return await self._learn(dataset, config, model, progress, cancel)

    async def _learn(
        self,
        dataset: TrainingData,
        config: Mapping[str, Any],
        model: BudgetedModel,
        progress: ProgressReporter,
        cancel: CancelToken,
    ) -> EngineResult:
        seed = int(config["seed"])
        train = data.learned(dataset.split(Split.TRAIN))
        validation = eval_examples(tuple(data.learned(dataset.split(Split.VALIDATION))))
        if not validation:
            raise TrainingFailed("no VALIDATION demonstration or correction has an expected answer")
        preferences, pairs = data.preferences_jsonl(
            [*train, *data.learned(dataset.split(Split.VALIDATION))]
        )
        await progress(0.05, message=f"{pairs} preference pairs")

        chosen: list[data.Exemplar] = []
        if self.embedder is not None:
            chosen = data.exemplars(
                train, [e.input for e in validation], self.embedder, int(config["maxExemplars"])
            )
        cancel.raise_if_cancelled()

        corrections = data.corrections(train)
        per_rule = int(config["correctionsPerRule"])
        batches = [corrections[i : i + per_rule] for i in range(0, len(corrections), per_rule)]
        batches = batches[: int(config["maxRules"])]
        candidates: list[str] = []
        for i, batch in enumerate(batches):
            cancel.raise_if_cancelled()  # one rule request at a time: a checkpoint before each
            response = await model.complete(data.rule_request(batch, seed + i), "rules")
            rule = data.clean_rule(response.text)
            if rule is not None and rule not in candidates:
                candidates.append(rule)
        await progress(0.3, message=f"{len(candidates)} candidate rules")

        metric = MetricName(config["metric"])
        scorer = Scorer(metric, self.embedder if metric is MetricName.EMBEDDING_COSINE else None)
        evaluator = Evaluator(model, scorer, Generation(seed=seed), cancel, concurrency=8)
        base = str(config["basePrompt"] or "")
        current = Prompt(base)
        current_score = (await evaluator.evaluate(current, validation)).mean
        baseline = current_score
        kept: list[dict[str, Any]] = []
        dropped: list[dict[str, Any]] = []
        for i, rule in enumerate(candidates):
            trial = Prompt(f"{current.system}\n- {rule}".strip())
            score = (await evaluator.evaluate(trial, validation)).mean
            gain = score - current_score
            entry = {"text": rule, "validationGain": gain, "validationScore": score}
            if gain > float(config["minGain"]):
                kept.append(entry)
                current, current_score = trial, score
            else:
                dropped.append(entry)
            await progress(
                0.3 + 0.65 * (i + 1) / len(candidates), message=f"rule {i + 1}: {gain:+.3f}"
            )

        result = {
            "rules": kept,
            "droppedRules": dropped,
            "exemplars": [{"exampleId": e.example_id, "covers": e.covers} for e in chosen],
            "preferencePairs": pairs,
            "validation": {
                "baseline": baseline,
                "withRules": current_score,
                "metric": metric.value,
            },
            "llmCalls": model.spent,
            "deployable": {
                "prompt": current.as_result(),
                "rules": [r["text"] for r in kept],
                "exemplars": [
                    {"exampleId": e.example_id, "input": e.input, "output": e.output}
                    for e in chosen
                ],
                "exemplarSelection": "nearest neighbour by embedding cosine (all-MiniLM-L6-v2)",
            },
        }
        artifacts = (Artifact("preferences.jsonl", "application/x-ndjson", preferences),)
        return EngineResult(result=result, metrics=model.usage.as_metrics(), artifacts=artifacts)
