"""Detection metrics for the injection detector (plain Python)."""

from __future__ import annotations

from collections.abc import Sequence

POSITIVE = "injection"


def injection_report(labels: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Detection rate (recall on "injection"), false-positive rate (share of the other labels
    flagged) and precision. A rate with an empty denominator is 0.0."""
    if len(labels) != len(predicted):
        raise ValueError(f"{len(labels)} labels but {len(predicted)} predictions")
    tp = fp = fn = tn = 0
    for truth, guess in zip(labels, predicted, strict=True):
        if truth == POSITIVE:
            tp, fn = (tp + 1, fn) if guess == POSITIVE else (tp, fn + 1)
        else:
            fp, tn = (fp + 1, tn) if guess == POSITIVE else (fp, tn + 1)
    return {
        "detection_rate": tp / (tp + fn) if tp + fn else 0.0,
        "false_positive_rate": fp / (fp + tn) if fp + tn else 0.0,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
    }
