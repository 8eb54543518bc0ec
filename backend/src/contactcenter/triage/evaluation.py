"""Metrics for triage evaluations, in plain Python (no scikit-learn at run time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict


class ClassMetrics(TypedDict):
    precision: float
    recall: float
    f1: float
    support: int


class ClassificationReport(TypedDict):
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassMetrics]
    confusion: dict[str, dict[str, int]]


class SafetyReport(TypedDict):
    recall: float
    precision: float
    false_positive_rate: float


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def classification_report(y_true: Sequence[str], y_pred: Sequence[str]) -> ClassificationReport:
    """Accuracy, macro-F1 over the true labels (plus any predicted-only label), per-class
    precision/recall/F1/support, and the confusion counts confusion[true][pred]."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    labels = sorted(set(y_true) | set(y_pred))
    confusion = {t: dict.fromkeys(labels, 0) for t in labels}
    for t, p in zip(y_true, y_pred, strict=True):
        confusion[t][p] += 1
    per_class: dict[str, ClassMetrics] = {}
    for label in labels:
        tp = confusion[label][label]
        predicted = sum(confusion[t][label] for t in labels)
        support = sum(confusion[label].values())
        precision, recall = _ratio(tp, predicted), _ratio(tp, support)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    correct = sum(confusion[label][label] for label in labels)
    macro = sum(m["f1"] for m in per_class.values()) / len(labels) if labels else 0.0
    return {
        "accuracy": _ratio(correct, len(y_true)),
        "macro_f1": macro,
        "per_class": per_class,
        "confusion": confusion,
    }


def safety_report(rows_labels: Sequence[bool], predicted_safety: Sequence[bool]) -> SafetyReport:
    """Recall, precision and false-positive rate of a binary safety decision
    (rows_labels[i] is True when row i really is safety-relevant)."""
    if len(rows_labels) != len(predicted_safety):
        raise ValueError(f"{len(rows_labels)} labels but {len(predicted_safety)} predictions")
    pairs = list(zip(rows_labels, predicted_safety, strict=True))
    tp = sum(1 for t, p in pairs if t and p)
    fp = sum(1 for t, p in pairs if not t and p)
    positives = sum(1 for t, _ in pairs if t)
    return {
        "recall": _ratio(tp, positives),
        "precision": _ratio(tp, tp + fp),
        "false_positive_rate": _ratio(fp, len(pairs) - positives),
    }
