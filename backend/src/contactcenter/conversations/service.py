"""Rules for conversations and messages. Never commits: the request's transaction does."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.audit import service as audit
from contactcenter.auth.principal import Principal, Role
from contactcenter.conversations import cursors, repository
from contactcenter.conversations.schemas import (
    CLOSED_STATUSES,
    AuthorKind,
    ConversationCreate,
    ConversationOut,
    ConversationStatus,
    MessageCreate,
    MessageOut,
    Page,
    Visibility,
)
from contactcenter.core.config import Settings
from contactcenter.core.cursors import decode_time_id_cursor, time_id_cursor
from contactcenter.core.errors import AppError, ErrorCode
from contactcenter.models import Conversation, Message, User
from contactcenter.realtime.events import ConversationCreated, ConversationUpdated, MessageCreated
from contactcenter.realtime.publisher import Audience, conversation_topic, publish, tenant_topic


def _not_found(conversation_id: UUID) -> AppError:
    # the same answer whether the id does not exist or belongs to someone else
    return AppError(
        ErrorCode.conversation_not_found, f"no conversation {conversation_id} was found"
    )


async def ensure_profile(session: AsyncSession, principal: Principal) -> None:
    """A Supabase-issued token may name a user with no profile row yet: create it from claims."""
    email = principal.claims.get("email") or None
    await session.execute(
        insert(User)
        .values(
            id=principal.user_id,
            tenant_id=principal.tenant_id,
            role=principal.role.value,
            email=email if not principal.is_anonymous else None,
            is_anonymous=principal.is_anonymous,
        )
        .on_conflict_do_nothing(index_elements=[User.id])
    )


async def open_conversation(
    session: AsyncSession, principal: Principal, data: ConversationCreate, settings: Settings
) -> ConversationOut:
    if principal.role is not Role.customer:
        raise AppError(ErrorCode.forbidden, "only customers open conversations")
    await ensure_profile(session, principal)
    conversation = await repository.insert_conversation(
        session,
        {
            "tenant_id": principal.tenant_id,
            "customer_id": principal.user_id,
            "channel": "web",
            "subject": data.subject,
            "metadata": data.metadata,
        },
    )
    out = ConversationOut.model_validate(conversation)
    await audit.record(
        session,
        tenant_id=principal.tenant_id,
        actor_id=principal.user_id,
        actor_kind=principal.role.value,
        action="conversation.created",
        subject_type="conversation",
        subject_id=conversation.id,
        conversation_id=conversation.id,
        after={"status": out.status.value, "channel": out.channel},
    )
    await publish(
        session,
        settings.realtime.channel,
        tenant_id=principal.tenant_id,
        topics=[tenant_topic(principal.tenant_id, "conversations")],
        event=ConversationCreated(conversation=out),
        audience=Audience.staff,
    )
    return out


async def announce_message(
    session: AsyncSession,
    channel: str,
    message: Message,
    *,
    audience: Audience = Audience.everyone,
) -> MessageOut:
    """`message.created` on the conversation and the tenant's conversations topic."""
    out = MessageOut.model_validate(message)
    await publish(
        session,
        channel,
        tenant_id=message.tenant_id,
        topics=[
            conversation_topic(message.conversation_id),
            tenant_topic(message.tenant_id, "conversations"),
        ],
        event=MessageCreated(message=out),
        audience=audience,
    )
    return out


async def announce_conversation(
    session: AsyncSession, channel: str, conversation: Conversation
) -> ConversationOut:
    """`conversation.updated` on the conversation and the tenant's conversations topic."""
    out = ConversationOut.model_validate(conversation)
    await publish(
        session,
        channel,
        tenant_id=conversation.tenant_id,
        topics=[
            conversation_topic(conversation.id),
            tenant_topic(conversation.tenant_id, "conversations"),
        ],
        event=ConversationUpdated(conversation=out),
    )
    return out


async def is_visible(session: AsyncSession, conversation_id: UUID) -> bool:
    """For a transaction running under a caller's claims: may that caller see it?"""
    return await repository.conversation_exists(session, conversation_id)


async def get_conversation(
    session: AsyncSession, principal: Principal, conversation_id: UUID
) -> ConversationOut:
    conversation = await repository.get_conversation(session, principal, conversation_id)
    if conversation is None:
        raise _not_found(conversation_id)
    return ConversationOut.model_validate(conversation)


async def list_conversations(
    session: AsyncSession,
    principal: Principal,
    *,
    status: ConversationStatus | None,
    cursor: str | None,
    limit: int,
) -> Page[ConversationOut]:
    after = decode_time_id_cursor(cursor) if cursor else None
    rows = await repository.list_conversations(
        session,
        principal,
        status=status.value if status else None,
        after=after,
        limit=limit + 1,
    )
    items = [ConversationOut.model_validate(row) for row in rows[:limit]]
    next_cursor = (
        time_id_cursor(rows[limit - 1].last_message_at, rows[limit - 1].id)
        if len(rows) > limit
        else None
    )
    return Page[ConversationOut](items=items, next_cursor=next_cursor)


async def post_message(
    session: AsyncSession,
    principal: Principal,
    conversation_id: UUID,
    data: MessageCreate,
    settings: Settings,
) -> tuple[MessageOut, bool]:
    """Store a customer's or agent's message. Returns the message and whether it is new."""
    limit = settings.api.max_message_chars
    if len(data.text) > limit:
        raise AppError(
            ErrorCode.message_too_long,
            f"text is {len(data.text)} characters long; the limit is {limit}",
            limit=limit,
        )
    conversation = await repository.get_conversation(session, principal, conversation_id)
    if conversation is None:
        raise _not_found(conversation_id)
    if conversation.status in CLOSED_STATUSES:
        raise AppError(
            ErrorCode.conversation_closed,
            f"the conversation is {conversation.status}; start a new conversation",
        )
    if principal.is_staff:
        await ensure_profile(session, principal)
        author_kind = AuthorKind.agent
    else:
        author_kind = AuthorKind.customer
    message = await repository.insert_message(
        session,
        {
            "tenant_id": principal.tenant_id,
            "conversation_id": conversation.id,
            "author_kind": author_kind.value,
            "author_id": principal.user_id,
            "visibility": Visibility.public.value,
            "text": data.text,
            "client_message_id": data.client_message_id,
        },
    )
    if message is None:  # a retry of a message already stored
        assert data.client_message_id is not None
        original = await repository.message_by_client_id(
            session, conversation.id, data.client_message_id
        )
        if original is None or original.author_id != principal.user_id:
            raise AppError(ErrorCode.conflict, "client_message_id was already used")
        return MessageOut.model_validate(original), False
    await audit.record(
        session,
        tenant_id=principal.tenant_id,
        actor_id=principal.user_id,
        actor_kind=principal.role.value,
        action="message.created",
        subject_type="message",
        subject_id=message.id,
        conversation_id=conversation.id,
        after={"author_kind": author_kind.value, "chars": len(data.text)},
    )
    out = await announce_message(session, settings.realtime.channel, message)
    return out, True


async def list_messages(
    session: AsyncSession,
    principal: Principal,
    conversation_id: UUID,
    *,
    cursor: str | None,
    limit: int,
) -> Page[MessageOut]:
    after_seq = cursors.decode_message_cursor(cursor) if cursor else None
    if await repository.get_conversation(session, principal, conversation_id) is None:
        raise _not_found(conversation_id)
    rows = await repository.list_messages(
        session, principal, conversation_id, after_seq=after_seq, limit=limit + 1
    )
    items = [MessageOut.model_validate(row) for row in rows[:limit]]
    next_cursor = cursors.message_cursor(rows[limit - 1].seq) if len(rows) > limit else None
    return Page[MessageOut](items=items, next_cursor=next_cursor)
