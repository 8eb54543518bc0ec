"""Guardrails: prompt-injection detection for customer messages and ingested documents."""

from contactcenter.guardrails.injection import (
    InjectionDetector,
    InjectionModelMismatch,
    InjectionResult,
    neutralise,
)

__all__ = ["InjectionDetector", "InjectionModelMismatch", "InjectionResult", "neutralise"]
