"""Opaque keyset cursors (base64url JSON), so clients never build them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from contactcenter.core.cursors import decode, encode
from contactcenter.core.errors import AppError, ErrorCode


def conversation_cursor(last_message_at: datetime, conversation_id: UUID) -> str:
    return encode({"t": last_message_at.isoformat(), "id": str(conversation_id)})


def decode_conversation_cursor(cursor: str) -> tuple[datetime, UUID]:
    data = decode(cursor)
    try:
        return datetime.fromisoformat(data["t"]), UUID(data["id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AppError(ErrorCode.invalid_cursor, "the cursor is not one this API returned") from exc


def message_cursor(seq: int) -> str:
    return encode({"s": seq})


def decode_message_cursor(cursor: str) -> int:
    data = decode(cursor)
    seq = data.get("s")
    if not isinstance(seq, int) or seq < 0:
        raise AppError(ErrorCode.invalid_cursor, "the cursor is not one this API returned")
    return seq
