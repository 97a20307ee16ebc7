"""Serves the web UI (dashboard, annotation workspace, feedback widget) from package data at /ui."""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

UI_DIR = Path(__file__).resolve().parent.parent / "ui"

# Pages load only their own files and talk only to this origin (HTTP and WebSocket).
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Revalidate every time (ETag): a new release is picked up without stale modules mixing in.
    "Cache-Control": "no-cache",
}
# Each page is a fragment (title, extra <head> lines, body) poured into the shared layout.
PAGES = {"/": "dashboard.html", "/annotate": "annotate.html", "/widget": "widget.html"}


class _UiFiles(StaticFiles):
    """Static assets with the same headers as the pages."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(COMMON_HEADERS)
        return response


def render_page(fragment: str) -> str:
    """layout.html with a page's title, extra head lines and body filled in."""
    head, _, body = fragment.partition("<!-- body -->\n")
    first, _, extra = head.partition("\n")
    title = first.removeprefix("<!-- title: ").removesuffix(" -->")
    layout = (UI_DIR / "layout.html").read_text()
    return (
        layout.replace("{title}", title)
        .replace("{head}", _indent(extra, 2))
        .replace("{body}", _indent(body, 4))
    )


def _indent(text: str, spaces: int) -> str:
    return "\n".join((" " * spaces + line).rstrip() for line in text.splitlines())


def _page(path: str, filename: str) -> Route:
    html = render_page((UI_DIR / "pages" / filename).read_text()).encode()
    etag = '"' + hashlib.sha256(html).hexdigest()[:32] + '"'
    headers = {**COMMON_HEADERS, "Content-Security-Policy": PAGE_CSP, "ETag": etag}

    async def serve(request: Request) -> Response:
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(html, media_type="text/html; charset=utf-8", headers=headers)

    return Route(path, serve)


async def _widget_script(_: Request) -> Response:
    # Embedded by other sites: no page CSP here (theirs applies), and any origin may load it.
    return FileResponse(
        UI_DIR / "widget.js",
        media_type="text/javascript; charset=utf-8",
        headers={**COMMON_HEADERS, "Access-Control-Allow-Origin": "*"},
    )


def _redirect_to_dashboard(_: Request) -> Response:
    return RedirectResponse("/ui/", status_code=308)


def ui_routes() -> list[BaseRoute]:
    """The /ui mount (gzip-compressed) and the bare /ui redirect, for app.py to include."""
    router = Router(
        routes=[
            *(_page(path, filename) for path, filename in PAGES.items()),
            Route("/widget.js", _widget_script),
            Mount("/assets", app=_UiFiles(directory=UI_DIR / "assets")),
            Mount("/vendor", app=_UiFiles(directory=UI_DIR / "vendor")),
        ]
    )
    compressed = GZipMiddleware(router, minimum_size=512)
    return [Route("/ui", _redirect_to_dashboard), Mount("/ui", app=compressed)]
