"""The OpenAI-compatible fine-tuning API over HTTP: upload training files, create and follow jobs."""

from __future__ import annotations

from typing import Any

import httpx

from learnloop.domain.engines.base import TrainingFailed
from learnloop.domain.engines.fine_tune_api import FineTuneProvider


def _refusal(action: str, response: httpx.Response) -> TrainingFailed:
    """4xx: the request itself is wrong (fix config or data); 5xx: try again later."""
    try:
        detail = response.json().get("error", {})
        message = detail.get("message") if isinstance(detail, dict) else str(detail)
    except ValueError:
        message = response.text[:300]
    text = f"the fine-tuning API refused to {action} (HTTP {response.status_code}): {message}"
    return TrainingFailed(
        text, retryable=response.status_code >= 500 or response.status_code == 429
    )


class OpenAIFineTuningClient(FineTuneProvider):
    """FineTuneProvider over HTTP (`LEARNLOOP_LLM_BASE_URL`, e.g. https://api.openai.com/v1)."""

    def __init__(self, base_url: str, api_key: str | None, *, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout = timeout

    async def _request(self, action: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self.timeout, headers=self.headers) as client:
                response = await client.request(method, f"{self.base_url}{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise TrainingFailed(
                f"could not reach the fine-tuning API at {self.base_url} to {action}: {exc!r}",
                retryable=True,
            ) from exc
        if response.status_code >= 400:
            raise _refusal(action, response)
        body: dict[str, Any] = response.json()
        return body

    async def upload(self, name: str, content: str) -> str:
        body = await self._request(
            f"upload {name}",
            "POST",
            "/files",
            data={"purpose": "fine-tune"},
            files={"file": (name, content.encode(), "application/jsonl")},
        )
        return str(body["id"])

    async def create_job(
        self,
        *,
        model: str,
        training_file: str,
        validation_file: str | None,
        method: dict[str, Any],
        suffix: str | None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"model": model, "training_file": training_file, "method": method}
        if validation_file:
            payload["validation_file"] = validation_file
        if suffix:
            payload["suffix"] = suffix
        return await self._request(
            "create the fine-tuning job", "POST", "/fine_tuning/jobs", json=payload
        )

    async def get_job(self, job_id: str) -> dict[str, Any]:
        return await self._request(f"read job {job_id}", "GET", f"/fine_tuning/jobs/{job_id}")

    async def cancel_job(self, job_id: str) -> None:
        await self._request(f"cancel job {job_id}", "POST", f"/fine_tuning/jobs/{job_id}/cancel")
