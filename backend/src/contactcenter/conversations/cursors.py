"""Opaque keyset cursors (base64url JSON), so clients never build them."""

from __future__ import annotations

from contactcenter.core.cursors import decode, encode
from contactcenter.core.errors import AppError, ErrorCode


def message_cursor(seq: int) -> str:
    return encode({"s": seq})


def decode_message_cursor(cursor: str) -> int:
    data = decode(cursor)
    seq = data.get("s")
    if not isinstance(seq, int) or seq < 0:
        raise AppError(ErrorCode.invalid_cursor, "the cursor is not one this API returned")
    return seq
