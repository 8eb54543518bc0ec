"""SQL for the knowledge base. Requests run it under RLS (staff of one tenant); the ingestion
worker runs it as the service itself, always naming the tenant and document it works on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.models import KnowledgeChunk, KnowledgeDocument, KnowledgeFile

# a worker holds a document this long; it renews the lease as it makes progress
LEASE_S = 120


async def get_document(session: AsyncSession, document_id: UUID) -> KnowledgeDocument | None:
    return await session.get(KnowledgeDocument, document_id)


async def document_by_key(
    session: AsyncSession, tenant_id: UUID, source_key: str
) -> KnowledgeDocument | None:
    return await session.scalar(
        select(KnowledgeDocument).where(
            KnowledgeDocument.tenant_id == tenant_id, KnowledgeDocument.source_key == source_key
        )
    )


async def list_documents(
    session: AsyncSession,
    tenant_id: UUID,
    *,
    status: str | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> Sequence[KnowledgeDocument]:
    stmt = (
        select(KnowledgeDocument)
        .where(KnowledgeDocument.tenant_id == tenant_id)
        .order_by(KnowledgeDocument.created_at.desc(), KnowledgeDocument.id.desc())
        .limit(limit)
    )
    if status is not None:
        stmt = stmt.where(KnowledgeDocument.status == status)
    if after is not None:
        stmt = stmt.where(
            tuple_(KnowledgeDocument.created_at, KnowledgeDocument.id) < tuple_(*after)
        )
    return (await session.scalars(stmt)).all()


async def insert_document(
    session: AsyncSession, values: dict[str, Any], data: bytes
) -> KnowledgeDocument:
    # explicit columns: callers under RLS may insert only the granted ones
    document: KnowledgeDocument | None = await session.scalar(
        insert(KnowledgeDocument).values(**values).returning(KnowledgeDocument)
    )
    assert document is not None
    await session.execute(
        insert(KnowledgeFile).values(
            document_id=document.id, tenant_id=document.tenant_id, data=data
        )
    )
    return document


async def replace_document(
    session: AsyncSession, document: KnowledgeDocument, values: dict[str, Any], data: bytes
) -> KnowledgeDocument:
    await session.execute(
        update(KnowledgeDocument)
        .where(KnowledgeDocument.id == document.id)
        .values(**values, status="queued", error=None, attempts=0, updated_at=func.now())
    )
    await session.execute(
        update(KnowledgeFile).where(KnowledgeFile.document_id == document.id).values(data=data)
    )
    await session.refresh(document)
    return document


async def requeue(session: AsyncSession, document: KnowledgeDocument) -> KnowledgeDocument:
    await session.execute(
        update(KnowledgeDocument)
        .where(KnowledgeDocument.id == document.id)
        .values(status="queued", error=None, attempts=0, updated_at=func.now())
    )
    await session.refresh(document)
    return document


async def delete_document(session: AsyncSession, document_id: UUID) -> bool:
    result = await session.execute(
        delete(KnowledgeDocument).where(KnowledgeDocument.id == document_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# -- the worker's side (service role) ---------------------------------------------------------


async def claim_next(session: AsyncSession) -> KnowledgeDocument | None:
    """Take the oldest waiting document, or one whose worker stopped renewing its lease."""
    candidate = (
        select(KnowledgeDocument.id)
        .where(
            or_(
                KnowledgeDocument.status == "queued",
                (KnowledgeDocument.status == "processing")
                & (KnowledgeDocument.lease_expires_at < func.now()),
            )
        )
        .order_by(KnowledgeDocument.updated_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return await session.scalar(
        update(KnowledgeDocument)
        .where(KnowledgeDocument.id == candidate)
        .values(
            status="processing",
            attempts=KnowledgeDocument.attempts + 1,
            lease_expires_at=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, LEASE_S),
            updated_at=func.now(),
        )
        .returning(KnowledgeDocument)
    )


async def renew_lease(session: AsyncSession, document_id: UUID, content_hash: str) -> bool:
    result = await session.execute(
        update(KnowledgeDocument)
        .where(
            KnowledgeDocument.id == document_id,
            KnowledgeDocument.status == "processing",
            KnowledgeDocument.content_hash == content_hash,
        )
        .values(lease_expires_at=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, LEASE_S))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def postpone(
    session: AsyncSession, document_id: UUID, content_hash: str, *, seconds: int, reason: str
) -> None:
    """Keep the lease but let it run out in `seconds`: the document is then claimed again."""
    await session.execute(
        update(KnowledgeDocument)
        .where(
            KnowledgeDocument.id == document_id,
            KnowledgeDocument.content_hash == content_hash,
            KnowledgeDocument.status == "processing",
        )
        .values(
            lease_expires_at=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, seconds),
            error=reason,
            updated_at=func.now(),
        )
    )


async def file_data(session: AsyncSession, document_id: UUID) -> bytes | None:
    return await session.scalar(
        select(KnowledgeFile.data).where(KnowledgeFile.document_id == document_id)
    )


async def lock_for_finish(session: AsyncSession, document_id: UUID) -> KnowledgeDocument | None:
    return await session.scalar(
        select(KnowledgeDocument).where(KnowledgeDocument.id == document_id).with_for_update()
    )


async def replace_chunks(
    session: AsyncSession, document_id: UUID, rows: Sequence[dict[str, Any]]
) -> None:
    await session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.document_id == document_id))
    if rows:
        # executemany in pages: one statement per page keeps parameters under asyncpg's limit
        for start in range(0, len(rows), 1000):
            await session.execute(insert(KnowledgeChunk), list(rows[start : start + 1000]))


async def finish(
    session: AsyncSession, document_id: UUID, values: dict[str, Any]
) -> KnowledgeDocument:
    document = await session.scalar(
        update(KnowledgeDocument)
        .where(KnowledgeDocument.id == document_id)
        .values(**values, lease_expires_at=None, updated_at=func.now())
        .returning(KnowledgeDocument)
        .execution_options(populate_existing=True)
    )
    assert document is not None
    return document
