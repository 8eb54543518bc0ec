"""The reply pipeline's rows: jobs, outcomes (the evidence), drafts, tickets, compliance log."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, ForeignKey, Text, func
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.models.base import Base


class ReplyJob(Base):
    """One customer message's reply job, created by a trigger with the message itself."""

    __tablename__ = "reply_jobs"

    message_id: Mapped[UUID] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id"))
    conversation_id: Mapped[UUID] = mapped_column(ForeignKey("conversations.id"))
    status: Mapped[str] = mapped_column(server_default=sql("'queued'"))
    attempts: Mapped[int] = mapped_column(server_default=sql("0"))
    available_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    request_id: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
    finished_at: Mapped[datetime | None]


class AiOutcome(Base):
    __tablename__ = "ai_outcomes"

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=sql("gen_random_uuid()"))
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id"))
    conversation_id: Mapped[UUID] = mapped_column(ForeignKey("conversations.id"))
    message_id: Mapped[UUID] = mapped_column(ForeignKey("messages.id"))
    decision: Mapped[str]
    category: Mapped[str]
    triage: Mapped[dict[str, Any]]
    retrieval: Mapped[list[dict[str, Any]]]
    injection: Mapped[dict[str, Any]]
    provider: Mapped[str | None]
    model: Mapped[str | None]
    prompt_id: Mapped[str | None]
    prompt_version: Mapped[str | None]
    latency_ms: Mapped[dict[str, float]]
    input_tokens: Mapped[int]
    output_tokens: Mapped[int]
    cost_usd: Mapped[float | None]
    confidence: Mapped[float]
    confidence_parts: Mapped[dict[str, Any]]
    threshold: Mapped[float]
    decision_path: Mapped[list[str]] = mapped_column(ARRAY(Text))
    reply_message_id: Mapped[UUID | None] = mapped_column(ForeignKey("messages.id"))
    error: Mapped[str | None]
    attempts: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())


class Draft(Base):
    """An AI reply waiting for a person (the approval queue)."""

    __tablename__ = "drafts"

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=sql("gen_random_uuid()"))
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id"))
    conversation_id: Mapped[UUID] = mapped_column(ForeignKey("conversations.id"))
    message_id: Mapped[UUID] = mapped_column(ForeignKey("messages.id"))
    outcome_id: Mapped[UUID | None] = mapped_column(ForeignKey("ai_outcomes.id"))
    status: Mapped[str] = mapped_column(server_default=sql("'pending_review'"))
    priority: Mapped[str] = mapped_column(server_default=sql("'normal'"))
    reason: Mapped[str]
    category: Mapped[str]
    confidence: Mapped[float]
    text: Mapped[str]
    citations: Mapped[list[dict[str, Any]]]
    claimed_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"))
    claim_expires_at: Mapped[datetime | None]
    decided_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None]
    sent_text: Mapped[str | None]
    sent_message_id: Mapped[UUID | None] = mapped_column(ForeignKey("messages.id"))
    policy: Mapped[dict[str, Any] | None]
    escalated_at: Mapped[datetime | None]
    retry_of: Mapped[UUID | None] = mapped_column(ForeignKey("drafts.id"))
    hint: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=sql("gen_random_uuid()"))
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id"))
    conversation_id: Mapped[UUID] = mapped_column(ForeignKey("conversations.id"))
    message_id: Mapped[UUID] = mapped_column(ForeignKey("messages.id"))
    reference: Mapped[str]
    intent: Mapped[str]
    fields: Mapped[dict[str, str]]
    summary: Mapped[str]
    adapter: Mapped[str]
    status: Mapped[str] = mapped_column(server_default=sql("'open'"))
    external_id: Mapped[str | None]
    error: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())


class ComplianceRecord(Base):
    __tablename__ = "compliance_records"

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=sql("gen_random_uuid()"))
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id"))
    conversation_id: Mapped[UUID] = mapped_column(ForeignKey("conversations.id"))
    message_id: Mapped[UUID] = mapped_column(ForeignKey("messages.id"))
    kind: Mapped[str]
    redacted_text: Mapped[str]
    redactions: Mapped[dict[str, int]]
    safety_score: Mapped[float]
    decision_path: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
