"""Export formatters: dataset examples into JSON lines that training tools read (pure functions)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from learnloop.domain.global_ids import (
    EXECUTION,
    FEEDBACK,
    LEARNING_EXAMPLE,
    TRAINING_DATASET,
    global_id,
    optional_global_id,
)
from learnloop.domain.splits import Split


class ExportFormat(StrEnum):
    """Names are the GraphQL enum values; values are the `format=` query parameter."""

    OPENAI_CHAT = "openai_chat"
    DPO = "dpo"
    KTO = "kto"
    JSONL = "jsonl"
    HF = "hf"


# Types whose original output is a known-bad answer (KTO label false, DPO rejected side).
UNDESIRABLE_ORIGINAL = frozenset({"CORRECTION", "NEGATIVE", "FAILURE", "PREFERENCE"})
# Types whose original output is a good answer when no expected output was written.
DESIRABLE_ORIGINAL = frozenset({"POSITIVE", "DEMONSTRATION"})
SYSTEM_PROMPT_KEYS = ("system_prompt", "systemPrompt", "system")


@dataclass(frozen=True)
class ExportRecord:
    """One example of one dataset version, with the provenance every exported line carries."""

    dataset_id: UUID
    dataset_version: int
    example_id: UUID
    split: Split
    weight: float
    example_type: str
    input_text: str
    expected_output: str | None
    original_output: str | None
    quality_score: float | None = None
    review_status: str | None = None
    domain: str | None = None
    task_type: str | None = None
    agent_key: str | None = None
    execution_id: UUID | None = None
    source_feedback_id: UUID | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _text(value: str | None) -> str | None:
    """The value if it has any non-blank content."""
    return value if value is not None and value.strip() else None


def _provenance(r: ExportRecord) -> dict[str, Any]:
    """Global ids, as `node(id:)` and `dataset(id:)` take them (the raw UUIDs only in `jsonl`)."""
    return {
        "example_id": global_id(LEARNING_EXAMPLE, r.example_id),
        "dataset_id": global_id(TRAINING_DATASET, r.dataset_id),
        "dataset_version": r.dataset_version,
    }


def system_prompt(r: ExportRecord) -> str | None:
    for key in SYSTEM_PROMPT_KEYS:
        value = r.metadata.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def desirable_completion(r: ExportRecord) -> str | None:
    """What the agent should have answered: the expected output, else a good original one."""
    expected = _text(r.expected_output)
    if expected is not None:
        return expected
    return _text(r.original_output) if r.example_type in DESIRABLE_ORIGINAL else None


def undesirable_completion(r: ExportRecord) -> str | None:
    """The agent's answer when the example says it was wrong and differs from the good one."""
    original = _text(r.original_output)
    if original is None or r.example_type not in UNDESIRABLE_ORIGINAL:
        return None
    good = desirable_completion(r)
    return original if good is None or good.strip() != original.strip() else None


def openai_chat_row(r: ExportRecord) -> dict[str, Any] | None:
    """Chat fine-tuning: system (optional), user, assistant; skipped without both turns.

    Only `messages`: the version is named by the response header and file name instead, since
    fine-tuning uploads are checked against this exact shape.
    """
    prompt, answer = _text(r.input_text), desirable_completion(r)
    if prompt is None or answer is None:
        return None
    messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
    system = system_prompt(r)
    if system is not None:
        messages.insert(0, {"role": "system", "content": system})
    return {"messages": messages}


def dpo_row(r: ExportRecord) -> dict[str, Any] | None:
    """Preference pair: chosen = expected output, rejected = original output; never equal."""
    prompt = _text(r.input_text)
    chosen, rejected = _text(r.expected_output), _text(r.original_output)
    if prompt is None or chosen is None or rejected is None:
        return None
    if chosen.strip() == rejected.strip():
        return None
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected, **_provenance(r)}


def kto_rows(r: ExportRecord) -> list[dict[str, Any]]:
    """Unpaired feedback: a desirable completion (label true) and/or an undesirable one (false)."""
    prompt = _text(r.input_text)
    if prompt is None:
        return []
    rows = []
    for completion, label in ((desirable_completion(r), True), (undesirable_completion(r), False)):
        if completion is not None:
            rows.append({"prompt": prompt, "completion": completion, "label": label})
    return [{**row, **_provenance(r)} for row in rows]


def jsonl_row(r: ExportRecord) -> dict[str, Any]:
    """Everything, raw, with provenance ids."""
    return {
        **_provenance(r),
        "example_uuid": str(r.example_id),
        "dataset_uuid": str(r.dataset_id),
        "split": r.split.value,
        "weight": r.weight,
        "example_type": r.example_type,
        "input": r.input_text,
        "expected_output": r.expected_output,
        "original_output": r.original_output,
        "quality_score": r.quality_score,
        "review_status": r.review_status,
        "agent_id": r.agent_key,
        "domain": r.domain,
        "task_type": r.task_type,
        "execution_id": optional_global_id(EXECUTION, r.execution_id),
        "source_feedback_id": optional_global_id(FEEDBACK, r.source_feedback_id),
        "metadata": r.metadata,
    }


HF_COLUMNS = (
    "example_id",
    "split",
    "prompt",
    "completion",
    "rejected",
    "example_type",
    "weight",
    "dataset_id",
    "dataset_version",
)


def hf_row(r: ExportRecord) -> dict[str, Any]:
    """Flat, fixed columns, never null (strings are "" when absent), so Arrow infers one schema."""
    return {
        "example_id": global_id(LEARNING_EXAMPLE, r.example_id),
        "split": r.split.value.lower(),
        "prompt": r.input_text,
        "completion": desirable_completion(r) or "",
        "rejected": undesirable_completion(r) or "",
        "example_type": r.example_type,
        "weight": float(r.weight),
        "dataset_id": global_id(TRAINING_DATASET, r.dataset_id),
        "dataset_version": r.dataset_version,
    }


def _one(convert: Callable[[ExportRecord], dict[str, Any] | None]) -> Callable[..., list[Any]]:
    def rows(r: ExportRecord) -> list[dict[str, Any]]:
        row = convert(r)
        return [] if row is None else [row]

    return rows


_ROWS: dict[ExportFormat, Callable[[ExportRecord], list[dict[str, Any]]]] = {
    ExportFormat.OPENAI_CHAT: _one(openai_chat_row),
    ExportFormat.DPO: _one(dpo_row),
    ExportFormat.KTO: kto_rows,
    ExportFormat.JSONL: _one(jsonl_row),
    ExportFormat.HF: _one(hf_row),
}


def iter_rows(format: ExportFormat, records: Iterable[ExportRecord]) -> Iterator[dict[str, Any]]:
    """The JSON objects of `format` for `records`, in order (records a format cannot use are skipped)."""
    convert = _ROWS[format]
    for record in records:
        yield from convert(record)


def iter_lines(format: ExportFormat, records: Iterable[ExportRecord]) -> Iterator[str]:
    """One JSON document per line (no trailing newline): what JSONL files and trainers read."""
    for row in iter_rows(format, records):
        yield json.dumps(row, ensure_ascii=False, separators=(",", ":"))
