"""DPO: preference pairs (prompt, chosen = expected, rejected = original) from a frozen dataset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learnloop.domain.engines import config as checks
from learnloop.domain.engines.token_stats import count_tokens
from learnloop.domain.engines.training_files import FileTrainingEngine
from learnloop.domain.exports import ExportFormat
from learnloop.domain.training_runs.records import TrainingType


class DpoEngine(FileTrainingEngine):
    training_type = TrainingType.DPO
    export_format = ExportFormat.DPO
    prefix = "dpo"
    unit = "pairs"

    def extra_checks(self) -> list[checks.Check]:
        return [checks.number("beta", 0, 2, exclusive_low=True)]

    def extra_defaults(self) -> dict[str, Any]:
        return {"beta": 0.1}

    def method(self, config: Mapping[str, Any]) -> dict[str, Any]:
        hyper: dict[str, Any] = {"beta": config["beta"]}
        if config.get("nEpochs"):
            hyper["n_epochs"] = config["nEpochs"]
        return {"type": "dpo", "dpo": {"hyperparameters": hyper}}

    def line_tokens(self, row: dict[str, Any]) -> int:
        return sum(count_tokens(str(row[k])) for k in ("prompt", "chosen", "rejected"))

    def provider_line(self, row: dict[str, Any]) -> dict[str, Any]:
        """OpenAI's preference format; the stored dpo.*.jsonl keeps the TRL prompt/chosen/rejected."""
        return {
            "input": {"messages": [{"role": "user", "content": row["prompt"]}]},
            "preferred_output": [{"role": "assistant", "content": row["chosen"]}],
            "non_preferred_output": [{"role": "assistant", "content": row["rejected"]}],
        }

    def requirement(self) -> str:
        return "A pair needs an input, an expected output and a different original output."
