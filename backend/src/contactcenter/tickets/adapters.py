"""Where a service ticket goes once the conversation asks for one.

- `LocalTicketAdapter`: the ticket lives only in our own database (the caller stores the row).
- `WebhookTicketAdapter`: POSTs the ticket as JSON to the tenant's endpoint (a helpdesk, a Zap,
  an internal service).

Webhook contract, for the receiving side:

- body: ``{"reference", "intent", "fields", "summary", "tenant_id", "conversation_id",
  "message_id", "created_at"}`` as compact UTF-8 JSON; ``summary`` is already PII-redacted;
- ``Idempotency-Key: <message_id>``: a re-run job sends the same key, so the receiver can drop
  the duplicate instead of opening a second ticket;
- with a secret: ``X-Timestamp: <unix seconds>`` and
  ``X-Signature-256: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>``, computed over
  the exact body bytes sent. Receivers recompute it over the raw body, compare in constant time
  and reject stale timestamps (replays);
- a 2xx answer is a submitted ticket; its JSON ``id`` (or ``ticket_id``), when present, is kept as
  the external id. 408, 429, 5xx, timeouts and connection errors are worth retrying; any other
  answer is final.

Error messages never carry the secret, the URL (it may hold a token) or the body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable
from uuid import UUID

import httpx

__all__ = [
    "LocalTicketAdapter",
    "TicketAdapter",
    "TicketError",
    "TicketReceipt",
    "TicketRequest",
    "WebhookTicketAdapter",
    "build_ticket_adapter",
    "sign",
    "ticket_reference",
]

SIGNATURE_HEADER = "X-Signature-256"
TIMESTAMP_HEADER = "X-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class TicketRequest:
    tenant_id: UUID
    conversation_id: UUID
    message_id: UUID
    reference: str
    intent: str
    fields: dict[str, str]
    summary: str  # already PII-redacted by the caller
    created_at: datetime


@dataclass(frozen=True)
class TicketReceipt:
    adapter: str
    status: Literal["open", "submitted"]
    external_id: str | None


class TicketError(Exception):
    """A failed submission. The message is written here, never copied from the response."""

    def __init__(
        self, adapter: str, message: str, *, retryable: bool, status_code: int | None = None
    ) -> None:
        self.adapter = adapter
        self.retryable = retryable
        self.status_code = status_code
        super().__init__(f"{adapter}: {message}")


@runtime_checkable
class TicketAdapter(Protocol):
    @property
    def name(self) -> str: ...

    async def submit(self, ticket: TicketRequest) -> TicketReceipt: ...


def ticket_reference(message_id: UUID) -> str:
    """A short reference for people ("T-" and 8 base32 characters), the same on every re-run.

    Taken from a hash of the id rather than its first bytes: UUIDv7 ids begin with a timestamp,
    so their leading bytes are shared by messages written in the same instant. 40 bits: a
    reference to quote on the phone, not a unique key (the message id is).
    """
    digest = hashlib.sha256(message_id.bytes).digest()
    return "T-" + base64.b32encode(digest[:5]).decode("ascii")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Signature-256`` value for a body sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class LocalTicketAdapter:
    """Nothing leaves the process: the caller's database row is the ticket."""

    @property
    def name(self) -> str:
        return "local"

    async def submit(self, ticket: TicketRequest) -> TicketReceipt:
        return TicketReceipt(self.name, "open", None)


def _body(ticket: TicketRequest) -> bytes:
    payload = {
        "reference": ticket.reference,
        "intent": ticket.intent,
        "fields": ticket.fields,
        "summary": ticket.summary,
        "tenant_id": str(ticket.tenant_id),
        "conversation_id": str(ticket.conversation_id),
        "message_id": str(ticket.message_id),
        "created_at": ticket.created_at.isoformat(),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _external_id(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:  # not JSON, or not UTF-8: a receipt without an id
        return None
    if not isinstance(data, dict):
        return None
    for key in ("id", "ticket_id"):
        value = data.get(key)
        if value is not None and value != "":
            return str(value)
    return None


def _retryable_status(status: int) -> bool:
    return status in (408, 429) or status >= 500


class WebhookTicketAdapter:
    def __init__(
        self,
        url: str,
        secret: str | None,
        *,
        client: httpx.AsyncClient,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._url = url
        self._secret = secret
        self._client = client
        self._timeout_s = timeout_s
        self._clock = clock

    @property
    def name(self) -> str:
        return "webhook"

    def headers(self, ticket: TicketRequest, body: bytes) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: str(ticket.message_id),
        }
        if self._secret:
            timestamp = str(int(self._clock()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(self._secret, timestamp, body)
        return headers

    async def submit(self, ticket: TicketRequest) -> TicketReceipt:
        body = _body(ticket)
        try:
            response = await self._client.post(
                self._url,
                content=body,
                headers=self.headers(ticket, body),
                timeout=self._timeout_s,
            )
        except httpx.TimeoutException:
            raise TicketError(self.name, "request timed out", retryable=True) from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            raise TicketError(self.name, "the webhook URL is not valid", retryable=False) from None
        except httpx.TransportError as exc:
            raise TicketError(
                self.name, f"connection failed ({type(exc).__name__})", retryable=True
            ) from None
        except httpx.HTTPError as exc:
            raise TicketError(
                self.name, f"request failed ({type(exc).__name__})", retryable=False
            ) from None
        status = response.status_code
        if 200 <= status < 300:
            return TicketReceipt(self.name, "submitted", _external_id(response))
        raise TicketError(
            self.name,
            f"endpoint answered HTTP {status}",
            retryable=_retryable_status(status),
            status_code=status,
        )


def build_ticket_adapter(
    kind: str, *, url: str | None, secret: str | None, client: httpx.AsyncClient
) -> TicketAdapter:
    if kind == "local":
        return LocalTicketAdapter()
    if kind == "webhook":
        if not url:
            raise ValueError("ticket adapter 'webhook' needs a URL: set the tenant's webhook URL")
        return WebhookTicketAdapter(url, secret, client=client)
    raise ValueError(f"unknown ticket adapter {kind!r}: expected 'local' or 'webhook'")
