"""APScheduler runs the sweeps on an interval in every process; a Postgres advisory lock per
sweep lets exactly one process run it at a time across replicas (the others skip that tick).
The sweeps are idempotent, so a tick that two processes run one after the other changes
nothing the second time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from sqlalchemy import text

from contactcenter.core.config import Settings
from contactcenter.core.database import Database
from contactcenter.jobs.sweeps import (
    SweepResult,
    escalate_waiting_drafts,
    expire_idle_conversations,
    purge_expired_data,
)

log = structlog.get_logger(__name__)

Sweep = Callable[[Database, Settings, datetime], Awaitable[SweepResult]]

# one advisory-lock key per sweep (arbitrary constants, apart from the other lock keys)
SWEEPS: dict[str, tuple[int, Sweep]] = {
    "escalation": (7_340_019_401, escalate_waiting_drafts),
    "expiry": (7_340_019_402, expire_idle_conversations),
    "retention": (7_340_019_403, purge_expired_data),
}


async def run_exclusive(
    db: Database,
    settings: Settings,
    name: str,
    *,
    now: datetime | None = None,
    sweep: Sweep | None = None,
) -> SweepResult | None:
    """Run one sweep if no other process is running it; None when another one is."""
    key, default = SWEEPS[name]
    async with db.engine.connect() as lock:
        got = (await lock.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})).scalar()
        await lock.commit()
        if not got:
            return None
        try:
            result = await (sweep or default)(db, settings, now or datetime.now(UTC))
        finally:
            await lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            await lock.commit()
    if result.changed:
        log.info("jobs.sweep", sweep=name, changed=result.changed)
    return result


class Scheduler:
    def __init__(self, settings: Settings, db: Database) -> None:
        self._settings = settings
        self._db = db
        self._scheduler = AsyncIOScheduler(timezone=UTC)

    def start(self) -> None:
        for name in SWEEPS:
            self._scheduler.add_job(
                self._tick,
                "interval",
                seconds=self._settings.jobs.interval_s,
                args=[name],
                id=name,
                max_instances=1,
                coalesce=True,
                next_run_time=datetime.now(UTC),
            )
        self._scheduler.start()

    async def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def _tick(self, name: str) -> None:
        try:
            await run_exclusive(self._db, self._settings, name)
        except Exception:
            log.exception("jobs.sweep_failed", sweep=name)
