"""Triage: every customer message to informational, service_action or safety_compliance.

Runs offline on the MiniLM embedding (numpy weights trained by `contactcenter.triage.train`),
with a recall-tuned safety head and a high-precision safety lexicon on top."""

from contactcenter.triage.classifier import TriageClassifier, TriageModelMismatch
from contactcenter.triage.schemas import Category, TriageMetadata, TriageResult

__all__ = ["Category", "TriageClassifier", "TriageMetadata", "TriageModelMismatch", "TriageResult"]
