from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contactcenter.core.validation import CleanStr

T = TypeVar("T")


class ConversationStatus(StrEnum):
    open = "open"
    pending_human = "pending_human"
    resolved = "resolved"
    expired = "expired"


class AuthorKind(StrEnum):
    customer = "customer"
    ai = "ai"
    agent = "agent"
    system = "system"


class Visibility(StrEnum):
    public = "public"
    internal = "internal"


CLOSED_STATUSES = frozenset({ConversationStatus.resolved, ConversationStatus.expired})


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: CleanStr | None = Field(default=None, max_length=200)
    metadata: dict[str, CleanStr] = Field(
        default_factory=dict,
        max_length=20,
        description="Small string key/values from the host page (for example the page URL).",
    )

    @field_validator("metadata")
    @classmethod
    def _small_metadata(cls, value: dict[str, str]) -> dict[str, str]:
        for key, item in value.items():
            if len(key) > 64 or len(item) > 500 or "\x00" in key:
                raise ValueError("metadata keys are at most 64 and values 500 characters")
        return value


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tenant_id: UUID
    customer_id: UUID
    channel: str
    status: ConversationStatus
    priority: Literal["normal", "high", "urgent"] = "normal"
    assigned_to: UUID | None = None
    ai_paused: bool = Field(
        default=False, description="An agent has taken over: the AI only drafts suggestions."
    )
    subject: str | None
    metadata: dict[str, Any] = Field(validation_alias="metadata_")
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime
    closed_at: datetime | None


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: CleanStr = Field(
        description="The message. Not empty; at most API_MAX_MESSAGE_CHARS characters."
    )
    client_message_id: CleanStr | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The client's own id: a retry with the same id returns the stored message.",
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be empty or only white space")
        return value


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    conversation_id: UUID
    author_kind: AuthorKind
    author_id: UUID | None
    visibility: Visibility
    text: str
    metadata: dict[str, Any] = Field(validation_alias="metadata_")
    client_message_id: str | None
    created_at: datetime


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )
