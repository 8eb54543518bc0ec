"""The one provider protocol for chat models, its types and its typed errors.

Vendor SDKs are imported only by their adapters (``openai_provider``, ``anthropic_provider``);
everything else talks to :class:`LLMProvider` and handles :class:`LLMError`.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import AsyncIterator, Mapping
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Role = Literal["system", "user", "assistant"]
ErrorKind = Literal[
    "timeout",
    "rate_limited",
    "quota",
    "server",
    "bad_request",
    "auth",
    "stream_cut",
    "invalid_output",
    "unavailable",
]

#: kinds that a later attempt may cure; everything else is final for that provider
RETRYABLE_KINDS: frozenset[str] = frozenset(
    {"timeout", "rate_limited", "server", "stream_cut", "unavailable"}
)
#: kinds that say the provider itself is unhealthy (they feed the circuit breaker); a bad
#: request or an invalid answer means the provider is up and answering
HEALTH_KINDS: frozenset[str] = RETRYABLE_KINDS | {"auth", "quota"}


class ChatMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Role
    content: str


class CallTags(BaseModel):
    """Who asked and with which prompt: attached to every call and every log line."""

    model_config = ConfigDict(frozen=True)

    flow: str
    tenant_id: str | None = None
    prompt_id: str
    prompt_version: str


class LLMRequest(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    messages: list[ChatMessage] = Field(min_length=1)
    tags: CallTags
    model: str | None = Field(default=None, description="Overrides the provider's default model.")
    temperature: float = Field(default=0.2, ge=0, le=2)
    max_tokens: int = Field(default=1024, ge=1)
    timeout_s: float = Field(default=30.0, gt=0)
    response_schema: type[BaseModel] | None = None


class LLMChunk(BaseModel):
    delta: str


class LLMResult(BaseModel):
    text: str
    parsed: BaseModel | None = None
    provider: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    latency_ms: float
    attempts: int = 1
    tags: CallTags | None = None


class LLMError(Exception):
    """A typed provider failure. Messages are written here, never copied from the vendor."""

    def __init__(
        self,
        provider: str,
        kind: ErrorKind,
        message: str = "",
        *,
        retryable: bool | None = None,
        retry_after_s: float | None = None,
        status_code: int | None = None,
    ) -> None:
        self.provider = provider
        self.kind: ErrorKind = kind
        self.retryable = kind in RETRYABLE_KINDS if retryable is None else retryable
        self.retry_after_s = retry_after_s
        self.status_code = status_code
        self.detail = message
        super().__init__(f"{provider}: {kind}" + (f" ({message})" if message else ""))


@runtime_checkable
class LLMProvider(Protocol):
    @property
    def name(self) -> str: ...

    async def complete(self, request: LLMRequest) -> LLMResult: ...

    def stream(self, request: LLMRequest) -> AsyncIterator[LLMChunk | LLMResult]:
        """Yields ``LLMChunk`` deltas, then exactly one final ``LLMResult``."""
        ...


# USD per million tokens (input, output), list prices; matched on the longest prefix so dated
# snapshots ("gpt-4o-mini-2024-07-18") find their family. Unknown models cost None.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00),
}


def estimate_cost(model: str, input_tokens: int, output_tokens: int) -> float | None:
    best = max((p for p in PRICES_PER_MTOK if model.startswith(p)), key=len, default=None)
    if best is None:
        return None
    price_in, price_out = PRICES_PER_MTOK[best]
    return round((input_tokens * price_in + output_tokens * price_out) / 1_000_000, 8)


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """``retry-after-ms``, then ``retry-after`` in seconds or as an HTTP date."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def parse_structured(provider: str, schema: type[BaseModel] | None, text: str) -> BaseModel | None:
    if schema is None:
        return None
    try:
        return schema.model_validate_json(text)
    except ValidationError as exc:
        raise LLMError(
            provider,
            "invalid_output",
            f"answer does not match {schema.__name__} ({exc.error_count()} errors)",
        ) from None
