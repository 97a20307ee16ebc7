"""HTTP downloads of run artifacts: `GET /artifacts/training-runs/{run global id}/{name}`."""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response
from strawberry import relay

from learnloop.domain.errors import Forbidden, NotAuthenticated
from learnloop.domain.roles import Role
from learnloop.http.errors import error_response
from learnloop.resolvers.authentication import authenticate
from learnloop.resolvers.state import AppState
from learnloop.storage import training_runs
from learnloop.storage.unit_of_work import unit_of_work


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
        return error_response(404, "not a training run id")
    async with unit_of_work(state.engine, None) as uow:
        principal = await authenticate(uow, state.tokens, request.headers.get("authorization"))
        try:
            principal.require(Role.VIEWER)
        except NotAuthenticated as exc:
            return error_response(401, str(exc))
        except Forbidden as exc:
            return error_response(403, str(exc))
        found = await training_runs.artifact_content(uow, run_id, request.path_params["name"])
    if found is None:
        return error_response(404, "no such artifact on a training run of yours")
    artifact, content = found
    return Response(
        content,
        media_type=artifact.media_type,
        headers={
            "content-disposition": f'attachment; filename="{artifact.name}"',
            "etag": f'"{artifact.sha256}"',
        },
    )
