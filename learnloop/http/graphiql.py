"""The GraphiQL page, served with its vendored assets (no CDN) and a strict Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

ASSETS_PATH = "/graphiql/assets"
ASSETS_DIR = Path(__file__).parent / "static" / "graphiql"

# Everything comes from this origin; the page may not be framed (clickjacking a token-holding
# console); connect-src allows the same-origin WebSocket for subscriptions.
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # GraphiQL's editors set inline styles
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}

_STYLES = ["graphiql.min.css", "plugin-explorer.css", "page.css"]
_SCRIPTS = [
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "plugin-explorer.umd.js",
    "setup.js",
]


def page_html() -> str:
    links = "\n".join(f'    <link rel="stylesheet" href="{ASSETS_PATH}/{n}" />' for n in _STYLES)
    scripts = "\n".join(f'    <script src="{ASSETS_PATH}/{n}"></script>' for n in _SCRIPTS)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>learnloop GraphiQL</title>
{links}
  </head>
  <body>
    <div id="graphiql">Loading…</div>
{scripts}
  </body>
</html>
"""


_PAGE = page_html()


def graphiql_page() -> Response:
    return HTMLResponse(_PAGE, headers=HEADERS)


def assets() -> StaticFiles:
    """The vendored GraphiQL/React files (see static/graphiql/VERSIONS)."""
    return StaticFiles(directory=ASSETS_DIR)
