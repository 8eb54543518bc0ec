"""Train the triage weights (dev tool: needs scikit-learn, never imported at run time).

    python -m contactcenter.triage.train --dev /work/shared/eval --out src/contactcenter/triage/data

Training rows: our own written examples (data/examples.jsonl, always in training) plus the DEV
files: classification_dev (three classes) and safety_binary_dev (adr -> safety_compliance;
no_adr -> informational: patient talk about a medicine with no reaction needs no action and is
not safety). Every DEV number printed is 5-fold cross-validated: each DEV row is scored by a
model that never saw it. The safety threshold is the highest one that keeps the
cross-validated safety recall at its targets (impersonal information requests, see
safety.information_request, need the head at INFORMATION_REQUEST_THRESHOLD as well, in CV as
at run time); the final model is then fitted on everything. --measure counts how many
unlabelled questions (e.g. retrieval_dev/queries.jsonl) the final model routes to safety."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

from contactcenter.core.config import EmbeddingProvider, EmbeddingSettings
from contactcenter.embeddings import Embedder, Passage, build_embedder
from contactcenter.triage.classifier import METADATA_FILE, WEIGHTS_FILE
from contactcenter.triage.evaluation import classification_report, safety_report
from contactcenter.triage.safety import (
    INFORMATION_REQUEST_THRESHOLD,
    SafetyHead,
    TfIdf,
    information_request,
    safety_terms,
)
from contactcenter.triage.schemas import Category, TriageMetadata, TriageMetrics

LABELS = [Category.informational, Category.service_action, Category.safety_compliance]
SAFETY = LABELS.index(Category.safety_compliance)
EXAMPLES = Path(__file__).parent / "data" / "examples.jsonl"

# the safety recall targets the threshold must keep, out-of-fold (safety first: recall wins
# over the false-positive rate when both cannot be had)
CLS_SAFETY_RECALL = 0.99
BINARY_RECALL = 0.95
SEED = 20251121

Matrix = NDArray[np.float32]


@dataclass(slots=True)
class Rows:
    texts: list[str]
    labels: list[int]  # index into LABELS
    safety: list[bool]  # truly safety-relevant
    group: list[str]  # "examples" | "classification" | "safety_binary"


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_rows(dev: Path) -> tuple[Rows, list[str]]:
    rows = Rows([], [], [], [])

    def add(text: str, label: Category, group: str) -> None:
        rows.texts.append(text)
        rows.labels.append(LABELS.index(label))
        rows.safety.append(label == Category.safety_compliance)
        rows.group.append(group)

    for r in _jsonl(EXAMPLES):
        add(r["text"], Category(r["label"]), "examples")
    for r in _jsonl(dev / "classification_dev.jsonl"):
        add(r["text"], Category(r["label"]), "classification")
    for r in _jsonl(dev / "safety_binary_dev.jsonl"):
        label = Category.safety_compliance if r["label"] == "adr" else Category.informational
        add(r["text"], label, "safety_binary")
    oos = [r["text"] for r in _jsonl(dev / "classification_oos_dev.jsonl")]
    return rows, oos


def embed(embedder: Embedder, texts: list[str]) -> Matrix:
    return embedder.embed_passages([Passage("", t) for t in texts])


@dataclass(slots=True)
class Model:
    cls: Any  # LogisticRegression (3 classes)
    head: Any  # LogisticRegression (safety vs rest) on the SafetyHead features
    features: SafetyHead  # turns (embedding, text) into the head's features

    def predict(
        self, x: Matrix, texts: list[str]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        probs = self.cls.predict_proba(x)
        return probs, self.head.predict_proba(self.features.features(x, texts))[:, 1]


def fit(
    x: Matrix,
    texts: list[str],
    labels: NDArray[np.int64],
    c_cls: float,
    c_head: float,
    scale: float,
) -> Model:
    """The 3-class model on the embedding; the safety head on [embedding, reaction features,
    TF-IDF word 1-2-grams] (vocabulary fitted on these training rows only)."""
    cls = LogisticRegression(C=c_cls, max_iter=5000)
    cls.fit(x, labels)
    features = SafetyHead(
        np.zeros(0, np.float32), 0.0, 0.5, tfidf=TfIdf.fit(texts), feature_scale=scale
    )
    head = LogisticRegression(C=c_head, max_iter=5000, class_weight="balanced")
    head.fit(features.features(x, texts), (labels == SAFETY).astype(np.int64))
    return Model(cls, head, features)


@dataclass(slots=True)
class Rules:
    """Per text: a safety lexicon hit, and whether it is an impersonal information request
    (the head must then reach INFORMATION_REQUEST_THRESHOLD as well)."""

    lexicon: NDArray[np.bool_]
    info: NDArray[np.bool_]

    @classmethod
    def of(cls, texts: list[str]) -> Rules:
        return cls(
            np.array([bool(safety_terms(t)) for t in texts]),
            np.array([information_request(t) for t in texts]),
        )


def decide(
    probs: NDArray[np.float64], head: NDArray[np.float64], rules: Rules, t: float
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """The runtime rule, vectorised: (final class index, is-safety). Safety is the lexicon or
    the head; the 3-class argmax alone is not (it fires on patient-review style)."""
    needed = np.where(rules.info, max(t, INFORMATION_REQUEST_THRESHOLD), t)
    is_safety = rules.lexicon | (head >= needed)
    other = np.where(probs[:, 0] >= probs[:, 1], 0, 1)
    return np.where(is_safety, SAFETY, other), is_safety


def choose_threshold(
    probs: NDArray[np.float64],
    head: NDArray[np.float64],
    rules: Rules,
    truth: NDArray[np.bool_],
    group: NDArray[np.str_],
) -> float:
    """The highest head threshold that keeps both safety recall targets (out-of-fold)."""
    for t in np.round(np.arange(0.95, 0.049, -0.01), 2):
        _, flagged = decide(probs, head, rules, float(t))
        ok = True
        for name, target in (
            ("classification", CLS_SAFETY_RECALL),
            ("safety_binary", BINARY_RECALL),
        ):
            mask = (group == name) & truth
            if flagged[mask].mean() < target:
                ok = False
        if ok:
            return float(t)
    return 0.05


def operating_points(
    probs: NDArray[np.float64],
    head: NDArray[np.float64],
    rules: Rules,
    truth: NDArray[np.bool_],
    group: NDArray[np.str_],
    oos: tuple[NDArray[np.float64], NDArray[np.float64], Rules],
) -> list[dict[str, float]]:
    """The recall / false-positive trade-off at other thresholds, for whoever picks another."""
    points = []
    for t in (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        _, flagged = decide(probs, head, rules, t)
        _, oos_flagged = decide(*oos[:2], oos[2], t)
        binary = group == "safety_binary"
        points.append(
            {
                "threshold": t,
                "cls_safety_recall": float(flagged[(group == "classification") & truth].mean()),
                "binary_recall": float(flagged[binary & truth].mean()),
                "binary_fpr": float(flagged[binary & ~truth].mean()),
                "oos_flagged": float(oos_flagged.sum()),
            }
        )
    return points


def cross_validate(
    x: Matrix, rows: Rows, c_cls: float, c_head: float, scale: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Out-of-fold 3-class probabilities and head probabilities for every DEV row (our own
    examples are always in training and get no out-of-fold scores)."""
    labels = np.array(rows.labels)
    group = np.array(rows.group)
    dev = np.flatnonzero(group != "examples")
    strata = np.array([f"{g}:{lab}" for g, lab in zip(group, labels, strict=True)])[dev]
    probs = np.zeros((len(rows.texts), len(LABELS)))
    head = np.zeros(len(rows.texts))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    always = np.flatnonzero(group == "examples")
    for train_idx, test_idx in folds.split(dev, strata):
        train = np.concatenate([always, dev[train_idx]])
        texts = [rows.texts[i] for i in train]
        model = fit(x[train], texts, labels[train], c_cls, c_head, scale)
        p, h = model.predict(x[dev[test_idx]], [rows.texts[i] for i in dev[test_idx]])
        probs[dev[test_idx]], head[dev[test_idx]] = p, h
    return probs, head


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, required=True, help="folder of the DEV jsonl files")
    parser.add_argument("--out", type=Path, required=True, help="where triage.npz/json go")
    parser.add_argument("--model-cache", type=Path, default=Path(".data") / "models")
    parser.add_argument("--c-cls", type=float, default=4.0)
    parser.add_argument("--c-head", type=float, default=4.0)
    parser.add_argument("--feature-scale", type=float, default=2.0, help="reaction features")
    parser.add_argument(
        "--measure",
        type=Path,
        help="unlabelled questions (JSONL with 'query' or 'text'), e.g. retrieval_dev/queries"
        ".jsonl: only counts how many the final model routes to safety, never trains on them",
    )
    args = parser.parse_args(argv)

    embedder = build_embedder(
        EmbeddingSettings(provider=EmbeddingProvider.offline, cache_dir=args.model_cache)
    )
    rows, oos = load_rows(args.dev)
    x, x_oos = embed(embedder, rows.texts), embed(embedder, oos)
    labels, group = np.array(rows.labels), np.array(rows.group)
    truth = np.array(rows.safety)
    rules = Rules.of(rows.texts)

    probs, head = cross_validate(x, rows, args.c_cls, args.c_head, args.feature_scale)
    t = choose_threshold(probs, head, rules, truth, group)
    final, flagged = decide(probs, head, rules, t)

    cls_mask = group == "classification"
    names = [c.value for c in LABELS]
    report = classification_report(
        [names[i] for i in labels[cls_mask]], [names[i] for i in final[cls_mask]]
    )
    bin_mask = group == "safety_binary"
    binary = safety_report(list(truth[bin_mask]), list(flagged[bin_mask]))

    model = fit(x, rows.texts, labels, args.c_cls, args.c_head, args.feature_scale)
    p_oos, h_oos = model.predict(x_oos, oos)
    rules_oos = Rules.of(oos)
    _, oos_flagged = decide(p_oos, h_oos, rules_oos, t)
    measured = ""
    if args.measure is not None:
        questions = [r.get("query") or r["text"] for r in _jsonl(args.measure)]
        p_q, h_q = model.predict(embed(embedder, questions), questions)
        rules_q = Rules.of(questions)
        _, q_flagged = decide(p_q, h_q, rules_q, t)
        measured = (
            f"; {args.measure.name}: {int(q_flagged.sum())}/{len(questions)} routed to safety"
        )
        print(f"{args.measure.name} routed to safety: {int(q_flagged.sum())}/{len(questions)}")

    metrics = TriageMetrics(
        macro_f1=report["macro_f1"],
        safety_recall=report["per_class"][Category.safety_compliance.value]["recall"],
        per_class_f1={k: v["f1"] for k, v in report["per_class"].items()},
        safety_binary_recall=binary["recall"],
        safety_binary_precision=binary["precision"],
        safety_binary_fpr=binary["false_positive_rate"],
        oos_flagged_safety=int(oos_flagged.sum()),
        oos_total=len(oos),
    )
    points = operating_points(probs, head, rules, truth, group, (p_oos, h_oos, rules_oos))
    print(f"safety head threshold (cross-validated): {t:.2f}")
    print("classification_dev (5-fold CV):")
    print(f"  accuracy {report['accuracy']:.3f}  macro-F1 {report['macro_f1']:.3f}")
    for label, m in report["per_class"].items():
        print(
            f"  {label:18s} P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f}"
            f" n={m['support']}"
        )
    print(f"  confusion {json.dumps(report['confusion'])}")
    print(
        f"safety_binary_dev (5-fold CV): recall {binary['recall']:.3f} precision "
        f"{binary['precision']:.3f} FPR {binary['false_positive_rate']:.3f}"
    )
    print(f"classification_oos_dev flagged safety: {metrics.oos_flagged_safety}/{len(oos)}")
    print("operating points (threshold: CV cls safety recall, binary recall/FPR, OOS flagged):")
    for p in points:
        print(
            f"  {p['threshold']:.2f}: {p['cls_safety_recall']:.3f}  {p['binary_recall']:.3f}/"
            f"{p['binary_fpr']:.3f}  {int(p['oos_flagged'])}"
        )

    counts = {
        f"{g}:{names[lab]}": int(((group == g) & (labels == lab)).sum())
        for g in ("examples", "classification", "safety_binary")
        for lab in range(len(LABELS))
    }
    tfidf = model.features.tfidf
    assert tfidf is not None
    vocab = sorted(tfidf.vocabulary, key=tfidf.vocabulary.__getitem__)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out / WEIGHTS_FILE,
        W=model.cls.coef_.T.astype(np.float32),
        b=model.cls.intercept_.astype(np.float32),
        safety_w=model.head.coef_[0].astype(np.float32),
        safety_b=np.float32(model.head.intercept_[0]),
        safety_vocab=np.array(vocab, dtype=str),
        safety_idf=tfidf.idf.astype(np.float32),
        safety_scale=np.float32(args.feature_scale),
        safety_info_threshold=np.float32(INFORMATION_REQUEST_THRESHOLD),
    )
    assert list(model.cls.classes_) == list(range(len(LABELS)))
    metadata = TriageMetadata(
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        embedder_model_id=embedder.info.model_id,
        labels=LABELS,
        safety_threshold=t,
        training_rows={k: v for k, v in counts.items() if v},
        cv_metrics=metrics,
        operating_points=points,
        notes=(
            f"LogisticRegression C={args.c_cls} (3-class, embedding), C={args.c_head} balanced"
            f" (safety head: embedding + reaction features x{args.feature_scale} + TF-IDF"
            f" 1-2-grams, {len(vocab)} terms); impersonal information requests need head >="
            f" {INFORMATION_REQUEST_THRESHOLD}; safety_binary no_adr rows trained as informational"
            f"{measured}"
        ),
    )
    (args.out / METADATA_FILE).write_text(metadata.model_dump_json(indent=2) + "\n")
    print(f"wrote {args.out / WEIGHTS_FILE} and {args.out / METADATA_FILE}")


if __name__ == "__main__":
    main()
