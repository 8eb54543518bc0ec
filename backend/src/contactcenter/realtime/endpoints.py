"""WebSocket `/api/v1/realtime`: authenticate, subscribe to topics the caller may see, receive.

Topics and who may subscribe:
- `conversation:<id>`: the conversation's customer and its tenant's staff (checked under RLS);
- `tenant:<id>:conversations`, `tenant:<id>:queue`, `tenant:<id>:knowledge`: staff of that
  tenant;
- `tenant:<id>:dashboard`: supervisors and admins of that tenant.
The socket closes with 4001 when its access token expires unless the client sent a fresh one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.auth.principal import Principal
from contactcenter.auth.tokens import TokenVerifier
from contactcenter.core.config import Settings
from contactcenter.core.database import Database
from contactcenter.core.errors import AppError, ErrorCode
from contactcenter.realtime.events import (
    Authenticated,
    ErrorFrame,
    Heartbeat,
    Ping,
    Pong,
    Reauthenticate,
    Subscribe,
    Subscribed,
    Unsubscribe,
    Unsubscribed,
    client_frame_adapter,
)
from contactcenter.realtime.hub import RealtimeHub

log = structlog.get_logger(__name__)
router = APIRouter()

CLOSE_TOKEN = 4001  # the token is invalid or expired
CLOSE_SLOW = 4008  # the client could not keep up with its events
HEARTBEAT_FRAME = Heartbeat().model_dump_json()

STAFF_TENANT_TOPICS = frozenset({"conversations", "queue", "knowledge"})
SUPERVISOR_TENANT_TOPICS = frozenset({"dashboard"})


class TopicRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# Given a transaction under the caller's claims: may the caller see this conversation? The
# conversations domain provides it (wired in main), so realtime does not import that domain.
ConversationVisible = Callable[[AsyncSession, UUID], Awaitable[bool]]


async def authorize_topic(
    db: Database, principal: Principal, topic: str, conversation_visible: ConversationVisible
) -> None:
    parts = topic.split(":")
    try:
        if len(parts) == 2 and parts[0] == "conversation":
            conversation_id = UUID(parts[1])
            async with db.transaction(principal.claims) as session:
                if not await conversation_visible(session, conversation_id):
                    raise TopicRefused("forbidden_topic", "you may not follow this conversation")
            return
        if len(parts) == 3 and parts[0] == "tenant":
            tenant_id = UUID(parts[1])
            name = parts[2]
            if name not in STAFF_TENANT_TOPICS | SUPERVISOR_TENANT_TOPICS:
                raise TopicRefused("unknown_topic", f"there is no tenant topic {name!r}")
            allowed = tenant_id == principal.tenant_id and (
                principal.is_supervisor if name in SUPERVISOR_TENANT_TOPICS else principal.is_staff
            )
            if not allowed:
                raise TopicRefused("forbidden_topic", "you may not follow this topic")
            return
    except ValueError as exc:
        raise TopicRefused("unknown_topic", "the topic's id is not a valid UUID") from exc
    raise TopicRefused(
        "unknown_topic",
        "topics are conversation:<id>, tenant:<id>:conversations, tenant:<id>:queue, "
        "tenant:<id>:knowledge and tenant:<id>:dashboard",
    )


def _token_from(websocket: WebSocket) -> str | None:
    token = websocket.query_params.get("access_token")
    if token:
        return token
    header = websocket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


async def _reject(websocket: WebSocket, code: str, message: str) -> None:
    with contextlib.suppress(Exception):
        frame = ErrorFrame(code=code, message=message)
        await websocket.send_text(frame.model_dump_json(exclude_none=True))
        await websocket.close(code=CLOSE_TOKEN)


@router.websocket("/api/v1/realtime")
async def realtime(websocket: WebSocket) -> None:
    app = websocket.app
    settings: Settings = app.state.settings
    verifier: TokenVerifier = app.state.verifier
    hub: RealtimeHub = app.state.hub
    db: Database = app.state.db
    conversation_visible: ConversationVisible = app.state.conversation_visible

    await websocket.accept()
    token = _token_from(websocket)
    if not token:
        await _reject(websocket, "invalid_token", "send the access token as ?access_token=<jwt>")
        return
    try:
        principal = await verifier.verify(token)
    except AppError as exc:
        expired = exc.code is ErrorCode.token_expired
        await _reject(websocket, "token_expired" if expired else "invalid_token", exc.detail)
        return

    state: dict[str, Any] = {"principal": principal}
    subscriber = hub.register(principal.is_staff, settings.realtime.send_queue_size)
    # timers, not tasks, for the heartbeat, the token's expiry and a slow client: an idle socket
    # costs two tasks (send and receive), which matters at ten thousand sockets
    loop = asyncio.get_running_loop()
    ended: asyncio.Future[str] = loop.create_future()
    timers: dict[str, asyncio.TimerHandle] = {}

    def end(reason: str) -> None:
        if not ended.done():
            ended.set_result(reason)

    def beat() -> None:
        subscriber.offer(HEARTBEAT_FRAME)
        timers["heartbeat"] = loop.call_later(settings.realtime.heartbeat_interval_s, beat)

    def expire_at(expires_at: float) -> None:
        if "expiry" in timers:
            timers["expiry"].cancel()
        timers["expiry"] = loop.call_later(max(0.0, expires_at - time.time()), end, "token_expired")

    subscriber.on_overflow = lambda: end("overflow")
    timers["heartbeat"] = loop.call_later(settings.realtime.heartbeat_interval_s, beat)
    expire_at(principal.expires_at)

    async def pump() -> None:
        while True:
            frame = await subscriber.queue.get()
            await websocket.send_text(frame)

    def reply(frame: BaseModel) -> None:
        subscriber.offer(frame.model_dump_json(exclude_none=True))

    async def receive() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            raw = message.get("text")
            if raw is None:
                reply(ErrorFrame(code="invalid_frame", message="send JSON text frames, not binary"))
                continue
            try:
                frame = client_frame_adapter.validate_json(raw)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first.get("loc", ())) or "frame"
                reply(
                    ErrorFrame(code="invalid_frame", message=f"{where}: {first.get('msg')}"),
                )
                continue
            await handle(frame)

    async def handle(frame: Subscribe | Unsubscribe | Ping | Reauthenticate) -> None:
        current: Principal = state["principal"]
        if isinstance(frame, Ping):
            reply(Pong(ref=frame.ref))
        elif isinstance(frame, Subscribe):
            if len(subscriber.topics) >= settings.realtime.max_subscriptions_per_socket:
                reply(
                    ErrorFrame(
                        code="too_many_subscriptions",
                        message="unsubscribe from a topic first",
                        topic=frame.topic,
                        ref=frame.ref,
                    ),
                )
                return
            try:
                await authorize_topic(db, current, frame.topic, conversation_visible)
            except TopicRefused as refused:
                reply(
                    ErrorFrame(
                        code=refused.code,
                        message=refused.message,
                        topic=frame.topic,
                        ref=frame.ref,
                    ),
                )
                return
            hub.subscribe(subscriber, frame.topic)
            reply(Subscribed(topic=frame.topic, ref=frame.ref))
        elif isinstance(frame, Unsubscribe):
            hub.unsubscribe(subscriber, frame.topic)
            reply(Unsubscribed(topic=frame.topic, ref=frame.ref))
        else:
            try:
                fresh = await verifier.verify(frame.access_token)
            except AppError as exc:
                reply(ErrorFrame(code="invalid_token", message=exc.detail, ref=frame.ref))
                return
            if fresh.user_id != current.user_id or fresh.tenant_id != current.tenant_id:
                reply(
                    ErrorFrame(
                        code="invalid_token", message="the token is for another user", ref=frame.ref
                    ),
                )
                return
            state["principal"] = fresh
            expire_at(fresh.expires_at)
            reply(Authenticated(expires_at=fresh.expires_at, ref=frame.ref))

    tasks: set[asyncio.Future[Any]] = {
        asyncio.create_task(pump()),
        asyncio.create_task(receive()),
    }
    try:
        done, _ = await asyncio.wait({*tasks, ended}, return_when=asyncio.FIRST_COMPLETED)
        if ended in done and ended.result() == "token_expired":
            await _reject(
                websocket, "token_expired", "the access token expired; reconnect with a fresh one"
            )
        elif ended in done:
            with contextlib.suppress(Exception):
                await websocket.close(code=CLOSE_SLOW, reason="too slow; reconnect and catch up")
        else:
            for task in done:
                failure = task.exception()
                if failure is not None and not isinstance(
                    failure, WebSocketDisconnect | RuntimeError
                ):
                    log.warning("realtime.socket_failed", error=type(failure).__name__)
    finally:
        for timer in timers.values():
            timer.cancel()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        hub.unregister(subscriber)
