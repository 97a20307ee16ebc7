"""PROMPT_OPTIMIZATION config: its keys, defaults and checks, and the splits it needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learnloop.domain.datasets import DatasetRecord
from learnloop.domain.engines import config as checks
from learnloop.domain.engines.metrics import MetricName
from learnloop.domain.errors import ErrorCode, Problem
from learnloop.domain.splits import Split

MAX_PROMPT_CHARS = 20_000
MAX_DEMOS = 8
DEFAULTS: dict[str, Any] = {
    "basePrompt": None,  # filled at creation from the agent's active deployment
    "metric": MetricName.TOKEN_F1.value,
    "maxLlmCalls": 300,
    "seed": 0,
    "temperature": 0.0,
    "maxTokens": 256,
    "maxDemos": 4,
    "instructionCandidates": 2,
}
OPTIONS = set(DEFAULTS)
NEEDED_SPLITS = (Split.TRAIN, Split.VALIDATION)


def _base_prompt(config: Mapping[str, Any]) -> list[Problem]:
    """A string (the system text) or {system, demos: [{input, output}]} as `bestPrompt` has it."""
    value = config.get("basePrompt")
    at = ("config", "basePrompt")
    if value is None or isinstance(value, str):
        too_long = isinstance(value, str) and len(value) > MAX_PROMPT_CHARS
        return (
            [Problem(at, f"at most {MAX_PROMPT_CHARS} characters", ErrorCode.TOO_LONG)]
            if too_long
            else []
        )
    if not isinstance(value, Mapping) or not isinstance(value.get("system", ""), str):
        return [Problem(at, "'basePrompt' is a string or {system, demos}")]
    demos = value.get("demos") or []
    ok = isinstance(demos, list) and all(
        isinstance(d, Mapping)
        and isinstance(d.get("input"), str)
        and isinstance(d.get("output"), str)
        for d in demos
    )
    return [] if ok else [Problem((*at, "demos"), "demos are [{input, output}] strings")]


def validate(config: Mapping[str, Any], *, llm_configured: bool) -> dict[str, Any]:
    rules = [
        checks.needs_llm("PROMPT_OPTIMIZATION", llm_configured),
        checks.unknown_keys(OPTIONS),
        _base_prompt,
        checks.one_of("metric", tuple(m.value for m in MetricName)),
        checks.integer("maxLlmCalls", 1, 1_000_000),
        checks.integer("seed", 0, 2**31 - 1),
        checks.number("temperature", 0, 2),
        checks.integer("maxTokens", 1, 32_768),
        checks.integer("maxDemos", 0, MAX_DEMOS),
        checks.integer("instructionCandidates", 0, 4),
    ]
    return checks.validate(config, rules, DEFAULTS)


def dataset_problems(dataset: DatasetRecord) -> list[Problem]:
    """TRAIN gives demonstrations, VALIDATION selects; TEST (optional) confirms the gain."""
    missing = [s.value for s in NEEDED_SPLITS if dataset.stats.splits.get(s, 0) == 0]
    if not missing:
        return []
    return [
        Problem(
            ("datasetId",),
            f"dataset '{dataset.name}' v{dataset.version} has no {' or '.join(missing)} examples; "
            "PROMPT_OPTIMIZATION needs TRAIN and VALIDATION (and TEST to confirm a gain)",
            ErrorCode.INVALID_STATE,
        )
    ]
