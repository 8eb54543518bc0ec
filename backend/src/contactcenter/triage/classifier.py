"""Runtime triage: numpy only, on top of the offline MiniLM embedder.

softmax(x W + b) gives the three-class scores; a separate safety head and a lexicon can only
move a message *into* safety_compliance, never out of it (the product never auto-answers
safety)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from contactcenter.embeddings import Embedder, Passage
from contactcenter.triage.safety import SafetyHead, TfIdf, safety_terms
from contactcenter.triage.schemas import NEXT_STEP, Category, TriageMetadata, TriageResult

WEIGHTS_FILE = "triage.npz"
METADATA_FILE = "triage.json"


class TriageModelMismatch(Exception):
    """The shipped weights were trained on another embedder's vectors (or are unreadable)."""


class TriageClassifier:
    """Routes a customer message to informational / service_action / safety_compliance."""

    def __init__(
        self,
        embedder: Embedder,
        weights: NDArray[np.float32],
        bias: NDArray[np.float32],
        labels: Sequence[Category],
        safety_head: SafetyHead,
        metadata: TriageMetadata | None = None,
    ) -> None:
        if weights.shape != (embedder.info.dim, len(labels)) or bias.shape != (len(labels),):
            raise TriageModelMismatch(
                f"weights {weights.shape} / bias {bias.shape} do not fit {len(labels)} labels "
                f"on {embedder.info.dim}-d vectors"
            )
        self._embedder = embedder
        self._weights = weights.astype(np.float64)
        self._bias = bias.astype(np.float64)
        self._labels = list(labels)
        self._safety = safety_head
        self.metadata = metadata

    @classmethod
    def load(
        cls,
        embedder: Embedder,
        data_dir: Path | None = None,
        safety_threshold: float | None = None,
    ) -> TriageClassifier:
        """The classifier shipped in the package data (or in data_dir). Refuses weights made
        for another embedder model: the vectors would not mean the same thing.

        safety_threshold overrides the trained (recall-first) one; triage.json lists the
        cross-validated recall / false-positive trade-off at other thresholds."""
        if data_dir is None:
            root = resources.files("contactcenter.triage") / "data"
            meta_text = (root / METADATA_FILE).read_text(encoding="utf-8")
            with (root / WEIGHTS_FILE).open("rb") as fh:
                arrays = _read_npz(fh)
        else:
            meta_text = (data_dir / METADATA_FILE).read_text(encoding="utf-8")
            with (data_dir / WEIGHTS_FILE).open("rb") as fh:
                arrays = _read_npz(fh)
        metadata = TriageMetadata.model_validate(json.loads(meta_text))
        if metadata.embedder_model_id != embedder.info.model_id:
            raise TriageModelMismatch(
                f"triage weights were trained for embedder {metadata.embedder_model_id!r} but "
                f"the embedder given is {embedder.info.model_id!r}: triage always runs on the "
                "offline MiniLM embedder (build_embedder(EmbeddingSettings(provider='offline'))), "
                "or retrain with `python -m contactcenter.triage.train`"
            )
        tfidf = None
        if "safety_vocab" in arrays:
            vocab = [str(term) for term in arrays["safety_vocab"]]
            tfidf = TfIdf({t: j for j, t in enumerate(vocab)}, arrays["safety_idf"].astype(float))
        head = SafetyHead(
            weights=arrays["safety_w"].astype(np.float32),
            bias=float(arrays["safety_b"]),
            threshold=metadata.safety_threshold if safety_threshold is None else safety_threshold,
            tfidf=tfidf,
            feature_scale=float(arrays.get("safety_scale", 1.0)),
            info_threshold=float(arrays.get("safety_info_threshold", 0.0)),
        )
        expected = embedder.info.dim + (0 if tfidf is None else head.extra_features)
        if head.weights.shape != (expected,):
            raise TriageModelMismatch(
                f"safety head weights {head.weights.shape} do not fit {expected} features"
            )
        return cls(embedder, arrays["W"], arrays["b"], metadata.labels, head, metadata)

    def classify(self, text: str) -> TriageResult:
        vector = self._embedder.embed_query(text).reshape(1, -1)
        return self._decide([text], vector)[0]

    def classify_many(self, texts: Sequence[str]) -> list[TriageResult]:
        """Same results as classify() per text, with one batched embedding call."""
        if not texts:
            return []
        vectors = self._embedder.embed_passages([Passage("", t) for t in texts])
        return self._decide(list(texts), vectors)

    def _decide(self, texts: list[str], vectors: NDArray[np.float32]) -> list[TriageResult]:
        logits = vectors.astype(np.float64) @ self._weights + self._bias
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        head = self._safety.probabilities(vectors, texts)
        return [
            self._result(text, row, float(p_safety))
            for text, row, p_safety in zip(texts, probs, head, strict=True)
        ]

    def _result(self, text: str, probs: NDArray[np.float64], p_safety: float) -> TriageResult:
        scores = {label.value: float(p) for label, p in zip(self._labels, probs, strict=True)}
        terms = safety_terms(text)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        top, top_p = ranked[0]
        path: list[str] = []
        threshold = self._safety.threshold_for(text)
        if terms:
            path.append("safety lexicon: " + ", ".join(f"'{t}'" for t in terms))
        if p_safety >= threshold:
            path.append(f"safety head {p_safety:.2f} >= {threshold:.2f}")
        if path:
            # the 3-class model's own safety score is not a trigger: it learns the writing
            # style of the safety examples; the head sees the reaction evidence as well
            category = Category.safety_compliance
            # the strongest signal that fired: a lexicon hit is certain
            confidence = 1.0 if terms else max(p_safety, top_p if top == category else 0.0)
        else:
            # safety is out: the better of the two other classes
            others = [kv for kv in ranked if kv[0] != Category.safety_compliance]
            category = Category(others[0][0])
            confidence = others[0][1]
            if threshold > self._safety.threshold:
                # asking for facts ("what causes X?") with no one in it reports nothing
                path.append("impersonal information request: safety head threshold raised")
            path.append(
                f"safety head {p_safety:.2f} < {threshold:.2f}; "
                f"classifier: {others[0][0]} {others[0][1]:.2f} ({others[1][0]} {others[1][1]:.2f})"
            )
        runner_up = max(p for label, p in scores.items() if label != category.value)
        path.append(f"-> {category.value}")
        return TriageResult(
            category=category,
            confidence=min(max(confidence, 0.0), 1.0),
            margin=min(max(confidence - runner_up, 0.0), 1.0),
            scores=scores,
            safety_score=min(max(p_safety, 0.0), 1.0),
            safety_terms=terms,
            decision_path=path,
            next_step=NEXT_STEP[category],
        )


def _read_npz(fh: Any) -> dict[str, NDArray[Any]]:
    with np.load(fh, allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}
