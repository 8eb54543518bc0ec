"""Recording audit events inside the caller's transaction (so they commit or roll back with it)."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.core.logging import current_request_id
from contactcenter.models import AuditEvent

_INSERT = insert(cast(Table, AuditEvent.__table__))


async def record(
    session: AsyncSession,
    *,
    tenant_id: UUID,
    actor_id: UUID | None,
    actor_kind: str,
    action: str,
    subject_type: str,
    subject_id: UUID,
    conversation_id: UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    # no RETURNING: under RLS a customer may append audit events but not read them back. A
    # Core insert of the table with parameters compiles once (an ORM insert with .values()
    # builds and keys a new statement each time: 0.5 against 0.2 ms of CPU, on every event)
    await session.execute(
        _INSERT,
        {
            "tenant_id": tenant_id,
            "actor_id": actor_id,
            "actor_kind": actor_kind,
            "action": action,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "conversation_id": conversation_id,
            "before": before,
            "after": after,
            "request_id": current_request_id(),
        },
    )
