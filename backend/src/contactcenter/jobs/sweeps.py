"""The lifecycle sweeps. Each takes `now`, so tests move time forward instead of sleeping, and
each is idempotent (its effects are marked in the rows it changes), so a sweep that runs twice
changes nothing the second time. Limits are per tenant (`tenants.escalation_after_s`,
`session_idle_s`, `retention_days`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.audit import service as audit
from contactcenter.conversations.service import announce_conversation, announce_message
from contactcenter.core.config import Settings
from contactcenter.core.database import Database
from contactcenter.models import Conversation, Draft
from contactcenter.pipeline import repository as pipeline_repository
from contactcenter.pipeline.schemas import Alert, AlertRaised, DraftOut, DraftUpdated
from contactcenter.realtime.publisher import Audience, publish, tenant_topic

log = structlog.get_logger(__name__)

BATCH = 200
HOLDING_MESSAGE = (
    "Thanks for waiting. Your question is with our team and has been moved up the queue; "
    "a person will reply as soon as possible."
)
_RAISE = {"normal": "high", "high": "urgent", "urgent": "urgent"}


@dataclass(frozen=True)
class SweepResult:
    name: str
    changed: int


async def escalate_waiting_drafts(db: Database, settings: Settings, now: datetime) -> SweepResult:
    """Drafts pending past their tenant's limit: priority raised, supervisors alerted, the
    customer sent one holding message per wait."""
    changed = 0
    while True:
        async with db.transaction() as session:
            rows = (
                await session.execute(
                    text(
                        """
                        SELECT d.id FROM drafts d JOIN tenants t ON t.id = d.tenant_id
                         WHERE d.status = 'pending_review' AND d.escalated_at IS NULL
                           AND d.created_at <= CAST(:now AS timestamptz)
                                 - make_interval(secs => t.escalation_after_s)
                         ORDER BY d.created_at
                         LIMIT :batch
                           FOR UPDATE OF d SKIP LOCKED
                        """
                    ),
                    {"now": now, "batch": BATCH},
                )
            ).scalars()
            ids = list(rows)
            for draft_id in ids:
                await _escalate(session, settings, draft_id, now)
            changed += len(ids)
        if len(ids) < BATCH:
            return SweepResult("escalation", changed)


async def _escalate(
    session: AsyncSession, settings: Settings, draft_id: UUID, now: datetime
) -> None:
    draft = (
        await session.execute(text("SELECT priority FROM drafts WHERE id = :id"), {"id": draft_id})
    ).scalar_one()
    updated = (
        await session.execute(
            update(Draft)
            .where(Draft.id == draft_id)
            .values(priority=_RAISE[draft], escalated_at=now, updated_at=now)
            .returning(Draft)
        )
    ).scalar_one()
    await audit.record(
        session,
        tenant_id=updated.tenant_id,
        actor_id=None,
        actor_kind="system",
        action="draft.escalated",
        subject_type="draft",
        subject_id=updated.id,
        conversation_id=updated.conversation_id,
        before={"priority": draft},
        after={"priority": updated.priority, "escalated_at": now.isoformat()},
    )
    channel = settings.realtime.channel
    await publish(
        session,
        channel,
        tenant_id=updated.tenant_id,
        topics=[tenant_topic(updated.tenant_id, "queue")],
        event=DraftUpdated(draft=DraftOut.model_validate(updated)),
        audience=Audience.staff,
    )
    waited_s = int((now - updated.created_at).total_seconds())
    await publish(
        session,
        channel,
        tenant_id=updated.tenant_id,
        topics=[
            tenant_topic(updated.tenant_id, "dashboard"),
            tenant_topic(updated.tenant_id, "queue"),
        ],
        event=AlertRaised(
            alert=Alert(
                kind="escalation",
                conversation_id=updated.conversation_id,
                message_id=updated.message_id,
                summary=f"A {updated.category} draft has waited {waited_s // 60} min "
                f"{waited_s % 60} s: priority raised to {updated.priority}.",
            )
        ),
        audience=Audience.staff,
    )
    # one holding message per wait: none if one was sent since this draft's question
    already = (
        await session.execute(
            text(
                "SELECT 1 FROM messages WHERE conversation_id = :c AND author_kind = 'system' "
                "AND metadata ->> 'kind' = 'holding' AND created_at >= :since LIMIT 1"
            ),
            {"c": updated.conversation_id, "since": updated.created_at},
        )
    ).first()
    if already is None:
        message = await pipeline_repository.insert_message(
            session,
            {
                "tenant_id": updated.tenant_id,
                "conversation_id": updated.conversation_id,
                "author_kind": "system",
                "visibility": "public",
                "text": HOLDING_MESSAGE,
                "metadata": {"kind": "holding", "draft_id": str(updated.id)},
            },
        )
        await announce_message(session, channel, message)


async def expire_idle_conversations(db: Database, settings: Settings, now: datetime) -> SweepResult:
    """Conversations idle past their tenant's limit are closed as expired; drafts still waiting
    in them are superseded."""
    changed = 0
    while True:
        async with db.transaction() as session:
            ids = list(
                (
                    await session.execute(
                        text(
                            """
                            SELECT c.id FROM conversations c JOIN tenants t ON t.id = c.tenant_id
                             WHERE c.status IN ('open', 'pending_human')
                               AND c.last_message_at <= CAST(:now AS timestamptz)
                                     - make_interval(secs => t.session_idle_s)
                             ORDER BY c.last_message_at
                             LIMIT :batch
                               FOR UPDATE OF c SKIP LOCKED
                            """
                        ),
                        {"now": now, "batch": BATCH},
                    )
                ).scalars()
            )
            for conversation_id in ids:
                await _expire(session, settings, conversation_id, now)
            changed += len(ids)
        if len(ids) < BATCH:
            return SweepResult("expiry", changed)


async def _expire(
    session: AsyncSession, settings: Settings, conversation_id: UUID, now: datetime
) -> None:
    before = (
        await session.execute(
            text("SELECT status FROM conversations WHERE id = :id"), {"id": conversation_id}
        )
    ).scalar_one()
    updated = (
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(status="expired", closed_at=now, ai_paused=False, updated_at=now)
            .returning(Conversation)
        )
    ).scalar_one()
    superseded = await session.execute(
        update(Draft)
        .where(Draft.conversation_id == conversation_id, Draft.status == "pending_review")
        .values(status="superseded", claimed_by=None, claim_expires_at=None, updated_at=now)
        .returning(Draft.id)
    )
    await audit.record(
        session,
        tenant_id=updated.tenant_id,
        actor_id=None,
        actor_kind="system",
        action="conversation.expired",
        subject_type="conversation",
        subject_id=conversation_id,
        conversation_id=conversation_id,
        before={"status": before},
        after={
            "status": "expired",
            "superseded_drafts": [str(d) for d in superseded.scalars()],
        },
    )
    await announce_conversation(session, settings.realtime.channel, updated)


async def purge_expired_data(db: Database, settings: Settings, now: datetime) -> SweepResult:
    """Conversations older than their tenant's retention go, with everything derived from them
    (messages, jobs, outcomes, drafts, tickets, compliance records, their audit events). The
    purge itself is audited, with counts and no content."""
    del settings  # the sweep publishes nothing: purged data has no one left to tell
    changed = 0
    while True:
        async with db.transaction() as session:
            rows = (
                await session.execute(
                    text(
                        """
                        SELECT c.id, c.tenant_id FROM conversations c
                          JOIN tenants t ON t.id = c.tenant_id
                         WHERE c.last_message_at <= CAST(:now AS timestamptz)
                                 - make_interval(days => t.retention_days)
                         ORDER BY c.last_message_at
                         LIMIT :batch
                           FOR UPDATE OF c SKIP LOCKED
                        """
                    ),
                    {"now": now, "batch": BATCH},
                )
            ).all()
            by_tenant: dict[UUID, list[UUID]] = {}
            for conversation_id, tenant_id in rows:
                by_tenant.setdefault(tenant_id, []).append(conversation_id)
            for tenant_id, ids in by_tenant.items():
                await _purge(session, tenant_id, ids, now)
            changed += len(rows)
        if len(rows) < BATCH:
            return SweepResult("retention", changed)


async def _purge(session: AsyncSession, tenant_id: UUID, ids: list[UUID], now: datetime) -> None:
    counts: dict[str, Any] = {}
    for table in ("messages", "drafts", "ai_outcomes", "tickets", "compliance_records"):
        counts[table] = (
            await session.execute(
                text(f"SELECT count(*) FROM {table} WHERE conversation_id = ANY(:ids)"),  # noqa: S608
                {"ids": ids},
            )
        ).scalar_one()
    await session.execute(text("SET LOCAL app.allow_audit_purge = 'on'"))
    audit_rows = await session.execute(
        text("DELETE FROM audit_events WHERE conversation_id = ANY(:ids)"), {"ids": ids}
    )
    await session.execute(text("SET LOCAL app.allow_audit_purge = 'off'"))
    # messages, jobs, outcomes, drafts, tickets and compliance records go by cascade
    await session.execute(text("DELETE FROM conversations WHERE id = ANY(:ids)"), {"ids": ids})
    counts["conversations"] = len(ids)
    counts["audit_events"] = getattr(audit_rows, "rowcount", 0)
    await audit.record(
        session,
        tenant_id=tenant_id,
        actor_id=None,
        actor_kind="system",
        action="retention.purged",
        subject_type="tenant",
        subject_id=tenant_id,
        after={"before": now.isoformat(), **counts},
    )
    log.info("jobs.retention.purged", tenant_id=str(tenant_id), **counts)
