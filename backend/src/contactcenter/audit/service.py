"""Recording audit events inside the caller's transaction (so they commit or roll back with it)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.core.logging import current_request_id
from contactcenter.models import AuditEvent


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
    # no RETURNING: under RLS a customer may append audit events but not read them back
    await session.execute(
        insert(AuditEvent).values(
            tenant_id=tenant_id,
            actor_id=actor_id,
            actor_kind=actor_kind,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            conversation_id=conversation_id,
            before=before,
            after=after,
            request_id=current_request_id(),
        )
    )
