"""Triage types: the three categories, one message's result, the shipped weights' metadata."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contactcenter.core.validation import CleanStr


class Category(StrEnum):
    informational = "informational"
    service_action = "service_action"
    safety_compliance = "safety_compliance"


NEXT_STEP: dict[Category, str] = {
    Category.informational: "answer from the knowledge base",
    Category.service_action: "create a ticket and reply with next steps",
    Category.safety_compliance: "escalate to a person (urgent)",
}


class TriageResult(BaseModel):
    """Where one customer message goes, how sure we are, and why."""

    model_config = ConfigDict(frozen=True)

    category: Category
    confidence: float = Field(ge=0.0, le=1.0, description="Probability of the chosen category.")
    margin: float = Field(
        ge=0.0, le=1.0, description="Confidence minus the best other category's score."
    )
    scores: dict[str, float] = Field(description="The 3-class softmax, by category.")
    safety_score: float = Field(ge=0.0, le=1.0, description="The safety head's probability.")
    safety_terms: list[str] = Field(description="Safety lexicon phrases found in the text.")
    decision_path: list[str]
    next_step: str


class TriageMetrics(BaseModel):
    """Cross-validated DEV numbers recorded next to the weights."""

    macro_f1: float
    safety_recall: float
    per_class_f1: dict[str, float]
    safety_binary_recall: float
    safety_binary_precision: float
    safety_binary_fpr: float
    oos_flagged_safety: int
    oos_total: int


class TriageMetadata(BaseModel):
    """triage.json: what the weights in triage.npz were trained with."""

    trained_at: str
    embedder_model_id: str
    labels: list[Category]
    safety_threshold: float
    training_rows: dict[str, int]
    cv_metrics: TriageMetrics
    operating_points: list[dict[str, float]] = Field(default_factory=list)
    notes: str = ""


class Channel(StrEnum):
    web = "web"
    email = "email"
    whatsapp = "whatsapp"
    telegram = "telegram"
    teams = "teams"
    line = "line"
    wechat = "wechat"
    api = "api"


class ClassifyRequest(BaseModel):
    """POST /api/v1/classify: one customer message."""

    message: CleanStr = Field(min_length=1, max_length=4000)
    channel: Channel = Channel.api
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="Free-form context; not used by the classifier yet."
    )


class ClassifyResponse(BaseModel):
    """Where the message goes and why (the API view of TriageResult)."""

    request_id: str
    category: Category
    confidence: float = Field(ge=0.0, le=1.0)
    decision_path: list[str]
    next_step: str
    processing_time_ms: float
