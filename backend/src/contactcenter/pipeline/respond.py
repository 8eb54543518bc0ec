"""Composing the reply: a chat model through the fallback chain, or the offline grounded responder.

The chat model gets the tenant's versioned system prompt; the retrieved passages and the
customer's words travel in the user turn between data delimiters, neutralised first (role tags,
special tokens and our own delimiters are defused), never as instructions. It must answer as
``ReplyOutput`` JSON; the ``answer`` field is streamed to the widget as it is written.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import structlog

from contactcenter.embeddings.base import Embedder, Passage
from contactcenter.guardrails.injection import BEGIN_DATA, END_DATA, neutralise
from contactcenter.llm import (
    AllProvidersFailed,
    CallTags,
    ChatMessage,
    FallbackChain,
    LLMChunk,
    LLMError,
    LLMRequest,
    LLMResult,
)
from contactcenter.llm.prompts import load_prompt
from contactcenter.pipeline.schemas import CitationOut, ReplyOutput
from contactcenter.responders.offline import SUPPORT_TAU, OfflineResponder, quotable_units
from contactcenter.vectorstore.base import ScoredChunk

log = structlog.get_logger(__name__)

REPLY_PROMPT = "reply"
OFFLINE_VERSION = "v1"
PASSAGE_CHARS = 1500  # per passage in the prompt
QUOTE_CHARS = 400
_MARKER = re.compile(r"\[(\d{1,2})\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")

OnDelta = Callable[[str], Awaitable[None]]


class ResponderFailed(Exception):
    """No responder could write a reply; ``detail`` is for agents, never for the customer."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


@dataclass(frozen=True)
class TenantVoice:
    name: str
    assistant_name: str = "the assistant"
    tone: str = "Warm, clear and concise."
    contact: str | None = None


@dataclass
class Reply:
    text: str
    citations: list[CitationOut]
    answered: bool
    evidence: dict[str, float]
    provider: str
    model: str
    prompt_id: str | None
    prompt_version: str | None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    self_estimate: float | None = None
    needs_human: bool = False
    streamed: bool = False
    fallback_errors: list[str] = field(default_factory=list)


class AnswerStream:
    """Pulls the text of the ``"answer"`` string out of a JSON object while it is streamed."""

    def __init__(self) -> None:
        self._buffer = ""
        self._start: int | None = None
        self._emitted = 0  # characters of the raw string body already decoded and emitted
        self.done = False

    def feed(self, piece: str) -> str:
        if self.done:
            return ""
        self._buffer += piece
        if self._start is None:
            match = re.search(r'"answer"\s*:\s*"', self._buffer)
            if match is None:
                return ""
            self._start = match.end()
        body = self._buffer[self._start :]
        end = _closing_quote(body)
        if end is not None:
            body = body[:end]
            self.done = True
        else:
            body = _safe_prefix(body)
        fresh = body[self._emitted :]
        self._emitted = len(body)
        if not fresh:
            return ""
        try:
            decoded: str = json.loads(f'"{fresh}"')
        except json.JSONDecodeError:
            return ""
        return decoded


def _closing_quote(body: str) -> int | None:
    escaped = False
    for i, ch in enumerate(body):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            return i
    return None


def _safe_prefix(body: str) -> str:
    """Cut before an escape sequence that is not complete yet."""
    cut = body.rfind("\\")
    if cut == -1:
        return body
    tail = body[cut:]
    if tail.startswith("\\u"):
        return body if len(tail) >= 6 else body[:cut]
    # a backslash escaped by the one before it is complete; a lone trailing one is not
    run = len(body[: cut + 1]) - len(body[: cut + 1].rstrip("\\"))
    if run % 2 == 1 and len(tail) == 1:
        return body[:cut]
    return body


def passage_block(hits: Sequence[ScoredChunk]) -> str:
    lines = []
    for n, hit in enumerate(hits, 1):
        where = f"{hit.title} - {hit.section}" if hit.section else hit.title
        lines.append(f"[{n}] {neutralise(where)}\n{neutralise(hit.text)[:PASSAGE_CHARS]}")
    return "\n\n".join(lines) if lines else "(no passages found)"


def build_messages(
    system: str,
    question: str,
    hits: Sequence[ScoredChunk],
    history: Sequence[tuple[str, str]],
    hint: str | None = None,
) -> list[ChatMessage]:
    earlier = "\n".join(f"{who}: {neutralise(text)[:500]}" for who, text in history[-6:])
    user = (
        f"KNOWLEDGE (numbered passages):\n{BEGIN_DATA}\n{passage_block(hits)}\n{END_DATA}\n\n"
        + (
            f"EARLIER IN THIS CONVERSATION:\n{BEGIN_DATA}\n{earlier}\n{END_DATA}\n\n"
            if earlier
            else ""
        )
        + (
            "NOTE FROM OUR TEAM for this reply (the knowledge rules above still apply):\n"
            f"{BEGIN_DATA}\n{neutralise(hint)[:1000]}\n{END_DATA}\n\n"
            if hint
            else ""
        )
        + f"CUSTOMER MESSAGE:\n{BEGIN_DATA}\n{neutralise(question)}\n{END_DATA}"
    )
    return [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]


def citation_of(number: int, hit: ScoredChunk, quote: str | None = None) -> CitationOut:
    return CitationOut(
        number=number,
        chunk_id=hit.id,
        document_id=hit.document_id,
        title=hit.title,
        section=hit.section,
        source_url=hit.source_url,
        quote=(quote if quote is not None else hit.text)[:QUOTE_CHARS],
    )


class ReplyComposer:
    def __init__(
        self,
        embedder: Callable[[], Awaitable[Embedder]],
        chain: FallbackChain | None,
        *,
        offline_fallback: bool = True,
        max_tokens: int = 600,
        timeout_s: float = 20.0,
    ) -> None:
        self._embedder = embedder
        self._chain = chain
        self._offline_fallback = offline_fallback or chain is None
        self._max_tokens = max_tokens
        self._timeout_s = timeout_s

    @property
    def uses_llm(self) -> bool:
        return self._chain is not None

    def provider_states(self) -> dict[str, str]:
        """Each chat model's circuit breaker: closed, open or half_open."""
        return self._chain.states() if self._chain is not None else {}

    async def compose(
        self,
        question: str,
        hits: Sequence[ScoredChunk],
        voice: TenantVoice,
        *,
        tenant_id: str,
        history: Sequence[tuple[str, str]] = (),
        on_delta: OnDelta | None = None,
        hint: str | None = None,
    ) -> Reply:
        errors: list[str] = []
        if self._chain is not None:
            try:
                return await self._llm(question, hits, voice, tenant_id, history, on_delta, hint)
            except AllProvidersFailed as exc:
                errors = [
                    f"{e.provider}: {e.kind}" + (f" ({e.detail})" if e.detail else "")
                    for e in exc.errors
                ]
            except LLMError as exc:  # a stream cut after tokens reached the customer
                errors = [str(exc)]
            if not self._offline_fallback:
                raise ResponderFailed("every chat model failed: " + "; ".join(errors))
            log.warning("pipeline.respond.offline_fallback", errors=errors)
        try:
            # the offline responder quotes what is closest to what it is asked: the hint joins in
            reply = await self._offline(f"{question} {hint}" if hint else question, hits, voice)
        except Exception as exc:
            detail = "; ".join([*errors, f"offline responder: {type(exc).__name__}"])
            raise ResponderFailed(detail) from exc
        reply.fallback_errors = errors
        return reply

    async def _offline(
        self, question: str, hits: Sequence[ScoredChunk], voice: TenantVoice
    ) -> Reply:
        embedder = await self._embedder()
        responder = OfflineResponder(embedder)
        answer = await asyncio.to_thread(
            responder.answer, question, hits, tenant_name=voice.name, contact=voice.contact
        )
        by_id = {h.id: h for h in hits}
        citations = [
            citation_of(c.number, by_id[c.chunk_id], c.quote)
            for c in answer.citations
            if c.chunk_id in by_id
        ]
        return Reply(
            text=answer.text,
            citations=citations,
            answered=answer.answered,
            evidence=dict(answer.evidence),
            provider="offline",
            model=embedder.info.model_id,
            prompt_id="offline-grounded",
            prompt_version=OFFLINE_VERSION,
        )

    async def _llm(
        self,
        question: str,
        hits: Sequence[ScoredChunk],
        voice: TenantVoice,
        tenant_id: str,
        history: Sequence[tuple[str, str]],
        on_delta: OnDelta | None,
        hint: str | None = None,
    ) -> Reply:
        assert self._chain is not None
        prompt = load_prompt(REPLY_PROMPT)
        system = prompt.render(
            tenant_name=voice.name,
            assistant_name=voice.assistant_name,
            tone=voice.tone,
            contact=voice.contact or "a person from the team will answer",
        )
        request = LLMRequest(
            messages=build_messages(system, question, hits, history, hint),
            tags=CallTags(
                flow="reply",
                tenant_id=tenant_id,
                prompt_id=prompt.id,
                prompt_version=prompt.version,
            ),
            max_tokens=self._max_tokens,
            timeout_s=self._timeout_s,
            response_schema=ReplyOutput,
        )
        result: LLMResult | None = None
        streamed = False
        if on_delta is None:
            result = await self._chain.complete(request)
        else:
            extractor = AnswerStream()
            async for item in self._chain.stream(request):
                if isinstance(item, LLMChunk):
                    piece = extractor.feed(item.delta)
                    if piece:
                        streamed = True
                        await on_delta(piece)
                else:
                    result = item
        assert result is not None
        output = result.parsed
        if not isinstance(output, ReplyOutput):
            output = ReplyOutput.model_validate_json(result.text)
        used = [n for n in dict.fromkeys(output.citations) if 1 <= n <= len(hits)]
        for n in _MARKER.findall(output.answer):
            if 1 <= int(n) <= len(hits) and int(n) not in used:
                used.append(int(n))
        citations = [citation_of(n, hits[n - 1]) for n in used]
        evidence = await self._evidence(question, output.answer, [hits[n - 1] for n in used], hits)
        return Reply(
            text=output.answer.strip(),
            citations=citations,
            answered=output.answered and bool(citations),
            evidence=evidence,
            provider=result.provider,
            model=result.model,
            prompt_id=prompt.id,
            prompt_version=prompt.version,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            cost_usd=result.cost_usd,
            self_estimate=output.confidence,
            needs_human=output.needs_human,
            streamed=streamed,
        )

    async def _evidence(
        self,
        question: str,
        answer: str,
        cited: Sequence[ScoredChunk],
        hits: Sequence[ScoredChunk],
    ) -> dict[str, float]:
        """The offline responder's evidence features, computed for a free-written answer:
        how much of it the cited passages back, and how well it covers the question."""
        dense = sorted((h.dense_score for h in hits if h.dense_score is not None), reverse=True)
        evidence = {
            "top_dense": dense[0] if dense else 0.0,
            "top_fused": max((h.score for h in hits), default=0.0),
            "margin_top2": (dense[0] - dense[1])
            if len(dense) > 1
            else (dense[0] if dense else 0.0),
            "support": 0.0,
            "query_coverage": 0.0,
            "n_sources": float(len(cited)),
        }
        sentences = [s for s in (_MARKER.sub("", x).strip() for x in _SENTENCE.split(answer)) if s]
        units = [u for hit in cited for u in quotable_units(hit.text)]
        if not sentences or not units:
            return evidence
        embedder = await self._embedder()

        def measure() -> tuple[float, float]:
            vectors = embedder.embed_passages(
                [Passage("", t) for t in [question, *sentences, *units]]
            )
            q = vectors[0]
            s = vectors[1 : 1 + len(sentences)]
            u = vectors[1 + len(sentences) :]
            support = float(((s @ u.T).max(axis=1) >= SUPPORT_TAU).mean())
            mixed = s.sum(axis=0)
            norm = float(np.linalg.norm(mixed))
            return support, (float(mixed @ q / norm) if norm > 0 else 0.0)

        evidence["support"], evidence["query_coverage"] = await asyncio.to_thread(measure)
        return evidence
