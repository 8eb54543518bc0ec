"""Back-pressure: when the reply queue is long, every message is still stored and answered in
turn, and its customer is told, once in a while, that a reply may take a moment, instead of
meeting an error or silence."""

from __future__ import annotations

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


async def notice_if_busy(
    db: Database, settings: Settings, tenant_id: UUID, conversation_id: UUID
) -> bool:
    """Runs after the customer's message is committed. True when a notice was sent."""
    limit = settings.pipeline.busy_queue_depth
    async with db.transaction() as session:
        depth = (
            await session.execute(
                text(
                    "SELECT count(*) FROM (SELECT 1 FROM reply_jobs WHERE status <> 'done' "
                    "LIMIT :n) waiting"
                ),
                {"n": limit + 1},
            )
        ).scalar_one()
        if depth <= limit:
            return False
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
