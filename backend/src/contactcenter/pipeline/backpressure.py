"""Back-pressure: when the reply queue is long, every message is still stored and answered in
turn, and its customer is told, once in a while, that a reply may take a moment, instead of
meeting an error or silence."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from uuid import UUID

import structlog
from sqlalchemy import text

from contactcenter.conversations.service import announce_message
from contactcenter.core.config import Settings
from contactcenter.core.database import Database
from contactcenter.pipeline import repository

log = structlog.get_logger(__name__)

BUSY_NOTICE = (
    "We're receiving a lot of messages right now. Yours is safely with us, and we'll answer "
    "as soon as we can."
)
NOTICE_EVERY_S = 300  # at most one such notice per conversation in this time


_COUNT_WAITING = text(
    "SELECT count(*) FROM (SELECT 1 FROM reply_jobs WHERE status <> 'done' LIMIT :n) waiting"
)


@dataclass
class _Reading:
    depth: int = 0
    limit: int = -1
    at: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


# one reading per database (process-wide): every customer message asks, one count answers
_READINGS: dict[int, _Reading] = {}


async def _over_limit(db: Database, limit: int, fresh_s: float) -> bool:
    reading = _READINGS.get(id(db)) or _READINGS.setdefault(id(db), _Reading())
    if reading.limit == limit and time.monotonic() - reading.at < fresh_s:
        return reading.depth > limit
    async with reading.lock:  # a crowd arriving together waits for one count
        if reading.limit == limit and time.monotonic() - reading.at < fresh_s:
            return reading.depth > limit
        async with db.transaction() as session:
            depth = (await session.execute(_COUNT_WAITING, {"n": limit + 1})).scalar_one()
        reading.depth, reading.limit, reading.at = depth, limit, time.monotonic()
        return bool(depth > limit)


async def notice_if_busy(
    db: Database, settings: Settings, tenant_id: UUID, conversation_id: UUID
) -> bool:
    """Runs after the customer's message is committed. True when a notice was sent."""
    limit = settings.pipeline.busy_queue_depth
    if not await _over_limit(db, limit, settings.pipeline.busy_check_s):
        return False
    async with db.transaction() as session:
        recent = (
            await session.execute(
                text(
                    "SELECT 1 FROM messages WHERE conversation_id = :c AND author_kind = 'system' "
                    "AND metadata ->> 'kind' = 'busy' "
                    "AND created_at > now() - make_interval(secs => :every) LIMIT 1"
                ),
                {"c": conversation_id, "every": NOTICE_EVERY_S},
            )
        ).first()
        if recent is not None:
            return False
        message = await repository.insert_message(
            session,
            {
                "tenant_id": tenant_id,
                "conversation_id": conversation_id,
                "author_kind": "system",
                "visibility": "public",
                "text": BUSY_NOTICE,
                "metadata": {"kind": "busy", "queue_over": limit},
            },
        )
        await announce_message(session, settings.realtime.channel, message)
    log.info("pipeline.backpressure.notice", queue_over=limit)
    return True
