"""Publishing: `app.publish()` runs NOTIFY inside the writer's transaction.

PostgreSQL delivers a NOTIFY at commit and drops it on rollback, so an event never announces a
change that did not happen, and every backend process listening on the database (this one and
its replicas) receives it. Envelopes over the 8000-byte NOTIFY limit are spilled to a table.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.core.logging import current_request_id

_PUBLISH = text("SELECT app.publish(:channel, CAST(:envelope AS jsonb))")


class Audience(StrEnum):
    everyone = "all"
    staff = "staff"


def conversation_topic(conversation_id: UUID) -> str:
    return f"conversation:{conversation_id}"


def tenant_topic(tenant_id: UUID, name: str) -> str:
    return f"tenant:{tenant_id}:{name}"


def envelope(
    tenant_id: UUID, topics: list[str], event: BaseModel, audience: Audience
) -> dict[str, Any]:
    return {
        "tenant_id": str(tenant_id),
        "request_id": current_request_id(),
        "topics": topics,
        "audience": audience.value,
        "event": event.model_dump(mode="json"),
    }


async def publish(
    session: AsyncSession,
    channel: str,
    *,
    tenant_id: UUID,
    topics: list[str],
    event: BaseModel,
    audience: Audience = Audience.everyone,
) -> None:
    body = json.dumps(envelope(tenant_id, topics, event, audience), separators=(",", ":"))
    await session.execute(_PUBLISH, {"channel": channel, "envelope": body})
