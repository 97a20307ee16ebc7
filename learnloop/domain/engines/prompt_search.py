"""MIPRO-style search over instruction x demonstration combinations, and the selection rule.

Search: every candidate is scored on a small minibatch of VALIDATION; the better half goes on to
a minibatch twice as large, until the survivors are scored on the whole split (successive
halving; each answer is asked once, so a larger minibatch only pays for its new examples). The
search stops early when the budget left after the TEST reserve cannot pay for a round.

Selection: the best-scoring variant is mostly noise on a small validation set, so the baseline
stays unless a variant's paired validation gain over it is significant, and among the variants
that are, the simplest one wins unless a richer one is significantly better than it.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from learnloop.domain.engines.evaluation import EvalExample, Evaluation, Evaluator
from learnloop.domain.engines.llm import BudgetExhausted
from learnloop.domain.engines.paired_stats import compare
from learnloop.domain.engines.prompts import Prompt

FIRST_MINIBATCH = 8


@dataclass(frozen=True)
class Candidate:
    name: str
    prompt: Prompt
    complexity: int  # parts added to the baseline: 0 baseline, 1 one change, 2 combined

    @property
    def order(self) -> tuple[int, int, str]:
        """Simpler first: fewer parts, then shorter prompts."""
        size = len(self.prompt.system) + sum(
            len(d.input) + len(d.output) for d in self.prompt.demos
        )
        return (self.complexity, size, self.name)


@dataclass
class Trial:
    candidate: Candidate
    evaluation: Evaluation | None = None
    calls: int = 0
    full: bool = False  # scored on the whole VALIDATION split


async def successive_halving(
    evaluator: Evaluator,
    candidates: Sequence[Candidate],
    validation: Sequence[EvalExample],
    *,
    affordable: Callable[[], int],
    seed: int,
    on_round: Callable[[int], object] | None = None,
) -> list[Trial]:
    """Trials for every candidate; those with `full` set were scored on all of VALIDATION."""
    order = list(validation)
    random.Random(seed).shuffle(order)
    trials = [Trial(c) for c in candidates]
    alive = list(trials)
    size = min(len(order), FIRST_MINIBATCH)
    while alive:
        batch = order[:size]
        alive = _affordable(evaluator, alive, batch, affordable())
        if not alive:
            break
        costs = [evaluator.missing(t.candidate.prompt, batch) for t in alive]
        try:
            # Candidates of a round run together; the evaluator bounds the calls in flight.
            found = await asyncio.gather(
                *(evaluator.evaluate(t.candidate.prompt, batch) for t in alive)
            )
        except BudgetExhausted:
            return trials
        for trial, evaluation, cost in zip(alive, found, costs, strict=True):
            trial.evaluation = evaluation
            trial.calls += cost
            trial.full = size == len(order)
        if on_round is not None:
            on_round(size)
        if size == len(order):
            break
        alive.sort(key=lambda t: (-(t.evaluation.mean if t.evaluation else 0), t.candidate.order))
        alive = alive[: max(1, math.ceil(len(alive) / 2))]
        size = min(len(order), size * 2)
    return trials


def _affordable(
    evaluator: Evaluator, alive: list[Trial], batch: Sequence[EvalExample], budget: int
) -> list[Trial]:
    """The best-ranked survivors whose next minibatch the budget still pays for."""
    kept: list[Trial] = []
    for trial in alive:
        cost = evaluator.missing(trial.candidate.prompt, batch)
        if cost <= budget:
            kept.append(trial)
            budget -= cost
    return kept


def select(
    baseline: Evaluation,
    finalists: Sequence[tuple[Candidate, Evaluation]],
    *,
    binary: bool,
    seed: int,
) -> tuple[Candidate, Evaluation] | None:
    """The variant to use instead of the baseline, or None to keep the baseline."""
    beating = [
        (c, e)
        for c, e in finalists
        if compare(baseline.scores, e.scores, binary=binary, seed=seed).significant_gain()
    ]
    if not beating:
        return None
    beating.sort(key=lambda ce: ce[0].order)
    chosen = beating[0]
    for candidate, evaluation in beating[1:]:
        gain = compare(chosen[1].scores, evaluation.scores, binary=binary, seed=seed)
        if gain.significant_gain():
            chosen = (candidate, evaluation)
    return chosen
