"""Candidate prompt parts: LLM-rewritten instructions, a restructured template, demo sets.

Instructions are rewritten APE/COPRO style: the model sees the current instruction, a summary
of the TRAIN split and answers the current prompt got wrong on TRAIN, and proposes a better
instruction. Demonstrations come only from TRAIN: labelled ones (input, expected output) and
bootstrapped ones (the model's own answers that the metric scored as right).
"""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from learnloop.domain.engines.evaluation import EvalExample, Evaluation, Scored
from learnloop.domain.engines.llm import BudgetedModel, ChatMessage, ChatRequest
from learnloop.domain.engines.prompts import Demo

PROPOSER_SYSTEM = (
    "You improve the system instructions of an AI assistant. Reply with the new instruction "
    "text only: no preamble, no quotes, no explanation."
)
SHOWN_EXAMPLES = 4
SHOWN_FAILURES = 4
MAX_SHOWN_CHARS = 300
_NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?$")


@dataclass(frozen=True)
class TrainSummary:
    examples: int
    median_words: int
    max_words: int
    labels: tuple[str, ...]  # the answers, when they come from a small closed set
    numeric: bool

    def output_format(self) -> str:
        if self.labels:
            return "exactly one of: " + ", ".join(self.labels) + " (nothing else)"
        if self.numeric:
            return "only the number, with no units or words around it"
        if self.max_words <= 8:
            return f"only the answer itself, a short phrase of at most {self.max_words} words"
        return f"the answer only, about {self.median_words} words, with no preamble"


def summarize_train(train: Sequence[EvalExample]) -> TrainSummary:
    answers = [e.expected.strip() for e in train]
    words = [len(a.split()) for a in answers] or [0]
    counts = Counter(answers)
    closed = len(counts) <= 10 and len(answers) >= 2 * len(counts)
    return TrainSummary(
        examples=len(train),
        median_words=int(statistics.median(words)),
        max_words=max(words),
        labels=tuple(sorted(counts)) if closed else (),
        numeric=bool(answers) and all(_NUMBER.match(a) for a in answers),
    )


def _clip(text: str) -> str:
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "…"


def proposal_request(
    instruction: str,
    summary: TrainSummary,
    train: Sequence[EvalExample],
    failures: Sequence[Scored],
    *,
    attempt: int,
    temperature: float,
    max_tokens: int,
    seed: int,
) -> ChatRequest:
    shown = "\n".join(
        f"- input: {_clip(e.input)}\n  answer: {_clip(e.expected)}" for e in train[:SHOWN_EXAMPLES]
    )
    wrong = "\n".join(
        f"- input: {_clip(f.example.input)}\n  expected: {_clip(f.example.expected)}\n"
        f"  got: {_clip(f.output)}"
        for f in failures[:SHOWN_FAILURES]
    )
    body = (
        f"Current instruction:\n{instruction or '(none)'}\n\n"
        f"The task has {summary.examples} training examples. Expected answers are "
        f"{summary.output_format()}. Examples:\n{shown}\n\n"
        + (f"Answers the current instruction got wrong:\n{wrong}\n\n" if wrong else "")
        + f"Write improved instruction #{attempt + 1}: say what the task is, what to pay "
        "attention to, and exactly what the answer must look like."
    )
    messages = (ChatMessage("system", PROPOSER_SYSTEM), ChatMessage("user", body))
    return ChatRequest(messages, temperature, max_tokens, seed)


async def propose_instructions(
    model: BudgetedModel,
    instruction: str,
    summary: TrainSummary,
    train: Sequence[EvalExample],
    failures: Sequence[Scored],
    *,
    count: int,
    temperature: float,
    max_tokens: int,
    seed: int,
) -> list[str]:
    """`count` rewritten instructions (the first at the run's temperature, later ones warmer)."""
    found: list[str] = []
    for attempt in range(count):
        request = proposal_request(
            instruction,
            summary,
            train,
            failures,
            attempt=attempt,
            temperature=temperature if attempt == 0 else max(temperature, 0.7),
            max_tokens=max(max_tokens, 256),
            seed=seed + attempt,
        )
        text = (await model.complete(request, "proposal")).text.strip().strip('"').strip()
        if text and text != instruction and text not in found:
            found.append(text)
    return found


def restructure(instruction: str, summary: TrainSummary) -> str:
    """The same instruction laid out as role / task / constraints / output format."""
    task = instruction.strip() or "Answer the user's input."
    role = "a careful assistant that answers precisely"
    first = task.split(".")[0].strip()
    if first.lower().startswith("you are "):
        role = first[len("you are ") :]
    return (
        f"## Role\nYou are {role}.\n\n"
        f"## Task\n{task}\n\n"
        "## Constraints\n- Use only what the input says; do not invent facts.\n"
        "- Do not explain your reasoning or repeat the question.\n\n"
        f"## Output format\nReply with {summary.output_format()}."
    )


def labelled_demos(train: Sequence[EvalExample], k: int, rng: random.Random) -> tuple[Demo, ...]:
    chosen = rng.sample(list(train), min(k, len(train)))
    return tuple(Demo(e.input, e.expected) for e in chosen)


def bootstrapped_demos(
    answered: Evaluation, k: int, threshold: float, rng: random.Random
) -> tuple[Demo, ...]:
    """The model's own answers on TRAIN that the metric scored at least `threshold`."""
    good = [r for r in answered.rows if r.score >= threshold and r.output]
    chosen = rng.sample(good, min(k, len(good)))
    return tuple(Demo(r.example.input, r.output) for r in chosen)
