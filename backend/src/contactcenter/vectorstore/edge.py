"""Qdrant Edge (``qdrant-edge-py``): the engine in-process, one ``EdgeShard`` per collection.

Layout: ``<root>/<collection>/`` is one shard (named dense vector ``dense``, Cosine; sparse
vector ``bm25`` with the IDF modifier; keyword payload indexes ``tenant_id`` (``is_tenant``) and
``document_id``). ``<root>/.lock`` is held (``flock``) while a store is open.

Behaviour worth knowing (measured with qdrant-edge-py 0.9.0, see the report in
``specs/002-knowledge-retrieval``):

- **One open handle per folder.** Qdrant Edge locks each shard's WAL, so a second
  ``EdgeShard.load`` of an open folder fails (``WouldBlock``), even in the same process. This
  store holds ``<root>/.lock`` for its whole life, so a second store on the same root fails at
  once with :class:`StoreLocked` instead of later, per collection. Embedded mode is therefore one
  backend process (``WEB_CONCURRENCY=1``); use a Qdrant server for more.
- **Shards are opened lazily and kept open**; the first use of a collection costs its load
  (0.03-0.4 s). Opening, creating and dropping are serialised by a lock.
- **Every EdgeShard call holds the GIL** (0.9.0 does not release it). Concurrent searches and
  upserts from several threads are safe (tested) but run one at a time, and a long call stalls
  every other Python thread, the asyncio event loop included: upserts are therefore sent in
  batches of :data:`UPSERT_BATCH` points (about 10 ms each), and :meth:`optimize` (HNSW build:
  ~16 s at 25k points, minutes at 200k) must not run inside a serving process unless a stall of
  that length is acceptable.
- **Durability.** Each update goes to the shard's write-ahead log before the call returns, so a
  killed process loses nothing (tested). ``flush()`` also persists the segments; it costs 3-15 ms
  and this store calls it once per ``upsert``/``delete_*`` call, so that what the caller then
  records in PostgreSQL ("document indexed") is on disk too.
- **No aliases.** :meth:`activate` only checks that the collection exists: the pointer to the
  active collection lives in PostgreSQL.
- **No background indexing.** Points stay in a plain segment (exact search) until
  :meth:`optimize`; below ~20k points that is fast enough.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Final

import qdrant_edge as edge

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
    RawHit,
    StoreClosed,
    StoreLocked,
    TenantScope,
    VectorStoreError,
    dense_list,
    edge_filter,
    point_id,
    point_payload,
    rank,
    sparse_document,
    sparse_query,
    to_chunk,
    validate_collection_name,
)

_LOCK_FILE: Final = ".lock"
_TMP_PREFIX: Final = ".tmp-"
_DROP_PREFIX: Final = ".drop-"


def _edge_point(point: ChunkPoint) -> edge.Point:
    return edge.Point(
        id=point_id(point.id),
        vector={
            DENSE_VECTOR: dense_list(point.vector),
            SPARSE_VECTOR: sparse_document(point.sparse_text),
        },
        payload=point_payload(point),
    )


def _raw_hits(points: Sequence[edge.ScoredPoint]) -> list[RawHit]:
    # UUID ids come back as uuid.UUID
    return [RawHit(id=str(p.id), score=float(p.score), payload=p.payload or {}) for p in points]


class EdgeVectorStore:
    """The :class:`~contactcenter.vectorstore.base.VectorStore` on Qdrant Edge under ``root``."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root)
        self._root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._shards: dict[str, edge.EdgeShard] = {}
        self._lock_file: IO[str] | None = self._acquire_root_lock()
        self._remove_leftovers()

    # --- lifecycle ----------------------------------------------------------------------------
    def _acquire_root_lock(self) -> IO[str]:
        handle = (self._root / _LOCK_FILE).open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StoreLocked(
                f"the Qdrant Edge folder {self._root} is already open in another store "
                "(this process or another one); embedded mode allows one backend process, "
                "set QDRANT_URL to share a Qdrant server between processes"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return handle

    def _remove_leftovers(self) -> None:
        """Half-created or half-dropped collections of a crashed process (we hold the lock)."""
        for child in self._root.iterdir():
            if child.is_dir() and child.name.startswith((_TMP_PREFIX, _DROP_PREFIX)):
                shutil.rmtree(child, ignore_errors=True)

    def close(self) -> None:
        """Close every shard and release the folder. Idempotent."""
        with self._lock:
            shards, self._shards = self._shards, {}
            lock_file, self._lock_file = self._lock_file, None
        try:
            for shard in shards.values():
                shard.close()
        finally:
            if lock_file is not None:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
                lock_file.close()

    def __enter__(self) -> EdgeVectorStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def root(self) -> Path:
        return self._root

    def _check_open(self) -> None:
        if self._lock_file is None:
            raise StoreClosed(f"the Qdrant Edge store at {self._root} is closed")

    def _shard(self, collection: str) -> edge.EdgeShard:
        name = validate_collection_name(collection)
        with self._lock:
            self._check_open()
            shard = self._shards.get(name)
            if shard is not None:
                return shard
            path = self._root / name
            if not path.is_dir():
                raise CollectionNotFound(name)
            try:
                shard = edge.EdgeShard.load(str(path))
            except Exception as exc:
                if "WouldBlock" in str(exc):
                    raise StoreLocked(
                        f"the Qdrant Edge shard {path} is open elsewhere: {exc}"
                    ) from exc
                raise
            self._shards[name] = shard
            return shard

    @contextmanager
    def _using(self, collection: str) -> Iterator[edge.EdgeShard]:
        """The open shard for one call. If the shard is closed under the call (the collection
        was dropped, or the store closed, by another thread), the engine's "Shard is not
        initialized" becomes :class:`CollectionNotFound` / :class:`StoreClosed`."""
        shard = self._shard(collection)
        try:
            yield shard
        except VectorStoreError:
            raise
        except Exception as exc:
            with self._lock:
                closed = self._lock_file is None
                replaced = self._shards.get(collection) is not shard
            if closed:
                raise StoreClosed(f"the Qdrant Edge store at {self._root} is closed") from exc
            if replaced:
                raise CollectionNotFound(collection) from exc
            raise

    # --- collections --------------------------------------------------------------------------
    def create_collection(self, spec: CollectionSpec) -> None:
        """Create the shard in a temporary folder and rename it into place, so a crash never
        leaves a collection without its payload indexes."""
        name = validate_collection_name(spec.name)
        if spec.dim < 1:
            raise ValueError(f"collection dim must be positive, got {spec.dim}")
        config = edge.EdgeConfig(
            vectors={
                DENSE_VECTOR: edge.EdgeVectorParams(size=spec.dim, distance=edge.Distance.Cosine)
            },
            sparse_vectors={SPARSE_VECTOR: edge.EdgeSparseVectorParams(modifier=edge.Modifier.Idf)},
        )
        with self._lock:
            self._check_open()
            final = self._root / name
            if final.exists():
                raise CollectionExists(name)
            tmp = self._root / f"{_TMP_PREFIX}{name}-{uuid.uuid4().hex[:12]}"
            try:
                shard = edge.EdgeShard.create(str(tmp), config)
                try:
                    shard.update(
                        edge.UpdateOperation.create_field_index(
                            TENANT_FIELD, edge.KeywordIndexParams(is_tenant=True)
                        )
                    )
                    shard.update(
                        edge.UpdateOperation.create_field_index(
                            DOCUMENT_FIELD, edge.PayloadSchemaType.Keyword
                        )
                    )
                finally:
                    shard.close()
                tmp.rename(final)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            self._shards[name] = edge.EdgeShard.load(str(final))

    def collection_exists(self, name: str) -> bool:
        name = validate_collection_name(name)
        with self._lock:
            self._check_open()
            return name in self._shards or (self._root / name).is_dir()

    def drop_collection(self, name: str) -> None:
        """Close the shard and delete its folder (renamed aside first, so a crash half-way
        leaves no half collection under its name)."""
        name = validate_collection_name(name)
        with self._lock:
            self._check_open()
            shard = self._shards.pop(name, None)
            path = self._root / name
            if shard is None and not path.is_dir():
                raise CollectionNotFound(name)
            if shard is not None:
                shard.close()
            trash = self._root / f"{_DROP_PREFIX}{name}-{uuid.uuid4().hex[:12]}"
            path.rename(trash)
        shutil.rmtree(trash, ignore_errors=True)

    def activate(self, spec: CollectionSpec) -> None:
        """Edge has no aliases: the active collection is recorded in PostgreSQL by the caller.
        This only checks that the collection exists (and opens it)."""
        self._shard(spec.name)

    def optimize(self, collection: str) -> None:
        """Build the HNSW index (blocking; holds the GIL for its whole run, see the module
        docstring). Worth it from about 20k points."""
        with self._using(collection) as shard:
            shard.optimize()

    # --- points -------------------------------------------------------------------------------
    def upsert(self, collection: str, points: Sequence[ChunkPoint]) -> None:
        with self._using(collection) as shard:
            if not points:
                return
            for start in range(0, len(points), UPSERT_BATCH):
                batch = [_edge_point(p) for p in points[start : start + UPSERT_BATCH]]
                shard.update(edge.UpdateOperation.upsert_points(batch))
            shard.flush()

    def search(self, collection: str, query: SearchQuery) -> list[ScoredChunk]:
        flt = edge_filter(TenantScope(query.tenant_id))
        fusion = query.fusion
        requests: list[edge.QueryRequest] = []
        if fusion.dense_limit > 0:
            requests.append(
                edge.QueryRequest(
                    limit=fusion.dense_limit,
                    query=edge.Query.Nearest(dense_list(query.vector), using=DENSE_VECTOR),
                    filter=flt,
                    with_payload=False,
                )
            )
        sparse = sparse_query(query.text) if fusion.sparse_limit > 0 else None
        if sparse is not None:
            requests.append(
                edge.QueryRequest(
                    limit=fusion.sparse_limit,
                    query=edge.Query.Nearest(sparse, using=SPARSE_VECTOR),
                    filter=flt,
                    with_payload=False,
                )
            )
        if not requests:
            self._shard(collection)
            return []
        with self._using(collection) as shard:
            results = shard.query_batch(edge.QueryBatchRequest(requests))
            dense_hits = _raw_hits(results[0]) if fusion.dense_limit > 0 else []
            sparse_hits = _raw_hits(results[-1]) if sparse is not None else []
            ranked = rank(dense_hits, sparse_hits, fusion, query.limit)
            if not ranked:
                return []
            # payloads only for the winners (in the query they double its cost), still through
            # the tenant scope: 0.05 ms for 10 points
            winners = TenantScope(query.tenant_id, point_ids=frozenset(f.id for f in ranked))
            records, _ = shard.scroll(
                edge.ScrollRequest(
                    limit=len(ranked), filter=edge_filter(winners), with_payload=HIT_PAYLOAD_FIELDS
                )
            )
        payloads = {str(r.id): r.payload for r in records}
        return [c for f in ranked if (c := to_chunk(f, payloads.get(f.id))) is not None]

    def _delete(self, collection: str, scope: TenantScope) -> None:
        with self._using(collection) as shard:
            shard.update(edge.UpdateOperation.delete_points_by_filter(edge_filter(scope)))
            shard.flush()

    def delete_document(
        self, collection: str, tenant_id: str, document_id: str, *, keep_hash: str | None = None
    ) -> None:
        self._delete(collection, TenantScope(tenant_id, document_id, keep_hash))

    def delete_tenant(self, collection: str, tenant_id: str) -> None:
        self._delete(collection, TenantScope(tenant_id))

    def count(self, collection: str, tenant_id: str, document_id: str | None = None) -> int:
        flt = edge_filter(TenantScope(tenant_id, document_id))
        with self._using(collection) as shard:
            return shard.count(edge.CountRequest(exact=True, filter=flt))
