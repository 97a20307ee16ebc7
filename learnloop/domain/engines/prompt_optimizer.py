"""PROMPT_OPTIMIZATION: find a prompt that scores better, and prove it on TEST.

Baseline -> bootstrap answers on TRAIN -> proposed instructions, restructured template and demo
sets -> minibatch search on VALIDATION -> significance-gated selection -> TEST comparison,
floors, predictions and recommendations. Every LLM call goes through one BudgetedModel, so
`maxLlmCalls` is a hard cap; the TEST pass is reserved before the search spends anything.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from learnloop.domain.datasets import DatasetRecord
from learnloop.domain.deployments import ResultKind
from learnloop.domain.engines import prompt_candidates as parts
from learnloop.domain.engines import prompt_config, prompt_report
from learnloop.domain.engines.base import (
    CancelToken,
    EngineResult,
    ProgressReporter,
    TrainingData,
    TrainingFailed,
    budgeted_session,
)
from learnloop.domain.engines.evaluation import EvalExample, Evaluation, Evaluator, Generation
from learnloop.domain.engines.llm import (
    BudgetedModel,
    ChatModelFactory,
    Embedder,
)
from learnloop.domain.engines.metrics import MetricName, Scorer
from learnloop.domain.engines.paired_stats import compare
from learnloop.domain.engines.prompt_search import Candidate, select, successive_halving
from learnloop.domain.engines.prompts import Demo, Prompt
from learnloop.domain.errors import Problem
from learnloop.domain.exports import ExportRecord, desirable_completion
from learnloop.domain.splits import Split
from learnloop.domain.training_runs.records import TrainingType

BOOTSTRAP_EXAMPLES = 8


def eval_examples(records: tuple[ExportRecord, ...]) -> list[EvalExample]:
    """Examples with an input and a good answer; the rest cannot be scored."""
    found = []
    for r in records:
        expected = desirable_completion(r)
        if not r.input_text.strip() or expected is None:
            continue
        labels = [str(c) for c in r.metadata.get("issueCategories") or [] if isinstance(c, str)]
        labels += [f"domain:{r.domain}"] if r.domain else []
        labels += [f"taskType:{r.task_type}"] if r.task_type else []
        found.append(EvalExample(str(r.example_id), r.input_text, expected, tuple(labels)))
    return found


class PromptOptimizer:
    training_type = TrainingType.PROMPT_OPTIMIZATION

    def __init__(self, llm: ChatModelFactory | None, embedder: Embedder | None = None) -> None:
        self.llm = llm
        self.embedder = embedder

    def validate_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return prompt_config.validate(config, llm_configured=self.llm is not None)

    def check_dataset(self, dataset: DatasetRecord) -> list[Problem]:
        return prompt_config.dataset_problems(dataset)

    async def run(
        self,
        dataset: TrainingData,
        config: Mapping[str, Any],
        progress: ProgressReporter,
        cancel: CancelToken,
    ) -> EngineResult:
        # Only retries of failed calls can eat into the TEST reserve.
        spent = (
            " before the TEST comparison (retries of failed calls spend it too); raise "
            "maxLlmCalls or try when the LLM is healthier"
        )
        async with budgeted_session(
            self.llm, dataset.org_id, int(config["maxLlmCalls"]), spent
        ) as model:
            return await _Run(self, dataset, config, model, progress, cancel).execute()


class _Run:
    """One optimisation: the state the steps share."""

    def __init__(
        self,
        engine: PromptOptimizer,
        dataset: TrainingData,
        config: Mapping[str, Any],
        model: BudgetedModel,
        progress: ProgressReporter,
        cancel: CancelToken,
    ) -> None:
        self.config = config
        self.model = model
        self.progress = progress
        self.cancel = cancel
        self.seed = int(config["seed"])
        metric = MetricName(config["metric"])
        embedder = engine.embedder if metric is MetricName.EMBEDDING_COSINE else None
        if metric is MetricName.EMBEDDING_COSINE and embedder is None:
            raise TrainingFailed("EMBEDDING_COSINE needs the embedding model, not installed here")
        self.scorer = Scorer(metric, embedder)
        self.generation = Generation(
            float(config["temperature"]), int(config["maxTokens"]), self.seed
        )
        assert engine.llm is not None
        self.evaluator = Evaluator(
            model, self.scorer, self.generation, cancel, engine.llm.concurrency
        )
        self.train = eval_examples(dataset.split(Split.TRAIN))
        self.validation = eval_examples(dataset.split(Split.VALIDATION))
        self.test = eval_examples(dataset.split(Split.TEST))
        raw = config.get("basePrompt")
        self.base = Prompt.from_result(raw) if isinstance(raw, Mapping) else Prompt(str(raw or ""))

    async def _report(self, message: str) -> None:
        done = self.model.spent / max(1, self.model.limit)
        await self.progress(min(0.95, done), message=message, metrics=self.model.usage.as_metrics())

    def _reserve(self) -> int:
        """Calls kept for the TEST pass (baseline and best)."""
        return 2 * len(self.test)

    def _affordable(self) -> int:
        return self.model.remaining - self._reserve()

    async def execute(self) -> EngineResult:
        if not self.train or not self.validation:
            raise TrainingFailed(
                "PROMPT_OPTIMIZATION needs TRAIN and VALIDATION examples with an input and an "
                f"expected output; this version has {len(self.train)} and {len(self.validation)}"
            )
        needed = len(self.validation) + self._reserve()
        if self.model.limit < needed:
            raise TrainingFailed(
                f"maxLlmCalls={self.model.limit} cannot even evaluate the baseline on VALIDATION "
                f"({len(self.validation)}) and compare two prompts on TEST ({self._reserve()}); "
                f"set maxLlmCalls to at least {needed} (more lets the search try variants)"
            )
        baseline = await self.evaluator.evaluate(self.base, self.validation)
        await self._report(f"baseline scores {baseline.mean:.3f} on VALIDATION")
        candidates = await self._candidates()
        await self._report(f"{len(candidates)} candidate prompts to search")
        trials = await successive_halving(
            self.evaluator, candidates, self.validation, affordable=self._affordable, seed=self.seed
        )
        finalists = [(t.candidate, t.evaluation) for t in trials if t.full and t.evaluation]
        chosen = select(baseline, finalists, binary=self.scorer.binary, seed=self.seed)
        best = chosen[0] if chosen else Candidate("baseline", self.base, 0)
        best_validation = chosen[1] if chosen else baseline
        await self._report(f"selected '{best.name}' ({best_validation.mean:.3f} on VALIDATION)")
        variants = [
            {
                "name": "baseline",
                "validationScore": baseline.mean,
                "llmCalls": len(self.validation),
                "examples": len(self.validation),
            }
        ]
        variants += [
            {
                "name": t.candidate.name,
                "validationScore": t.evaluation.mean if t.evaluation else None,
                "llmCalls": t.calls,
                "examples": len(t.evaluation.rows) if t.evaluation else 0,
            }
            for t in trials
        ]
        return await self._finish(best, baseline, best_validation, variants)

    async def _candidates(self) -> list[Candidate]:
        rng = random.Random(self.seed)
        summary = parts.summarize_train(self.train)
        k = int(self.config["maxDemos"])
        sample = rng.sample(self.train, min(len(self.train), BOOTSTRAP_EXAMPLES))
        answered: Evaluation | None = None
        if k and self.evaluator.missing(self.base, sample) <= self._affordable() - len(
            self.validation
        ):
            answered = await self.evaluator.evaluate(self.base, sample)
        failures = [r for r in answered.rows if r.score < 0.5] if answered else []
        count = min(
            int(self.config["instructionCandidates"]),
            max(0, self._affordable() - len(self.validation)),
        )
        proposed = await parts.propose_instructions(
            self.model,
            self.base.system,
            summary,
            self.train,
            failures,
            count=count,
            temperature=float(self.config["temperature"]),
            max_tokens=int(self.config["maxTokens"]),
            seed=self.seed,
        )
        instructions = [
            (f"instruction_{i + 1}" if len(proposed) > 1 else "instruction", p)
            for i, p in enumerate(proposed)
        ]
        instructions.append(("restructured", parts.restructure(self.base.system, summary)))
        demo_sets: list[tuple[str, tuple[Demo, ...]]] = []
        if k:
            demo_sets.append(("few_shot", parts.labelled_demos(self.train, k, rng)))
            threshold = 1.0 if self.scorer.binary else 0.8
            boot = parts.bootstrapped_demos(answered, k, threshold, rng) if answered else ()
            if boot:
                demo_sets.append(("bootstrapped_few_shot", boot))
        found: list[Candidate] = []
        for name, system in instructions:
            found.append(Candidate(name, Prompt(system, self.base.demos), 1))
        for name, demos in demo_sets:
            found.append(Candidate(name, Prompt(self.base.system, demos), 1))
            for instruction, system in instructions:
                found.append(Candidate(f"{instruction}+{name}", Prompt(system, demos), 2))
        unique: dict[str, Candidate] = {}
        for c in found:
            if c.prompt.key != self.base.key:
                unique.setdefault(c.prompt.key, c)
        return list(unique.values())

    async def _finish(
        self,
        best: Candidate,
        baseline: Evaluation,
        best_validation: Evaluation,
        variants: list[dict[str, Any]],
    ) -> EngineResult:
        has_test = bool(self.test)
        base_test = await self.evaluator.evaluate(self.base, self.test) if has_test else None
        best_test = await self.evaluator.evaluate(best.prompt, self.test) if has_test else None
        comparison = None
        if base_test is not None and best_test is not None:
            comparison = compare(
                base_test.scores, best_test.scores, binary=self.scorer.binary, seed=self.seed
            )
        verdict = prompt_report.verdict(comparison)
        compared = [("baseline", base_test)] + (
            [(best.name, best_test)] if best.name != "baseline" else []
        )
        artifacts = (
            (prompt_report.predictions_artifact([(n, e) for n, e in compared if e is not None]),)
            if has_test
            else ()
        )
        floors = prompt_report.floors(self.scorer, self.train, self.test or self.validation)
        usage = self.model.usage.as_metrics()
        result: dict[str, Any] = {
            "kind": ResultKind.PROMPT.value,
            "summary": f"'{best.name}' selected; verdict {verdict}",
            "metric": self.scorer.metric.value,
            "bestPrompt": best.prompt.as_result(),
            "baseline": {
                "validationScore": baseline.mean,
                "testScore": base_test.mean if base_test else None,
            },
            "best": {
                "variant": best.name,
                "validationScore": best_validation.mean,
                "testScore": best_test.mean if best_test else None,
            },
            "improvement": comparison.as_result() if comparison else None,
            "verdict": verdict,
            "variants": variants,
            "llmCalls": self.model.spent,
            "floor": max(floors, key=lambda f: f["testScore"]) if floors else None,
            "floors": floors,
            "recommendations": prompt_report.recommendations(
                best_test or best_validation,
                binary=self.scorer.binary,
                has_test=has_test,
                improved=verdict == prompt_report.IMPROVED,
            ),
            "deployable": {"prompt": best.prompt.as_result(), "variant": best.name},
        }
        await self.progress(0.99, message=f"verdict {verdict}", metrics=usage)
        return EngineResult(result=result, metrics=usage, artifacts=artifacts)
