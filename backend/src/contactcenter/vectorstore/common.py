"""What both vector-store adapters share, so that Qdrant Edge and a Qdrant server behave alike.

- **Errors**: one small hierarchy (``CollectionNotFound`` for an unknown collection, ...).
- **Collection names**: validated once (they become folder names on Edge).
- **Tenant scoping**: :class:`TenantScope` is the only way to say *which points* a search, count
  or delete touches, and it cannot be built without a tenant. :func:`edge_filter` and
  :func:`server_filter` render it for ``qdrant_edge`` and ``qdrant_client``; the adapters build
  no filter of their own, so there is no unscoped read or delete (compare Dify's
  ``qdrant_vector.py``, which deletes by metadata with no tenant condition).
- **BM25**: both adapters index and query with the same ``qdrant_edge.Bm25`` (hashed tokens,
  English stopwords and stemming), and the collection's sparse vector uses the IDF modifier, so
  both modes score alike.
- **Fusion**: weighted min-max over the dense and the BM25 list, computed here for both.
- **Payload**: what a point stores and how a hit becomes a :class:`ScoredChunk`.

``qdrant_client`` is imported lazily (about 1 s of import time), so Edge mode never loads it.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import qdrant_edge as edge

from contactcenter.embeddings.base import Vector
from contactcenter.vectorstore.base import ChunkPoint, FusionParams, ScoredChunk

if TYPE_CHECKING:
    from qdrant_client import models as qmodels
    from qdrant_edge import ConditionType as EdgeCondition

# --- layout (identical on Edge and server) ----------------------------------------------------
DENSE_VECTOR: Final = "dense"
SPARSE_VECTOR: Final = "bm25"
TENANT_FIELD: Final = "tenant_id"
DOCUMENT_FIELD: Final = "document_id"
HASH_FIELD: Final = "content_hash"
# what a hit needs to become a ScoredChunk (tenant_id and content_hash stay in the store)
HIT_PAYLOAD_FIELDS: Final = [
    DOCUMENT_FIELD,
    "chunk_no",
    "title",
    "section",
    "text",
    "source_url",
]
UPSERT_BATCH: Final = 256

COLLECTION_NAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


# --- errors -----------------------------------------------------------------------------------
class VectorStoreError(Exception):
    """Base class of the errors the vector-store adapters raise on purpose."""


class InvalidCollectionName(VectorStoreError, ValueError):
    """The name does not match ``^[a-z0-9][a-z0-9_-]{0,62}$`` (or is reserved)."""


class CollectionNotFound(VectorStoreError, LookupError):
    """The collection does not exist in this store."""

    def __init__(self, name: str) -> None:
        super().__init__(f"vector collection {name!r} does not exist")
        self.name = name


class CollectionExists(VectorStoreError):
    """``create_collection`` for a name that is already taken."""

    def __init__(self, name: str) -> None:
        super().__init__(f"vector collection {name!r} already exists")
        self.name = name


class StoreLocked(VectorStoreError):
    """Another Qdrant Edge store (this process or another) has the data folder open."""


class StoreClosed(VectorStoreError):
    """The store was closed."""


def validate_collection_name(name: str) -> str:
    if not isinstance(name, str) or not COLLECTION_NAME_PATTERN.fullmatch(name):
        raise InvalidCollectionName(
            f"invalid vector collection name {name!r}: use 1-63 characters of [a-z0-9_-], "
            "starting with a letter or digit"
        )
    return name


# --- tenant scoping: the single place that decides which points an operation touches ---------
@dataclass(frozen=True, slots=True)
class TenantScope:
    """Points of one tenant, optionally of one document, optionally except one version,
    optionally only the given point ids.

    Every search, scroll, count and delete of both adapters is expressed as a scope and
    rendered by :func:`edge_filter` / :func:`server_filter`: the tenant condition is always
    there (fetching points by id goes through it too, so it cannot cross tenants either).
    """

    tenant_id: str
    document_id: str | None = None
    except_content_hash: str | None = None
    point_ids: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.tenant_id, str) or not self.tenant_id:
            raise ValueError("a vector-store operation needs a non-empty tenant_id")
        if self.document_id is not None and not self.document_id:
            raise ValueError("document_id must be non-empty when given")
        if self.except_content_hash is not None and self.document_id is None:
            raise ValueError("except_content_hash only applies within one document")


def edge_filter(scope: TenantScope) -> edge.Filter:
    must: list[EdgeCondition] = [
        edge.FieldCondition(key=TENANT_FIELD, match=edge.MatchValue(scope.tenant_id))
    ]
    if scope.document_id is not None:
        must.append(
            edge.FieldCondition(key=DOCUMENT_FIELD, match=edge.MatchValue(scope.document_id))
        )
    if scope.point_ids is not None:
        must.append(edge.HasIdCondition(set(scope.point_ids)))
    must_not: list[EdgeCondition] | None = None
    if scope.except_content_hash is not None:
        must_not = [
            edge.FieldCondition(key=HASH_FIELD, match=edge.MatchValue(scope.except_content_hash))
        ]
    return edge.Filter(must=must, must_not=must_not)


def server_filter(scope: TenantScope) -> qmodels.Filter:
    from qdrant_client import models as qm

    must: list[qm.Condition] = [
        qm.FieldCondition(key=TENANT_FIELD, match=qm.MatchValue(value=scope.tenant_id))
    ]
    if scope.document_id is not None:
        must.append(
            qm.FieldCondition(key=DOCUMENT_FIELD, match=qm.MatchValue(value=scope.document_id))
        )
    if scope.point_ids is not None:
        must.append(qm.HasIdCondition(has_id=sorted(scope.point_ids)))
    must_not: list[qm.Condition] | None = None
    if scope.except_content_hash is not None:
        must_not = [
            qm.FieldCondition(key=HASH_FIELD, match=qm.MatchValue(value=scope.except_content_hash))
        ]
    return qm.Filter(must=must, must_not=must_not)


# --- BM25 ---------------------------------------------------------------------------------------
# One tokenizer for both modes. Bm25 is a stateless Rust object; calls hold the GIL, so sharing
# one instance between threads is safe.
_BM25: Final = edge.Bm25()


def sparse_document(text: str) -> edge.SparseVector:
    """The BM25 document vector (term-frequency weights; the collection applies IDF)."""
    return _BM25.embed_document(text)


def sparse_query(text: str) -> edge.SparseVector | None:
    """The BM25 query vector, or None when the text has no indexable token (only stopwords,
    punctuation, ...): then the search is dense only."""
    vector = _BM25.embed_query(text)
    return vector if vector.indices else None


def to_server_sparse(vector: edge.SparseVector) -> qmodels.SparseVector:
    from qdrant_client import models as qm

    return qm.SparseVector(indices=list(vector.indices), values=list(vector.values))


def dense_list(vector: Vector) -> list[float]:
    array = np.asarray(vector, dtype=np.float32)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"a dense vector must have shape (dim,), got {array.shape}")
    values: list[float] = array.tolist()
    return values


# --- points and hits ----------------------------------------------------------------------------
def point_id(raw: str) -> str:
    """The canonical form of a point id (a UUID string; Qdrant gives hits back in this form)."""
    try:
        return str(uuid.UUID(raw))
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"point id {raw!r} is not a UUID string") from exc


def point_payload(point: ChunkPoint) -> dict[str, Any]:
    return {
        TENANT_FIELD: point.tenant_id,
        DOCUMENT_FIELD: point.document_id,
        "chunk_no": point.chunk_no,
        HASH_FIELD: point.content_hash,
        "title": point.title,
        "section": point.section,
        "text": point.text,
        "source_url": point.source_url,
    }


@dataclass(frozen=True, slots=True)
class RawHit:
    """One hit of one list, adapter-neutral."""

    id: str
    score: float
    payload: Mapping[str, Any]


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def scored_chunk(
    hit: RawHit, *, score: float, dense_score: float | None, sparse_score: float | None
) -> ScoredChunk:
    payload = hit.payload
    return ScoredChunk(
        id=hit.id,
        document_id=str(payload[DOCUMENT_FIELD]),
        chunk_no=int(payload["chunk_no"]),
        title=str(payload.get("title") or ""),
        section=_opt_str(payload.get("section")),
        text=str(payload.get("text") or ""),
        source_url=_opt_str(payload.get("source_url")),
        score=score,
        dense_score=dense_score,
        sparse_score=sparse_score,
    )


# --- fusion ---------------------------------------------------------------------------------------
def minmax(scores: Sequence[float]) -> list[float]:
    """Scale to [0, 1]; a single score, or all-equal scores, become 1.0."""
    if not scores:
        return []
    low, high = min(scores), max(scores)
    if high - low <= 0.0 or not math.isfinite(high - low):
        return [1.0] * len(scores)
    return [(s - low) / (high - low) for s in scores]


@dataclass(frozen=True, slots=True)
class Fused:
    """One point of the fused ranking: fused score and the raw score of each list."""

    id: str
    score: float
    dense_score: float | None
    sparse_score: float | None


def rank(
    dense: Sequence[RawHit],
    sparse: Sequence[RawHit],
    params: FusionParams,
    limit: int,
) -> list[Fused]:
    """Weighted min-max fusion over the union of the two lists.

    ``score = dense_weight * minmax(dense) + sparse_weight * minmax(sparse)``; a point missing
    from one list gets 0 for that list. Sorted by fused score, then raw dense score (absent
    last), then id, so equal inputs always give the same order. Keeps the raw dense and BM25
    scores (None where the point was not in that list). Payloads are not looked at.
    """
    fused: dict[str, float] = {}
    raw_dense: dict[str, float] = {}
    raw_sparse: dict[str, float] = {}
    for weight, hits, raw in (
        (params.dense_weight, dense, raw_dense),
        (params.sparse_weight, sparse, raw_sparse),
    ):
        for hit, norm in zip(hits, minmax([h.score for h in hits]), strict=True):
            if hit.id in raw:  # a list never repeats a point; keep the first if it did
                continue
            raw[hit.id] = hit.score
            fused[hit.id] = fused.get(hit.id, 0.0) + weight * norm

    def order(pid: str) -> tuple[float, float, str]:
        return (-fused[pid], -raw_dense.get(pid, -math.inf), pid)

    return [
        Fused(pid, fused[pid], raw_dense.get(pid), raw_sparse.get(pid))
        for pid in sorted(fused, key=order)[: max(limit, 0)]
    ]


def fuse(
    dense: Sequence[RawHit],
    sparse: Sequence[RawHit],
    params: FusionParams,
    limit: int,
) -> list[ScoredChunk]:
    """:func:`rank`, then each winner becomes a :class:`ScoredChunk` from its hit's payload."""
    payloads: dict[str, Mapping[str, Any]] = {}
    for hit in (*sparse, *dense):  # the dense list's payload wins (either is the same point)
        payloads[hit.id] = hit.payload
    return [
        chunk
        for f in rank(dense, sparse, params, limit)
        if (chunk := to_chunk(f, payloads.get(f.id)))
    ]


def to_chunk(fused: Fused, payload: Mapping[str, Any] | None) -> ScoredChunk | None:
    """The chunk for a fused hit; None when its payload is missing (deleted in between)."""
    if not payload or DOCUMENT_FIELD not in payload:
        return None
    return scored_chunk(
        RawHit(fused.id, fused.score, payload),
        score=fused.score,
        dense_score=fused.dense_score,
        sparse_score=fused.sparse_score,
    )
