"""Retrieval evaluation: ingest a labelled corpus into a throw-away tenant and collection, ask
every query through the product's own search path, and score the ranking.

Corpus lines: ``{"id", "title", "text"[, "source", "url"]}``. Query lines: ``{"id", "query",
"relevant_ids"[, "relevance": {doc_id: grade}][, "source"]}``. With ``relevance`` the nDCG is
graded; otherwise every relevant id has grade 1. Nothing here knows the evaluation data: the
corpus goes through the same chunker, embedder, store and hybrid search as an upload.
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contactcenter.core.config import Settings
from contactcenter.core.jsonl import DataFileError, read_jsonl
from contactcenter.embeddings.base import Embedder
from contactcenter.knowledge.chunking import chunk_document
from contactcenter.knowledge.index import build_points, collection_name, search_sync
from contactcenter.knowledge.types import DocumentKind, ParsedDocument, Section
from contactcenter.vectorstore.base import CollectionSpec, FusionParams, VectorStore

CUTOFFS = (1, 5, 10)
EMBED_BATCH = 256


@dataclass(frozen=True)
class CorpusDoc:
    id: str
    title: str
    text: str
    source: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class EvalQuery:
    id: str
    query: str
    relevance: dict[str, float]
    source: str | None = None


@dataclass
class QueryOutcome:
    query: EvalQuery
    ranking: list[str]
    latency_ms: float


@dataclass
class Report:
    metrics: dict[str, float]
    by_source: dict[str, dict[str, float]] = field(default_factory=dict)
    documents: int = 0
    chunks: int = 0
    ingest_s: float = 0.0
    model_id: str = ""

    def as_json(self) -> dict[str, float | int]:
        keys = ("hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10", "p50_ms", "p95_ms", "p99_ms")
        out: dict[str, float | int] = {k: round(self.metrics[k], 4) for k in keys}
        out["queries"] = int(self.metrics["queries"])
        return out


def _text(item: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = item.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise DataFileError(f"{where}: '{key}' must be a non-empty string")
    return value


def load_corpus(path: Path) -> list[CorpusDoc]:
    docs: list[CorpusDoc] = []
    seen: set[str] = set()
    for number, item in read_jsonl(path):
        where = f"{path}:{number}"
        doc_id = str(item.get("id", "")).strip()
        if not doc_id:
            raise DataFileError(f"{where}: 'id' is missing")
        if doc_id in seen:
            raise DataFileError(f"{where}: duplicate id {doc_id!r}")
        seen.add(doc_id)
        docs.append(
            CorpusDoc(
                id=doc_id,
                title=_text(item, "title", where, required=False).strip(),
                text=_text(item, "text", where),
                source=item.get("source"),
                url=item.get("url"),
            )
        )
    if not docs:
        raise DataFileError(f"{path}: the corpus is empty")
    return docs


def load_queries(path: Path) -> list[EvalQuery]:
    queries: list[EvalQuery] = []
    for number, item in read_jsonl(path):
        where = f"{path}:{number}"
        graded = item.get("relevance")
        if isinstance(graded, dict) and graded:
            relevance = {str(k): float(v) for k, v in graded.items() if float(v) > 0}
        else:
            ids = item.get("relevant_ids")
            if not isinstance(ids, list) or not ids:
                raise DataFileError(f"{where}: 'relevant_ids' must be a non-empty list")
            relevance = {str(i): 1.0 for i in ids}
        queries.append(
            EvalQuery(
                id=str(item.get("id", number)),
                query=_text(item, "query", where),
                relevance=relevance,
                source=item.get("source"),
            )
        )
    if not queries:
        raise DataFileError(f"{path}: there are no queries")
    return queries


# -- metrics ------------------------------------------------------------------------------------


def first_hit_rank(ranking: Sequence[str], relevance: dict[str, float]) -> int | None:
    for position, doc_id in enumerate(ranking, 1):
        if doc_id in relevance:
            return position
    return None


def ndcg_at(ranking: Sequence[str], relevance: dict[str, float], k: int) -> float:
    dcg = sum(
        (2 ** relevance.get(doc_id, 0.0) - 1) / math.log2(position + 1)
        for position, doc_id in enumerate(ranking[:k], 1)
    )
    ideal = sorted(relevance.values(), reverse=True)[:k]
    idcg = sum((2**grade - 1) / math.log2(position + 1) for position, grade in enumerate(ideal, 1))
    return dcg / idcg if idcg > 0 else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def score(outcomes: Sequence[QueryOutcome]) -> dict[str, float]:
    n = len(outcomes)
    metrics: dict[str, float] = {"queries": float(n)}
    ranks = [first_hit_rank(o.ranking, o.query.relevance) for o in outcomes]
    for k in CUTOFFS:
        metrics[f"hit@{k}"] = sum(1 for r in ranks if r is not None and r <= k) / n
    metrics["mrr@10"] = sum(1 / r for r in ranks if r is not None and r <= 10) / n
    metrics["ndcg@10"] = statistics.fmean(
        ndcg_at(o.ranking, o.query.relevance, 10) for o in outcomes
    )
    latencies = [o.latency_ms for o in outcomes]
    for q in (50, 95, 99):
        metrics[f"p{q}_ms"] = percentile(latencies, q)
    return metrics


# -- running ------------------------------------------------------------------------------------


def ingest(
    store: VectorStore,
    collection: str,
    embedder: Embedder,
    docs: Sequence[CorpusDoc],
    *,
    tenant_id: str,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Chunk, embed and store the corpus under `tenant_id`; returns the number of chunks."""
    total_chunks = 0
    pending: list[tuple[CorpusDoc, list[Any]]] = []
    pending_chunks = 0

    def flush() -> None:
        nonlocal pending, pending_chunks
        for doc, chunks in pending:
            points = build_points(
                tenant_id=tenant_id,
                document_id=doc.id,
                content_hash="eval",
                chunks=chunks,
                embedder=embedder,
                source_url=doc.url,
            )
            store.upsert(collection, points)
        pending, pending_chunks = [], 0

    for done, doc in enumerate(docs, 1):
        parsed = ParsedDocument(
            kind=DocumentKind.text,
            title=doc.title or doc.id,
            sections=(Section(heading=(), text=doc.text),),
            source_url=doc.url,
        )
        chunks = chunk_document(
            parsed,
            max_words=settings.knowledge.chunk_words,
            overlap_words=settings.knowledge.chunk_overlap_words,
        )
        pending.append((doc, chunks))
        pending_chunks += len(chunks)
        total_chunks += len(chunks)
        if pending_chunks >= EMBED_BATCH:
            flush()
        if progress is not None:
            progress(done, len(docs))
    flush()
    return total_chunks


def run_retrieval_eval(
    corpus: Sequence[CorpusDoc],
    queries: Sequence[EvalQuery],
    *,
    settings: Settings,
    embedder: Embedder,
    store_factory: Callable[[Path], VectorStore],
    progress: Callable[[str, int, int], None] | None = None,
) -> Report:
    """Ingest into a throw-away tenant of a throw-away collection, search, score."""
    tenant_id = str(uuid.uuid4())
    fusion = FusionParams(
        dense_weight=settings.knowledge.dense_weight,
        sparse_weight=settings.knowledge.sparse_weight,
        dense_limit=settings.knowledge.prefetch,
        sparse_limit=settings.knowledge.prefetch,
    )
    with tempfile.TemporaryDirectory(prefix="cc-eval-") as tmp:
        store = store_factory(Path(tmp))
        try:
            info = embedder.info
            spec = CollectionSpec(
                name=collection_name("eval", info.model_id), dim=info.dim, model_id=info.model_id
            )
            store.create_collection(spec)
            started = time.perf_counter()
            chunks = ingest(
                store,
                spec.name,
                embedder,
                corpus,
                tenant_id=tenant_id,
                settings=settings,
                progress=(lambda d, t: progress("ingest", d, t)) if progress else None,
            )
            if chunks >= settings.knowledge.optimize_after_points:
                store.optimize(spec.name)
            ingest_s = time.perf_counter() - started
            for warm in queries[:5]:  # first calls pay one-off costs (allocations, caches)
                search_sync(
                    store,
                    spec.name,
                    embedder,
                    tenant_id=tenant_id,
                    question=warm.query,
                    limit=10,
                    fusion=fusion,
                )
            outcomes = []
            for done, query in enumerate(queries, 1):
                t0 = time.perf_counter()
                hits = search_sync(
                    store,
                    spec.name,
                    embedder,
                    tenant_id=tenant_id,
                    question=query.query,
                    limit=10,
                    fusion=fusion,
                )
                latency = (time.perf_counter() - t0) * 1000
                outcomes.append(QueryOutcome(query, [h.document_id for h in hits], latency))
                if progress is not None:
                    progress("search", done, len(queries))
        finally:
            store.close()
    by_source: dict[str, dict[str, float]] = {}
    sources = sorted({o.query.source for o in outcomes if o.query.source})
    if len(sources) > 1:
        for source in sources:
            by_source[source] = score([o for o in outcomes if o.query.source == source])
    return Report(
        metrics=score(outcomes),
        by_source=by_source,
        documents=len(corpus),
        chunks=chunks,
        ingest_s=ingest_s,
        model_id=info.model_id,
    )


def format_report(report: Report) -> str:
    m = report.metrics
    lines = [
        f"model {report.model_id}: {report.documents} documents -> {report.chunks} chunks "
        f"in {report.ingest_s:.1f} s ({report.chunks / max(report.ingest_s, 1e-9):.0f} chunks/s)",
        "",
        f"{'':12}{'queries':>8}{'hit@1':>8}{'hit@5':>8}{'hit@10':>8}{'MRR@10':>8}{'nDCG@10':>9}",
    ]
    rows = [("all", m), *report.by_source.items()]
    for name, r in rows:
        lines.append(
            f"{name[:12]:12}{int(r['queries']):>8}{r['hit@1']:>8.3f}{r['hit@5']:>8.3f}"
            f"{r['hit@10']:>8.3f}{r['mrr@10']:>8.3f}{r['ndcg@10']:>9.3f}"
        )
    lines += [
        "",
        f"search latency (embed the query + hybrid search): p50 {m['p50_ms']:.2f} ms, "
        f"p95 {m['p95_ms']:.2f} ms, p99 {m['p99_ms']:.2f} ms",
    ]
    return "\n".join(lines)
