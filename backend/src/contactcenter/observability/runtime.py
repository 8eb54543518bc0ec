"""The process's own health: event-loop lag and garbage-collector pauses.

Every request, socket and reply job of a process shares one event loop, so anything that holds
it up delays them all. Two things do, and both are measured here:

- A step that hogs the loop. The monitor sleeps `interval_s` over and over and records how
  late it wakes up (`event_loop_lag_seconds`).
- The cyclic garbage collector. A full collection walks every tracked object, and with the
  embedding and classification libraries loaded that is about 550,000 of them: 130-320 ms with the
  loop stopped, several times a minute under load (measured with `make load`). Everything
  loaded at start-up lives as long as the process, so `freeze_startup_heap()` moves it out of
  the collector's sight (`gc.freeze()`, as CPython's documentation recommends for servers).
  Each collection's pause is recorded in `gc_pause_seconds` by generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from typing import Any

import structlog

from contactcenter.observability import metrics

log = structlog.get_logger(__name__)


class LoopLagMonitor:
    def __init__(self, interval_s: float = 0.1) -> None:
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="loop-lag-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self.interval_s)
            late = time.perf_counter() - asked - self.interval_s
            metrics.event_loop_lag.observe(max(0.0, late))


class GcPauses:
    """Times every collection through `gc.callbacks` (installed once per process)."""

    _installed: GcPauses | None = None

    def __init__(self) -> None:
        self._started = 0.0

    @classmethod
    def install(cls) -> None:
        if cls._installed is None:
            cls._installed = cls()
            gc.callbacks.append(cls._installed)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started:
            metrics.gc_pause.labels(str(info.get("generation", "?"))).observe(
                time.perf_counter() - self._started
            )


# Young-generation threshold: net container allocations between two youngest collections
# (CPython's default is 700). A busy server allocates that many in well under a millisecond, and
# every tenth collection of the middle generation considers a full one.
YOUNG_THRESHOLD = 20_000


def freeze_startup_heap() -> None:
    """Collect once, exempt everything alive now from later collections, and collect the young
    generation less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    log.info("runtime.heap_frozen", objects=gc.get_freeze_count(), young=YOUNG_THRESHOLD)
