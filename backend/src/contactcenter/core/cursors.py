"""Opaque keyset cursors (base64url JSON), so clients never build them."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from contactcenter.core.errors import AppError, ErrorCode


def encode(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise AppError(ErrorCode.invalid_cursor, "the cursor is not one this API returned") from exc
    if not isinstance(data, dict):
        raise AppError(ErrorCode.invalid_cursor, "the cursor is not one this API returned")
    return data


def time_id_cursor(at: datetime, row_id: UUID) -> str:
    """The cursor of a page ordered by (timestamp, id) descending."""
    return encode({"t": at.isoformat(), "id": str(row_id)})


def decode_time_id_cursor(cursor: str) -> tuple[datetime, UUID]:
    data = decode(cursor)
    try:
        return datetime.fromisoformat(data["t"]), UUID(data["id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AppError(ErrorCode.invalid_cursor, "the cursor is not one this API returned") from exc
