"""The per-process fan-out: one LISTEN connection, many WebSocket subscribers.

Each backend process keeps one dedicated asyncpg connection LISTENing on the events channel and
hands every envelope to the local sockets subscribed to its topics. Sockets have bounded send
queues: a client too slow to keep up is disconnected (it reconnects and catches up over REST)
rather than slowing everyone else down. If the LISTEN connection drops, the hub reconnects with
backoff and tells every socket to resync, since events may have been missed meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import structlog

log = structlog.get_logger(__name__)

RESYNC_FRAME = '{"type":"resync"}'


@dataclass(eq=False)
class Subscriber:
    """One WebSocket's outbox; `is_staff` decides whether staff-only events reach it."""

    is_staff: bool
    queue: asyncio.Queue[str]
    topics: set[str] = field(default_factory=set)
    overflowed: bool = False
    # called once when the queue first overflows (the socket then closes: too slow)
    on_overflow: Callable[[], None] | None = None

    def offer(self, frame: str) -> None:
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            if not self.overflowed:
                self.overflowed = True
                if self.on_overflow is not None:
                    self.on_overflow()


class RealtimeHub:
    def __init__(self, listen_url: str, channel: str, spill_loader: Any) -> None:
        self._listen_url = listen_url
        self._channel = channel
        self._load_spill = spill_loader
        self._topics: dict[str, set[Subscriber]] = defaultdict(set)
        self._subscribers: set[Subscriber] = set()
        self._conn: asyncpg.Connection | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self._closing = False
        # spilled envelopes are loaded in tasks; keep them referenced until they finish
        self._pending: set[asyncio.Task[None]] = set()
        self._observers: list[Callable[[dict[str, Any]], None]] = []

    # lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        await self._connect()
        self._supervisor = asyncio.create_task(self._supervise(), name="realtime-listener")

    async def stop(self) -> None:
        self._closing = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        await self._close_conn()

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def _connect(self) -> None:
        conn = await asyncpg.connect(
            self._listen_url, server_settings={"application_name": "contactcenter-listen"}
        )
        conn.add_termination_listener(lambda _c: self._lost.set())
        await conn.add_listener(self._channel, self._on_notify)
        self._conn = conn
        self._lost.clear()
        log.info("realtime.listening", channel=self._channel)

    async def _close_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.remove_listener(self._channel, self._on_notify)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=2)

    async def _supervise(self) -> None:
        while not self._closing:
            # wake on termination, and check every few seconds in case it went unnoticed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), timeout=5)
            if self.listening and not self._lost.is_set():
                continue
            log.warning("realtime.listener_lost")
            await self._close_conn()
            delay = 0.2
            while not self._closing:
                try:
                    await self._connect()
                    break
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning(
                        "realtime.reconnect_failed", error=type(exc).__name__, retry_in=delay
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
            for subscriber in list(self._subscribers):
                subscriber.offer(RESYNC_FRAME)

    # subscriptions ---------------------------------------------------------------------------
    def register(self, is_staff: bool, queue_size: int) -> Subscriber:
        subscriber = Subscriber(is_staff=is_staff, queue=asyncio.Queue(maxsize=queue_size))
        self._subscribers.add(subscriber)
        return subscriber

    def unregister(self, subscriber: Subscriber) -> None:
        for topic in subscriber.topics:
            members = self._topics.get(topic)
            if members is not None:
                members.discard(subscriber)
                if not members:
                    del self._topics[topic]
        subscriber.topics.clear()
        self._subscribers.discard(subscriber)

    def subscribe(self, subscriber: Subscriber, topic: str) -> None:
        subscriber.topics.add(topic)
        self._topics[topic].add(subscriber)

    def unsubscribe(self, subscriber: Subscriber, topic: str) -> None:
        subscriber.topics.discard(topic)
        members = self._topics.get(topic)
        if members is not None:
            members.discard(subscriber)
            if not members:
                del self._topics[topic]

    @property
    def connection_count(self) -> int:
        return len(self._subscribers)

    # delivery --------------------------------------------------------------------------------
    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            envelope = json.loads(payload)
        except ValueError:
            log.warning("realtime.bad_payload")
            return
        if "spill" in envelope:
            task = asyncio.get_running_loop().create_task(
                self._deliver_spilled(int(envelope["spill"]))
            )
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
            return
        self.dispatch(envelope)

    async def _deliver_spilled(self, spill_id: int) -> None:
        envelope = await self._load_spill(spill_id)
        if envelope is not None:
            self.dispatch(envelope)

    def observe(self, observer: Callable[[dict[str, Any]], None]) -> None:
        """Call `observer` with every envelope this process receives (it must be quick)."""
        self._observers.append(observer)

    def has_subscribers(self, topic: str) -> bool:
        return bool(self._topics.get(topic))

    def dispatch(self, envelope: dict[str, Any]) -> None:
        for observer in self._observers:
            try:
                observer(envelope)
            except Exception:
                log.exception("realtime.observer_failed")
        staff_only = envelope.get("audience") == "staff"
        event = envelope.get("event")
        for topic in envelope.get("topics", []):
            members = self._topics.get(topic)
            if not members:
                continue
            body: dict[str, Any] = {"type": "event", "topic": topic, "event": event}
            if envelope.get("request_id"):
                body["request_id"] = envelope["request_id"]
            frame = json.dumps(body, separators=(",", ":"))
            for subscriber in members:
                if staff_only and not subscriber.is_staff:
                    continue
                subscriber.offer(frame)
