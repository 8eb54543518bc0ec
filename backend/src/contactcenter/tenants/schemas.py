from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

DEFAULT_BRAND_COLOR = "#0f766e"
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


class WidgetConfig(BaseModel):
    """What the web widget shows before the customer writes: public, no secrets."""

    tenant: str = Field(description="The tenant's slug.")
    name: str = Field(description="The business's name, shown in the widget's header.")
    assistant_name: str
    greeting: str = Field(description="The first bubble the customer sees.")
    brand_color: str = Field(
        pattern=r"^#[0-9a-fA-F]{6}$", description="Header and customer-bubble colour."
    )
    logo_url: str | None = None
    privacy_url: str | None = None

    @classmethod
    def of(cls, slug: str, name: str, settings: dict[str, Any]) -> WidgetConfig:
        widget = settings.get("widget") or {}
        color = str(widget.get("brand_color") or DEFAULT_BRAND_COLOR)
        return cls(
            tenant=slug,
            name=name,
            assistant_name=str(settings.get("assistant_name") or f"{name} assistant"),
            greeting=str(widget.get("greeting") or f"Hi! This is {name}. How can we help?"),
            brand_color=color if _HEX.fullmatch(color) else DEFAULT_BRAND_COLOR,
            logo_url=widget.get("logo_url") or None,
            privacy_url=widget.get("privacy_url") or None,
        )
