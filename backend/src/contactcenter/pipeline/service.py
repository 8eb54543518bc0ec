"""Wiring: the pipeline, its chat models and ticket adapter, built from settings."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from uuid import UUID

import httpx

from contactcenter.core.config import LLMProviderName, LLMSettings, Settings
from contactcenter.embeddings import offline_embedder
from contactcenter.embeddings.base import Embedder
from contactcenter.embeddings.cache import shared_cache
from contactcenter.knowledge.index import KnowledgeIndex
from contactcenter.llm import CircuitBreaker, FallbackChain, LLMProvider, RetryPolicy
from contactcenter.pipeline.confidence import ConfidenceModel
from contactcenter.pipeline.core import ReplyPipeline
from contactcenter.pipeline.respond import ReplyComposer
from contactcenter.tickets import TicketAdapter, build_ticket_adapter
from contactcenter.triage.service import Triage
from contactcenter.vectorstore.base import ScoredChunk


def build_providers(llm: LLMSettings) -> list[LLMProvider]:
    providers: list[LLMProvider] = []
    for name in llm.providers:
        if name is LLMProviderName.openai:
            from contactcenter.llm.openai_provider import OpenAIProvider

            key = llm.openai_api_key.get_secret_value() if llm.openai_api_key else "not-needed"
            providers.append(OpenAIProvider(key, llm.openai_model, base_url=llm.openai_base_url))
        else:
            from contactcenter.llm.anthropic_provider import AnthropicProvider

            assert llm.anthropic_api_key is not None  # checked by the settings
            providers.append(
                AnthropicProvider(
                    llm.anthropic_api_key.get_secret_value(),
                    llm.anthropic_model,
                    base_url=llm.anthropic_base_url,
                )
            )
    return providers


def build_chain(
    llm: LLMSettings, providers: list[LLMProvider] | None = None
) -> FallbackChain | None:
    providers = build_providers(llm) if providers is None else providers
    if not providers:
        return None
    return FallbackChain(
        providers,
        RetryPolicy(max_attempts=llm.max_attempts),
        {p.name: CircuitBreaker(llm.breaker_failures, llm.breaker_reset_s) for p in providers},
        name="reply",
    )


def build_pipeline(
    settings: Settings,
    index: KnowledgeIndex,
    triage: Triage,
    *,
    chain: FallbackChain | None = None,
    use_configured_chain: bool = True,
) -> ReplyPipeline:
    if chain is None and use_configured_chain:
        chain = build_chain(settings.llm)

    async def retrieve(tenant_id: UUID, question: str, limit: int) -> list[ScoredChunk]:
        _, hits = await index.search(tenant_id, question, limit)
        return hits

    return ReplyPipeline(
        embedder=_sentence_embedder(settings),
        classify=triage.classify,
        retrieve=retrieve,
        composer=ReplyComposer(
            _sentence_embedder(settings),
            chain,
            offline_fallback=settings.llm.offline_fallback,
            max_tokens=settings.llm.max_tokens,
            timeout_s=settings.llm.timeout_s,
        ),
        confidence=ConfidenceModel.load(),
        retrieve_limit=settings.pipeline.retrieve_limit,
    )


def _sentence_embedder(settings: Settings) -> Callable[[], Awaitable[Embedder]]:
    """The sentence embedder the responder and guards use: the offline MiniLM (it ships in a
    package and is what the injection and triage heads were trained on). Loaded once, in a
    worker thread."""
    loaded: list[Embedder] = []
    lock = asyncio.Lock()

    async def embedder() -> Embedder:
        if not loaded:
            async with lock:
                if not loaded:
                    model = await asyncio.to_thread(offline_embedder, settings)
                    loaded.append(shared_cache(model))
        return loaded[0]

    return embedder


def build_tickets(settings: Settings, client: httpx.AsyncClient) -> TicketAdapter:
    secret = settings.pipeline.ticket_webhook_secret
    return build_ticket_adapter(
        settings.pipeline.ticket_adapter.value,
        url=settings.pipeline.ticket_webhook_url,
        secret=secret.get_secret_value() if secret else None,
        client=client,
    )
