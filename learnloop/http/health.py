"""GET /healthz (the process answers) and GET /readyz (the database answers, migrations applied)."""

from __future__ import annotations

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from learnloop.resolvers.state import AppState
from learnloop.storage.migrations import current_revision, head_revision


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    state: AppState = request.app.state.learnloop
    try:
        async with state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            current = await current_revision(conn)
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "database": str(exc).splitlines()[0]}, 503)
    head = head_revision()
    if current != head:
        return JSONResponse({"status": "migrations pending", "current": current, "head": head}, 503)
    return JSONResponse({"status": "ready", "revision": current})
