"""One calibrated confidence per reply: "how likely is this reply right?"

The score is a logistic model over evidence the pipeline already has: retrieval (the best dense
and fused scores, the gap to the runner-up, whether the top passage is the one quoted first),
the answer (how much of it is backed by passage text, how well the quotes cover the question,
how many sources it needs) and triage (the category's probability and margin). The weights are
fitted on labelled question/answer data (`python -m contactcenter.pipeline.calibrate`), where a
reply counts as right when its first citation is a relevant document; that makes the threshold
mean what it says: among replies scored >= 0.80, about 80 % or more are right.

A chat model's own estimate may veto, never raise: the final score is the lower of the two.
Self-reported confidence of chat models is known to run high, and it cannot be calibrated
without labelled replies of that model, so it is trusted only when it expresses doubt.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from contactcenter.triage.schemas import TriageResult
from contactcenter.vectorstore.base import ScoredChunk

MODEL_FILE = "confidence.json"

FEATURES: tuple[str, ...] = (
    "top_dense",
    "top_fused",
    "margin_top2",
    "fused_gap",
    "support",
    "query_coverage",
    "n_sources",
    "answered",
    "cited_top1",
    "term_coverage",
    "coverage_gap",
    "triage_confidence",
    "triage_margin",
)

#: the cap applied when a prompt-injection attempt was detected: always below any sane threshold
INJECTION_CAP = 0.05


_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    """a about above after again all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours yourself please tell know get much many""".split()
)


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "es", "s", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_terms(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and len(w) > 1}


def term_coverage(question: str, passage: ScoredChunk) -> float:
    """Share of the question's content words (crudely stemmed) that the passage contains."""
    wanted = content_terms(question)
    if not wanted:
        return 0.0
    have = content_terms(" ".join((passage.title, passage.section or "", passage.text)))
    return len(wanted & have) / len(wanted)


def features(
    triage: TriageResult,
    hits: Sequence[ScoredChunk],
    evidence: Mapping[str, float],
    *,
    answered: bool,
    first_cited_chunk: str | None,
    question: str = "",
) -> dict[str, float]:
    """The model's inputs, all roughly in [0, 1]."""
    fused = sorted((h.score for h in hits), reverse=True)
    coverage = [term_coverage(question, h) for h in hits]
    return {
        "top_dense": float(evidence.get("top_dense", 0.0)),
        "top_fused": float(evidence.get("top_fused", fused[0] if fused else 0.0)),
        "margin_top2": float(evidence.get("margin_top2", 0.0)),
        "fused_gap": (fused[0] - fused[1]) if len(fused) > 1 else (fused[0] if fused else 0.0),
        "support": float(evidence.get("support", 0.0)),
        "query_coverage": float(evidence.get("query_coverage", 0.0)),
        "n_sources": min(float(evidence.get("n_sources", 0.0)), 5.0) / 5.0,
        "answered": 1.0 if answered else 0.0,
        "cited_top1": 1.0 if hits and first_cited_chunk == hits[0].id else 0.0,
        # how much of the question the best passage speaks to, and whether another passage
        # speaks to it better (siblings: "symptoms of X" vs "treatment of X")
        "term_coverage": coverage[0] if coverage else 0.0,
        "coverage_gap": (coverage[0] - max(coverage[1:])) if len(coverage) > 1 else 0.0,
        "triage_confidence": triage.confidence,
        "triage_margin": triage.margin,
    }


@dataclass(frozen=True)
class Confidence:
    value: float
    parts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConfidenceModel:
    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> ConfidenceModel:
        if path is None:
            raw = resources.files(__package__).joinpath("data", MODEL_FILE).read_text()
        else:
            raw = path.read_text()
        data = json.loads(raw)
        names = tuple(data["features"])
        unknown = set(names) - set(FEATURES)
        if unknown:
            raise ValueError(f"{MODEL_FILE} uses unknown features: {sorted(unknown)}")
        return cls(
            names=names,
            mean=tuple(data["mean"]),
            scale=tuple(data["scale"]),
            coef=tuple(data["coef"]),
            intercept=float(data["intercept"]),
            metadata={k: v for k, v in data.items() if k not in ("mean", "scale", "coef")},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            **self.metadata,
            "features": list(self.names),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
        }

    def evidence_score(self, values: Mapping[str, float]) -> tuple[float, dict[str, float]]:
        contributions: dict[str, float] = {}
        z = self.intercept
        for name, mu, sd, w in zip(self.names, self.mean, self.scale, self.coef, strict=True):
            part = w * (values[name] - mu) / (sd or 1.0)
            contributions[name] = round(part, 4)
            z += part
        return 1.0 / (1.0 + math.exp(-z)), contributions

    def score(
        self,
        values: Mapping[str, float],
        *,
        self_estimate: float | None = None,
        injection: bool = False,
    ) -> Confidence:
        evidence, contributions = self.evidence_score(values)
        final = evidence
        path = "evidence"
        if self_estimate is not None and self_estimate < final:
            final, path = self_estimate, "model's own estimate (lower)"
        if injection and final > INJECTION_CAP:
            final, path = INJECTION_CAP, "capped: prompt injection detected"
        final = min(1.0, max(0.0, final))
        return Confidence(
            value=round(final, 4),
            parts={
                "evidence": round(evidence, 4),
                "self_estimate": self_estimate,
                "injection_cap": injection,
                "decided_by": path,
                "features": {k: round(v, 4) for k, v in values.items()},
                "contributions": contributions,
            },
        )


def expected_calibration_error(
    scores: Sequence[float], labels: Sequence[bool], bins: int = 10
) -> float:
    """ECE over equal-width bins: sum over bins of |accuracy - mean score| x share of rows."""
    if not scores:
        return 0.0
    total = len(scores)
    error = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        members = [
            i for i, s in enumerate(scores) if (lo <= s < hi) or (b == bins - 1 and s == 1.0)
        ]
        if not members:
            continue
        accuracy = sum(1 for i in members if labels[i]) / len(members)
        mean_score = sum(scores[i] for i in members) / len(members)
        error += abs(accuracy - mean_score) * len(members) / total
    return error
