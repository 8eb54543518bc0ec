"""The shared contract: OpenAPI (with the realtime union in its components) and the realtime
protocol as JSON Schema. `make contract` writes both into the project's `shared/`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from contactcenter.realtime import events

OPENAPI_FILE = "openapi.json"
REALTIME_FILE = "realtime-events.schema.json"


def openapi_with_realtime(app: FastAPI) -> dict[str, Any]:
    """FastAPI's OpenAPI plus the realtime frames and events, so one generator sees them all."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in events.definitions("#/components/schemas/{model}").items():
        components.setdefault(name, definition)
    app.openapi_schema = schema
    return schema


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def documents(app: FastAPI) -> dict[str, str]:
    return {
        OPENAPI_FILE: render(app.openapi()),
        REALTIME_FILE: render(events.json_schema()),
    }


def write(app: FastAPI, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in documents(app).items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written
