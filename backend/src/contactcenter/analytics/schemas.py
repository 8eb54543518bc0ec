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
