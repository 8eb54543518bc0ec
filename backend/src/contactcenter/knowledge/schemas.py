"""HTTP and realtime shapes of the knowledge base."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contactcenter.core.validation import CleanStr
from contactcenter.knowledge.types import DocumentKind


class DocumentStatus(StrEnum):
    queued = "queued"
    processing = "processing"
    indexed = "indexed"
    failed = "failed"


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tenant_id: UUID
    source_key: str = Field(description="What makes a re-upload the same document (file name).")
    filename: str
    title: str | None
    kind: DocumentKind
    content_type: str | None
    source_url: str | None
    content_hash: str = Field(description="sha256 of the uploaded file")
    size_bytes: int
    status: DocumentStatus
    error: str | None = Field(description="Why the document failed, in words for staff.")
    chunk_count: int
    embedding_model: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    indexed_at: datetime | None


class UploadOutcome(StrEnum):
    created = "created"  # a new document, queued for indexing
    replaced = "replaced"  # same source key, new content: queued to replace its chunks
    unchanged = "unchanged"  # same source key and content: nothing to do
    rejected = "rejected"  # the file could not be accepted (see `error`)


class UploadResult(BaseModel):
    filename: str
    outcome: UploadOutcome
    document: DocumentOut | None = None
    error: str | None = None


class UploadResponse(BaseModel):
    results: list[UploadResult]


class DocumentPage(BaseModel):
    items: list[DocumentOut]
    next_cursor: str | None = None


class SearchRequest(BaseModel):
    query: CleanStr = Field(min_length=1, max_length=2000)
    limit: int = Field(default=5, ge=1, le=50)


class SearchHit(BaseModel):
    """One retrieved passage, ready to cite."""

    chunk_id: UUID
    document_id: str
    chunk_no: int
    title: str
    section: str | None
    text: str
    source_url: str | None
    score: float = Field(description="Fused score (dense 1.0 + BM25 0.1 after min-max)")
    dense_score: float | None = Field(description="Cosine similarity, when in the dense list")
    sparse_score: float | None = Field(description="BM25 score, when in the keyword list")


class SearchResponse(BaseModel):
    query: str
    embedding_model: str
    took_ms: float
    hits: list[SearchHit]


class IngestProgress(BaseModel):
    done: int
    total: int


class KnowledgeDocumentUpdated(BaseModel):
    """A document changed status, or made progress while being indexed."""

    type: Literal["knowledge.document.updated"] = "knowledge.document.updated"
    document: DocumentOut
    progress: IngestProgress | None = None


class KnowledgeDocumentDeleted(BaseModel):
    type: Literal["knowledge.document.deleted"] = "knowledge.document.deleted"
    document_id: UUID
