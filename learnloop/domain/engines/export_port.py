"""The port engines use to turn a frozen dataset into training-file lines, and an interim adapter.

`DatasetExportPort.lines(format, data, split)` yields one JSON document per line for the examples
of one split. Formats are the dataset export formats ("openai_chat", "dpo").

`InterimExport` implements the two formats the FINE_TUNING and DPO engines need, matching the
dataset-export formatters (F5, `learnloop/domain/exports.py`) line for line. When those
formatters are on the same branch, replace it with an adapter that builds `ExportRecord`s from
`TrainingExample`s and calls `exports.iter_lines` (see docs/decisions/0005-job-queue.md), so
one idea lives in one place.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Protocol

from learnloop.domain.engines.base import TrainingData, TrainingExample

OPENAI_CHAT = "openai_chat"
DPO = "dpo"
# Types whose original output is a good answer when no expected output was written.
_DESIRABLE_ORIGINAL = frozenset({"POSITIVE", "DEMONSTRATION"})
_SYSTEM_PROMPT_KEYS = ("system_prompt", "systemPrompt", "system")


class DatasetExportPort(Protocol):
    def lines(self, format: str, data: TrainingData, split: str) -> Iterator[str]:
        """JSON lines of `format` for the examples of `split` (examples a format cannot use are skipped)."""
        ...


def _text(value: str | None) -> str | None:
    return value if value is not None and value.strip() else None


def _desirable(e: TrainingExample) -> str | None:
    expected = _text(e.expected_output)
    if expected is not None:
        return expected
    return _text(e.original_output) if e.example_type in _DESIRABLE_ORIGINAL else None


def _system_prompt(e: TrainingExample) -> str | None:
    for key in _SYSTEM_PROMPT_KEYS:
        value = e.metadata.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _chat_row(e: TrainingExample, data: TrainingData) -> dict[str, Any] | None:
    prompt, answer = _text(e.input_text), _desirable(e)
    if prompt is None or answer is None:
        return None
    messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
    system = _system_prompt(e)
    if system is not None:
        messages.insert(0, {"role": "system", "content": system})
    return {"messages": messages}


def _dpo_row(e: TrainingExample, data: TrainingData) -> dict[str, Any] | None:
    prompt, chosen, rejected = (
        _text(e.input_text),
        _text(e.expected_output),
        _text(e.original_output),
    )
    if prompt is None or chosen is None or rejected is None or chosen.strip() == rejected.strip():
        return None
    return {
        "prompt": prompt,
        "chosen": chosen,
        "rejected": rejected,
        "example_id": e.id,
        "dataset_id": data.dataset_id,
        "dataset_version": data.version,
    }


_ROWS = {OPENAI_CHAT: _chat_row, DPO: _dpo_row}


class InterimExport:
    """DatasetExportPort for the chat and preference-pair formats (see the module docstring)."""

    def lines(self, format: str, data: TrainingData, split: str) -> Iterator[str]:
        convert = _ROWS[format]
        for example in data.split(split):
            row = convert(example, data)
            if row is not None:
                yield json.dumps(row, ensure_ascii=False, separators=(",", ":"))
