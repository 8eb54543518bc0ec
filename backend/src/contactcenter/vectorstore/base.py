"""The vector-store interface: chunk points in, tenant-scoped hybrid search out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from contactcenter.embeddings.base import Vector


@dataclass(frozen=True, slots=True)
class CollectionSpec:
    name: str  # [a-z0-9_-]+, unique per model build
    dim: int
    model_id: str


@dataclass(frozen=True, slots=True)
class ChunkPoint:
    """One chunk as stored in a collection. ``id`` is a deterministic UUID string."""

    id: str
    tenant_id: str
    document_id: str
    chunk_no: int
    content_hash: str  # the document version that produced it
    vector: Vector  # shape (dim,)
    sparse_text: str  # what BM25 indexes: "context: text"
    title: str
    section: str | None
    text: str
    source_url: str | None = None


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    id: str
    document_id: str
    chunk_no: int
    title: str
    section: str | None
    text: str
    source_url: str | None
    score: float  # fused
    dense_score: float | None = None
    sparse_score: float | None = None


@dataclass(frozen=True, slots=True)
class FusionParams:
    """Weighted min-max fusion of the dense and BM25 lists (tuned on the dev set, see
    specs/002-knowledge-retrieval/research.md)."""

    dense_weight: float = 1.0
    sparse_weight: float = 0.1
    dense_limit: int = 20
    sparse_limit: int = 20


@dataclass(frozen=True, slots=True)
class SearchQuery:
    tenant_id: str
    vector: Vector
    text: str
    limit: int = 10
    fusion: FusionParams = field(default_factory=FusionParams)


class VectorStore(Protocol):
    """One Qdrant-backed store of chunk points. Every read, scroll and delete is scoped to a
    tenant by the store's single filter helper; there is no unscoped read."""

    def create_collection(self, spec: CollectionSpec) -> None: ...
    def collection_exists(self, name: str) -> bool: ...
    def drop_collection(self, name: str) -> None: ...
    def activate(self, spec: CollectionSpec) -> None:
        """Point the store's public name (server: the alias) at this collection."""
        ...

    def upsert(self, collection: str, points: Sequence[ChunkPoint]) -> None: ...
    def search(self, collection: str, query: SearchQuery) -> list[ScoredChunk]: ...
    def delete_document(
        self, collection: str, tenant_id: str, document_id: str, *, keep_hash: str | None = None
    ) -> None:
        """Remove a document's points; with ``keep_hash`` only those of other versions."""
        ...

    def delete_tenant(self, collection: str, tenant_id: str) -> None: ...
    def count(self, collection: str, tenant_id: str, document_id: str | None = None) -> int: ...
    def optimize(self, collection: str) -> None:
        """Build indexes after a bulk load (Edge: HNSW; server: nothing to do)."""
        ...

    def close(self) -> None: ...
