"""FINE_TUNING: chat fine-tuning files (system/user/assistant) from a frozen dataset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learnloop.domain.engines.token_stats import count_tokens
from learnloop.domain.engines.training_files import FileTrainingEngine
from learnloop.domain.exports import ExportFormat
from learnloop.domain.training_runs.records import TrainingType


class FineTuningEngine(FileTrainingEngine):
    training_type = TrainingType.FINE_TUNING
    export_format = ExportFormat.OPENAI_CHAT
    prefix = "chat"
    unit = "examples"

    def method(self, config: Mapping[str, Any]) -> dict[str, Any]:
        hyper = {"n_epochs": config["nEpochs"]} if config.get("nEpochs") else {}
        return {"type": "supervised", "supervised": {"hyperparameters": hyper}}

    def line_tokens(self, row: dict[str, Any]) -> int:
        return sum(count_tokens(str(m.get("content", ""))) for m in row["messages"])

    def requirement(self) -> str:
        return "A chat example needs an input and an expected output."
