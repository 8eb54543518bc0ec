"""Requests and answers of the approval queue and of conversation control."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contactcenter.core.validation import CleanStr
from contactcenter.pipeline.schemas import DraftOut, OutcomeOut

DraftStatus = Literal["pending_review", "approved", "edited", "rejected", "superseded"]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only white space")
    return value


class EditRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: CleanStr = Field(min_length=1, max_length=4000, description="What the customer gets.")
    _check = field_validator("text")(_not_blank)


class RejectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: CleanStr = Field(min_length=1, max_length=2000)
    _check = field_validator("reason")(_not_blank)


class RetryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hint: CleanStr = Field(
        min_length=1,
        max_length=1000,
        description="What the AI should do differently (it steers retrieval and the reply).",
    )
    _check = field_validator("hint")(_not_blank)


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: CleanStr = Field(min_length=1, max_length=4000)
    _check = field_validator("text")(_not_blank)


class DraftPage(BaseModel):
    items: list[DraftOut]
    next_cursor: str | None


class DraftDetail(BaseModel):
    """Everything a reviewer needs beside the draft: the question, the history, the evidence."""

    draft: DraftOut
    question: str
    history: list[dict[str, Any]]
    outcome: OutcomeOut | None


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    actor_id: UUID | None
    actor_kind: str
    action: str
    subject_type: str
    subject_id: UUID
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    created_at: datetime
