"""Declarative base. The schema itself is owned by the alembic migrations (SQL with RLS)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import DateTime, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    metadata = MetaData()
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSONB,
        dict[str, str]: JSONB,
        dict[str, int]: JSONB,
        dict[str, float]: JSONB,
        list[dict[str, Any]]: JSONB,
    }


__all__ = ["UUID", "Base"]
