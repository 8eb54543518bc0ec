"""Vector stores: Qdrant Edge in-process by default, a Qdrant server when ``QDRANT_URL`` is set.

Both adapters implement :class:`~contactcenter.vectorstore.base.VectorStore` with the same
layout, tenant scoping, BM25 and fusion (``common.py``). The server adapter (and with it
``qdrant_client``, about 1 s to import) is loaded only when it is used.
"""

from __future__ import annotations

from contactcenter.core.config import Settings
from contactcenter.vectorstore.base import (
    ChunkPoint,
    CollectionSpec,
    FusionParams,
    ScoredChunk,
    SearchQuery,
    VectorStore,
)
from contactcenter.vectorstore.common import (
    CollectionExists,
    CollectionNotFound,
    InvalidCollectionName,
    StoreClosed,
    StoreLocked,
    VectorStoreError,
    validate_collection_name,
)
from contactcenter.vectorstore.edge import EdgeVectorStore

__all__ = [
    "ChunkPoint",
    "CollectionExists",
    "CollectionNotFound",
    "CollectionSpec",
    "EdgeVectorStore",
    "FusionParams",
    "InvalidCollectionName",
    "ScoredChunk",
    "SearchQuery",
    "StoreClosed",
    "StoreLocked",
    "VectorStore",
    "VectorStoreError",
    "build_vector_store",
    "validate_collection_name",
]


def build_vector_store(settings: Settings) -> VectorStore:
    """``QDRANT_URL`` set: the server adapter; otherwise Qdrant Edge under ``DATA_DIR/qdrant``
    (which locks that folder for this process)."""
    if settings.qdrant.url:
        from contactcenter.vectorstore.server import QdrantServerStore

        return QdrantServerStore.from_settings(settings.qdrant)
    return EdgeVectorStore(settings.data_dir / "qdrant")
