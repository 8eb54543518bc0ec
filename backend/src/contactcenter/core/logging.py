"""Structured JSON logs with a request id carried through contextvars.

Message texts are never logged on purpose; as a second wall, every string in a log line
(exceptions included) goes through the PII redactor before it is written.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TextIO, cast

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contactcenter.guardrails.pii import redact_for_log

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


@contextmanager
def request_context(request_id: str | None) -> Iterator[None]:
    """Work done on behalf of an earlier request (a job): its logs and events carry its id."""
    token = _request_id.set(request_id)
    structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        yield
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
        _request_id.reset(token)


class _CurrentStderr:
    """Whatever `sys.stderr` is when a line is written (a test runner may swap it out and
    close the one that was there when logging was configured)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_NOT_REDACTED = frozenset({"timestamp", "level", "request_id", "message_id", "tenant_id"})


def redact_strings(
    logger: object, method: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """A structlog processor: PII in any string value becomes a typed placeholder."""
    for key, value in event_dict.items():
        if isinstance(value, str) and key not in _NOT_REDACTED:
            event_dict[key] = redact_for_log(value)
    return event_dict


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            *processors,
            structlog.processors.format_exc_info,
            redact_strings,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(cast("TextIO", _CurrentStderr())),
        cache_logger_on_first_use=True,
    )


class RequestIdMiddleware:
    """Takes X-Request-ID (or makes one), binds it to logs and echoes it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else None
        request_id = request_id or uuid.uuid4().hex
        token = _request_id.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
            _request_id.reset(token)
