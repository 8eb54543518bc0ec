"""The demo tenant's knowledge base (a fictional pharmacy), queued for indexing on first start
and again whenever a release changes a file (unchanged files are left alone)."""

from __future__ import annotations

from importlib import resources
from uuid import UUID

import structlog

from contactcenter.core.config import Settings
from contactcenter.core.database import Database
from contactcenter.knowledge import service
from contactcenter.knowledge.schemas import UploadOutcome

log = structlog.get_logger(__name__)


def demo_files() -> list[service.IncomingFile]:
    folder = resources.files("contactcenter.knowledge") / "demo"
    return [
        service.IncomingFile(entry.name, None, entry.read_bytes())
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.is_file() and not entry.name.startswith((".", "_"))
    ]


async def load_demo_knowledge(settings: Settings, db: Database, tenant_id: UUID) -> int:
    """Queue the demo documents; returns how many were new or changed."""
    queued = 0
    async with db.transaction() as session:
        for file in demo_files():
            result = await service.add_file(
                session, settings, tenant_id=tenant_id, actor=None, file=file
            )
            if result.outcome is UploadOutcome.rejected:
                log.error("knowledge.demo.rejected", file=file.filename, reason=result.error)
            elif result.outcome is not UploadOutcome.unchanged:
                queued += 1
    if queued:
        log.info("knowledge.demo.queued", documents=queued)
    return queued
