"""The triage classifier as the app uses it: loaded once (in a worker thread, on first use) and
run off the event loop."""

from __future__ import annotations

import asyncio
import time

from contactcenter.core.config import Settings
from contactcenter.embeddings import offline_embedder
from contactcenter.embeddings.cache import shared_cache
from contactcenter.observability import metrics
from contactcenter.triage.classifier import TriageClassifier
from contactcenter.triage.schemas import TriageResult


class Triage:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._classifier: TriageClassifier | None = None
        self._lock = asyncio.Lock()

    async def classifier(self) -> TriageClassifier:
        async with self._lock:
            if self._classifier is None:
                self._classifier = await asyncio.to_thread(
                    lambda: TriageClassifier.load(shared_cache(offline_embedder(self._settings)))
                )
            return self._classifier

    async def classify(self, text: str, source: str = "pipeline") -> TriageResult:
        classifier = await self.classifier()
        started = time.perf_counter()
        result = await asyncio.to_thread(classifier.classify, text)
        metrics.observe_triage(
            source, time.perf_counter() - started, result.category.value, result.confidence
        )
        return result
