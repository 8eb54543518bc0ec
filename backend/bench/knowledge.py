"""Knowledge-base benchmark: ingestion throughput per embedder, and retrieval as the AI does it
(embed the question + tenant-filtered hybrid search on Qdrant Edge) at 10k / 50k / 200k chunks.

Run from backend/: ``.venv/bin/python -m bench.knowledge`` (``make bench`` runs it).

- **ingestion**: real passages (the dev corpus in ../shared/eval when it is there, else the demo
  knowledge base) are chunked with the product's settings, embedded in batches of 64 and upserted
  into a fresh Edge collection, exactly as the ingestion worker does. Reported in chunks/s per
  embedder. FastEmbed and OpenAI need a model download or an API key: measured only when
  ``EMBEDDING_FASTEMBED_MODEL_PATH`` / ``OPENAI_API_KEY`` are set, otherwise listed as skipped.
- **retrieval**: per size N, a child process fills a collection with N synthetic chunks (random
  384-d unit vectors, BM25 text from a word list, 10 tenants) and times ``search_sync`` (MiniLM
  query embedding + dense and BM25 lists with the tenant filter, fused, one passage per document)
  for real questions. Measured on the plain segment the server uses (the server never runs
  Edge's blocking HNSW build, see specs/002-knowledge-retrieval/plan.md) and again after
  ``optimize()`` for comparison.

``BENCH_SIZES`` (default ``10000,50000,200000``) and ``BENCH_QUERIES`` (default 300) adjust it.
The last line is one JSON object with every figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.retrieval_store import (
    DIM,
    TENANTS,
    UPSERT_CALL,
    folder_size,
    peak_rss_bytes,
    percentile,
    synthetic_points,
)

EVAL_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "retrieval_dev"
INGEST_CHUNKS = 1_000
# the exported ONNX model of the offline embedder, kept between runs like the server's
CACHE_DIR = Path(os.environ.get("DATA_DIR", ".data")).resolve() / "models"
FALLBACK_QUESTIONS = [
    "are you open on sunday",
    "how do I refill my prescription online",
    "can I return opened medicine",
    "do you deliver to my area and how much does it cost",
    "which insurance plans do you accept",
    "I feel dizzy after starting a new pill what should I do",
    "how can I get a copy of my pharmacy records",
    "what is the phone number of the pharmacist",
]


def questions(limit: int) -> list[str]:
    path = EVAL_DIR / "queries.jsonl"
    if path.exists():
        with path.open(encoding="utf-8") as handle:
            found = [json.loads(line)["query"] for line in handle if line.strip()]
        return found[:limit]
    return (FALLBACK_QUESTIONS * (limit // len(FALLBACK_QUESTIONS) + 1))[:limit]


def passages() -> tuple[str, list[Any]]:
    """Chunks of real text, cut by the product's chunker and settings."""
    from contactcenter.core.config import KnowledgeSettings
    from contactcenter.knowledge.chunking import chunk_document
    from contactcenter.knowledge.parsing import parse_document
    from contactcenter.knowledge.samples import demo_files
    from contactcenter.knowledge.types import DocumentKind, ParsedDocument, Section

    cfg = KnowledgeSettings()
    chunks: list[Any] = []
    corpus = EVAL_DIR / "corpus.jsonl"
    if corpus.exists():
        source = "retrieval_dev corpus"
        with corpus.open(encoding="utf-8") as handle:
            for line in handle:
                doc = json.loads(line)
                parsed = ParsedDocument(
                    kind=DocumentKind.text,
                    title=doc["title"],
                    sections=(Section(heading=(), text=doc["text"]),),
                )
                chunks += chunk_document(
                    parsed, max_words=cfg.chunk_words, overlap_words=cfg.chunk_overlap_words
                )
                if len(chunks) >= INGEST_CHUNKS:
                    break
    else:
        source = "demo knowledge base"
        while len(chunks) < INGEST_CHUNKS:
            for file in demo_files():
                parsed = parse_document(file.data, filename=file.filename)
                chunks += chunk_document(
                    parsed, max_words=cfg.chunk_words, overlap_words=cfg.chunk_overlap_words
                )
    return source, chunks[:INGEST_CHUNKS]


def ingestion(provider: str) -> dict[str, Any]:
    from contactcenter.core.config import EmbeddingSettings
    from contactcenter.embeddings import build_embedder
    from contactcenter.knowledge.index import build_points
    from contactcenter.vectorstore.base import CollectionSpec
    from contactcenter.vectorstore.edge import EdgeVectorStore

    source, chunks = passages()
    t0 = time.perf_counter()
    embedder = build_embedder(EmbeddingSettings(provider=provider, cache_dir=CACHE_DIR))
    load_s = time.perf_counter() - t0
    info = embedder.info
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as tmp:
        store = EdgeVectorStore(Path(tmp))
        spec = CollectionSpec(name="ingest", dim=info.dim, model_id=info.model_id)
        store.create_collection(spec)
        build_points(  # warm-up: first calls allocate
            tenant_id="t0",
            document_id="warm",
            content_hash="w",
            chunks=chunks[:8],
            embedder=embedder,
            source_url=None,
        )
        t0 = time.perf_counter()
        for start in range(0, len(chunks), 64):
            batch = chunks[start : start + 64]
            points = build_points(
                tenant_id="t0",
                document_id=f"d{start}",
                content_hash="v1",
                chunks=batch,
                embedder=embedder,
                source_url=None,
            )
            store.upsert(spec.name, points)
        took = time.perf_counter() - t0
        store.close()
    return {
        "provider": provider,
        "model": info.model_id,
        "source": source,
        "chunks": len(chunks),
        "load_s": round(load_s, 2),
        "chunks_per_s": round(len(chunks) / took, 1),
    }


def retrieval_one(n: int, n_queries: int, workdir: Path) -> dict[str, Any]:
    from contactcenter.core.config import EmbeddingSettings, KnowledgeSettings
    from contactcenter.embeddings import build_embedder
    from contactcenter.knowledge.index import search_sync
    from contactcenter.vectorstore.base import CollectionSpec, FusionParams
    from contactcenter.vectorstore.edge import EdgeVectorStore

    cfg = KnowledgeSettings()
    fusion = FusionParams(
        dense_weight=cfg.dense_weight,
        sparse_weight=cfg.sparse_weight,
        dense_limit=cfg.prefetch,
        sparse_limit=cfg.prefetch,
    )
    embedder = build_embedder(EmbeddingSettings(cache_dir=CACHE_DIR))
    rng = np.random.default_rng(n)
    spec = CollectionSpec(name="bench", dim=DIM, model_id=embedder.info.model_id)
    store = EdgeVectorStore(workdir)
    store.create_collection(spec)
    t0 = time.perf_counter()
    for start in range(0, n, UPSERT_CALL):
        size = min(UPSERT_CALL, n - start)
        points = synthetic_points(rng, start, size)
        store.upsert(spec.name, points)
    upsert_s = time.perf_counter() - t0
    asked = questions(n_queries)

    def measure() -> dict[str, float]:
        for q in asked[:10]:
            search_sync(
                store, spec.name, embedder, tenant_id="t3", question=q, limit=5, fusion=fusion
            )
        latencies = []
        for k, q in enumerate(asked):
            t = time.perf_counter()
            search_sync(
                store,
                spec.name,
                embedder,
                tenant_id=f"t{k % TENANTS}",
                question=q,
                limit=5,
                fusion=fusion,
            )
            latencies.append((time.perf_counter() - t) * 1000)
        return {
            "p50_ms": round(percentile(latencies, 50), 2),
            "p95_ms": round(percentile(latencies, 95), 2),
            "p99_ms": round(percentile(latencies, 99), 2),
            "qps": round(len(latencies) / (sum(latencies) / 1000), 1),
        }

    plain = measure()
    t0 = time.perf_counter()
    store.optimize(spec.name)
    optimize_s = time.perf_counter() - t0
    optimized = measure()
    disk = folder_size(workdir / spec.name)
    store.close()
    return {
        "n": n,
        "queries": len(asked),
        "upsert_pts_per_s": round(n / upsert_s),
        "plain": plain,
        "optimize_s": round(optimize_s, 1),
        "optimized": optimized,
        "disk_mb": round(disk / 2**20, 1),
        "peak_rss_mb": round(peak_rss_bytes() / 2**20),
    }


def child(*args: str) -> dict[str, Any]:
    """Run this module in a fresh process (its own peak RSS, no warm caches) for one figure."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.knowledge", *args], check=True, capture_output=True, text=True
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--retrieval":
        with tempfile.TemporaryDirectory(prefix="cc-bench-") as tmp:
            result = retrieval_one(
                int(sys.argv[2]), int(os.environ.get("BENCH_QUERIES", "300")), Path(tmp)
            )
        print(json.dumps(result))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--ingest":
        print(json.dumps(ingestion(sys.argv[2])))
        return

    os.environ.setdefault("OMP_NUM_THREADS", "2")
    results: dict[str, Any] = {"ingestion": [], "retrieval": []}
    print("Knowledge base: ingestion (chunk + embed + upsert into Qdrant Edge)")
    providers = ["offline", "wordllama"]
    skipped = {}
    if os.environ.get("EMBEDDING_FASTEMBED_MODEL_PATH"):
        providers.append("fastembed")
    else:
        skipped["fastembed"] = (
            "needs EMBEDDING_FASTEMBED_MODEL_PATH (a local ONNX model) or a download"
        )
    if os.environ.get("OPENAI_API_KEY"):
        providers.append("openai")
    else:
        skipped["openai"] = "needs OPENAI_API_KEY"
    for provider in providers:
        row = child("--ingest", provider)
        results["ingestion"].append(row)
        print(
            f"  {row['provider']:<10} {row['model']:<32} {row['chunks_per_s']:>8.1f} chunks/s "
            f"(load {row['load_s']} s; {row['chunks']} chunks of the {row['source']})"
        )
    for provider, why in skipped.items():
        print(f"  {provider:<10} skipped: {why}")
    results["ingestion_skipped"] = skipped

    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,50000,200000").split(",")]
    print("\nRetrieval: MiniLM query embedding + hybrid search with tenant filter (ms)")
    print(
        f"  {'chunks':>8} {'plain p50':>10} {'p95':>7} {'p99':>7}   {'optimized p50':>13} "
        f"{'p95':>7} {'p99':>7}  {'optimize':>9} {'disk':>8} {'RSS':>7}"
    )
    for n in sizes:
        row = child("--retrieval", str(n))
        results["retrieval"].append(row)
        p, o = row["plain"], row["optimized"]
        print(
            f"  {n:>8} {p['p50_ms']:>10.2f} {p['p95_ms']:>7.2f} {p['p99_ms']:>7.2f}   "
            f"{o['p50_ms']:>13.2f} {o['p95_ms']:>7.2f} {o['p99_ms']:>7.2f}  "
            f"{row['optimize_s']:>8.1f}s {row['disk_mb']:>6.0f}MB {row['peak_rss_mb']:>5}MB"
        )
    print(json.dumps(results, separators=(",", ":")))


if __name__ == "__main__":
    main()
