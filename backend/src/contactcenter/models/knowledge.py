from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, func
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.models.base import Base


class KnowledgeDocument(Base):
    """An uploaded document; its status row is also its ingestion job (see tasks.py)."""

    __tablename__ = "knowledge_documents"

    id: Mapped[UUID] = mapped_column(primary_key=True, server_default=sql("gen_random_uuid()"))
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id"))
    source_key: Mapped[str]
    filename: Mapped[str]
    title: Mapped[str | None]
    kind: Mapped[str]
    content_type: Mapped[str | None]
    source_url: Mapped[str | None]
    content_hash: Mapped[str]
    size_bytes: Mapped[int]
    status: Mapped[str] = mapped_column(server_default=sql("'queued'"))
    error: Mapped[str | None]
    chunk_count: Mapped[int] = mapped_column(server_default=sql("0"))
    embedding_model: Mapped[str | None]
    attempts: Mapped[int] = mapped_column(server_default=sql("0"))
    lease_expires_at: Mapped[datetime | None]
    created_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    indexed_at: Mapped[datetime | None]


class KnowledgeFile(Base):
    __tablename__ = "knowledge_files"

    document_id: Mapped[UUID] = mapped_column(
        ForeignKey("knowledge_documents.id"), primary_key=True
    )
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id"))
    data: Mapped[bytes]


class KnowledgeChunk(Base):
    __tablename__ = "knowledge_chunks"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(ForeignKey("tenants.id"))
    document_id: Mapped[UUID] = mapped_column(ForeignKey("knowledge_documents.id"))
    chunk_no: Mapped[int]
    title: Mapped[str]
    section: Mapped[str | None]
    text: Mapped[str]
    content_hash: Mapped[str]


class KnowledgeCollection(Base):
    __tablename__ = "knowledge_collections"

    name: Mapped[str] = mapped_column(primary_key=True)
    model_id: Mapped[str]
    provider: Mapped[str]
    model_name: Mapped[str | None]
    dim: Mapped[int]
    status: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    activated_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
