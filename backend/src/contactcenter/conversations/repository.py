"""SQL for conversations and messages.

Every query names the tenant explicitly (and, for customers, the customer) even though RLS
enforces the same rules underneath: the Python filter is the first wall, RLS the second.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.auth.principal import Principal
from contactcenter.models import Conversation, Message


def scoped_conversations(principal: Principal) -> Select[Conversation]:
    """The one place that scopes conversation reads to what the caller may see."""
    query = select(Conversation).where(Conversation.tenant_id == principal.tenant_id)
    if not principal.is_staff:
        query = query.where(Conversation.customer_id == principal.user_id)
    return query


async def get_conversation(
    session: AsyncSession, principal: Principal, conversation_id: UUID, *, for_update: bool = False
) -> Conversation | None:
    query = scoped_conversations(principal).where(Conversation.id == conversation_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def conversation_exists(session: AsyncSession, conversation_id: UUID) -> bool:
    """Under RLS: true only when the transaction's caller may see the conversation."""
    return bool(
        (await session.execute(select(exists().where(Conversation.id == conversation_id)))).scalar()
    )


async def list_conversations(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Conversation]:
    query = scoped_conversations(principal)
    if status is not None:
        query = query.where(Conversation.status == status)
    if after is not None:
        last_at, last_id = after
        query = query.where(
            or_(
                Conversation.last_message_at < last_at,
                and_(Conversation.last_message_at == last_at, Conversation.id < last_id),
            )
        )
    query = query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def insert_conversation(session: AsyncSession, values: dict[str, object]) -> Conversation:
    """Insert naming only the columns the caller chooses (RLS grants no others)."""
    statement = insert(Conversation).values(**values).returning(Conversation)
    return (await session.execute(statement)).scalar_one()


async def insert_message(session: AsyncSession, values: dict[str, object]) -> Message | None:
    """Insert; on a repeated `client_message_id` return None (the caller loads the original)."""
    statement = (
        insert(Message)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=[Message.conversation_id, Message.client_message_id],
            index_where=Message.client_message_id.is_not(None),
        )
        .returning(Message)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def message_by_client_id(
    session: AsyncSession, conversation_id: UUID, client_message_id: str
) -> Message | None:
    return (
        await session.execute(
            select(Message).where(
                Message.conversation_id == conversation_id,
                Message.client_message_id == client_message_id,
            )
        )
    ).scalar_one_or_none()


async def list_messages(
    session: AsyncSession,
    principal: Principal,
    conversation_id: UUID,
    *,
    after_seq: int | None,
    limit: int,
) -> list[Message]:
    query = select(Message).where(
        Message.tenant_id == principal.tenant_id, Message.conversation_id == conversation_id
    )
    if not principal.is_staff:
        query = query.where(Message.visibility == "public")
    if after_seq is not None:
        query = query.where(Message.seq > after_seq)
    query = query.order_by(Message.seq).limit(limit)
    return list((await session.execute(query)).scalars())
