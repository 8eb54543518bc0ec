"""Answer evaluation: does the threshold keep its promise?

The corpus is loaded as a throw-away tenant's knowledge base (the same chunker, embedder, store
and hybrid search as an upload) and every query goes through the pipeline's decision code
(`ReplyPipeline.decide`: triage, injection guard, retrieval, the offline responder, confidence,
gate) as a customer message of that tenant. Storing and publishing, which do not change the
decision, are left out. A reply is correct when its first citation is a relevant document.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contactcenter.core.config import Settings
from contactcenter.embeddings.base import Embedder
from contactcenter.embeddings.cache import CachingEmbedder
from contactcenter.knowledge.evaluation import CorpusDoc, EvalQuery, ingest, percentile
from contactcenter.knowledge.index import collection_name, search_sync
from contactcenter.pipeline.confidence import ConfidenceModel, expected_calibration_error
from contactcenter.pipeline.core import PipelineResult, ReplyPipeline, TenantPolicy
from contactcenter.pipeline.respond import ReplyComposer, TenantVoice
from contactcenter.pipeline.schemas import Decision
from contactcenter.triage.classifier import TriageClassifier
from contactcenter.triage.schemas import TriageResult
from contactcenter.vectorstore.base import CollectionSpec, FusionParams, ScoredChunk, VectorStore

DEFAULT_THRESHOLD = 0.80


@dataclass
class Trial:
    query: EvalQuery
    decision: Decision
    category: str
    confidence: float
    correct: bool
    features: dict[str, float] | None
    latency_ms: float


@dataclass
class AnswersReport:
    metrics: dict[str, float]
    by_source: dict[str, dict[str, float]] = field(default_factory=dict)
    trials: list[Trial] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: round(v, 4) for k, v in self.metrics.items()}
        out["queries"] = int(self.metrics["queries"])
        if self.by_source:
            out["by_source"] = {
                s: {k: round(v, 4) for k, v in m.items()} for s, m in self.by_source.items()
            }
        return out


def score_trials(trials: Sequence[Trial], threshold: float = DEFAULT_THRESHOLD) -> dict[str, float]:
    n = len(trials)
    sent = [t for t in trials if t.decision is Decision.auto_sent]
    return {
        "queries": float(n),
        "threshold": threshold,
        "auto_send_rate": len(sent) / n if n else 0.0,
        "auto_send_precision": (sum(t.correct for t in sent) / len(sent)) if sent else 0.0,
        "draft_rate": (n - len(sent)) / n if n else 0.0,
        "escalated_rate": sum(t.decision is Decision.escalated for t in trials) / n if n else 0.0,
        "accuracy_all": sum(t.correct for t in trials) / n if n else 0.0,
        "ece": expected_calibration_error(
            [t.confidence for t in trials], [t.correct for t in trials]
        ),
        "p50_ms": percentile([t.latency_ms for t in trials], 50),
        "p95_ms": percentile([t.latency_ms for t in trials], 95),
    }


def is_correct(result: PipelineResult, query: EvalQuery) -> bool:
    if result.reply is None or not result.reply.citations:
        return False
    return query.relevance.get(result.reply.citations[0].document_id, 0.0) > 0


async def run_answers_eval(
    corpus: Sequence[CorpusDoc],
    queries: Sequence[EvalQuery],
    *,
    settings: Settings,
    embedder: Embedder,
    store_factory: Callable[[Path], VectorStore],
    model: ConfidenceModel,
    threshold: float = DEFAULT_THRESHOLD,
    progress: Callable[[str, int, int], None] | None = None,
) -> AnswersReport:
    tenant_id = uuid.uuid4()
    fusion = FusionParams(
        dense_weight=settings.knowledge.dense_weight,
        sparse_weight=settings.knowledge.sparse_weight,
        dense_limit=settings.knowledge.prefetch,
        sparse_limit=settings.knowledge.prefetch,
    )
    classifier = await asyncio.to_thread(TriageClassifier.load, embedder)
    with tempfile.TemporaryDirectory(prefix="cc-answers-") as tmp:
        store = store_factory(Path(tmp))
        try:
            info = embedder.info
            spec = CollectionSpec(
                name=collection_name("eval", info.model_id), dim=info.dim, model_id=info.model_id
            )
            store.create_collection(spec)
            await asyncio.to_thread(
                ingest,
                store,
                spec.name,
                embedder,
                corpus,
                tenant_id=str(tenant_id),
                settings=settings,
                progress=(lambda d, t: progress("ingest", d, t)) if progress else None,
            )

            async def retrieve(tenant: uuid.UUID, question: str, limit: int) -> list[ScoredChunk]:
                return await asyncio.to_thread(
                    search_sync,
                    store,
                    spec.name,
                    embedder,
                    tenant_id=tenant,
                    question=question,
                    limit=limit,
                    fusion=fusion,
                )

            async def classify(text: str) -> TriageResult:
                return await asyncio.to_thread(classifier.classify, text)

            cached = CachingEmbedder(embedder)

            async def get_embedder() -> Embedder:
                return cached

            pipeline = ReplyPipeline(
                embedder=get_embedder,
                classify=classify,
                retrieve=retrieve,
                composer=ReplyComposer(get_embedder, None),
                confidence=model,
                retrieve_limit=settings.pipeline.retrieve_limit,
            )
            policy = TenantPolicy(
                id=tenant_id, threshold=threshold, voice=TenantVoice(name="Evaluation")
            )
            for warm in queries[:3]:  # first calls pay one-off costs
                await pipeline.decide(warm.query, policy, message_id=uuid.uuid4())
            trials: list[Trial] = []
            for done, query in enumerate(queries, 1):
                started = time.perf_counter()
                result = await pipeline.decide(query.query, policy, message_id=uuid.uuid4())
                latency = (time.perf_counter() - started) * 1000
                trials.append(
                    Trial(
                        query=query,
                        decision=result.decision,
                        category=result.category.value,
                        confidence=result.confidence.value,
                        correct=is_correct(result, query),
                        features=result.confidence.parts.get("features"),
                        latency_ms=latency,
                    )
                )
                if progress is not None:
                    progress("answer", done, len(queries))
        finally:
            store.close()
    by_source: dict[str, dict[str, float]] = {}
    sources = sorted({t.query.source for t in trials if t.query.source})
    if len(sources) > 1:
        for source in sources:
            by_source[source] = score_trials(
                [t for t in trials if t.query.source == source], threshold
            )
    return AnswersReport(
        metrics=score_trials(trials, threshold), by_source=by_source, trials=trials
    )


def format_report(report: AnswersReport) -> str:
    m = report.metrics
    lines = [
        f"queries             {int(m['queries'])}",
        f"threshold           {m['threshold']:.2f}",
        f"auto_send_rate      {m['auto_send_rate']:.3f}",
        f"auto_send_precision {m['auto_send_precision']:.3f}",
        f"draft_rate          {m['draft_rate']:.3f}  (escalated {m['escalated_rate']:.3f})",
        f"accuracy (all)      {m['accuracy_all']:.3f}",
        f"ece (10 bins)       {m['ece']:.3f}",
        f"latency ms          p50 {m['p50_ms']:.1f}  p95 {m['p95_ms']:.1f}",
    ]
    for source, sm in report.by_source.items():
        lines.append(
            f"  {source:<12} auto-send {sm['auto_send_rate']:.3f} "
            f"precision {sm['auto_send_precision']:.3f} ece {sm['ece']:.3f}"
        )
    return "\n".join(lines)
