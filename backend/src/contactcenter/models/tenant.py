from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, text
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.models.base import Base


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    slug: Mapped[str]
    name: Mapped[str]
    settings: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    confidence_threshold: Mapped[float] = mapped_column(server_default=text("0.80"))
    escalation_after_s: Mapped[int] = mapped_column(server_default=text("300"))
    session_idle_s: Mapped[int] = mapped_column(server_default=text("3600"))
    retention_days: Mapped[int] = mapped_column(server_default=text("365"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
