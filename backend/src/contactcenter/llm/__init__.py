"""Chat models behind one protocol. Vendor SDKs are imported only by their adapters, so import
``contactcenter.llm.openai_provider`` / ``anthropic_provider`` explicitly where they are wired."""

from .base import (
    CallTags,
    ChatMessage,
    ErrorKind,
    LLMChunk,
    LLMError,
    LLMProvider,
    LLMRequest,
    LLMResult,
    estimate_cost,
)
from .resilience import AllProvidersFailed, CircuitBreaker, FallbackChain, RetryPolicy

__all__ = [
    "AllProvidersFailed",
    "CallTags",
    "ChatMessage",
    "CircuitBreaker",
    "ErrorKind",
    "FallbackChain",
    "LLMChunk",
    "LLMError",
    "LLMProvider",
    "LLMRequest",
    "LLMResult",
    "RetryPolicy",
    "estimate_cost",
]
