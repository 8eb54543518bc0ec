"""Serve the built frontend: the demo site at `/`, the widget at `/widget.js`, the console SPA.

`frontend/dist` is what `npm run build` writes: `index.html` (the demo pharmacy site with the
widget), `app.html` (the agent console and supervisor dashboard, one SPA), `widget.js` (its own
build) and hashed files under `assets/`. Without a build the API still works and `/` points at
the API docs.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from contactcenter.core.errors import AppError, ErrorCode

SPA_SECTIONS = ("agent", "supervisor", "login")
# top-level files Vite copies from public/ (logos, icons); never paths with folders
_PUBLIC_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\.(svg|png|ico|webmanifest|txt|jpg|webp)")
_NO_CACHE = {"cache-control": "no-cache"}
# the widget script and its logo load from tenants' own sites
_CORS_ANY = {"access-control-allow-origin": "*"}


def mount_web(app: FastAPI, dist: Path | None) -> None:
    if dist is None or not (dist / "app.html").is_file():

        async def docs_instead() -> RedirectResponse:
            return RedirectResponse("/docs")

        app.add_api_route("/", docs_instead, methods=["GET", "HEAD"], include_in_schema=False)
        return

    index, console, widget = dist / "index.html", dist / "app.html", dist / "widget.js"
    app.mount(
        "/assets",
        StaticFiles(directory=dist / "assets", check_dir=False),
        name="assets",
    )

    async def demo_site() -> FileResponse:
        return FileResponse(index, headers=_NO_CACHE)

    async def widget_script() -> FileResponse:
        # revalidated on every load (ETag), so tenants' pages pick up a new widget at once
        return FileResponse(
            widget, media_type="text/javascript", headers={**_NO_CACHE, **_CORS_ANY}
        )

    async def spa() -> FileResponse:
        return FileResponse(console, headers=_NO_CACHE)

    async def public_file(name: str) -> Response:
        path = dist / name
        if not _PUBLIC_FILE.fullmatch(name) or not path.is_file():
            raise AppError(ErrorCode.not_found, f"there is nothing at /{name}")
        return FileResponse(path, headers={"cache-control": "public, max-age=3600", **_CORS_ANY})

    def page(path: str, endpoint: Callable[..., Awaitable[Response]]) -> None:
        app.add_api_route(path, endpoint, methods=["GET", "HEAD"], include_in_schema=False)

    page("/", demo_site)
    page("/widget.js", widget_script)
    for section in SPA_SECTIONS:
        page(f"/{section}", spa)
        page(f"/{section}/{{rest:path}}", spa)
    page("/{name}", public_file)


def default_dist() -> Path:
    """frontend/dist of the checkout this package runs from (an editable install)."""
    return Path(__file__).resolve().parents[4] / "frontend" / "dist"
