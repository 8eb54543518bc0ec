from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, Identity, func
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.models.base import Base


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=sql("gen_random_uuid()"))
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id"))
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(server_default=sql("'web'"))
    status: Mapped[str] = mapped_column(server_default=sql("'open'"))
    priority: Mapped[str] = mapped_column(server_default=sql("'normal'"))
    assigned_to: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"))
    ai_paused: Mapped[bool] = mapped_column(server_default=sql("false"))
    subject: Mapped[str | None]
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", server_default=sql("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_message_at: Mapped[datetime] = mapped_column(server_default=func.now())
    closed_at: Mapped[datetime | None]


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=sql("gen_random_uuid()"))
    seq: Mapped[int] = mapped_column(Identity(always=True))
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id"))
    conversation_id: Mapped[UUID] = mapped_column(ForeignKey("conversations.id"))
    author_kind: Mapped[str]
    author_id: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"))
    visibility: Mapped[str] = mapped_column(server_default=sql("'public'"))
    text: Mapped[str]
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", server_default=sql("'{}'::jsonb"))
    client_message_id: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
