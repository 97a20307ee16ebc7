"""What a prompt-optimisation run reports: TEST comparison, no-LLM floors, predictions, advice."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from learnloop.domain.engines.base import Artifact
from learnloop.domain.engines.evaluation import EvalExample, Evaluation
from learnloop.domain.engines.metrics import Scorer
from learnloop.domain.engines.paired_stats import PairedComparison

IMPROVED = "IMPROVED"
NO_SIGNIFICANT_IMPROVEMENT = "NO_SIGNIFICANT_IMPROVEMENT"
FAILING_SHOWN = 5


def floors(
    scorer: Scorer, train: Sequence[EvalExample], held_out: Sequence[EvalExample]
) -> list[dict[str, Any]]:
    """Scores a prompt must beat to be worth an LLM: echoing the input, the most common answer."""
    if not held_out:
        return []
    expected = [e.expected for e in held_out]
    common = Counter(e.expected.strip() for e in train).most_common(1)
    majority = common[0][0] if common else ""
    rows = [
        ("echo_input", scorer.scores([e.input for e in held_out], expected)),
        ("majority_answer", scorer.scores([majority] * len(held_out), expected)),
    ]
    return [{"name": name, "testScore": sum(s) / len(s)} for name, s in rows]


def verdict(comparison: PairedComparison | None) -> str:
    return (
        IMPROVED
        if comparison is not None and comparison.significant_gain()
        else NO_SIGNIFICANT_IMPROVEMENT
    )


def predictions_artifact(runs: Sequence[tuple[str, Evaluation]]) -> Artifact:
    """One line per TEST example and compared variant, so anyone can re-score the outputs."""
    lines = []
    for variant, evaluation in runs:
        for row in evaluation.rows:
            line = {
                "exampleId": row.example.id,
                "variant": variant,
                "input": row.example.input,
                "expected": row.example.expected,
                "output": row.output,
                "score": row.score,
            }
            lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    return Artifact("predictions.jsonl", "application/jsonl", "".join(lines))


def recommendations(best: Evaluation, *, binary: bool, has_test: bool, improved: bool) -> list[str]:
    """Plain advice: which categories and examples still fail with the chosen prompt."""
    advice: list[str] = []
    if not has_test:
        advice.append(
            "The dataset has no TEST split, so the gain could not be confirmed on held-out data; "
            "add TEST examples in a new dataset version."
        )
    threshold = 1.0 if binary else 0.5
    failing = [r for r in best.rows if r.score < threshold]
    if not failing:
        advice.append("Every evaluated example passes with the chosen prompt.")
        return advice
    share = len(failing) / len(best.rows)
    advice.append(
        f"{len(failing)} of {len(best.rows)} evaluated examples ({share:.0%}) still fail."
    )
    labels = Counter(label for r in failing for label in r.example.labels)
    if labels:
        listed = ", ".join(f"{name} ({n})" for name, n in labels.most_common(5))
        advice.append(f"Failures by category: {listed}; collect more corrections there.")
    worst = sorted(failing, key=lambda r: (r.score, r.example.id))[:FAILING_SHOWN]
    shown = "; ".join(f"{r.example.id} ({r.example.input[:60]!r})" for r in worst)
    advice.append(f"Examples that still fail: {shown}.")
    if not improved:
        advice.append(
            "No variant beat the baseline significantly: more VALIDATION/TEST examples or a "
            "larger maxLlmCalls make smaller gains detectable."
        )
    return advice
