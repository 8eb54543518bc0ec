"""Train the injection classifier head (dev only: needs scikit-learn).

    python -m contactcenter.guardrails.train --dev /work/shared/eval \
        --out src/contactcenter/guardrails/data

Reads our written examples (`data/injection_examples.jsonl`) and the DEV set
(`<dev>/injection_dev.jsonl`), embeds every text as its windows, and runs 5-fold stratified
cross-validation over texts (a text's windows never straddle folds). Training instances are the
windows, each with its text's label and weight 1/len(windows); a text scores the max over its
windows. The threshold is the lowest one whose cross-validated false-positive rate, with the
pattern layer on top, stays within --max-fpr on all benign texts. Prints the CV metrics and
writes `injection.npz` (coef, intercept) and `injection.json` (embedder id, threshold, metrics).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from contactcenter.core.config import EmbeddingSettings
from contactcenter.embeddings import build_embedder
from contactcenter.embeddings.base import Embedder, Passage
from contactcenter.guardrails.evaluation import injection_report
from contactcenter.guardrails.injection import (
    MAX_WINDOWS,
    META_FILE,
    WEIGHTS_FILE,
    WINDOW_WORDS,
    match_patterns,
    windows,
)

FOLDS = 5
SEED = 20250611
C = 1.0
EXAMPLES = Path(__file__).parent / "data" / "injection_examples.jsonl"


def _read(path: Path, source: str | None = None) -> list[dict[str, Any]]:
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()
    ]
    for row in rows:
        row.setdefault("source", source or "ours")
    return rows


def _embed(
    embedder: Embedder, texts: list[str]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Window vectors (n_windows, dim) and, per window, the index of its text."""
    parts: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        for window in windows(text, size=WINDOW_WORDS, max_windows=MAX_WINDOWS):
            parts.append(window)
            owner.append(i)
    vectors = embedder.embed_passages([Passage("", p) for p in parts])
    return vectors, np.asarray(owner)


def _fit(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], w: np.ndarray[Any, Any]) -> Any:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    model = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
    model.fit(x, y, sample_weight=w)
    return model


def _text_scores(model: Any, x: np.ndarray[Any, Any], owner: np.ndarray[Any, Any], n: int) -> Any:
    logits = model.decision_function(x)
    best = np.full(n, -np.inf)
    np.maximum.at(best, owner, logits)
    return 1.0 / (1.0 + np.exp(-best))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, required=True, help="folder with injection_dev.jsonl")
    parser.add_argument("--out", type=Path, required=True, help="package data folder")
    parser.add_argument("--cache-dir", type=Path, default=None, help="embedder model cache")
    parser.add_argument("--max-fpr", type=float, default=0.01)
    args = parser.parse_args(argv)

    from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

    rows = _read(EXAMPLES) + _read(args.dev / "injection_dev.jsonl")
    texts = [r["text"] for r in rows]
    labels = np.array([r["label"] == "injection" for r in rows])
    sources = [r["source"] for r in rows]
    embedder = build_embedder(EmbeddingSettings(provider="offline", cache_dir=args.cache_dir))
    x, owner = _embed(embedder, texts)
    counts = np.bincount(owner, minlength=len(texts))
    weight_all = 1.0 / counts[owner]
    patterns = np.array([bool(match_patterns(t)) for t in texts])

    oof = np.zeros(len(texts))
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    strata = [f"{lab}:{src}" for lab, src in zip(labels, sources, strict=True)]
    for train_idx, test_idx in folds.split(np.zeros(len(texts)), strata):
        train_mask = np.isin(owner, train_idx)
        test_mask = np.isin(owner, test_idx)
        model = _fit(x[train_mask], labels[owner[train_mask]], weight_all[train_mask])
        scores = _text_scores(model, x[test_mask], owner[test_mask], len(texts))
        oof[test_idx] = scores[test_idx]

    benign = ~labels
    threshold = 0.5
    for t in np.unique(np.concatenate([oof, [0.5]])):
        fpr = float(np.mean((patterns | (oof >= t))[benign]))
        if fpr <= args.max_fpr and t >= 0.5:
            threshold = float(t)
            break
    threshold = round(threshold + 1e-4, 4)
    flagged = patterns | (oof >= threshold)

    def report(mask: np.ndarray[Any, Any], pred: np.ndarray[Any, Any]) -> dict[str, float]:
        return injection_report(
            ["injection" if v else "benign" for v in labels[mask]],
            ["injection" if v else "benign" for v in pred[mask]],
        )

    is_dev = np.array([s != "ours" for s in sources])
    metrics: dict[str, Any] = {
        "cv_folds": FOLDS,
        "dev_combined": report(is_dev, flagged),
        "dev_classifier_only": report(is_dev, oof >= threshold),
        "dev_patterns_only": report(is_dev, patterns),
        "ours_combined": report(~is_dev, flagged),
        "all_combined": report(np.ones(len(texts), bool), flagged),
    }
    per_source: dict[str, dict[str, float]] = defaultdict(dict)
    for source, label in sorted({(s, bool(v)) for s, v in zip(sources, labels, strict=True)}):
        mask = np.array([s == source for s in sources]) & (labels == label)
        per_source[f"{source}/{'injection' if label else 'benign'}"] = {
            "rows": int(mask.sum()),
            "flagged_rate": round(float(flagged[mask].mean()), 4),
            "pattern_rate": round(float(patterns[mask].mean()), 4),
        }
    metrics["per_source"] = dict(per_source)

    final = _fit(x, labels[owner], weight_all)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez(
        args.out / WEIGHTS_FILE,
        coef=final.coef_.reshape(-1).astype(np.float32),
        intercept=np.asarray(final.intercept_, dtype=np.float32),
    )
    meta = {
        "embedder_model_id": embedder.info.model_id,
        "dim": embedder.info.dim,
        "threshold": threshold,
        "window_words": WINDOW_WORDS,
        "max_windows": MAX_WINDOWS,
        "C": C,
        "max_fpr_target": args.max_fpr,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_rows": {
            "ours_injection": int((labels & ~is_dev).sum()),
            "ours_benign": int((~labels & ~is_dev).sum()),
            "dev_injection": int((labels & is_dev).sum()),
            "dev_benign": int((~labels & is_dev).sum()),
            "windows": len(owner),
        },
        "cv_metrics": metrics,
    }
    (args.out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
