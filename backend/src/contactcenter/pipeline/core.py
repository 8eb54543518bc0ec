"""The decision for one customer message: triage -> retrieve -> respond -> score -> gate.

No database here: `ReplyPipeline.decide` takes the message and the tenant's policy and returns
everything the job stores (see jobs.py) and the answer evaluation measures (evaluation.py), so
both run exactly the same code.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from uuid import UUID

import structlog

from contactcenter.embeddings.base import Embedder
from contactcenter.guardrails.injection import InjectionDetector, InjectionResult, neutralise
from contactcenter.pipeline.confidence import Confidence, ConfidenceModel, features
from contactcenter.pipeline.respond import (
    OnDelta,
    Reply,
    ReplyComposer,
    ResponderFailed,
    TenantVoice,
)
from contactcenter.pipeline.schemas import Decision, DraftReason
from contactcenter.tickets import Intent, ServiceRequest, extract, next_steps, ticket_reference
from contactcenter.triage.schemas import Category, TriageResult
from contactcenter.vectorstore.base import ScoredChunk

log = structlog.get_logger(__name__)

T = TypeVar("T")
Retriever = Callable[[UUID, str, int], Awaitable[list[ScoredChunk]]]

SAFETY_PREAMBLE = (
    "I'm sorry you're dealing with this. If you feel very unwell, have trouble breathing or "
    "think this is an emergency, call your local emergency number now. A pharmacist from our "
    "team is looking at your message and will reply shortly."
)
INTENT_LABEL: dict[str, str] = {
    "order_status": "order status",
    "refund": "refund",
    "cancel_order": "cancellation",
    "address_change": "address change",
    "account_change": "account change",
    "prescription_refill": "prescription refill",
    "delivery_problem": "delivery problem",
    "appointment": "appointment",
    "complaint": "complaint",
    "other": "request",
}
# a service request whose intent we could not name is only as sure as this
UNKNOWN_INTENT_CAP = 0.5


@dataclass(frozen=True)
class TenantPolicy:
    id: UUID
    threshold: float
    voice: TenantVoice


@dataclass
class PipelineResult:
    decision: Decision
    reason: DraftReason | None
    category: Category
    triage: TriageResult
    injection: InjectionResult
    hits: list[ScoredChunk]
    reply: Reply | None
    confidence: Confidence
    threshold: float
    decision_path: list[str]
    latency_ms: dict[str, float]
    service_request: ServiceRequest | None = None
    ticket_reference: str | None = None
    error: str | None = None

    @property
    def reply_text(self) -> str:
        return self.reply.text if self.reply is not None else ""


@dataclass
class _Clock:
    stages: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.stages[stage] = round((now - since) * 1000, 3)
        return now

    async def timed(self, stage: str, work: Awaitable[T]) -> T:
        since = time.perf_counter()
        result = await work
        self.lap(stage, since)
        return result

    def total(self) -> dict[str, float]:
        return {**self.stages, "total": round((time.perf_counter() - self.started) * 1000, 3)}


class ReplyPipeline:
    def __init__(
        self,
        *,
        embedder: Callable[[], Awaitable[Embedder]],
        classify: Callable[[str], Awaitable[TriageResult]],
        retrieve: Retriever,
        composer: ReplyComposer,
        confidence: ConfidenceModel,
        retrieve_limit: int = 5,
    ) -> None:
        self._embedder = embedder
        self._classify = classify
        self._retrieve = retrieve
        self._composer = composer
        self._confidence = confidence
        self._limit = retrieve_limit
        self._detector: InjectionDetector | None = None
        self._detector_lock = asyncio.Lock()

    @property
    def composer(self) -> ReplyComposer:
        return self._composer

    async def warm(self) -> None:
        """Load the sentence embedder and the injection guard now, not on the first message."""
        await self._embedder()
        await self.detector()

    async def detector(self) -> InjectionDetector:
        async with self._detector_lock:
            if self._detector is None:
                embedder = await self._embedder()
                self._detector = await asyncio.to_thread(InjectionDetector.load, embedder)
            return self._detector

    async def detect_injection(self, text: str) -> InjectionResult:
        detector = await self.detector()
        return await asyncio.to_thread(detector.detect, text)

    def pre_score(self, question: str, triage: TriageResult, hits: Sequence[ScoredChunk]) -> float:
        """The most the reply could score given what is known before writing it (the answer's
        own evidence assumed as good as it gets): streaming starts only above the threshold."""
        dense = sorted((h.dense_score or 0.0 for h in hits), reverse=True)
        best = {
            "top_dense": dense[0] if dense else 0.0,
            "top_fused": max((h.score for h in hits), default=0.0),
            "margin_top2": (dense[0] - dense[1]) if len(dense) > 1 else 0.0,
            "support": 1.0,
            "query_coverage": dense[0] if dense else 0.0,
            "n_sources": 1.0,
        }
        values = features(
            triage,
            hits,
            best,
            answered=bool(hits),
            first_cited_chunk=hits[0].id if hits else None,
            question=question,
        )
        return self._confidence.score(values).value

    async def decide(
        self,
        text: str,
        policy: TenantPolicy,
        *,
        message_id: UUID,
        history: Sequence[tuple[str, str]] = (),
        on_delta: OnDelta | None = None,
        stream: bool = True,
        hint: str | None = None,
    ) -> PipelineResult:
        """`hint`: an agent's note for a retry; it steers retrieval and the reply."""
        clock = _Clock()
        t = clock.started
        # the three read only the message: they run side by side (the models release the GIL);
        # retrieval sees the text with role tags and special tokens defused
        triage, injection, hits = await asyncio.gather(
            clock.timed("triage", self._classify(text)),
            clock.timed("injection", self.detect_injection(text)),
            clock.timed(
                "retrieve",
                self._retrieve(
                    policy.id, neutralise(f"{text}\n{hint}" if hint else text), self._limit
                ),
            ),
        )
        t = time.perf_counter()
        category = triage.category
        path = [
            f"triage: {category.value} ({triage.confidence:.2f}); "
            + "; ".join(p for p in triage.decision_path if not p.startswith("->"))
        ]
        if injection.is_injection:
            path.append("prompt injection suspected (" + ", ".join(injection.reasons) + ")")
            log.warning(
                "pipeline.injection_detected",
                message_id=str(message_id),
                score=round(injection.score, 3),
                reasons=injection.reasons,
            )
        if hint:
            path.append("an agent's hint steers this retry")
        path.append(
            f"retrieval: {len(hits)} passages"
            + (f", best {hits[0].score:.2f} ({hits[0].title})" if hits else "")
        )

        service: ServiceRequest | None = None
        reference: str | None = None
        try:
            if category is Category.service_action and not injection.is_injection:
                service = extract(text)
                reference = ticket_reference(message_id)
                reply = self._service_reply(service, reference)
            else:
                streaming = (
                    stream
                    and on_delta is not None
                    and self._composer.uses_llm
                    and category is Category.informational
                    and not injection.is_injection
                    and self.pre_score(text, triage, hits) >= policy.threshold
                )
                reply = await self._composer.compose(
                    text,
                    hits,
                    policy.voice,
                    tenant_id=str(policy.id),
                    history=history,
                    on_delta=on_delta if streaming else None,
                    hint=hint,
                )
                if category is Category.safety_compliance:
                    reply.text = (
                        f"{SAFETY_PREAMBLE}\n\n{reply.text}"
                        if reply.answered
                        else (SAFETY_PREAMBLE)
                    )
        except ResponderFailed as exc:
            t = clock.lap("respond", t)
            path.append("respond: every responder failed -> a person answers")
            return PipelineResult(
                decision=Decision.failed,
                reason=DraftReason.ai_failure,
                category=category,
                triage=triage,
                injection=injection,
                hits=hits,
                reply=None,
                confidence=Confidence(0.0, {"decided_by": "no reply"}),
                threshold=policy.threshold,
                decision_path=path,
                latency_ms=clock.total(),
                error=exc.detail,
            )
        t = clock.lap("respond", t)
        path.append(
            f"respond: {reply.provider}"
            + (f" after {', '.join(reply.fallback_errors)}" if reply.fallback_errors else "")
            + f", {len(reply.citations)} citation(s)"
        )

        confidence = self._score(text, triage, hits, reply, service, injection)
        clock.lap("score", t)
        decision, reason, step = self._gate(category, injection, reply, service, confidence, policy)
        path.append(
            f"confidence {confidence.value:.2f} ({confidence.parts.get('decided_by')}) "
            f"vs threshold {policy.threshold:.2f}"
        )
        path.append(step)
        return PipelineResult(
            decision=decision,
            reason=reason,
            category=category,
            triage=triage,
            injection=injection,
            hits=hits,
            reply=reply,
            confidence=confidence,
            threshold=policy.threshold,
            decision_path=path,
            latency_ms=clock.total(),
            service_request=service,
            ticket_reference=reference,
        )

    def _service_reply(self, service: ServiceRequest, reference: str) -> Reply:
        label = INTENT_LABEL.get(service.intent.value, "request")
        lines = [f"I've opened {label} request {reference} for you."]
        lines.extend(next_steps(service.intent, service.fields))
        return Reply(
            text=" ".join(lines),
            citations=[],
            answered=service.intent is not Intent.other,
            evidence={},
            provider="ticket",
            model="rules",
            prompt_id="service-action",
            prompt_version="v1",
        )

    def _score(
        self,
        question: str,
        triage: TriageResult,
        hits: Sequence[ScoredChunk],
        reply: Reply,
        service: ServiceRequest | None,
        injection: InjectionResult,
    ) -> Confidence:
        if service is not None:
            # a ticket reply states only what we did; it is right when triage and intent are
            value = triage.confidence
            if service.intent is Intent.other:
                value = min(value, UNKNOWN_INTENT_CAP)
            return Confidence(
                value=round(min(value, 1.0), 4),
                parts={
                    "decided_by": "triage confidence and intent",
                    "triage_confidence": triage.confidence,
                    "intent": service.intent.value,
                    "intent_confidence": service.confidence,
                    "injection_cap": injection.is_injection,
                },
            )
        values = features(
            triage,
            hits,
            reply.evidence,
            answered=reply.answered,
            first_cited_chunk=reply.citations[0].chunk_id if reply.citations else None,
            question=question,
        )
        return self._confidence.score(
            values,
            self_estimate=reply.self_estimate if reply.provider != "offline" else None,
            injection=injection.is_injection,
        )

    @staticmethod
    def _gate(
        category: Category,
        injection: InjectionResult,
        reply: Reply,
        service: ServiceRequest | None,
        confidence: Confidence,
        policy: TenantPolicy,
    ) -> tuple[Decision, DraftReason | None, str]:
        if category is Category.safety_compliance:
            return (
                Decision.escalated,
                DraftReason.safety,
                "safety -> escalated to a person (urgent)",
            )
        if injection.is_injection:
            return Decision.draft, DraftReason.injection, "injection -> a person reviews the draft"
        if reply.needs_human:
            return (
                Decision.draft,
                DraftReason.low_confidence,
                "the model asked for a person -> draft",
            )
        if not reply.answered:
            return (
                Decision.draft,
                DraftReason.no_answer,
                "nothing in the knowledge base fits -> draft",
            )
        if confidence.value >= policy.threshold:
            return Decision.auto_sent, None, "confident -> sent to the customer"
        return Decision.draft, DraftReason.low_confidence, "below the threshold -> draft for review"
