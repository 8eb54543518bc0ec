"""The ingestion worker: takes queued documents and indexes them, one at a time per process.

A document's row is its job. `claim_next` takes the oldest queued document (SKIP LOCKED, so
replicas never take the same one) and leases it; the lease is renewed while embedding, so a
worker that dies leaves a lease that expires and another worker takes the document over. Nothing
is parsed, embedded or sent to Qdrant inside a transaction. A bad file fails its own document
with a reason and the worker moves on; a failing vector store or embedder sends the document back
to the queue with a back-off, and fails it only after several attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from uuid import UUID

import structlog
from sqlalchemy import func, text
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.core.config import Settings
from contactcenter.core.database import Database
from contactcenter.knowledge import repository
from contactcenter.knowledge.chunking import chunk_document
from contactcenter.knowledge.index import REBUILD_LOCK_KEY, KnowledgeIndex, build_points, point_id
from contactcenter.knowledge.parsing import parse_document
from contactcenter.knowledge.schemas import DocumentOut, IngestProgress, KnowledgeDocumentUpdated
from contactcenter.knowledge.service import publish_document
from contactcenter.knowledge.types import Chunk, DocumentParseError, ParsedDocument

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5
EMBED_BATCH = 64
PROGRESS_EVERY_S = 1.0


@dataclass(frozen=True)
class Claimed:
    id: UUID
    tenant_id: UUID
    filename: str
    content_type: str | None
    content_hash: str
    source_url: str | None
    attempts: int


class IngestionWorker:
    def __init__(self, settings: Settings, db: Database, index: KnowledgeIndex) -> None:
        self.settings = settings
        self.db = db
        self.index = index
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.idle_poll_s = 1.0

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="knowledge-ingestion")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        delay = 1.0
        while True:
            try:
                await self.index.start()
                if await self.index.needs_rebuild():
                    await self.index.rebuild()
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("knowledge.index.start_failed", retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
        while True:
            try:
                worked = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("knowledge.worker.error")
                worked = False
                await asyncio.sleep(self.idle_poll_s)
            if not worked:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle_poll_s)

    async def drain(self) -> int:
        """Index everything queued now (tests and the CLI); returns how many were handled."""
        await self.index.start()
        handled = 0
        while await self.run_once():
            handled += 1
        return handled

    # -- one document --------------------------------------------------------------------------

    async def run_once(self) -> bool:
        """Claim and process one document; False when there was nothing to do."""
        async with self.db.engine.connect() as lock_conn:
            # shared: many documents at once across replicas, but never during a rebuild
            await lock_conn.execute(
                text("SELECT pg_advisory_lock_shared(:k)"), {"k": REBUILD_LOCK_KEY}
            )
            await lock_conn.commit()
            try:
                claimed = await self._claim()
                if claimed is None:
                    return False
                await self.process(claimed)
                return True
            finally:
                await lock_conn.execute(
                    text("SELECT pg_advisory_unlock_shared(:k)"), {"k": REBUILD_LOCK_KEY}
                )
                await lock_conn.commit()

    async def _claim(self) -> Claimed | None:
        """The next document to index; documents that exhausted their attempts are failed on
        the way, so one poisoned file never holds up the queue."""
        while True:
            async with self.db.transaction() as session:
                document = await repository.claim_next(session)
                if document is None:
                    return None
                if document.attempts > MAX_ATTEMPTS:
                    # it keeps stopping mid-way (a crash on this very file?): give up on it
                    await self._finish_failed(
                        session,
                        document.id,
                        f"indexing stopped {MAX_ATTEMPTS} times without finishing; "
                        "re-index it to try again",
                    )
                    continue
                await publish_document(
                    session,
                    self.settings,
                    KnowledgeDocumentUpdated(document=DocumentOut.model_validate(document)),
                    document.tenant_id,
                )
                return Claimed(
                    id=document.id,
                    tenant_id=document.tenant_id,
                    filename=document.filename,
                    content_type=document.content_type,
                    content_hash=document.content_hash,
                    source_url=document.source_url,
                    attempts=document.attempts,
                )

    async def process(self, job: Claimed) -> None:
        started = time.perf_counter()
        async with self.db.transaction() as session:
            data = await repository.file_data(session, job.id)
        if data is None:
            return  # deleted since it was claimed
        try:
            parsed, chunks = await asyncio.to_thread(self._parse_and_chunk, job, data)
        except DocumentParseError as exc:
            await self._fail(job, exc.reason)
            return
        except Exception as exc:  # a parser bug must fail one document, not the worker
            log.exception("knowledge.parse_crashed", document_id=str(job.id))
            await self._fail(job, f"the file could not be read ({type(exc).__name__})")
            return
        # the file may name its own address (front matter, canonical link): cite it
        job = replace(job, source_url=job.source_url or parsed.source_url)
        try:
            model_id = await self._embed_and_store(job, chunks)
        except Exception as exc:
            await self._retry_later(job, exc)
            return
        await self._finish_indexed(job, parsed, chunks, model_id)
        log.info(
            "knowledge.document.indexed",
            document_id=str(job.id),
            tenant_id=str(job.tenant_id),
            chunks=len(chunks),
            took_ms=round((time.perf_counter() - started) * 1000, 1),
        )

    def _parse_and_chunk(self, job: Claimed, data: bytes) -> tuple[ParsedDocument, list[Chunk]]:
        parsed = parse_document(
            data, filename=job.filename, content_type=job.content_type, source_url=job.source_url
        )
        chunks = chunk_document(
            parsed,
            max_words=self.settings.knowledge.chunk_words,
            overlap_words=self.settings.knowledge.chunk_overlap_words,
        )
        if not chunks:
            raise DocumentParseError("no text found in the file")
        return parsed, chunks

    async def _embed_and_store(self, job: Claimed, chunks: Sequence[Chunk]) -> str:
        live = await self.index.live(fresh=True)
        last_progress = time.monotonic()
        for start in range(0, len(chunks), EMBED_BATCH):
            batch = chunks[start : start + EMBED_BATCH]
            points = await asyncio.to_thread(
                build_points,
                tenant_id=job.tenant_id,
                document_id=job.id,
                content_hash=job.content_hash,
                chunks=batch,
                embedder=live.embedder,
                source_url=job.source_url,
            )
            await asyncio.to_thread(self.index.store.upsert, live.spec.name, points)
            done = start + len(batch)
            if done < len(chunks) and time.monotonic() - last_progress >= PROGRESS_EVERY_S:
                last_progress = time.monotonic()
                await self._progress(job, done, len(chunks))
        return live.spec.model_id

    async def _progress(self, job: Claimed, done: int, total: int) -> None:
        async with self.db.transaction() as session:
            if not await repository.renew_lease(session, job.id, job.content_hash):
                return
            document = await repository.get_document(session, job.id)
            if document is not None:
                await publish_document(
                    session,
                    self.settings,
                    KnowledgeDocumentUpdated(
                        document=DocumentOut.model_validate(document),
                        progress=IngestProgress(done=done, total=total),
                    ),
                    job.tenant_id,
                )

    async def _finish_indexed(
        self, job: Claimed, parsed: ParsedDocument, chunks: Sequence[Chunk], model_id: str
    ) -> None:
        stale_version = False
        async with self.db.transaction() as session:
            document = await repository.lock_for_finish(session, job.id)
            if document is None:
                gone = True
            else:
                gone = False
                stale_version = (
                    document.content_hash != job.content_hash or document.status != "processing"
                )
            if not gone and not stale_version:
                await repository.replace_chunks(
                    session,
                    job.id,
                    [
                        {
                            "id": UUID(point_id(job.tenant_id, job.id, c.chunk_no)),
                            "tenant_id": job.tenant_id,
                            "document_id": job.id,
                            "chunk_no": c.chunk_no,
                            "title": c.title,
                            "section": c.section,
                            "text": c.text,
                            "content_hash": job.content_hash,
                        }
                        for c in chunks
                    ],
                )
                finished = await repository.finish(
                    session,
                    job.id,
                    {
                        "status": "indexed",
                        "error": None,
                        "chunk_count": len(chunks),
                        "embedding_model": model_id,
                        "title": parsed.title,
                        "source_url": job.source_url,
                        "indexed_at": func.now(),
                    },
                )
                await publish_document(
                    session,
                    self.settings,
                    KnowledgeDocumentUpdated(document=DocumentOut.model_validate(finished)),
                    job.tenant_id,
                )
        if gone:
            # deleted while we worked: take back what we wrote
            await self.index.remove_document(job.tenant_id, job.id)
        elif not stale_version:
            # chunks of the previous version beyond this version's length
            await self.index.remove_document(job.tenant_id, job.id, keep_hash=job.content_hash)
        # a newer upload replaced the file meanwhile: it is queued and will overwrite these

    async def _fail(self, job: Claimed, reason: str) -> None:
        async with self.db.transaction() as session:
            document = await repository.lock_for_finish(session, job.id)
            if document is None or document.content_hash != job.content_hash:
                return
            await self._finish_failed(session, job.id, reason)
        # a failed document has no passages in search (a previous version's included)
        with contextlib.suppress(Exception):
            await self.index.remove_document(job.tenant_id, job.id)
        log.info("knowledge.document.failed", document_id=str(job.id), reason=reason)

    async def _finish_failed(self, session: AsyncSession, document_id: UUID, reason: str) -> None:
        await repository.replace_chunks(session, document_id, [])
        finished = await repository.finish(
            session, document_id, {"status": "failed", "error": reason, "chunk_count": 0}
        )
        await publish_document(
            session,
            self.settings,
            KnowledgeDocumentUpdated(document=DocumentOut.model_validate(finished)),
            finished.tenant_id,
        )

    async def _retry_later(self, job: Claimed, exc: Exception) -> None:
        log.warning(
            "knowledge.document.retry",
            document_id=str(job.id),
            attempt=job.attempts,
            error=type(exc).__name__,
        )
        if job.attempts >= MAX_ATTEMPTS:
            await self._fail(
                job,
                f"the embedding model or vector store failed {job.attempts} times "
                f"({type(exc).__name__}); re-index it to try again",
            )
            return
        backoff_s = min(2**job.attempts, 60)
        async with self.db.transaction() as session:
            await repository.postpone(
                session,
                job.id,
                job.content_hash,
                seconds=backoff_s,
                reason=f"retrying after a temporary failure ({type(exc).__name__})",
            )
