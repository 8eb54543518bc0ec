"""Pipeline types shared by the API, the realtime contract and the chat models."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contactcenter.triage.schemas import Category


class Decision(StrEnum):
    auto_sent = "auto_sent"  # confident and not safety: sent to the customer
    draft = "draft"  # waits for a person in the approval queue
    escalated = "escalated"  # safety: urgent draft, compliance record, conversation flagged
    failed = "failed"  # the AI could not answer: a person takes it, the customer was told
    skipped = "skipped"  # the conversation was closed before the job ran


class DraftReason(StrEnum):
    low_confidence = "low_confidence"
    safety = "safety"
    injection = "injection"
    ai_failure = "ai_failure"
    no_answer = "no_answer"
    human_control = "human_control"  # an agent has taken the conversation over
    agent_retry = "agent_retry"  # an agent rejected a draft and asked the AI to try again


class Priority(StrEnum):
    normal = "normal"
    high = "high"
    urgent = "urgent"


class CitationOut(BaseModel):
    """A numbered source of a reply: the widget links [n] to it."""

    number: int = Field(ge=1)
    chunk_id: str
    document_id: str
    title: str
    section: str | None = None
    source_url: str | None = None
    quote: str = Field(description="The words of the passage the reply rests on.")


class DraftOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    conversation_id: UUID
    message_id: UUID = Field(description="The customer message this draft answers.")
    status: Literal["pending_review", "approved", "edited", "rejected", "superseded"]
    priority: Priority
    reason: DraftReason
    category: Category
    confidence: float
    text: str
    citations: list[CitationOut]
    claimed_by: UUID | None
    claim_expires_at: datetime | None = None
    created_at: datetime
    decided_by: UUID | None = None
    decided_at: datetime | None = None
    retry_of: UUID | None = Field(
        default=None, description="The rejected draft this one retries (with `hint`)."
    )
    hint: str | None = None
    escalated_at: datetime | None = Field(
        default=None, description="When it waited past the tenant's limit and was escalated."
    )
    decision_note: str | None = Field(default=None, description="A rejection's reason.")
    question: str | None = Field(
        default=None,
        description="The customer's message, in lists and draft.created events (null in updates).",
    )
    sent_text: str | None = Field(
        default=None, description="What reached the customer (the edit, when edited)."
    )


class DraftUpdated(BaseModel):
    """Claimed, released or decided: the queue updates the item."""

    type: Literal["draft.updated"] = "draft.updated"
    draft: DraftOut


class OutcomeOut(BaseModel):
    """The evidence behind one AI decision."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    conversation_id: UUID
    message_id: UUID
    decision: Decision
    category: Category
    triage: dict[str, Any]
    retrieval: list[dict[str, Any]]
    injection: dict[str, Any]
    provider: str | None
    model: str | None
    prompt_id: str | None
    prompt_version: str | None
    latency_ms: dict[str, float]
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    confidence: float
    confidence_parts: dict[str, Any]
    threshold: float
    decision_path: list[str]
    reply_message_id: UUID | None
    error: str | None
    attempts: int
    created_at: datetime


class ReplyOutput(BaseModel):
    """What a chat model must answer (structured output)."""

    answer: str = Field(max_length=4000)
    citations: list[int] = Field(default_factory=list, max_length=10)
    answered: bool
    confidence: float = Field(ge=0.0, le=1.0)
    needs_human: bool


# -- realtime events ----------------------------------------------------------------------------


class AiTyping(BaseModel):
    """The AI is working on (or stopped working on) a reply in this conversation."""

    type: Literal["ai.typing"] = "ai.typing"
    conversation_id: UUID
    message_id: UUID = Field(description="The customer message being answered.")
    typing: bool


class AiReplyDelta(BaseModel):
    """A piece of a reply being written; `message.created` carries the final text."""

    type: Literal["ai.reply.delta"] = "ai.reply.delta"
    conversation_id: UUID
    message_id: UUID = Field(description="The customer message being answered.")
    seq: int = Field(ge=0, description="Order of this piece; the widget appends in order.")
    delta: str


class AiReplyWithdrawn(BaseModel):
    """A streamed reply did not clear the bar once complete: a person will check it first."""

    type: Literal["ai.reply.withdrawn"] = "ai.reply.withdrawn"
    conversation_id: UUID
    message_id: UUID


class DraftCreated(BaseModel):
    type: Literal["draft.created"] = "draft.created"
    draft: DraftOut


class Alert(BaseModel):
    kind: Literal["ai_failure", "safety", "injection", "escalation"]
    conversation_id: UUID
    message_id: UUID
    summary: str
    detail: str | None = Field(default=None, description="For agents: what failed, and where.")


class AlertRaised(BaseModel):
    type: Literal["alert.raised"] = "alert.raised"
    alert: Alert
