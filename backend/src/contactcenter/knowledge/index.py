"""The vector side of the knowledge base: which collection is live, with which embedder, and the
three things done to it (index a document's chunks, remove them, search).

Postgres holds the pointer: `knowledge_collections` has exactly one `active` row recording the
model that made its vectors. Searches embed the question with *that* model, so a configuration
change never mixes vectors: the new model is built into a new collection by `rebuild()` (from the
chunks kept in Postgres) and the pointer flips in one transaction (on a Qdrant server the alias
flips too). Embedding and Qdrant calls run in worker threads and never inside a transaction.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import structlog
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from contactcenter.core.config import Settings
from contactcenter.core.database import Database
from contactcenter.embeddings import build_embedder, embedding_settings
from contactcenter.embeddings.base import Embedder, EmbedderUnavailable, Passage
from contactcenter.embeddings.cache import shared_cache
from contactcenter.knowledge.types import Chunk
from contactcenter.models import KnowledgeChunk, KnowledgeCollection, KnowledgeDocument
from contactcenter.vectorstore.base import (
    ChunkPoint,
    CollectionSpec,
    FusionParams,
    ScoredChunk,
    SearchQuery,
    VectorStore,
)

log = structlog.get_logger(__name__)

# uuid5 namespace of chunk point ids: the same (tenant, document, chunk_no) always maps to the
# same point, so re-ingesting overwrites instead of duplicating
POINT_NAMESPACE = uuid.UUID("6f1c2b8e-3d4a-5b6c-9e7f-0a1b2c3d4e5f")
# serialises collection creation and rebuilds across processes (held in a transaction)
COLLECTION_LOCK_KEY = 7_340_019_301
# ingestion holds it shared, a rebuild exclusively: no document is indexed into a collection
# that is about to be replaced (session-level, on a dedicated connection)
REBUILD_LOCK_KEY = 7_340_019_302
POINTER_TTL_S = 5.0


def point_id(tenant_id: UUID | str, document_id: UUID | str, chunk_no: int) -> str:
    return str(uuid.uuid5(POINT_NAMESPACE, f"{tenant_id}/{document_id}/{chunk_no}"))


def passage_of(chunk: Chunk) -> Passage:
    return Passage(title=chunk.context, text=chunk.text)


def sparse_text_of(chunk: Chunk) -> str:
    return f"{chunk.context}: {chunk.text}"


def build_points(
    *,
    tenant_id: UUID | str,
    document_id: UUID | str,
    content_hash: str,
    chunks: Sequence[Chunk],
    embedder: Embedder,
    source_url: str | None,
) -> list[ChunkPoint]:
    """Embed chunks (CPU or network bound: call from a worker thread) into storable points."""
    vectors = embedder.embed_passages([passage_of(c) for c in chunks])
    return [
        ChunkPoint(
            id=point_id(tenant_id, document_id, chunk.chunk_no),
            tenant_id=str(tenant_id),
            document_id=str(document_id),
            chunk_no=chunk.chunk_no,
            content_hash=content_hash,
            vector=vectors[i],
            sparse_text=sparse_text_of(chunk),
            title=chunk.title,
            section=chunk.section,
            text=chunk.text,
            source_url=source_url,
        )
        for i, chunk in enumerate(chunks)
    ]


def collapse_by_document(hits: Sequence[ScoredChunk], limit: int) -> list[ScoredChunk]:
    """The best passage of each document, best first: citations name distinct sources."""
    seen: set[str] = set()
    out: list[ScoredChunk] = []
    for hit in hits:
        if hit.document_id in seen:
            continue
        seen.add(hit.document_id)
        out.append(hit)
        if len(out) == limit:
            break
    return out


def search_sync(
    store: VectorStore,
    collection: str,
    embedder: Embedder,
    *,
    tenant_id: UUID | str,
    question: str,
    limit: int,
    fusion: FusionParams,
) -> list[ScoredChunk]:
    """Embed the question and run the tenant-scoped hybrid search (worker thread)."""
    vector = embedder.embed_query(question)
    # several passages of one document may lead: ask for more, keep one per document
    wanted = max(limit * 3, fusion.dense_limit)
    query = SearchQuery(
        tenant_id=str(tenant_id), vector=vector, text=question, limit=wanted, fusion=fusion
    )
    return collapse_by_document(store.search(collection, query), limit)


def collection_name(prefix: str, model_id: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", model_id.lower()).strip("-")[:28].strip("-")
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    return f"{prefix}-{slug}-{stamp}-{uuid.uuid4().hex[:4]}"


async def active_collection(session: AsyncSession) -> KnowledgeCollection | None:
    return await session.scalar(
        select(KnowledgeCollection).where(KnowledgeCollection.status == "active")
    )


@dataclass(frozen=True)
class LiveCollection:
    spec: CollectionSpec
    provider: str
    model_name: str | None
    embedder: Embedder


EmbedderFactory = Callable[[Settings, str, str | None], Embedder]


def default_embedder_factory(settings: Settings, provider: str, model_name: str | None) -> Embedder:
    """The embedder for a provider and model, other settings (keys, paths) as configured."""
    cfg = embedding_settings(settings).model_copy(
        update={"provider": provider, "model": model_name}
    )
    return build_embedder(cfg)


class KnowledgeIndex:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        store: VectorStore,
        embedder_factory: EmbedderFactory = default_embedder_factory,
    ) -> None:
        self.settings = settings
        self.db = db
        self.store = store
        self._factory = embedder_factory
        self._live: LiveCollection | None = None
        self._live_read_at = 0.0
        self._embedders: dict[tuple[str, str | None], Embedder] = {}
        self._start_lock = asyncio.Lock()
        # other replicas may search a retired collection until their pointer cache expires
        self.retire_grace_s = 0.0 if settings.qdrant.url is None else 2 * POINTER_TTL_S + 1
        self.fusion = FusionParams(
            dense_weight=settings.knowledge.dense_weight,
            sparse_weight=settings.knowledge.sparse_weight,
            dense_limit=settings.knowledge.prefetch,
            sparse_limit=settings.knowledge.prefetch,
        )

    # -- embedders -----------------------------------------------------------------------------

    async def embedder(self, provider: str, model_name: str | None) -> Embedder:
        key = (provider, model_name)
        if key not in self._embedders:
            self._embedders[key] = await asyncio.to_thread(
                self._factory, self.settings, provider, model_name
            )
        return self._embedders[key]

    async def configured_embedder(self) -> Embedder:
        return await self.embedder(
            self.settings.embedding.provider.value, self.settings.embedding.model
        )

    # -- the pointer ---------------------------------------------------------------------------

    def status(self) -> dict[str, object]:
        """For /ready: the live collection and model, or that the model is still loading."""
        if self._live is None:
            return {"status": "starting"}
        return {
            "status": "ok",
            "collection": self._live.spec.name,
            "model": self._live.spec.model_id,
        }

    async def start(self) -> LiveCollection:
        """Make sure a collection is live (creating the first one for the configured model)."""
        async with self._start_lock:
            if self._live is not None:
                return self._live
            return await self._start()

    async def _start(self) -> LiveCollection:
        embedder = await self.configured_embedder()
        async with self.db.transaction() as session:
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:k)"), {"k": COLLECTION_LOCK_KEY}
            )
            row = await active_collection(session)
            if row is None:
                info = embedder.info
                spec = CollectionSpec(
                    name=collection_name(self.settings.qdrant.collection_prefix, info.model_id),
                    dim=info.dim,
                    model_id=info.model_id,
                )
                await asyncio.to_thread(self.store.create_collection, spec)
                await asyncio.to_thread(self.store.activate, spec)
                row = KnowledgeCollection(
                    name=spec.name,
                    model_id=info.model_id,
                    provider=info.provider,
                    model_name=self.settings.embedding.model,
                    dim=info.dim,
                    status="active",
                    activated_at=func.now(),
                )
                session.add(row)
                await session.flush()
                log.info("knowledge.collection.created", collection=spec.name, model=info.model_id)
            provider, model_name = row.provider, row.model_name
            spec = CollectionSpec(name=row.name, dim=row.dim, model_id=row.model_id)
        live = await self._live_of(spec, provider, model_name)
        if not await asyncio.to_thread(self.store.collection_exists, spec.name):
            # the pointer survived but the vectors did not (a wiped DATA_DIR or a new server):
            # recreate the collection and queue every document again
            await asyncio.to_thread(self.store.create_collection, spec)
            await self.requeue_all("the vector collection was missing and has been recreated")
        self._set_live(live)
        return live

    async def _live_of(
        self, spec: CollectionSpec, provider: str, model_name: str | None
    ) -> LiveCollection:
        embedder = await self.embedder(provider, model_name)
        if embedder.info.model_id != spec.model_id:
            raise EmbedderUnavailable(
                f"the live collection {spec.name} was built with {spec.model_id}, but this "
                f"install's {provider} embedder is {embedder.info.model_id}; set "
                "EMBEDDING_PROVIDER to rebuild the knowledge base with it"
            )
        return LiveCollection(spec, provider, model_name, embedder)

    def _set_live(self, live: LiveCollection) -> None:
        self._live = live
        self._live_read_at = time.monotonic()

    async def live(self, *, fresh: bool = False) -> LiveCollection:
        """The live collection; re-read from Postgres at most every few seconds (replicas learn
        about a switch made elsewhere), or now with `fresh`."""
        if self._live is None:
            return await self.start()
        if fresh or time.monotonic() - self._live_read_at > POINTER_TTL_S:
            async with self.db.transaction() as session:
                row = await active_collection(session)
            if row is not None and row.name != self._live.spec.name:
                spec = CollectionSpec(name=row.name, dim=row.dim, model_id=row.model_id)
                self._set_live(await self._live_of(spec, row.provider, row.model_name))
            else:
                self._live_read_at = time.monotonic()
        return self._live

    async def needs_rebuild(self) -> bool:
        live = await self.live(fresh=True)
        return live.spec.model_id != (await self.configured_embedder()).info.model_id

    # -- reads and writes ----------------------------------------------------------------------

    async def search(
        self, tenant_id: UUID, question: str, limit: int
    ) -> tuple[str, list[ScoredChunk]]:
        live = await self.live()
        hits = await asyncio.to_thread(
            search_sync,
            self.store,
            live.spec.name,
            # the question is embedded once for triage, the guard and retrieval (same model)
            shared_cache(live.embedder),
            tenant_id=tenant_id,
            question=question,
            limit=limit,
            fusion=self.fusion,
        )
        return live.spec.model_id, hits

    async def remove_document(
        self, tenant_id: UUID, document_id: UUID, *, keep_hash: str | None = None
    ) -> None:
        live = await self.live(fresh=True)
        await asyncio.to_thread(
            self.store.delete_document,
            live.spec.name,
            str(tenant_id),
            str(document_id),
            keep_hash=keep_hash,
        )

    async def requeue_all(self, reason: str) -> int:
        async with self.db.transaction() as session:
            result = await session.execute(
                update(KnowledgeDocument)
                .where(KnowledgeDocument.status.in_(("indexed", "failed")))
                .values(status="queued", error=None, attempts=0, updated_at=func.now())
            )
            count = int(result.rowcount)  # type: ignore[attr-defined]
        log.warning("knowledge.requeued_all", documents=count, reason=reason)
        return count

    async def rebuild(
        self,
        *,
        batch_size: int = 256,
        on_progress: Callable[[int, int], Awaitable[None]] | None = None,
    ) -> CollectionSpec:
        """Re-embed every stored chunk with the configured model into a new collection, then
        make it live in one transaction. Searches keep using the old collection (with its own
        model) until the flip; ingestion waits (REBUILD_LOCK_KEY), so nothing is missed."""
        embedder = await self.configured_embedder()
        info = embedder.info
        spec = CollectionSpec(
            name=collection_name(self.settings.qdrant.collection_prefix, info.model_id),
            dim=info.dim,
            model_id=info.model_id,
        )
        async with self.db.engine.connect() as lock_conn:
            await lock_conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": REBUILD_LOCK_KEY})
            await lock_conn.commit()
            try:
                await asyncio.to_thread(self.store.create_collection, spec)
                async with self.db.transaction() as session:
                    session.add(
                        KnowledgeCollection(
                            name=spec.name,
                            model_id=info.model_id,
                            provider=info.provider,
                            model_name=self.settings.embedding.model,
                            dim=info.dim,
                            status="building",
                        )
                    )
                log.info("knowledge.rebuild.started", collection=spec.name, model=info.model_id)
                await self._copy_chunks(spec, embedder, batch_size, on_progress)
                old = await self._flip(spec)
                await asyncio.to_thread(self.store.activate, spec)
                self._set_live(
                    LiveCollection(spec, info.provider, self.settings.embedding.model, embedder)
                )
                if old is not None:
                    await asyncio.sleep(self.retire_grace_s)
                    await asyncio.to_thread(self.store.drop_collection, old)
                log.info("knowledge.rebuild.done", collection=spec.name, retired=old)
            finally:
                await lock_conn.execute(
                    text("SELECT pg_advisory_unlock(:k)"), {"k": REBUILD_LOCK_KEY}
                )
                await lock_conn.commit()
        return spec

    async def _copy_chunks(
        self,
        spec: CollectionSpec,
        embedder: Embedder,
        batch_size: int,
        on_progress: Callable[[int, int], Awaitable[None]] | None,
    ) -> None:
        async with self.db.transaction() as session:
            total = int(await session.scalar(select(func.count()).select_from(KnowledgeChunk)) or 0)
        done = 0
        after: UUID | None = None
        while True:
            async with self.db.transaction() as session:
                stmt = (
                    select(KnowledgeChunk, KnowledgeDocument.source_url)
                    .join(KnowledgeDocument, KnowledgeDocument.id == KnowledgeChunk.document_id)
                    .order_by(KnowledgeChunk.id)
                    .limit(batch_size)
                )
                if after is not None:
                    stmt = stmt.where(KnowledgeChunk.id > after)
                rows = (await session.execute(stmt)).all()
            if not rows:
                break
            after = rows[-1][0].id

            def embed(rows: Sequence[tuple[KnowledgeChunk, str | None]] = rows) -> list[ChunkPoint]:
                chunks = [
                    Chunk(chunk_no=c.chunk_no, title=c.title, section=c.section, text=c.text)
                    for c, _ in rows
                ]
                vectors = embedder.embed_passages([passage_of(c) for c in chunks])
                return [
                    ChunkPoint(
                        id=str(c.id),
                        tenant_id=str(c.tenant_id),
                        document_id=str(c.document_id),
                        chunk_no=c.chunk_no,
                        content_hash=c.content_hash,
                        vector=vectors[i],
                        sparse_text=sparse_text_of(chunks[i]),
                        title=c.title,
                        section=c.section,
                        text=c.text,
                        source_url=url,
                    )
                    for i, (c, url) in enumerate(rows)
                ]

            points = await asyncio.to_thread(embed)
            await asyncio.to_thread(self.store.upsert, spec.name, points)
            done += len(points)
            if on_progress is not None:
                await on_progress(done, total)
        # no optimize() here: Qdrant Edge holds the GIL for the whole HNSW build (half a minute
        # at 50k chunks), which would freeze the server; plain segments meet the latency targets

    async def _flip(self, spec: CollectionSpec) -> str | None:
        async with self.db.transaction() as session:
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:k)"), {"k": COLLECTION_LOCK_KEY}
            )
            old = await session.scalar(
                select(KnowledgeCollection.name).where(KnowledgeCollection.status == "active")
            )
            await session.execute(
                update(KnowledgeCollection)
                .where(KnowledgeCollection.status == "active")
                .values(status="retired", retired_at=func.now())
            )
            await session.execute(
                update(KnowledgeCollection)
                .where(KnowledgeCollection.name == spec.name)
                .values(status="active", activated_at=func.now())
            )
            await session.execute(
                update(KnowledgeDocument)
                .where(KnowledgeDocument.status == "indexed")
                .values(embedding_model=spec.model_id)
            )
        return old
