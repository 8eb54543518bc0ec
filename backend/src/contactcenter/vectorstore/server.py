"""A Qdrant server (self-hosted, cluster or Qdrant Cloud) through ``qdrant-client``.

Same layout and semantics as the Edge adapter: named dense vector ``dense`` (Cosine), sparse
vector ``bm25`` with ``modifier=IDF`` whose vectors are built by the same ``qdrant_edge.Bm25``,
keyword payload indexes ``tenant_id`` (``is_tenant``) and ``document_id``. A hybrid search is
one ``query_batch_points`` call (dense + BM25, both tenant-filtered), fused client-side by
:func:`~contactcenter.vectorstore.common.fuse`. The active collection is the alias
``<prefix>_active``, moved atomically by :meth:`QdrantServerStore.activate`.

The adapter also runs on ``QdrantClient(path=...)`` (qdrant-client's local mode), which the
tests use as the server stand-in.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Final

from qdrant_client import QdrantClient
from qdrant_client import models as qm
from qdrant_client.http.exceptions import UnexpectedResponse

from contactcenter.core.config import QdrantSettings
from contactcenter.vectorstore.base import (
    ChunkPoint,
    CollectionSpec,
    ScoredChunk,
    SearchQuery,
)
from contactcenter.vectorstore.common import (
    DENSE_VECTOR,
    DOCUMENT_FIELD,
    HIT_PAYLOAD_FIELDS,
    SPARSE_VECTOR,
    TENANT_FIELD,
    UPSERT_BATCH,
    CollectionExists,
    CollectionNotFound,
    InvalidCollectionName,
    RawHit,
    TenantScope,
    dense_list,
    fuse,
    point_id,
    point_payload,
    server_filter,
    sparse_document,
    sparse_query,
    to_server_sparse,
    validate_collection_name,
)

ACTIVE_ALIAS_SUFFIX: Final = "_active"


def _server_point(point: ChunkPoint) -> qm.PointStruct:
    return qm.PointStruct(
        id=point_id(point.id),
        vector={
            DENSE_VECTOR: dense_list(point.vector),
            SPARSE_VECTOR: to_server_sparse(sparse_document(point.sparse_text)),
        },
        payload=point_payload(point),
    )


def _raw_hits(points: Sequence[qm.ScoredPoint]) -> list[RawHit]:
    return [RawHit(id=str(p.id), score=float(p.score), payload=p.payload or {}) for p in points]


class QdrantServerStore:
    """The :class:`~contactcenter.vectorstore.base.VectorStore` on a Qdrant server."""

    def __init__(self, client: QdrantClient, *, prefix: str = "kb") -> None:
        self._client = client
        self.alias = validate_collection_name(f"{prefix}{ACTIVE_ALIAS_SUFFIX}")

    @classmethod
    def from_settings(cls, settings: QdrantSettings) -> QdrantServerStore:
        if not settings.url:
            raise ValueError("QDRANT_URL is not set")
        client = QdrantClient(
            url=settings.url,
            api_key=settings.api_key.get_secret_value() if settings.api_key else None,
            timeout=max(1, math.ceil(settings.timeout_s)),
        )
        return cls(client, prefix=settings.collection_prefix)

    @property
    def client(self) -> QdrantClient:
        return self._client

    def close(self) -> None:
        self._client.close()

    # --- helpers ------------------------------------------------------------------------------
    def _name(self, name: str) -> str:
        # reads and writes may go through the alias; creating, dropping and activating may not
        return validate_collection_name(name)

    def _own_name(self, name: str) -> str:
        """A valid collection name that is not the store's alias."""
        name = validate_collection_name(name)
        if name == self.alias:
            raise InvalidCollectionName(f"{name!r} is reserved for the active-collection alias")
        return name

    def _exists(self, name: str) -> bool:
        return self._client.collection_exists(name)

    def _require(self, name: str) -> str:
        name = self._own_name(name)
        if not self._exists(name):
            raise CollectionNotFound(name)
        return name

    @contextmanager
    def _on(self, name: str) -> Iterator[str]:
        """Run one call on a collection; its "not found" (404 from a server, ValueError from
        local mode, ...) becomes :class:`CollectionNotFound`."""
        name = self._name(name)
        try:
            yield name
        except CollectionNotFound:
            raise
        except UnexpectedResponse as exc:
            if exc.status_code == 404:
                raise CollectionNotFound(name) from exc
            raise
        except Exception as exc:
            try:
                missing = not self._exists(name)
            except Exception:  # the original error says more (server down, ...)
                missing = False
            if missing:
                raise CollectionNotFound(name) from exc
            raise

    # --- collections --------------------------------------------------------------------------
    def create_collection(self, spec: CollectionSpec) -> None:
        name = self._own_name(spec.name)
        if spec.dim < 1:
            raise ValueError(f"collection dim must be positive, got {spec.dim}")
        if self._exists(name):
            raise CollectionExists(name)
        try:
            self._client.create_collection(
                name,
                vectors_config={
                    DENSE_VECTOR: qm.VectorParams(size=spec.dim, distance=qm.Distance.COSINE)
                },
                sparse_vectors_config={
                    SPARSE_VECTOR: qm.SparseVectorParams(modifier=qm.Modifier.IDF)
                },
            )
        except UnexpectedResponse as exc:  # created by someone else since the check
            if exc.status_code == 409:
                raise CollectionExists(name) from exc
            raise
        try:
            self._client.create_payload_index(
                name,
                TENANT_FIELD,
                qm.KeywordIndexParams(type=qm.KeywordIndexType.KEYWORD, is_tenant=True),
                wait=True,
            )
            self._client.create_payload_index(
                name, DOCUMENT_FIELD, qm.PayloadSchemaType.KEYWORD, wait=True
            )
        except BaseException:
            self._client.delete_collection(name)
            raise

    def collection_exists(self, name: str) -> bool:
        return self._exists(self._name(name))

    def drop_collection(self, name: str) -> None:
        """Delete the collection (Qdrant also removes aliases pointing at it)."""
        name = self._require(name)
        self._client.delete_collection(name)

    def activate(self, spec: CollectionSpec) -> None:
        """Point ``<prefix>_active`` at ``spec.name``: delete + create in one request, which
        Qdrant applies atomically (deleting an alias that does not exist is a no-op)."""
        name = self._require(spec.name)
        self._client.update_collection_aliases(
            change_aliases_operations=[
                qm.DeleteAliasOperation(delete_alias=qm.DeleteAlias(alias_name=self.alias)),
                qm.CreateAliasOperation(
                    create_alias=qm.CreateAlias(collection_name=name, alias_name=self.alias)
                ),
            ]
        )

    def active_collection(self) -> str | None:
        """The collection the alias points at, if any."""
        for alias in self._client.get_aliases().aliases:
            if alias.alias_name == self.alias:
                return alias.collection_name
        return None

    def optimize(self, collection: str) -> None:
        """Nothing to do: a server indexes in the background. Checks the collection exists."""
        name = self._name(collection)
        if not self._exists(name):
            raise CollectionNotFound(name)

    # --- points -------------------------------------------------------------------------------
    def upsert(self, collection: str, points: Sequence[ChunkPoint]) -> None:
        with self._on(collection) as name:
            if not points:
                if not self._exists(name):
                    raise CollectionNotFound(name)
                return
            for start in range(0, len(points), UPSERT_BATCH):
                batch = [_server_point(p) for p in points[start : start + UPSERT_BATCH]]
                self._client.upsert(name, points=batch, wait=True)

    def search(self, collection: str, query: SearchQuery) -> list[ScoredChunk]:
        flt = server_filter(TenantScope(query.tenant_id))
        fusion = query.fusion
        requests: list[qm.QueryRequest] = []
        if fusion.dense_limit > 0:
            requests.append(
                qm.QueryRequest(
                    query=dense_list(query.vector),
                    using=DENSE_VECTOR,
                    filter=flt,
                    limit=fusion.dense_limit,
                    with_payload=HIT_PAYLOAD_FIELDS,
                )
            )
        sparse = sparse_query(query.text) if fusion.sparse_limit > 0 else None
        if sparse is not None:
            requests.append(
                qm.QueryRequest(
                    query=to_server_sparse(sparse),
                    using=SPARSE_VECTOR,
                    filter=flt,
                    limit=fusion.sparse_limit,
                    with_payload=HIT_PAYLOAD_FIELDS,
                )
            )
        with self._on(collection) as name:
            if not requests:
                if not self._exists(name):
                    raise CollectionNotFound(name)
                return []
            responses = self._client.query_batch_points(name, requests=requests)
        dense_hits = _raw_hits(responses[0].points) if fusion.dense_limit > 0 else []
        sparse_hits = _raw_hits(responses[-1].points) if sparse is not None else []
        return fuse(dense_hits, sparse_hits, fusion, query.limit)

    def _delete(self, collection: str, scope: TenantScope) -> None:
        with self._on(collection) as name:
            self._client.delete(
                name,
                points_selector=qm.FilterSelector(filter=server_filter(scope)),
                wait=True,
            )

    def delete_document(
        self, collection: str, tenant_id: str, document_id: str, *, keep_hash: str | None = None
    ) -> None:
        self._delete(collection, TenantScope(tenant_id, document_id, keep_hash))

    def delete_tenant(self, collection: str, tenant_id: str) -> None:
        self._delete(collection, TenantScope(tenant_id))

    def count(self, collection: str, tenant_id: str, document_id: str | None = None) -> int:
        scope = TenantScope(tenant_id, document_id)
        with self._on(collection) as name:
            result = self._client.count(name, count_filter=server_filter(scope), exact=True)
        return result.count
