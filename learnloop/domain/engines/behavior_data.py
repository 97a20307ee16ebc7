"""BEHAVIOR_CLONING's data: demonstrations and corrections, preference pairs, exemplars, rule prompts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from learnloop.domain.engines.llm import ChatMessage, ChatRequest, Embedder
from learnloop.domain.exports import ExportRecord, desirable_completion, dpo_row

LEARNED_TYPES = frozenset({"DEMONSTRATION", "CORRECTION"})
RULE_SYSTEM = (
    "You turn corrections of an assistant's answers into one general, reusable rule. "
    "Reply with the rule only: one imperative sentence, no preamble."
)


@dataclass(frozen=True)
class Correction:
    example_id: str
    input: str
    original: str
    corrected: str


def learned(records: Sequence[ExportRecord]) -> list[ExportRecord]:
    return [r for r in records if r.example_type in LEARNED_TYPES]


def corrections(records: Sequence[ExportRecord]) -> list[Correction]:
    """Corrections with a real change: the original answer and a different corrected one."""
    found = []
    for r in records:
        row = dpo_row(r) if r.example_type == "CORRECTION" else None
        if row is not None:
            found.append(
                Correction(str(r.example_id), row["prompt"], row["rejected"], row["chosen"])
            )
    return found


def preferences_jsonl(records: Sequence[ExportRecord]) -> tuple[str, int]:
    """DPO lines (prompt, chosen = correction, rejected = original answer) and their count."""
    lines = [
        json.dumps(
            {"prompt": c.input, "chosen": c.corrected, "rejected": c.original}, sort_keys=True
        )
        for c in corrections(records)
    ]
    return "".join(f"{line}\n" for line in lines), len(lines)


def rule_request(batch: Sequence[Correction], seed: int) -> ChatRequest:
    shown = "\n\n".join(
        f"Input: {c.input}\nAnswer given: {c.original}\nCorrected answer: {c.corrected}"
        for c in batch
    )
    return ChatRequest(
        (ChatMessage("system", RULE_SYSTEM), ChatMessage("user", f"Corrections:\n\n{shown}")),
        temperature=0.0,
        max_tokens=120,
        seed=seed,
    )


def clean_rule(text: str) -> str | None:
    """The first non-empty line, without list markers; None when there is nothing usable."""
    for line in text.splitlines():
        rule = line.strip().lstrip("-*0123456789.) ").strip()
        if rule:
            return rule[:500]
    return None


@dataclass(frozen=True)
class Exemplar:
    example_id: str
    input: str
    output: str
    covers: int  # validation inputs for which it is the nearest neighbour


def exemplars(
    pool: Sequence[ExportRecord],
    queries: Sequence[str],
    embedder: Embedder,
    limit: int,
) -> list[Exemplar]:
    """Approved examples that are the nearest neighbour (cosine) of the most queries.

    Ties go to the earlier example, so the choice is deterministic for a given dataset.
    """
    usable = [
        (r, out)
        for r in pool
        if r.review_status == "APPROVED" and (out := desirable_completion(r)) is not None
    ]
    if not usable or limit <= 0:
        return []
    vectors = np.asarray(embedder.embed([r.input_text for r, _ in usable] + list(queries)))
    examples, asked = vectors[: len(usable)], vectors[len(usable) :]
    covers = np.zeros(len(usable), dtype=np.int64)
    if len(asked):
        nearest = np.argmax(asked @ examples.T, axis=1)
        covers = np.bincount(nearest, minlength=len(usable))
    order = sorted(range(len(usable)), key=lambda i: (-int(covers[i]), i))[:limit]
    return [
        Exemplar(
            str(usable[i][0].example_id), usable[i][0].input_text, usable[i][1], int(covers[i])
        )
        for i in order
    ]
