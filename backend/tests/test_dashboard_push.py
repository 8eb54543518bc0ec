"""Dashboard figures reach the tenant's dashboard topic within 2 s of a change, coalesced, and
agree with the stored rows."""

from __future__ import annotations

import asyncio
import json
import time

from contactcenter.pipeline.jobs import ReplyWorker
from contactcenter.tickets import LocalTicketAdapter
from tests.test_pipeline import set_threshold


async def test_figures_are_pushed_quickly_and_coalesced(app, db, build):
    hub = app.state.hub
    tenant = await build.tenant()
    await set_threshold(db, tenant.id, 1.0)
    subscriber = hub.register(is_staff=True, queue_size=1000)
    hub.subscribe(subscriber, f"tenant:{tenant.id}:dashboard")
    frames: list[tuple[float, dict]] = []

    async def read() -> None:
        while True:
            raw = await subscriber.queue.get()
            frames.append((time.monotonic(), json.loads(raw)))

    reader = asyncio.create_task(read())
    try:
        customer = await build.customer(tenant)
        conversation = await build.conversation(customer)
        started = time.monotonic()
        for i in range(10):
            await build.message(customer, conversation["id"], f"Question number {i}?")
        worker = ReplyWorker(app.state.settings, db, app.state.pipeline, LocalTicketAdapter())
        await worker.drain(tenant.id)
        for _ in range(60):  # the last change's push comes at most one interval later
            if frames and frames[-1][1]["event"]["dashboard"]["replies"] == 10:
                break
            await asyncio.sleep(0.05)
    finally:
        reader.cancel()
        hub.unregister(subscriber)
    assert frames, "no dashboard push arrived"
    assert frames[0][0] - started < 2.0  # the first change shows within 2 s
    kinds = {f["event"]["type"] for _, f in frames}
    assert kinds == {"dashboard.updated"}
    # 10 messages, 10 outcomes, 10 drafts and more events: a handful of pushes, not dozens
    span = frames[-1][0] - started
    assert len(frames) <= span / 0.5 + 2
    last = frames[-1][1]["event"]["dashboard"]
    assert last["replies"] == 10 and last["queue_depth"] == 10
    assert last["active_conversations"] == 1
