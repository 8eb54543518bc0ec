"""Reply pipeline benchmark: latency per stage with the offline responder, and the overhead the
pipeline adds around a chat model of fixed latency.

Run from backend/: ``.venv/bin/python -m bench.pipeline`` (``make bench`` runs it).

- **offline**: the demo pharmacy knowledge base in a fresh Qdrant Edge collection; realistic
  customer questions go through ``ReplyPipeline.decide`` (triage and injection guard, retrieval,
  the offline grounded responder, confidence, gate), one at a time. p50/p95/p99 per stage.
- **simulated LLM**: the same, with the OpenAI adapter (streaming, structured output) talking to
  a local OpenAI-compatible server (``bench.fake_llm``) that answers after a fixed latency
  (``BENCH_LLM_LATENCY_MS``, default 1000). Overhead = end-to-end time minus that latency: every
  stage but the model's thinking, including the HTTP round trip and the stream's parsing.

``BENCH_RUNS`` (default 200 offline, a quarter of it with the simulated LLM) adjusts it. The last
line is one JSON object with every figure.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.foundation import free_port, percentile
from bench.retrieval_store import peak_rss_bytes
from contactcenter.core.config import EmbeddingSettings, Settings
from contactcenter.embeddings import build_embedder
from contactcenter.embeddings.base import Embedder
from contactcenter.embeddings.cache import CachingEmbedder
from contactcenter.knowledge.evaluation import CorpusDoc, ingest
from contactcenter.knowledge.index import collection_name, search_sync
from contactcenter.llm.openai_provider import OpenAIProvider
from contactcenter.pipeline.confidence import ConfidenceModel
from contactcenter.pipeline.core import ReplyPipeline, TenantPolicy
from contactcenter.pipeline.respond import ReplyComposer, TenantVoice
from contactcenter.pipeline.service import build_chain
from contactcenter.triage.classifier import TriageClassifier
from contactcenter.triage.schemas import TriageResult
from contactcenter.vectorstore.base import CollectionSpec, FusionParams, ScoredChunk
from contactcenter.vectorstore.edge import EdgeVectorStore

DEMO = Path(__file__).resolve().parents[1] / "src" / "contactcenter" / "knowledge" / "demo"
CACHE_DIR = Path(os.environ.get("DATA_DIR", ".data")).resolve() / "models"
QUESTIONS = [
    "What time do you open on Saturday?",
    "Are you open on Sundays?",
    "How do I request a refill of my prescription?",
    "Can I return an opened box of vitamins?",
    "How long does home delivery take?",
    "Do you accept my insurance card?",
    "How do I get a refund for a damaged item?",
    "Is my health information shared with anyone?",
    "What should I do if I missed a dose?",
    "Where is my order 48213? It hasn't arrived.",
    "I started a new medicine and now I have a rash on my arms",
    "Can I pay with a health savings account?",
    "How can I transfer my prescription from another pharmacy?",
    "Do you deliver on weekends?",
    "What is your phone number?",
]
STAGES = ("triage", "retrieve", "respond", "score", "total")


def summary(values: list[float]) -> dict[str, float | None]:
    out = {f"p{q}": percentile(values, q) for q in (50, 95, 99)}
    return {k: (round(v, 2) if v is not None else None) for k, v in out.items()}


async def build(settings: Settings, embedder: Embedder, folder: Path) -> tuple[Any, Any]:
    store = EdgeVectorStore(folder)
    info = embedder.info
    spec = CollectionSpec(
        name=collection_name("bench", info.model_id), dim=info.dim, model_id=info.model_id
    )
    store.create_collection(spec)
    tenant = uuid.uuid4()
    docs = [
        CorpusDoc(id=p.stem, title=p.stem.replace("-", " ").title(), text=p.read_text())
        for p in sorted(DEMO.glob("*.md"))
    ]
    ingest(store, spec.name, embedder, docs, tenant_id=str(tenant), settings=settings)
    fusion = FusionParams(
        dense_weight=settings.knowledge.dense_weight,
        sparse_weight=settings.knowledge.sparse_weight,
        dense_limit=settings.knowledge.prefetch,
        sparse_limit=settings.knowledge.prefetch,
    )

    async def retrieve(tenant_id: uuid.UUID, question: str, limit: int) -> list[ScoredChunk]:
        return await asyncio.to_thread(
            search_sync,
            store,
            spec.name,
            embedder,
            tenant_id=tenant_id,
            question=question,
            limit=limit,
            fusion=fusion,
        )

    return (store, retrieve), tenant


async def run(
    pipeline: ReplyPipeline, policy: TenantPolicy, runs: int, stream: bool
) -> dict[str, list[float]]:
    stages: dict[str, list[float]] = {s: [] for s in STAGES}

    async def sink(_: str) -> None:
        return None

    for warm in QUESTIONS[:3]:
        await pipeline.decide(warm, policy, message_id=uuid.uuid4())
    for i in range(runs):
        # every question is new text (as from real customers); the knowledge base's sentences
        # repeat, as they do in production
        result = await pipeline.decide(
            f"Hello, this is customer number {i}. {QUESTIONS[i % len(QUESTIONS)]}",
            policy,
            message_id=uuid.uuid4(),
            on_delta=sink if stream else None,
        )
        for stage in STAGES:
            if stage in result.latency_ms:
                stages[stage].append(result.latency_ms[stage])
    return stages


async def main() -> None:
    runs = int(os.environ.get("BENCH_RUNS", "200"))
    llm_latency_ms = float(os.environ.get("BENCH_LLM_LATENCY_MS", "1000"))
    settings = Settings()
    embedder = build_embedder(EmbeddingSettings(cache_dir=CACHE_DIR))
    classifier = TriageClassifier.load(embedder)
    figures: dict[str, Any] = {"runs_offline": runs, "llm_latency_ms": llm_latency_ms}

    async def classify(text: str) -> TriageResult:
        return await asyncio.to_thread(classifier.classify, text)

    cached = CachingEmbedder(embedder)

    async def get_embedder() -> Embedder:
        return cached

    with tempfile.TemporaryDirectory(prefix="cc-bench-pipeline-") as tmp:
        (store, retrieve), tenant = await build(settings, embedder, Path(tmp))
        policy = TenantPolicy(id=tenant, threshold=0.8, voice=TenantVoice(name="Riverside"))
        model = ConfidenceModel.load()

        def pipeline_with(composer: ReplyComposer) -> ReplyPipeline:
            return ReplyPipeline(
                embedder=get_embedder,
                classify=classify,
                retrieve=retrieve,
                composer=composer,
                confidence=model,
            )

        started = time.perf_counter()
        offline = await run(pipeline_with(ReplyComposer(get_embedder, None)), policy, runs, False)
        elapsed = time.perf_counter() - started
        figures["offline_ms"] = {s: summary(v) for s, v in offline.items()}
        figures["offline_replies_per_s"] = round(runs / elapsed, 1)
        print("offline responder, one reply at a time (ms)")
        for stage, values in offline.items():
            s = summary(values)
            print(f"  {stage:<9} p50 {s['p50']:7.1f}  p95 {s['p95']:7.1f}  p99 {s['p99']:7.1f}")
        print(f"  throughput {figures['offline_replies_per_s']} replies/s (sequential)")

        port = free_port()
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.fake_llm",
            "--port",
            str(port),
            "--latency-ms",
            str(llm_latency_ms),
        )
        try:
            async with httpx.AsyncClient() as probe:
                for _ in range(100):
                    try:
                        await probe.post(f"http://127.0.0.1:{port}/v1/chat/completions", json={})
                        break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.1)
            provider = OpenAIProvider(
                "bench", "bench-model", base_url=f"http://127.0.0.1:{port}/v1"
            )
            chain = build_chain(settings.llm, [provider])
            llm_runs = max(10, runs // 4)
            simulated = await run(
                pipeline_with(ReplyComposer(get_embedder, chain, timeout_s=30)),
                policy,
                llm_runs,
                True,
            )
            await provider.aclose()
        finally:
            server.terminate()
            await server.wait()
        overhead = [t - llm_latency_ms for t in simulated["total"]]
        figures["simulated_llm_runs"] = llm_runs
        figures["simulated_llm_total_ms"] = summary(simulated["total"])
        figures["overhead_ms"] = summary(overhead)
        print(f"simulated LLM ({llm_latency_ms:.0f} ms), streaming, {llm_runs} replies (ms)")
        s = figures["overhead_ms"]
        print(f"  overhead  p50 {s['p50']:7.1f}  p95 {s['p95']:7.1f}  p99 {s['p99']:7.1f}")
        store.close()
    figures["peak_rss_mb"] = round(peak_rss_bytes() / 1e6, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
