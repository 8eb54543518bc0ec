"""SQL for reply jobs and what the pipeline stores. Runs as the service (no user claims)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.models import (
    AiOutcome,
    ComplianceRecord,
    Conversation,
    Draft,
    Message,
    Tenant,
    Ticket,
)

HISTORY_MESSAGES = 6


@dataclass(frozen=True)
class ClaimedJob:
    message_id: UUID
    tenant_id: UUID
    conversation_id: UUID
    attempts: int  # also the claim's token: a take-over increments it
    request_id: str | None = None  # of the request that stored the message


@dataclass(frozen=True)
class JobContext:
    message: Message
    conversation: Conversation
    tenant: Tenant
    history: list[tuple[str, str]]  # (author kind, text), oldest first, before the message


_CLAIM = text(
    """
    WITH picked AS (
      SELECT message_id FROM reply_jobs
       WHERE status <> 'done'
         AND (CAST(:tenant_id AS uuid) IS NULL OR tenant_id = CAST(:tenant_id AS uuid))
         AND available_at <= clock_timestamp()
         AND (status = 'queued' OR lease_expires_at < clock_timestamp())
       ORDER BY available_at
       LIMIT :limit
       FOR UPDATE SKIP LOCKED
    )
    UPDATE reply_jobs j
       SET status = 'running',
           attempts = j.attempts + 1,
           lease_expires_at = clock_timestamp() + make_interval(secs => :lease_s)
      FROM picked
     WHERE j.message_id = picked.message_id
    RETURNING j.message_id, j.tenant_id, j.conversation_id, j.attempts, j.request_id
    """
)


async def claim(
    session: AsyncSession, *, limit: int, lease_s: float, tenant_id: UUID | None = None
) -> list[ClaimedJob]:
    rows = await session.execute(
        _CLAIM, {"limit": limit, "lease_s": lease_s, "tenant_id": tenant_id}
    )
    return [ClaimedJob(*row) for row in rows.all()]


async def renew(session: AsyncSession, job: ClaimedJob, lease_s: float) -> bool:
    """Extend our lease; False when the job is no longer ours (taken over or finished)."""
    result = await session.execute(
        text(
            "UPDATE reply_jobs SET lease_expires_at = clock_timestamp() "
            "+ make_interval(secs => :lease_s) "
            "WHERE message_id = :id AND status = 'running' AND attempts = :attempts"
        ),
        {"id": job.message_id, "attempts": job.attempts, "lease_s": lease_s},
    )
    return bool(getattr(result, "rowcount", 0))


async def postpone(session: AsyncSession, job: ClaimedJob, delay_s: float, error: str) -> None:
    await session.execute(
        text(
            "UPDATE reply_jobs SET status = 'queued', lease_expires_at = NULL, "
            "last_error = :error, "
            "available_at = clock_timestamp() + make_interval(secs => :delay_s) "
            "WHERE message_id = :id AND attempts = :attempts AND status = 'running'"
        ),
        {"id": job.message_id, "attempts": job.attempts, "delay_s": delay_s, "error": error[:500]},
    )


async def hand_back(session: AsyncSession, job: ClaimedJob) -> None:
    """Back to the queue at once, the attempt not counted (a shutdown is not the job's fault)."""
    await session.execute(
        text(
            "UPDATE reply_jobs SET status = 'queued', lease_expires_at = NULL, "
            "attempts = greatest(attempts - 1, 0), available_at = clock_timestamp() "
            "WHERE message_id = :id AND attempts = :attempts AND status = 'running'"
        ),
        {"id": job.message_id, "attempts": job.attempts},
    )


async def finish(session: AsyncSession, message_id: UUID) -> None:
    await session.execute(
        text(
            "UPDATE reply_jobs SET status = 'done', lease_expires_at = NULL, "
            "finished_at = clock_timestamp() WHERE message_id = :id"
        ),
        {"id": message_id},
    )


async def load_context(session: AsyncSession, job: ClaimedJob) -> JobContext | None:
    row = (
        await session.execute(
            select(Message, Conversation, Tenant)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(Tenant, Tenant.id == Message.tenant_id)
            .where(Message.id == job.message_id)
        )
    ).one_or_none()
    if row is None:
        return None
    message, conversation, tenant = row
    earlier = (
        await session.execute(
            select(Message.author_kind, Message.text)
            .where(
                Message.conversation_id == conversation.id,
                Message.seq < message.seq,
                Message.visibility == "public",
            )
            .order_by(Message.seq.desc())
            .limit(HISTORY_MESSAGES)
        )
    ).all()
    history = [(kind, body) for kind, body in reversed(earlier)]
    return JobContext(message, conversation, tenant, history)


async def insert_outcome(session: AsyncSession, values: dict[str, Any]) -> UUID | None:
    """None when the message already has its outcome (another worker finished it first)."""
    statement = (
        insert(AiOutcome)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[AiOutcome.message_id])
        .returning(AiOutcome.id)
    )
    outcome_id: UUID | None = (await session.execute(statement)).scalar_one_or_none()
    return outcome_id


async def set_reply_message(session: AsyncSession, outcome_id: UUID, message_id: UUID) -> None:
    await session.execute(
        update(AiOutcome).where(AiOutcome.id == outcome_id).values(reply_message_id=message_id)
    )


async def insert_message(session: AsyncSession, values: dict[str, Any]) -> Message:
    return (await session.execute(insert(Message).values(**values).returning(Message))).scalar_one()


async def insert_draft(session: AsyncSession, values: dict[str, Any]) -> Draft:
    return (await session.execute(insert(Draft).values(**values).returning(Draft))).scalar_one()


async def insert_ticket(session: AsyncSession, values: dict[str, Any]) -> Ticket:
    return (await session.execute(insert(Ticket).values(**values).returning(Ticket))).scalar_one()


async def insert_compliance_record(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(ComplianceRecord).values(**values))


async def update_conversation(
    session: AsyncSession, conversation_id: UUID, values: dict[str, Any]
) -> Conversation:
    statement = (
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(**values, updated_at=text("now()"))
        .returning(Conversation)
    )
    return (await session.execute(statement)).scalar_one()


async def outcomes_of_conversation(
    session: AsyncSession, tenant_id: UUID, conversation_id: UUID
) -> list[AiOutcome]:
    rows = await session.execute(
        select(AiOutcome)
        .where(AiOutcome.tenant_id == tenant_id, AiOutcome.conversation_id == conversation_id)
        .order_by(AiOutcome.created_at)
    )
    return list(rows.scalars())
