"""The approval queue and conversation control. Human approval is enforced here, not in a UI:
a draft reaches the customer only through `decide`, which records who decided, when, what was
sent and the policy in force, in the same transaction as the message it sends.

Writes run as the service after explicit role and tenant checks (a decision inserts the reply,
which no user's RLS rights cover); every query still names the caller's tenant. Two agents
deciding one draft at once serialise on its row lock: one wins, the other gets 409 naming who
decided.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import Select, and_, case, func, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.audit import service as audit
from contactcenter.auth.principal import Principal
from contactcenter.conversations.schemas import (
    CLOSED_STATUSES,
    ConversationOut,
    ConversationStatus,
    MessageOut,
)
from contactcenter.conversations.service import (
    announce_conversation,
    announce_message,
    ensure_profile,
)
from contactcenter.core.config import Settings
from contactcenter.core.database import Database
from contactcenter.core.errors import AppError, ErrorCode
from contactcenter.hitl.schemas import AuditEventOut, DraftDetail, DraftPage
from contactcenter.models import AiOutcome, AuditEvent, Conversation, Draft, Message, Tenant
from contactcenter.pipeline import repository as pipeline_repository
from contactcenter.pipeline.core import ReplyPipeline
from contactcenter.pipeline.jobs import policy_of
from contactcenter.pipeline.schemas import (
    DraftCreated,
    DraftOut,
    DraftReason,
    DraftUpdated,
    OutcomeOut,
)
from contactcenter.realtime.publisher import Audience, publish, tenant_topic

CLAIM_TTL_S = 300
Action = Literal["approve", "edit", "reject"]
_MARKER = re.compile(r"\[(\d{1,2})\]")

_SAFETY_FIRST = case((Draft.category == "safety_compliance", 0), else_=1)
_URGENCY = case((Draft.priority == "urgent", 0), (Draft.priority == "high", 1), else_=2)


# -- reading -------------------------------------------------------------------------------------


def _encode_cursor(draft: Draft) -> str:
    key = [
        0 if draft.category == "safety_compliance" else 1,
        {"urgent": 0, "high": 1}.get(draft.priority, 2),
        draft.created_at.isoformat(),
        str(draft.id),
    ]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, int, datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        safety, urgency, created, draft_id = json.loads(raw)
        return int(safety), int(urgency), datetime.fromisoformat(created), UUID(draft_id)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise AppError(ErrorCode.invalid_cursor, "the cursor is not one this API issued") from exc


async def list_drafts(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    category: str | None,
    priority: str | None,
    cursor: str | None,
    limit: int,
) -> DraftPage:
    """Safety first, then urgency, then age (oldest first)."""
    query: Select[Draft] = select(Draft).where(Draft.tenant_id == principal.tenant_id)
    if status is not None:
        query = query.where(Draft.status == status)
    if category is not None:
        query = query.where(Draft.category == category)
    if priority is not None:
        query = query.where(Draft.priority == priority)
    if cursor is not None:
        safety, urgency, created, draft_id = _decode_cursor(cursor)
        query = query.where(
            tuple_(_SAFETY_FIRST, _URGENCY, Draft.created_at, Draft.id)
            > tuple_(safety, urgency, created, draft_id)
        )
    query = query.order_by(_SAFETY_FIRST, _URGENCY, Draft.created_at, Draft.id).limit(limit + 1)
    rows = list((await session.execute(query)).scalars())
    page = rows[:limit]
    questions = dict(
        (
            await session.execute(
                select(Message.id, Message.text).where(Message.id.in_([r.message_id for r in page]))
            )
        ).all()
    )
    items = [
        DraftOut.model_validate(row).model_copy(update={"question": questions.get(row.message_id)})
        for row in page
    ]
    return DraftPage(
        items=items, next_cursor=_encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    )


async def get_draft(session: AsyncSession, principal: Principal, draft_id: UUID) -> DraftDetail:
    draft = (
        await session.execute(
            select(Draft).where(Draft.id == draft_id, Draft.tenant_id == principal.tenant_id)
        )
    ).scalar_one_or_none()
    if draft is None:
        raise _not_found(draft_id)
    question = (
        await session.execute(select(Message).where(Message.id == draft.message_id))
    ).scalar_one()
    earlier = (
        await session.execute(
            select(Message)
            .where(Message.conversation_id == draft.conversation_id, Message.seq < question.seq)
            .order_by(Message.seq.desc())
            .limit(20)
        )
    ).scalars()
    outcome = (
        await session.execute(select(AiOutcome).where(AiOutcome.message_id == draft.message_id))
    ).scalar_one_or_none()
    return DraftDetail(
        draft=DraftOut.model_validate(draft),
        question=question.text,
        history=[
            MessageOut.model_validate(m).model_dump(mode="json") for m in reversed(list(earlier))
        ],
        outcome=OutcomeOut.model_validate(outcome) if outcome is not None else None,
    )


async def conversation_audit(
    session: AsyncSession, principal: Principal, conversation_id: UUID
) -> list[AuditEventOut]:
    await _conversation(session, principal, conversation_id, lock=False)
    rows = await session.execute(
        select(AuditEvent)
        .where(
            AuditEvent.tenant_id == principal.tenant_id,
            or_(
                AuditEvent.conversation_id == conversation_id,
                and_(
                    AuditEvent.subject_type == "conversation",
                    AuditEvent.subject_id == conversation_id,
                ),
            ),
        )
        .order_by(AuditEvent.id)
    )
    return [AuditEventOut.model_validate(row) for row in rows.scalars()]


# -- claims --------------------------------------------------------------------------------------


async def claim(db: Database, settings: Settings, principal: Principal, draft_id: UUID) -> DraftOut:
    """Take a pending draft for CLAIM_TTL_S seconds (again: extend). Another agent's live claim
    is a 409 naming them; an expired one is taken over."""
    return await _set_claim(db, settings, principal, draft_id, take=True)


async def release(
    db: Database, settings: Settings, principal: Principal, draft_id: UUID
) -> DraftOut:
    return await _set_claim(db, settings, principal, draft_id, take=False)


async def _set_claim(
    db: Database, settings: Settings, principal: Principal, draft_id: UUID, *, take: bool
) -> DraftOut:
    async with db.transaction() as session:
        await ensure_profile(session, principal)
        draft = await _locked_draft(session, principal, draft_id)
        _must_be_pending(draft)
        _must_not_be_claimed_by_another(draft, principal)
        before = _claim_state(draft)
        values: dict[str, Any] = (
            {
                "claimed_by": principal.user_id,
                "claim_expires_at": func.now() + text(f"interval '{CLAIM_TTL_S} seconds'"),
            }
            if take
            else {"claimed_by": None, "claim_expires_at": None}
        )
        draft = (
            await session.execute(
                update(Draft)
                .where(Draft.id == draft.id)
                .values(**values, updated_at=func.now())
                .returning(Draft)
            )
        ).scalar_one()
        action = "draft.claimed" if take else "draft.released"
        await _record(session, principal, draft, action, before, _claim_state(draft))
        out = DraftOut.model_validate(draft)
        await _announce_draft(session, settings, out, principal.tenant_id)
        return out


# -- decisions -----------------------------------------------------------------------------------


async def decide(
    db: Database,
    settings: Settings,
    principal: Principal,
    draft_id: UUID,
    action: Action,
    *,
    text_: str | None = None,
    reason: str | None = None,
) -> DraftOut:
    async with db.transaction() as session:
        await ensure_profile(session, principal)
        draft = await _locked_draft(session, principal, draft_id)
        _must_be_pending(draft)
        _must_not_be_claimed_by_another(draft, principal)
        conversation = await _conversation(session, principal, draft.conversation_id, lock=True)
        if action != "reject" and conversation.status in CLOSED_STATUSES:
            raise AppError(
                ErrorCode.conversation_closed,
                f"the conversation is {conversation.status}: nothing can be sent; reject the draft",
            )
        threshold = (
            await session.execute(
                select(Tenant.confidence_threshold).where(Tenant.id == principal.tenant_id)
            )
        ).scalar_one()
        sent_text: str | None = None
        sent_message: Message | None = None
        if action == "approve":
            if not draft.text.strip():
                raise AppError(
                    ErrorCode.validation_failed,
                    "this draft has no text to approve (the AI could not answer): edit it",
                )
            sent_text = draft.text
            sent_message = await _send(
                session,
                settings,
                draft,
                sent_text,
                author_kind="ai",
                author_id=None,
                metadata={
                    "draft_id": str(draft.id),
                    "in_reply_to": str(draft.message_id),
                    "approved_by": str(principal.user_id),
                    "citations": draft.citations,
                },
            )
        elif action == "edit":
            assert text_ is not None
            sent_text = text_
            kept = {int(n) for n in _MARKER.findall(text_)}
            sent_message = await _send(
                session,
                settings,
                draft,
                sent_text,
                author_kind="agent",
                author_id=principal.user_id,
                metadata={
                    "draft_id": str(draft.id),
                    "in_reply_to": str(draft.message_id),
                    "citations": [c for c in draft.citations if c.get("number") in kept],
                },
            )
        status = {"approve": "approved", "edit": "edited", "reject": "rejected"}[action]
        before = {"status": draft.status, "text": draft.text, "confidence": draft.confidence}
        draft = (
            await session.execute(
                update(Draft)
                .where(Draft.id == draft.id)
                .values(
                    status=status,
                    decided_by=principal.user_id,
                    decided_at=func.now(),
                    decision_note=reason,
                    sent_text=sent_text,
                    sent_message_id=sent_message.id if sent_message else None,
                    policy={"confidence_threshold": round(threshold, 4)},
                    claimed_by=None,
                    claim_expires_at=None,
                    updated_at=func.now(),
                )
                .returning(Draft)
            )
        ).scalar_one()
        await _record(
            session,
            principal,
            draft,
            f"draft.{status}",
            before,
            {
                "status": status,
                "sent_text": sent_text,
                "reason": reason,
                "confidence": draft.confidence,
                "category": draft.category,
                "policy": draft.policy,
            },
        )
        out = DraftOut.model_validate(draft)
        await _announce_draft(session, settings, out, principal.tenant_id)
        await _back_to_ai_if_done(session, settings, principal, conversation)
        return out


async def retry(
    db: Database,
    settings: Settings,
    principal: Principal,
    draft_id: UUID,
    hint: str,
    pipeline: ReplyPipeline,
) -> DraftOut:
    """After a rejection: the AI writes a new draft for the same question, steered by the
    agent's hint. Nothing is sent; the new draft waits in the queue like any other. The AI runs
    between two short transactions, never inside one."""
    async with db.transaction() as session:
        rejected = await _locked_draft(session, principal, draft_id)
        _must_be_retryable(rejected)
        conversation = await _conversation(session, principal, rejected.conversation_id, lock=False)
        _must_be_open(conversation)
        question = (
            await session.execute(select(Message).where(Message.id == rejected.message_id))
        ).scalar_one()
        tenant = (
            await session.execute(select(Tenant).where(Tenant.id == principal.tenant_id))
        ).scalar_one()
        history = [
            (m.author_kind, m.text)
            for m in reversed(
                list(
                    (
                        await session.execute(
                            select(Message)
                            .where(
                                Message.conversation_id == question.conversation_id,
                                Message.seq < question.seq,
                                Message.visibility == "public",
                            )
                            .order_by(Message.seq.desc())
                            .limit(6)
                        )
                    ).scalars()
                )
            )
        ]
    result = await pipeline.decide(
        question.text,
        policy_of(tenant),
        message_id=question.id,
        history=history,
        stream=False,
        hint=hint,
    )
    async with db.transaction() as session:
        await ensure_profile(session, principal)
        rejected = await _locked_draft(session, principal, draft_id)
        _must_be_retryable(rejected)
        waiting = (
            await session.execute(
                select(Draft.id).where(
                    Draft.message_id == rejected.message_id, Draft.status == "pending_review"
                )
            )
        ).scalar_one_or_none()
        if waiting is not None:
            raise AppError(
                ErrorCode.conflict,
                f"draft {waiting} for this message is already waiting for review",
                draft_id=str(waiting),
            )
        draft = await pipeline_repository.insert_draft(
            session,
            {
                "tenant_id": rejected.tenant_id,
                "conversation_id": rejected.conversation_id,
                "message_id": rejected.message_id,
                "outcome_id": rejected.outcome_id,
                "priority": rejected.priority,
                "reason": DraftReason.agent_retry.value,
                "category": rejected.category,
                "confidence": result.confidence.value,
                "text": result.reply_text,
                "citations": [c.model_dump(mode="json") for c in result.reply.citations]
                if result.reply
                else [],
                "retry_of": rejected.id,
                "hint": hint,
            },
        )
        await _record(
            session,
            principal,
            draft,
            "draft.retried",
            {"retry_of": str(rejected.id), "status": rejected.status},
            {
                "status": draft.status,
                "hint": hint,
                "confidence": draft.confidence,
                "decision_path": result.decision_path,
            },
        )
        out = DraftOut.model_validate(draft).model_copy(update={"question": question.text})
        await publish(
            session,
            settings.realtime.channel,
            tenant_id=draft.tenant_id,
            topics=[tenant_topic(draft.tenant_id, "queue")],
            event=DraftCreated(draft=out),
            audience=Audience.staff,
        )
        return out


def _must_be_retryable(draft: Draft) -> None:
    if draft.status != "rejected":
        raise AppError(
            ErrorCode.conflict,
            f"the draft is {draft.status}: reject it first, then ask the AI to try again",
            status=draft.status,
        )


# -- conversation control ------------------------------------------------------------------------


async def take_over(
    db: Database, settings: Settings, principal: Principal, conversation_id: UUID
) -> ConversationOut:
    async with db.transaction() as session:
        await ensure_profile(session, principal)
        conversation = await _conversation(session, principal, conversation_id, lock=True)
        _must_be_open(conversation)
        return await _change(
            session,
            settings,
            principal,
            conversation,
            "conversation.taken_over",
            ai_paused=True,
            assigned_to=principal.user_id,
            status=ConversationStatus.pending_human.value,
        )


async def hand_back(
    db: Database, settings: Settings, principal: Principal, conversation_id: UUID
) -> ConversationOut:
    async with db.transaction() as session:
        conversation = await _conversation(session, principal, conversation_id, lock=True)
        _must_be_open(conversation)
        return await _change(
            session,
            settings,
            principal,
            conversation,
            "conversation.handed_back",
            ai_paused=False,
            assigned_to=None,
            status=ConversationStatus.open.value,
        )


async def resolve(
    db: Database, settings: Settings, principal: Principal, conversation_id: UUID
) -> ConversationOut:
    async with db.transaction() as session:
        conversation = await _conversation(session, principal, conversation_id, lock=True)
        _must_be_open(conversation)
        superseded = (
            await session.execute(
                update(Draft)
                .where(Draft.conversation_id == conversation.id, Draft.status == "pending_review")
                .values(
                    status="superseded",
                    claimed_by=None,
                    claim_expires_at=None,
                    updated_at=func.now(),
                )
                .returning(Draft)
            )
        ).scalars()
        for draft in superseded:
            await _record(
                session,
                principal,
                draft,
                "draft.superseded",
                {"status": "pending_review"},
                {"status": "superseded", "because": "conversation resolved"},
            )
            await _announce_draft(
                session, settings, DraftOut.model_validate(draft), draft.tenant_id
            )
        return await _change(
            session,
            settings,
            principal,
            conversation,
            "conversation.resolved",
            status=ConversationStatus.resolved.value,
            ai_paused=False,
            closed_at=func.now(),
        )


async def add_note(
    db: Database, settings: Settings, principal: Principal, conversation_id: UUID, note: str
) -> MessageOut:
    """An internal note: staff see it, the customer never does."""
    async with db.transaction() as session:
        await ensure_profile(session, principal)
        conversation = await _conversation(session, principal, conversation_id, lock=False)
        message = await pipeline_repository.insert_message(
            session,
            {
                "tenant_id": principal.tenant_id,
                "conversation_id": conversation.id,
                "author_kind": "agent",
                "author_id": principal.user_id,
                "visibility": "internal",
                "text": note,
            },
        )
        await audit.record(
            session,
            tenant_id=principal.tenant_id,
            actor_id=principal.user_id,
            actor_kind=principal.role.value,
            action="note.created",
            subject_type="message",
            subject_id=message.id,
            conversation_id=conversation.id,
            after={"chars": len(note)},
        )
        return await announce_message(
            session, settings.realtime.channel, message, audience=Audience.staff
        )


# -- helpers -------------------------------------------------------------------------------------


def _not_found(draft_id: UUID) -> AppError:
    return AppError(ErrorCode.draft_not_found, f"no draft {draft_id} was found")


async def _locked_draft(session: AsyncSession, principal: Principal, draft_id: UUID) -> Draft:
    draft = (
        await session.execute(
            select(Draft)
            .where(Draft.id == draft_id, Draft.tenant_id == principal.tenant_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if draft is None:
        raise _not_found(draft_id)
    return draft


def _must_be_pending(draft: Draft) -> None:
    if draft.status != "pending_review":
        raise AppError(
            ErrorCode.draft_decided,
            f"the draft is already {draft.status}"
            + (
                f" (by {draft.decided_by} at {draft.decided_at.isoformat()})"
                if draft.decided_at
                else ""
            ),
            status=draft.status,
            decided_by=str(draft.decided_by) if draft.decided_by else None,
            decided_at=draft.decided_at.isoformat() if draft.decided_at else None,
        )


def _must_not_be_claimed_by_another(draft: Draft, principal: Principal) -> None:
    if (
        draft.claimed_by is not None
        and draft.claimed_by != principal.user_id
        and draft.claim_expires_at is not None
        and draft.claim_expires_at > _now()
    ):
        raise AppError(
            ErrorCode.draft_claimed,
            f"another agent ({draft.claimed_by}) is working on this draft until "
            f"{draft.claim_expires_at.isoformat()}",
            claimed_by=str(draft.claimed_by),
            claim_expires_at=draft.claim_expires_at.isoformat(),
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _claim_state(draft: Draft) -> dict[str, Any]:
    return {
        "claimed_by": str(draft.claimed_by) if draft.claimed_by else None,
        "claim_expires_at": draft.claim_expires_at.isoformat() if draft.claim_expires_at else None,
    }


async def _conversation(
    session: AsyncSession, principal: Principal, conversation_id: UUID, *, lock: bool
) -> Conversation:
    query = select(Conversation).where(
        Conversation.id == conversation_id, Conversation.tenant_id == principal.tenant_id
    )
    if lock:
        query = query.with_for_update()
    conversation = (await session.execute(query)).scalar_one_or_none()
    if conversation is None:
        raise AppError(
            ErrorCode.conversation_not_found, f"no conversation {conversation_id} was found"
        )
    return conversation


def _must_be_open(conversation: Conversation) -> None:
    if conversation.status in CLOSED_STATUSES:
        raise AppError(ErrorCode.conversation_closed, f"the conversation is {conversation.status}")


async def _send(
    session: AsyncSession,
    settings: Settings,
    draft: Draft,
    body: str,
    *,
    author_kind: str,
    author_id: UUID | None,
    metadata: dict[str, Any],
) -> Message:
    message = await pipeline_repository.insert_message(
        session,
        {
            "tenant_id": draft.tenant_id,
            "conversation_id": draft.conversation_id,
            "author_kind": author_kind,
            "author_id": author_id,
            "visibility": "public",
            "text": body,
            "metadata": metadata,
        },
    )
    await announce_message(session, settings.realtime.channel, message)
    return message


async def _record(
    session: AsyncSession,
    principal: Principal,
    draft: Draft,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    await audit.record(
        session,
        tenant_id=draft.tenant_id,
        actor_id=principal.user_id,
        actor_kind=principal.role.value,
        action=action,
        subject_type="draft",
        subject_id=draft.id,
        conversation_id=draft.conversation_id,
        before=before,
        after=after,
    )


async def _announce_draft(
    session: AsyncSession, settings: Settings, draft: DraftOut, tenant_id: UUID
) -> None:
    await publish(
        session,
        settings.realtime.channel,
        tenant_id=tenant_id,
        topics=[tenant_topic(tenant_id, "queue")],
        event=DraftUpdated(draft=draft),
        audience=Audience.staff,
    )


async def _back_to_ai_if_done(
    session: AsyncSession, settings: Settings, principal: Principal, conversation: Conversation
) -> None:
    """Once no draft waits and no agent holds the conversation, the AI answers again."""
    if conversation.ai_paused or conversation.status != ConversationStatus.pending_human.value:
        return
    waiting = (
        await session.execute(
            select(func.count())
            .select_from(Draft)
            .where(Draft.conversation_id == conversation.id, Draft.status == "pending_review")
        )
    ).scalar_one()
    if waiting == 0:
        await _change(
            session,
            settings,
            principal,
            conversation,
            "conversation.back_to_ai",
            status=ConversationStatus.open.value,
        )


async def _change(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    conversation: Conversation,
    action: str,
    **values: Any,
) -> ConversationOut:
    fields = ("status", "ai_paused", "assigned_to", "priority")
    before = {f: _plain(getattr(conversation, f)) for f in fields}
    updated = await pipeline_repository.update_conversation(session, conversation.id, values)
    after = {f: _plain(getattr(updated, f)) for f in fields}
    await audit.record(
        session,
        tenant_id=conversation.tenant_id,
        actor_id=principal.user_id,
        actor_kind=principal.role.value,
        action=action,
        subject_type="conversation",
        subject_id=conversation.id,
        conversation_id=conversation.id,
        before=before,
        after=after,
    )
    return await announce_conversation(session, settings.realtime.channel, updated)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, UUID) else value
