"""Evaluate a prompt on examples with a metric: the shared service every LLM engine uses.

Calls for one batch run concurrently (bounded by `concurrency`), results come back in example
order, each (prompt, example) pair is asked at most once per evaluator (minibatch scores are
reused by full passes), and cancellation is checked between batches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from learnloop.domain.engines.base import CancelToken
from learnloop.domain.engines.llm import BudgetedModel, ChatRequest
from learnloop.domain.engines.metrics import MetricName, Scorer
from learnloop.domain.engines.prompts import Prompt, render_messages


@dataclass(frozen=True)
class EvalExample:
    id: str
    input: str
    expected: str
    labels: tuple[str, ...] = ()  # issue categories, domain, task type: for recommendations


@dataclass(frozen=True)
class Scored:
    example: EvalExample
    output: str
    score: float


@dataclass
class Evaluation:
    prompt: Prompt
    rows: list[Scored] = field(default_factory=list)

    @property
    def scores(self) -> list[float]:
        return [r.score for r in self.rows]

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.rows) if self.rows else 0.0


@dataclass(frozen=True)
class Generation:
    temperature: float = 0.0
    max_tokens: int = 256
    seed: int | None = None

    def request(self, prompt: Prompt, user_input: str) -> ChatRequest:
        return ChatRequest(
            tuple(render_messages(prompt, user_input)), self.temperature, self.max_tokens, self.seed
        )


class Evaluator:
    """Scores prompts on examples through one budgeted model; remembers every answer it got."""

    def __init__(
        self,
        model: BudgetedModel,
        scorer: Scorer,
        generation: Generation,
        cancel: CancelToken | None = None,
        concurrency: int = 8,
    ) -> None:
        self.model = model
        self.scorer = scorer
        self.generation = generation
        self.cancel = cancel
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._answers: dict[tuple[str, str], Scored] = {}

    def missing(self, prompt: Prompt, examples: Sequence[EvalExample]) -> int:
        """Calls an evaluation of these examples would still cost."""
        return sum((prompt.key, e.id) not in self._answers for e in examples)

    async def _ask(self, request: ChatRequest) -> str:
        async with self._slots:
            response = await self.model.complete(request, "evaluation")
        return response.text.strip()

    async def evaluate(self, prompt: Prompt, examples: Sequence[EvalExample]) -> Evaluation:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        todo = [e for e in examples if (prompt.key, e.id) not in self._answers]
        requests = [self.generation.request(prompt, e.input) for e in todo]
        await self.model.prefetch(requests)
        try:
            outputs = await asyncio.gather(*(self._ask(r) for r in requests))
        finally:
            await self.model.flush()
        expected = [e.expected for e in todo]
        if self.scorer.metric is MetricName.EMBEDDING_COSINE:
            # The embedding model is CPU work: keep the loop free for heartbeats and other runs.
            scores = await asyncio.to_thread(self.scorer.scores, outputs, expected)
        else:
            scores = self.scorer.scores(outputs, expected)
        for example, output, score in zip(todo, outputs, scores, strict=True):
            self._answers[(prompt.key, example.id)] = Scored(example, output, score)
        return Evaluation(prompt, [self._answers[(prompt.key, e.id)] for e in examples])


async def evaluate(
    model: BudgetedModel,
    prompt: Prompt,
    examples: Sequence[EvalExample],
    scorer: Scorer,
    **generation: Any,
) -> Evaluation:
    """One-off evaluation (engines that compare many prompts keep an Evaluator instead)."""
    return await Evaluator(model, scorer, Generation(**generation)).evaluate(prompt, examples)
