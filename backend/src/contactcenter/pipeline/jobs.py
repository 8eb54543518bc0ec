"""The reply worker: runs each customer message's job and stores exactly one outcome.

A job row is created with its message (a trigger), so no message waits without one. Workers
claim jobs with `FOR UPDATE SKIP LOCKED` and a lease they renew while working; a worker that
dies leaves a lease that runs out, and another worker takes the job over. The outcome is stored
with `ON CONFLICT (message_id) DO NOTHING` first in the storing transaction, so if two workers
ever both finish one job, the second stores nothing: exactly one outcome, one reply or draft.

Nothing slow runs inside a transaction: triage, retrieval, the chat model and the ticket
webhook run between them. A failure the job may recover from (database, vector store) is
retried with back-off; after the last attempt, or at once when every responder failed, the
customer is told a person will answer, agents get an alert with the detail, and a draft waits
in the queue: nothing is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.audit import service as audit
from contactcenter.conversations.schemas import (
    CLOSED_STATUSES,
    ConversationStatus,
)
from contactcenter.conversations.service import announce_conversation, announce_message
from contactcenter.core.config import Settings
from contactcenter.core.database import Database
from contactcenter.core.logging import request_context
from contactcenter.guardrails.injection import InjectionResult
from contactcenter.guardrails.pii import redact
from contactcenter.observability import metrics
from contactcenter.pipeline import repository
from contactcenter.pipeline.compliance import safety_kind
from contactcenter.pipeline.confidence import Confidence
from contactcenter.pipeline.core import (
    SAFETY_PREAMBLE,
    PipelineResult,
    ReplyPipeline,
    TenantPolicy,
)
from contactcenter.pipeline.respond import TenantVoice
from contactcenter.pipeline.schemas import (
    AiReplyDelta,
    AiReplyWithdrawn,
    AiTyping,
    Alert,
    AlertRaised,
    Decision,
    DraftCreated,
    DraftOut,
    DraftReason,
    Priority,
)
from contactcenter.realtime.publisher import Audience, conversation_topic, publish, tenant_topic
from contactcenter.tickets import TicketAdapter, TicketError, TicketRequest
from contactcenter.triage.schemas import Category, TriageResult

log = structlog.get_logger(__name__)

JOBS_CHANNEL = "contactcenter_reply_jobs"
HANDOFF_NOTICE = (
    "Thanks for your message. A member of our team will check the answer and reply shortly."
)
FAILURE_NOTICE = (
    "Sorry, we couldn't answer automatically just now. A member of our team will reply shortly."
)
RETRY_BASE_S = 1.0
SHUTDOWN_GRACE_S = 5.0
DELTA_FLUSH_S = 0.05


def policy_of(tenant: Any) -> TenantPolicy:
    settings = tenant.settings or {}
    return TenantPolicy(
        id=tenant.id,
        threshold=float(tenant.confidence_threshold),
        voice=TenantVoice(
            name=tenant.name,
            assistant_name=str(settings.get("assistant_name") or f"{tenant.name} assistant"),
            tone=str(settings.get("tone") or "Warm, clear and concise."),
            contact=settings.get("contact") or None,
        ),
    )


class DeltaPublisher:
    """Coalesces streamed pieces into a few NOTIFYs per second per reply."""

    def __init__(
        self, db: Database, channel: str, tenant_id: UUID, conversation_id: UUID, message_id: UUID
    ) -> None:
        self._db = db
        self._channel = channel
        self._tenant_id = tenant_id
        self._conversation_id = conversation_id
        self._message_id = message_id
        self._pending = ""
        self._last = 0.0
        self.seq = 0

    async def __call__(self, piece: str) -> None:
        self._pending += piece
        if time.monotonic() - self._last >= DELTA_FLUSH_S:
            await self.flush()

    async def flush(self) -> None:
        if not self._pending:
            return
        delta, self._pending = self._pending, ""
        self._last = time.monotonic()
        async with self._db.transaction() as session:
            await publish(
                session,
                self._channel,
                tenant_id=self._tenant_id,
                topics=[conversation_topic(self._conversation_id)],
                event=AiReplyDelta(
                    conversation_id=self._conversation_id,
                    message_id=self._message_id,
                    seq=self.seq,
                    delta=delta,
                ),
            )
        self.seq += 1


class ReplyWorker:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        pipeline: ReplyPipeline,
        tickets: TicketAdapter,
        *,
        hooks: dict[str, Callable[..., Awaitable[None]]] | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.pipeline = pipeline
        self.tickets = tickets
        self.channel = settings.realtime.channel
        self.lease_s = settings.pipeline.lease_s
        self.max_attempts = settings.pipeline.max_attempts
        self._slots = asyncio.Semaphore(settings.pipeline.concurrency)
        self._wake = asyncio.Event()
        self._more = False  # the last claim filled every free slot: the queue may hold more
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._claimed: dict[UUID, repository.ClaimedJob] = {}  # in flight, for hand-back
        self._listener: asyncpg.Connection | None = None
        self.hooks = hooks or {}  # tests: "before_store"

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="reply-worker")

    async def stop(self, grace_s: float = SHUTDOWN_GRACE_S) -> None:
        """Graceful shutdown: claim nothing more, let jobs in flight finish for `grace_s`, then
        hand the rest back to the queue (no attempt spent) for another process to run now."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._running:
            await asyncio.wait(list(self._running), timeout=grace_s)
        for task in list(self._running):
            task.cancel()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        unfinished = list(self._claimed.values())
        if unfinished:
            with contextlib.suppress(Exception):
                async with self.db.transaction() as session:
                    for job in unfinished:
                        await repository.hand_back(session, job)
            log.info("pipeline.worker.handed_back", jobs=len(unfinished))
            self._claimed.clear()
        await self._unlisten()

    def wake(self) -> None:
        self._wake.set()

    async def _listen(self) -> None:
        """NOTIFY from the enqueue trigger wakes us at once, whichever process stored the
        message; without it we poll."""
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            self._listener = await asyncpg.connect(self.db.listen_url)
            await self._listener.add_listener(JOBS_CHANNEL, lambda *_: self._wake.set())
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("pipeline.listen_failed", error=type(exc).__name__)
            self._listener = None

    async def _unlisten(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    async def run(self) -> None:
        poll = self.settings.pipeline.poll_s
        while True:
            try:
                await self._listen()
                self._wake.clear()
                await self.claim_some()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("pipeline.worker.claim_failed")
                self._more = False
                await asyncio.sleep(poll)
            if not self._more:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), poll)

    async def claim_some(self) -> int:
        """Claim as many jobs as there are free slots and start them; returns how many.

        When every free slot was filled the queue may hold more, and the next claim follows as
        soon as a slot frees; otherwise the queue is empty and the next claim waits for the
        enqueue NOTIFY (or the poll): no claim transaction that finds nothing after each job."""
        if self._slots.locked():
            await self._slots.acquire()  # wait for one slot, then give it back to the loop
            self._slots.release()
            self._more = True
            return 0
        free = self._slots._value
        async with self.db.transaction() as session:
            jobs = await repository.claim(session, limit=free, lease_s=self.lease_s)
        self._more = len(jobs) == free
        for job in jobs:
            await self._slots.acquire()
            self._claimed[job.message_id] = job
            task = asyncio.create_task(self._guarded(job), name=f"reply-{job.message_id}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return len(jobs)

    async def drain(self, tenant_id: UUID | None = None) -> int:
        """Run every job that is ready now (of one tenant), to the end (tests, tools)."""
        handled = 0
        while True:
            async with self.db.transaction() as session:
                jobs = await repository.claim(
                    session, limit=8, lease_s=self.lease_s, tenant_id=tenant_id
                )
            if not jobs:
                return handled
            await asyncio.gather(*(self.process(job) for job in jobs))
            handled += len(jobs)

    async def _guarded(self, job: repository.ClaimedJob) -> None:
        try:
            await self.process(job)
            self._claimed.pop(job.message_id, None)
        except Exception:
            self._claimed.pop(job.message_id, None)
            log.exception("pipeline.job.crashed", message_id=str(job.message_id))
        finally:
            self._slots.release()

    # -- one job -------------------------------------------------------------------------------

    async def process(self, job: repository.ClaimedJob) -> None:
        structlog.contextvars.bind_contextvars(message_id=str(job.message_id))
        renewer = asyncio.create_task(self._renew(job))
        try:
            with request_context(job.request_id):
                await self._process(job)
        except asyncio.CancelledError:
            raise  # a dying worker keeps its lease; the lease runs out and the job is re-run
        except Exception as exc:
            await self._on_error(job, exc)
        finally:
            renewer.cancel()
            structlog.contextvars.unbind_contextvars("message_id")

    async def _renew(self, job: repository.ClaimedJob) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            with contextlib.suppress(Exception):
                async with self.db.transaction() as session:
                    if not await repository.renew(session, job, self.lease_s):
                        return

    async def _process(self, job: repository.ClaimedJob) -> None:
        async with self.db.transaction() as session:
            context = await repository.load_context(session, job)
            if context is None:  # the message was deleted (retention, erasure)
                await repository.finish(session, job.message_id)
                return
            if context.conversation.status in CLOSED_STATUSES:
                await repository.finish(session, job.message_id)
                log.info("pipeline.job.skipped", reason="conversation closed")
                return
            await self._typing(session, job, typing=True)
        policy = policy_of(context.tenant)
        deltas = DeltaPublisher(
            self.db, self.channel, job.tenant_id, job.conversation_id, job.message_id
        )
        paused = context.conversation.ai_paused
        result = await self.pipeline.decide(
            context.message.text,
            policy,
            message_id=job.message_id,
            history=context.history,
            on_delta=deltas if self.settings.pipeline.stream and not paused else None,
        )
        await deltas.flush()
        for stage, ms in result.latency_ms.items():
            metrics.pipeline_stage_seconds.labels(stage).observe(ms / 1000)
        if paused and result.decision in (Decision.auto_sent, Decision.draft):
            # an agent holds the conversation: the AI only suggests
            result.decision = Decision.draft
            result.reason = DraftReason.human_control
            result.decision_path.append("an agent has taken over -> suggestion for the agent")
        receipt_error: str | None = None
        receipt: Any = None
        if result.service_request is not None and result.ticket_reference is not None:
            try:
                receipt = await self.tickets.submit(
                    TicketRequest(
                        tenant_id=job.tenant_id,
                        conversation_id=job.conversation_id,
                        message_id=job.message_id,
                        reference=result.ticket_reference,
                        intent=result.service_request.intent.value,
                        fields=result.service_request.fields,
                        summary=redact(context.message.text).text,
                        created_at=context.message.created_at,
                    )
                )
            except TicketError as exc:
                if exc.retryable and job.attempts < self.max_attempts:
                    raise
                receipt_error = str(exc)
        if "before_store" in self.hooks:
            await self.hooks["before_store"](job, result)
        await self.store(job, context, result, receipt, receipt_error, streamed=deltas.seq > 0)

    async def _on_error(self, job: repository.ClaimedJob, exc: Exception) -> None:
        detail = f"{type(exc).__name__}: {str(exc)[:300]}"
        log.warning(
            "pipeline.job.error", attempt=job.attempts, error=type(exc).__name__, exc_info=exc
        )
        if job.attempts < self.max_attempts:
            delay = RETRY_BASE_S * 4 ** (job.attempts - 1)
            async with self.db.transaction() as session:
                await repository.postpone(session, job, delay, detail)
            return
        # out of attempts: a person takes over; the customer is told, agents see why
        async with self.db.transaction() as session:
            context = await repository.load_context(session, job)
            if context is None:
                await repository.finish(session, job.message_id)
                return
            await self._store_failure(session, job, context, detail)

    # -- storing -------------------------------------------------------------------------------

    async def _typing(
        self, session: AsyncSession, job: repository.ClaimedJob, *, typing: bool
    ) -> None:
        await publish(
            session,
            self.channel,
            tenant_id=job.tenant_id,
            topics=[conversation_topic(job.conversation_id)],
            event=AiTyping(
                conversation_id=job.conversation_id, message_id=job.message_id, typing=typing
            ),
        )

    async def store(
        self,
        job: repository.ClaimedJob,
        context: repository.JobContext,
        result: PipelineResult,
        receipt: Any,
        receipt_error: str | None,
        *,
        streamed: bool,
    ) -> None:
        async with self.db.transaction() as session:
            outcome_id = await repository.insert_outcome(session, self._outcome_values(job, result))
            if outcome_id is None:
                log.info("pipeline.job.duplicate", reason="outcome already stored")
                await repository.finish(session, job.message_id)
                return
            await audit.record(
                session,
                tenant_id=job.tenant_id,
                actor_id=None,
                actor_kind="ai",
                action="ai.outcome",
                subject_type="message",
                subject_id=job.message_id,
                conversation_id=job.conversation_id,
                after={
                    "outcome_id": str(outcome_id),
                    "decision": result.decision.value,
                    "category": result.category.value,
                    "confidence": result.confidence.value,
                    "threshold": result.threshold,
                    "decision_path": result.decision_path,
                },
            )
            if result.service_request is not None and result.ticket_reference is not None:
                await self._store_ticket(session, job, context, result, receipt, receipt_error)
            if result.decision is Decision.auto_sent:
                await self._send_reply(session, job, result, outcome_id)
            else:
                if streamed:
                    await publish(
                        session,
                        self.channel,
                        tenant_id=job.tenant_id,
                        topics=[conversation_topic(job.conversation_id)],
                        event=AiReplyWithdrawn(
                            conversation_id=job.conversation_id, message_id=job.message_id
                        ),
                    )
                await self._hand_over(session, job, context, result, outcome_id)
            await self._typing(session, job, typing=False)
            await repository.finish(session, job.message_id)
        metrics.pipeline_decisions.labels(result.decision.value, result.category.value).inc()
        metrics.reply_confidence.observe(result.confidence.value)
        log.info(
            "pipeline.outcome",
            decision=result.decision.value,
            category=result.category.value,
            confidence=result.confidence.value,
            latency_ms=result.latency_ms.get("total"),
        )

    def _outcome_values(self, job: repository.ClaimedJob, result: PipelineResult) -> dict[str, Any]:
        reply = result.reply
        return {
            "tenant_id": job.tenant_id,
            "conversation_id": job.conversation_id,
            "message_id": job.message_id,
            "decision": result.decision.value,
            "category": result.category.value,
            "triage": result.triage.model_dump(mode="json"),
            "retrieval": [
                {
                    "chunk_id": h.id,
                    "document_id": h.document_id,
                    "title": h.title,
                    "score": round(h.score, 4),
                    "dense_score": None if h.dense_score is None else round(h.dense_score, 4),
                    "sparse_score": None if h.sparse_score is None else round(h.sparse_score, 4),
                }
                for h in result.hits
            ],
            "injection": {
                "detected": result.injection.is_injection,
                "score": round(result.injection.score, 4),
                "reasons": result.injection.reasons,
            },
            "provider": reply.provider if reply else None,
            "model": reply.model if reply else None,
            "prompt_id": reply.prompt_id if reply else None,
            "prompt_version": reply.prompt_version if reply else None,
            "latency_ms": result.latency_ms,
            "input_tokens": reply.input_tokens if reply else 0,
            "output_tokens": reply.output_tokens if reply else 0,
            "cost_usd": reply.cost_usd if reply else None,
            "confidence": result.confidence.value,
            "confidence_parts": result.confidence.parts,
            "threshold": result.threshold,
            "decision_path": result.decision_path,
            "error": result.error,
            "attempts": job.attempts,
        }

    async def _send_reply(
        self,
        session: AsyncSession,
        job: repository.ClaimedJob,
        result: PipelineResult,
        outcome_id: UUID,
    ) -> None:
        assert result.reply is not None
        message = await repository.insert_message(
            session,
            {
                "tenant_id": job.tenant_id,
                "conversation_id": job.conversation_id,
                "author_kind": "ai",
                "visibility": "public",
                "text": result.reply.text,
                "metadata": {
                    "in_reply_to": str(job.message_id),
                    "outcome_id": str(outcome_id),
                    "category": result.category.value,
                    "confidence": result.confidence.value,
                    "citations": [c.model_dump(mode="json") for c in result.reply.citations],
                },
            },
        )
        await repository.set_reply_message(session, outcome_id, message.id)
        await self._announce_message(session, job, message)

    async def _announce_message(
        self, session: AsyncSession, job: repository.ClaimedJob, message: Any
    ) -> None:
        await announce_message(session, self.channel, message)

    async def _hand_over(
        self,
        session: AsyncSession,
        job: repository.ClaimedJob,
        context: repository.JobContext,
        result: PipelineResult,
        outcome_id: UUID | None,
    ) -> None:
        """Draft in the queue, the customer told, the conversation waiting for a person."""
        safety = result.category is Category.safety_compliance
        failed = result.decision is Decision.failed
        priority = Priority.urgent if safety else (Priority.high if failed else Priority.normal)
        draft = await repository.insert_draft(
            session,
            {
                "tenant_id": job.tenant_id,
                "conversation_id": job.conversation_id,
                "message_id": job.message_id,
                "outcome_id": outcome_id,
                "priority": priority.value,
                "reason": (result.reason.value if result.reason else "low_confidence"),
                "category": result.category.value,
                "confidence": result.confidence.value,
                "text": result.reply_text,
                "citations": [c.model_dump(mode="json") for c in result.reply.citations]
                if result.reply
                else [],
            },
        )
        draft_out = DraftOut.model_validate(draft).model_copy(
            update={"question": context.message.text}
        )
        await audit.record(
            session,
            tenant_id=job.tenant_id,
            actor_id=None,
            actor_kind="ai",
            action="draft.created",
            subject_type="draft",
            subject_id=draft.id,
            conversation_id=job.conversation_id,
            after={
                "status": draft.status,
                "priority": draft.priority,
                "reason": draft.reason,
                "confidence": draft.confidence,
            },
        )
        await publish(
            session,
            self.channel,
            tenant_id=job.tenant_id,
            topics=[tenant_topic(job.tenant_id, "queue")],
            event=DraftCreated(draft=draft_out),
            audience=Audience.staff,
        )

        conversation = context.conversation
        already_waiting = conversation.status == ConversationStatus.pending_human.value
        held = result.reason is DraftReason.human_control  # the agent answers; no notice
        if (safety or failed or not already_waiting) and not held:
            notice = SAFETY_PREAMBLE if safety else (FAILURE_NOTICE if failed else HANDOFF_NOTICE)
            message = await repository.insert_message(
                session,
                {
                    "tenant_id": job.tenant_id,
                    "conversation_id": job.conversation_id,
                    "author_kind": "system",
                    "visibility": "public",
                    "text": notice,
                    "metadata": {"kind": "handoff", "in_reply_to": str(job.message_id)},
                },
            )
            await self._announce_message(session, job, message)

        rank = {"normal": 0, "high": 1, "urgent": 2}
        new_priority = max(conversation.priority, priority.value, key=rank.__getitem__)
        changes: dict[str, Any] = {}
        if not already_waiting:
            changes["status"] = ConversationStatus.pending_human.value
        if new_priority != conversation.priority:
            changes["priority"] = new_priority
        if changes:
            updated = await repository.update_conversation(session, conversation.id, changes)
            await audit.record(
                session,
                tenant_id=job.tenant_id,
                actor_id=None,
                actor_kind="ai",
                action="conversation.escalated" if safety else "conversation.handed_over",
                subject_type="conversation",
                subject_id=conversation.id,
                conversation_id=conversation.id,
                before={"status": conversation.status, "priority": conversation.priority},
                after={"status": updated.status, "priority": updated.priority},
            )
            await announce_conversation(session, self.channel, updated)

        if safety:
            redacted = redact(context.message.text)
            await repository.insert_compliance_record(
                session,
                {
                    "tenant_id": job.tenant_id,
                    "conversation_id": job.conversation_id,
                    "message_id": job.message_id,
                    "kind": safety_kind(context.message.text),
                    "redacted_text": redacted.text,
                    "redactions": redacted.counts,
                    "safety_score": result.triage.safety_score,
                    "decision_path": result.decision_path,
                },
            )
        alert: Alert | None = None
        if failed:
            alert = Alert(
                kind="ai_failure",
                conversation_id=job.conversation_id,
                message_id=job.message_id,
                summary="The AI could not answer; the customer was told a person will reply.",
                detail=result.error,
            )
        elif safety:
            alert = Alert(
                kind="safety",
                conversation_id=job.conversation_id,
                message_id=job.message_id,
                summary="Safety-related message: urgent review.",
                detail=" | ".join(result.decision_path[:1]),
            )
        elif result.injection.is_injection:
            alert = Alert(
                kind="injection",
                conversation_id=job.conversation_id,
                message_id=job.message_id,
                summary="Possible prompt injection: the AI's draft needs review.",
                detail=", ".join(result.injection.reasons),
            )
        if alert is not None:
            await publish(
                session,
                self.channel,
                tenant_id=job.tenant_id,
                topics=[tenant_topic(job.tenant_id, "queue")],
                event=AlertRaised(alert=alert),
                audience=Audience.staff,
            )

    async def _store_ticket(
        self,
        session: AsyncSession,
        job: repository.ClaimedJob,
        context: repository.JobContext,
        result: PipelineResult,
        receipt: Any,
        receipt_error: str | None,
    ) -> None:
        assert result.service_request is not None and result.ticket_reference is not None
        status = "failed" if receipt_error else (receipt.status if receipt else "open")
        ticket = await repository.insert_ticket(
            session,
            {
                "tenant_id": job.tenant_id,
                "conversation_id": job.conversation_id,
                "message_id": job.message_id,
                "reference": result.ticket_reference,
                "intent": result.service_request.intent.value,
                "fields": result.service_request.fields,
                "summary": redact(context.message.text).text,
                "adapter": self.tickets.name,
                "status": status,
                "external_id": receipt.external_id if receipt else None,
                "error": receipt_error,
            },
        )
        await audit.record(
            session,
            tenant_id=job.tenant_id,
            actor_id=None,
            actor_kind="ai",
            action="ticket.created",
            subject_type="ticket",
            subject_id=ticket.id,
            conversation_id=job.conversation_id,
            after={"reference": ticket.reference, "intent": ticket.intent, "status": status},
        )

    async def _store_failure(
        self,
        session: AsyncSession,
        job: repository.ClaimedJob,
        context: repository.JobContext,
        detail: str,
    ) -> None:
        triage = TriageResult(
            category=Category.informational,
            confidence=0.0,
            margin=0.0,
            scores={},
            safety_score=0.0,
            safety_terms=[],
            decision_path=["not triaged: the job failed"],
            next_step="a person answers",
        )
        result = PipelineResult(
            decision=Decision.failed,
            reason=DraftReason.ai_failure,
            category=Category.informational,
            triage=triage,
            injection=InjectionResult(False, 0.0, []),
            hits=[],
            reply=None,
            confidence=Confidence(0.0, {"decided_by": "job failed"}),
            threshold=float(context.tenant.confidence_threshold),
            decision_path=[f"job failed after {job.attempts} attempts -> a person answers"],
            latency_ms={},
            error=detail,
        )
        outcome_id = await repository.insert_outcome(session, self._outcome_values(job, result))
        if outcome_id is not None:
            await self._hand_over(session, job, context, result, outcome_id)
            await self._typing(session, job, typing=False)
        await repository.finish(session, job.message_id)
        log.error("pipeline.job.failed", attempts=job.attempts)
