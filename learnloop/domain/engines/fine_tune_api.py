"""The fine-tuning API as the engines see it: a protocol (the HTTP client is llm/fine_tune_api.py)."""

from __future__ import annotations

from typing import Any, Protocol

TERMINAL_JOB_STATES = frozenset({"succeeded", "failed", "cancelled"})


class FineTuneProvider(Protocol):
    async def upload(self, name: str, content: str) -> str:
        """Upload a JSONL file for fine-tuning; returns the provider's file id."""
        ...

    async def create_job(
        self,
        *,
        model: str,
        training_file: str,
        validation_file: str | None,
        method: dict[str, Any],
        suffix: str | None,
    ) -> dict[str, Any]: ...

    async def get_job(self, job_id: str) -> dict[str, Any]: ...

    async def cancel_job(self, job_id: str) -> None: ...
