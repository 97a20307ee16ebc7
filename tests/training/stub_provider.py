"""A local stand-in for an OpenAI-compatible fine-tuning API (files and fine_tuning/jobs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.training.local_server import serve_app

API_KEY = "stub-key"


@dataclass
class StubState:
    files: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, content)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    job_requests: list[dict[str, Any]] = field(default_factory=list)
    polls_until_done: int = 2
    outcome: str = "succeeded"
    cancelled: list[str] = field(default_factory=list)
    # Job reads answered 500 (a provider outage) before they succeed again.
    failing_reads: int = 0
    # Awaited while a job is being created (before the response), to stage races.
    create_job_hook: Callable[[], Awaitable[None]] | None = None


def build_app(state: StubState) -> Starlette:
    def authorised(request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {API_KEY}"

    def refused() -> JSONResponse:
        return JSONResponse({"error": {"message": "Incorrect API key provided"}}, 401)

    async def upload(request: Request) -> JSONResponse:
        if not authorised(request):
            return refused()
        form = await request.form()
        upload = form["file"]
        assert form["purpose"] == "fine-tune" and not isinstance(upload, str)
        file_id = f"file-{len(state.files) + 1}"
        state.files[file_id] = (str(upload.filename), (await upload.read()).decode())
        return JSONResponse({"id": file_id, "object": "file", "purpose": "fine-tune"})

    async def create_job(request: Request) -> JSONResponse:
        if not authorised(request):
            return refused()
        body = await request.json()
        if body["training_file"] not in state.files:
            return JSONResponse({"error": {"message": "unknown training_file"}}, 400)
        state.job_requests.append(body)
        job = {
            "id": f"ftjob-{len(state.jobs) + 1}",
            "status": "queued",
            "model": body["model"],
            "fine_tuned_model": None,
            "polls": 0,
        }
        state.jobs[job["id"]] = job
        if state.create_job_hook is not None:
            await state.create_job_hook()
        return JSONResponse({k: v for k, v in job.items() if k != "polls"})

    async def get_job(request: Request) -> JSONResponse:
        if state.failing_reads > 0:
            state.failing_reads -= 1
            return JSONResponse({"error": {"message": "upstream overloaded"}}, 500)
        job = state.jobs[request.path_params["job_id"]]
        if job["status"] not in ("succeeded", "failed", "cancelled"):
            job["polls"] += 1
            job["status"] = "running"
            if job["polls"] >= state.polls_until_done:
                job["status"] = state.outcome
                if state.outcome == "succeeded":
                    job["fine_tuned_model"] = f"ft:{job['model']}:learnloop:{job['id']}"
                else:
                    job["error"] = {"message": "training loss diverged"}
        return JSONResponse({k: v for k, v in job.items() if k != "polls"})

    async def cancel_job(request: Request) -> JSONResponse:
        job = state.jobs[request.path_params["job_id"]]
        job["status"] = "cancelled"
        state.cancelled.append(job["id"])
        return JSONResponse({k: v for k, v in job.items() if k != "polls"})

    return Starlette(
        routes=[
            Route("/v1/files", upload, methods=["POST"]),
            Route("/v1/fine_tuning/jobs", create_job, methods=["POST"]),
            Route("/v1/fine_tuning/jobs/{job_id}", get_job, methods=["GET"]),
            Route("/v1/fine_tuning/jobs/{job_id}/cancel", cancel_job, methods=["POST"]),
        ]
    )


@asynccontextmanager
async def stub_provider() -> AsyncIterator[tuple[str, StubState]]:
    """Serve the stub on a free local port; yields its base URL (…/v1) and its state."""
    state = StubState()
    async with serve_app(build_app(state)) as base:
        yield f"{base}/v1", state
