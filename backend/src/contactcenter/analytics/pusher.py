"""Live dashboard figures: pushed to a tenant's `tenant:<id>:dashboard` subscribers within about
a second of the change that moved them, coalesced to at most a couple of pushes per second.

Each process watches the events it receives from the database (every replica receives every
event) and recomputes the figures only for tenants with a dashboard open on one of its own
sockets, delivering to those sockets directly: no extra NOTIFY traffic, no duplicate pushes.
The figures come from the stored rows (`analytics.service.dashboard`), so they agree with the
REST endpoint and the audit trail, restart or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any, Literal
from uuid import UUID

import structlog
from pydantic import BaseModel

from contactcenter.analytics.schemas import Dashboard
from contactcenter.analytics.service import dashboard
from contactcenter.core.database import Database
from contactcenter.realtime.hub import RealtimeHub

log = structlog.get_logger(__name__)

MIN_INTERVAL_S = 0.5  # per tenant: at most two pushes a second
WINDOW_MINUTES = 60
# events that can move a figure
MOVERS = frozenset(
    {
        "message.created",
        "conversation.created",
        "conversation.updated",
        "draft.created",
        "draft.updated",
        "alert.raised",
    }
)


class DashboardUpdated(BaseModel):
    """Fresh figures for the supervisor dashboard (the last hour)."""

    type: Literal["dashboard.updated"] = "dashboard.updated"
    dashboard: Dashboard


def topic_of(tenant_id: str) -> str:
    return f"tenant:{tenant_id}:dashboard"


class DashboardPusher:
    def __init__(self, db: Database, hub: RealtimeHub) -> None:
        self._db = db
        self._hub = hub
        self._dirty: set[str] = set()
        self._last: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.pushes = 0

    def start(self) -> None:
        self._hub.observe(self._on_envelope)
        self._task = asyncio.create_task(self._run(), name="dashboard-pusher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _on_envelope(self, envelope: dict[str, Any]) -> None:
        if envelope.get("local"):
            return  # our own pushes
        event = envelope.get("event") or {}
        tenant = envelope.get("tenant_id")
        if tenant and event.get("type") in MOVERS and self._hub.has_subscribers(topic_of(tenant)):
            self._dirty.add(tenant)
            self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            now = time.monotonic()
            due = [t for t in self._dirty if now - self._last.get(t, 0.0) >= MIN_INTERVAL_S]
            if not due:
                # the earliest tenant to become due
                wait = min(MIN_INTERVAL_S - (now - self._last.get(t, 0.0)) for t in self._dirty)
                await asyncio.sleep(max(wait, 0.01))
                self._wake.set()
                continue
            for tenant in due:
                self._dirty.discard(tenant)
                self._last[tenant] = time.monotonic()
                try:
                    await self._push(tenant)
                except Exception:
                    log.exception("analytics.push_failed", tenant_id=tenant)
            if self._dirty:
                self._wake.set()

    async def _push(self, tenant: str) -> None:
        if not self._hub.has_subscribers(topic_of(tenant)):
            return
        async with self._db.transaction() as session:
            figures = await dashboard(session, UUID(tenant), WINDOW_MINUTES)
        self._hub.dispatch(
            {
                "tenant_id": tenant,
                "topics": [topic_of(tenant)],
                "audience": "staff",
                "event": DashboardUpdated(dashboard=figures).model_dump(mode="json"),
                "local": True,
            }
        )
        self.pushes += 1
