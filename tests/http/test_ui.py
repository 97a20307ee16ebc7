"""The /ui routes: pages, the widget script and assets from package data, with their headers."""

from __future__ import annotations

import pytest

from tests.conftest import Api

PAGES = {
    "/ui/": "Dashboard",
    "/ui/annotate": "Annotation workspace",
    "/ui/widget": "Feedback widget",
}


@pytest.mark.parametrize("path", PAGES)
async def test_pages_are_served_with_a_strict_csp(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert PAGES[path] in response.text
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-cache"
    again = await api.client.get(path, headers={"if-none-match": response.headers["etag"]})
    assert again.status_code == 304 and not again.content


async def test_bare_ui_redirects_to_the_dashboard(api: Api) -> None:
    response = await api.client.get("/ui")
    assert response.status_code == 308
    assert response.headers["location"] == "/ui/"


async def test_widget_script_may_be_embedded_anywhere(api: Api) -> None:
    response = await api.client.get("/ui/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["access-control-allow-origin"] == "*"
    assert "content-security-policy" not in response.headers
    assert "customElements.define('learnloop-feedback'" in response.text


async def test_assets_are_compressed_and_revalidated(api: Api) -> None:
    response = await api.client.get(
        "/ui/vendor/uPlot.iife.min.js", headers={"accept-encoding": "gzip"}
    )
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) < 30_000  # 51 KB of JavaScript, gzipped
    assert response.headers["etag"]
    raw = await api.client.get("/ui/assets/dashboard.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert raw.headers["content-type"].startswith("text/javascript")
    assert "trainingRunsUpdated" in raw.text


async def test_unknown_ui_paths_are_404_and_nothing_outside_the_ui_is_served(api: Api) -> None:
    for path in (
        "/ui/nope",
        "/ui/assets/nope.js",
        "/ui/assets/../../app.py",
        "/ui/pages/dashboard.html",
        "/ui/layout.html",
    ):
        assert (await api.client.get(path)).status_code == 404, path
