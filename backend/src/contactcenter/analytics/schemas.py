from __future__ import annotations

from pydantic import BaseModel, Field


class BandRates(BaseModel):
    """Reviewers' decisions on drafts whose confidence fell in [low, high)."""

    category: str
    low: float
    high: float
    reviewed: int
    approved: int
    edited: int
    rejected: int
    approve_rate: float | None
    edit_rate: float | None
    reject_rate: float | None


class ThresholdOption(BaseModel):
    threshold: float
    predicted_auto_send_rate: float = Field(
        description="Share of the window's answerable messages (not safety, not failed) whose "
        "confidence reaches this threshold."
    )
    predicted_approved_unchanged: float | None = Field(
        description="Among reviewed drafts at or above it, the share agents approved unchanged: "
        "what auto-sending them would have got right. None without reviews there."
    )
    approved_unchanged_lower_bound: float | None = Field(
        description="95 % Wilson lower bound of the share above: small samples promise little."
    )
    reviewed: int = Field(description="Reviewed drafts at or above the threshold (the evidence).")


class ThresholdAdvice(BaseModel):
    window_days: int
    current_threshold: float
    answerable: int = Field(description="Messages in the window the AI could have answered.")
    reviewed: int
    bands: list[BandRates]
    options: list[ThresholdOption]


class StageLatency(BaseModel):
    p50_ms: float | None
    p95_ms: float | None


class AgentLoad(BaseModel):
    agent_id: str
    name: str | None = Field(default=None, description="The agent's display name or e-mail.")
    claimed_now: int
    decided: int


class Dashboard(BaseModel):
    """What a supervisor watches, for the last `window_minutes` (states are as of now)."""

    window_minutes: int
    generated_at: str
    active_conversations: int
    queue_depth: int
    oldest_pending_age_s: float | None
    replies: int = Field(description="AI decisions in the window.")
    auto_send_rate: float | None
    decisions: dict[str, int] = Field(description="Outcomes by decision.")
    reviews: dict[str, int] = Field(description="Drafts approved, edited, rejected.")
    approve_rate: float | None
    edit_rate: float | None
    reject_rate: float | None
    escalations: dict[str, int] = Field(
        description="Safety escalations and drafts escalated for waiting, by reason."
    )
    latency: dict[str, StageLatency] = Field(description="AI latency per pipeline stage.")
    confidence_histogram: list[int] = Field(description="Ten bins: [0, 0.1) ... [0.9, 1].")
    category_mix: dict[str, int]
    sla_breaches: dict[str, int] = Field(
        description="Drafts pending past the escalation limit; customers waiting for a first "
        "response past the target."
    )
    agents: list[AgentLoad]
    llm_tokens: int
    llm_cost_usd: float
    cost_per_conversation_usd: float | None
