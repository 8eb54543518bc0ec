"""Rules for the knowledge base, called by the endpoints under the caller's RLS transaction.
Never commits. Files are only checked here (size, type, emptiness); parsing, chunking and
embedding happen in the ingestion worker (tasks.py), outside any request."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import unicodedata
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.audit import service as audit
from contactcenter.auth.principal import Principal
from contactcenter.core.config import Settings
from contactcenter.core.cursors import decode_time_id_cursor, time_id_cursor
from contactcenter.core.errors import AppError, ErrorCode
from contactcenter.knowledge import repository
from contactcenter.knowledge.index import KnowledgeIndex
from contactcenter.knowledge.parsing import detect_kind
from contactcenter.knowledge.schemas import (
    DocumentOut,
    DocumentPage,
    DocumentStatus,
    KnowledgeDocumentDeleted,
    KnowledgeDocumentUpdated,
    SearchHit,
    SearchResponse,
    UploadOutcome,
    UploadResult,
)
from contactcenter.knowledge.types import DocumentParseError
from contactcenter.models import KnowledgeDocument
from contactcenter.realtime.publisher import Audience, publish, tenant_topic

KNOWLEDGE_TOPIC = "knowledge"
SEARCH_WAIT_S = 30.0


@dataclass(frozen=True)
class IncomingFile:
    filename: str
    content_type: str | None
    data: bytes


def clean_filename(raw: str | None) -> str:
    """A display-safe base name: no folders, control characters or surrounding blanks."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C"
    )
    name = re.sub(r"\s+", " ", name).strip()
    return name[:255]


def _not_found(document_id: UUID) -> AppError:
    return AppError(ErrorCode.document_not_found, f"no document {document_id} was found")


async def publish_document(
    session: AsyncSession,
    settings: Settings,
    event: KnowledgeDocumentUpdated | KnowledgeDocumentDeleted,
    tenant_id: UUID,
) -> None:
    await publish(
        session,
        settings.realtime.channel,
        tenant_id=tenant_id,
        topics=[tenant_topic(tenant_id, KNOWLEDGE_TOPIC)],
        event=event,
        audience=Audience.staff,
    )


def _snapshot(document: KnowledgeDocument) -> dict[str, object]:
    return {
        "source_key": document.source_key,
        "content_hash": document.content_hash,
        "status": document.status,
        "size_bytes": document.size_bytes,
    }


def check_file(file: IncomingFile, settings: Settings) -> str:
    """The document kind, or a DocumentParseError for what can be told without parsing."""
    if not file.filename:
        raise DocumentParseError("the file has no name")
    if len(file.data) > settings.knowledge.max_file_bytes:
        raise DocumentParseError(
            f"the file is {len(file.data):,} bytes; the limit is "
            f"{settings.knowledge.max_file_bytes:,} bytes"
        )
    if not file.data.strip():
        raise DocumentParseError("the file is empty")
    return detect_kind(file.filename, file.content_type, file.data).value


async def add_file(
    session: AsyncSession,
    settings: Settings,
    *,
    tenant_id: UUID,
    actor: Principal | None,
    file: IncomingFile,
    source_url: str | None = None,
) -> UploadResult:
    """Store one file as a new or replaced document, queued for indexing; idempotent."""
    filename = clean_filename(file.filename)
    try:
        kind = check_file(IncomingFile(filename, file.content_type, file.data), settings)
    except DocumentParseError as exc:
        return UploadResult(
            filename=filename or "(unnamed)", outcome=UploadOutcome.rejected, error=exc.reason
        )
    digest = hashlib.sha256(file.data).hexdigest()
    values = {
        "filename": filename,
        "kind": kind,
        "content_type": (file.content_type or None) and file.content_type[:200],
        "content_hash": digest,
        "size_bytes": len(file.data),
        "source_url": source_url,
    }
    existing = await repository.document_by_key(session, tenant_id, filename)
    if existing is not None and existing.content_hash == digest and existing.status != "failed":
        return UploadResult(
            filename=filename,
            outcome=UploadOutcome.unchanged,
            document=DocumentOut.model_validate(existing),
        )
    if existing is not None:
        before = _snapshot(existing)
        document = await repository.replace_document(session, existing, values, file.data)
        outcome, action = UploadOutcome.replaced, "knowledge.document.replaced"
    else:
        before = None
        document = await repository.insert_document(
            session,
            {
                **values,
                "tenant_id": tenant_id,
                "source_key": filename,
                "status": "queued",
                "created_by": actor.user_id if actor else None,
            },
            file.data,
        )
        outcome, action = UploadOutcome.created, "knowledge.document.created"
    out = DocumentOut.model_validate(document)
    await _audit(session, actor, document, action, before)
    await publish_document(session, settings, KnowledgeDocumentUpdated(document=out), tenant_id)
    return UploadResult(filename=filename, outcome=outcome, document=out)


async def _audit(
    session: AsyncSession,
    actor: Principal | None,
    document: KnowledgeDocument,
    action: str,
    before: dict[str, object] | None,
) -> None:
    await audit.record(
        session,
        tenant_id=document.tenant_id,
        actor_id=actor.user_id if actor else None,
        actor_kind=actor.role.value if actor else "system",
        action=action,
        subject_type="knowledge_document",
        subject_id=document.id,
        before=before,
        after=_snapshot(document) if action != "knowledge.document.deleted" else None,
    )


async def upload(
    session: AsyncSession, principal: Principal, files: list[IncomingFile], settings: Settings
) -> list[UploadResult]:
    if not files:
        raise AppError(ErrorCode.validation_failed, "send one or more files in the `files` field")
    seen: set[str] = set()
    results = []
    for file in files:
        name = clean_filename(file.filename)
        if name in seen:
            results.append(
                UploadResult(
                    filename=name,
                    outcome=UploadOutcome.rejected,
                    error="the same file name appears twice in this upload",
                )
            )
            continue
        seen.add(name)
        results.append(
            await add_file(
                session, settings, tenant_id=principal.tenant_id, actor=principal, file=file
            )
        )
    return results


async def list_documents(
    session: AsyncSession,
    principal: Principal,
    *,
    status: DocumentStatus | None,
    cursor: str | None,
    limit: int,
) -> DocumentPage:
    after = decode_time_id_cursor(cursor) if cursor else None
    rows = await repository.list_documents(
        session,
        principal.tenant_id,
        status=status.value if status else None,
        after=after,
        limit=limit + 1,
    )
    items = [DocumentOut.model_validate(r) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = time_id_cursor(last.created_at, last.id) if last is not None else None
    return DocumentPage(items=items, next_cursor=next_cursor)


async def get_document(
    session: AsyncSession, principal: Principal, document_id: UUID
) -> KnowledgeDocument:
    document = await repository.get_document(session, document_id)
    # RLS hides other tenants' rows; the explicit check keeps the rule visible here too
    if document is None or document.tenant_id != principal.tenant_id:
        raise _not_found(document_id)
    return document


async def delete_document(
    session: AsyncSession,
    principal: Principal,
    document_id: UUID,
    index: KnowledgeIndex,
    settings: Settings,
) -> None:
    document = await get_document(session, principal, document_id)
    # vectors first: if Qdrant is down the document stays, rather than leaving points that
    # search would still return. A worker finishing this document meanwhile finds it gone and
    # removes what it wrote.
    try:
        await index.remove_document(principal.tenant_id, document.id)
    except Exception as exc:
        raise AppError(
            ErrorCode.knowledge_unavailable,
            "the vector store is unavailable; the document was not deleted, try again",
        ) from exc
    await _audit(session, principal, document, "knowledge.document.deleted", _snapshot(document))
    await repository.delete_document(session, document.id)
    await publish_document(
        session, settings, KnowledgeDocumentDeleted(document_id=document.id), principal.tenant_id
    )


async def reindex_document(
    session: AsyncSession, principal: Principal, document_id: UUID, settings: Settings
) -> DocumentOut:
    document = await get_document(session, principal, document_id)
    before = _snapshot(document)
    document = await repository.requeue(session, document)
    await _audit(session, principal, document, "knowledge.document.reindexed", before)
    out = DocumentOut.model_validate(document)
    await publish_document(
        session, settings, KnowledgeDocumentUpdated(document=out), principal.tenant_id
    )
    return out


async def search(
    principal: Principal, index: KnowledgeIndex, query: str, limit: int
) -> SearchResponse:
    started = time.perf_counter()
    try:
        # the first search after a start may wait for the embedding model to load
        async with asyncio.timeout(SEARCH_WAIT_S):
            model_id, hits = await index.search(principal.tenant_id, query, limit)
    except TimeoutError as exc:
        raise AppError(
            ErrorCode.knowledge_unavailable,
            "the knowledge index is still starting (loading the embedding model); try again",
            headers={"Retry-After": "5"},
        ) from exc
    except Exception as exc:
        raise AppError(
            ErrorCode.knowledge_unavailable, "the knowledge index is unavailable; try again"
        ) from exc
    took_ms = (time.perf_counter() - started) * 1000
    return SearchResponse(
        query=query,
        embedding_model=model_id,
        took_ms=round(took_ms, 2),
        hits=[
            SearchHit(
                chunk_id=UUID(h.id),
                document_id=h.document_id,
                chunk_no=h.chunk_no,
                title=h.title,
                section=h.section,
                text=h.text,
                source_url=h.source_url,
                score=h.score,
                dense_score=h.dense_score,
                sparse_score=h.sparse_score,
            )
            for h in hits
        ],
    )
