"""HTTP downloads of run artifacts: `GET /artifacts/training-runs/{run global id}/{name}`."""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry import relay

from learnloop.domain.errors import Forbidden, NotAuthenticated
from learnloop.domain.roles import Role
from learnloop.resolvers.authentication import authenticate
from learnloop.resolvers.state import AppState
from learnloop.storage import training_runs
from learnloop.storage.unit_of_work import unit_of_work


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _run_id(global_id: str) -> UUID | None:
    try:
        gid = relay.GlobalID.from_id(global_id)
        return UUID(gid.node_id) if gid.type_name == "TrainingRun" else None
    except Exception:
        return None


async def download_artifact(request: Request) -> Response:
    state: AppState = request.app.state.learnloop
    run_id = _run_id(request.path_params["run_id"])
    if run_id is None:
        return _error(404, "NOT_FOUND", "not a training run id")
    async with unit_of_work(state.engine, None) as uow:
        principal = await authenticate(uow, state.tokens, request.headers.get("authorization"))
        try:
            principal.require(Role.VIEWER)
        except NotAuthenticated as exc:
            return _error(401, "UNAUTHENTICATED", str(exc))
        except Forbidden as exc:
            return _error(403, "FORBIDDEN", str(exc))
        found = await training_runs.artifact_content(uow, run_id, request.path_params["name"])
    if found is None:
        return _error(404, "NOT_FOUND", "no such artifact on a training run of yours")
    artifact, content = found
    return Response(
        content,
        media_type=artifact.media_type,
        headers={
            "content-disposition": f'attachment; filename="{artifact.name}"',
            "etag": f'"{artifact.sha256}"',
        },
    )
