"""Triage: the shipped weights on the real offline MiniLM embedder (no network), the safety
rules, and the evaluation metrics. Sentences here are written for the tests, not taken from the
DEV files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from contactcenter.core.config import EmbeddingProvider, EmbeddingSettings
from contactcenter.embeddings import Embedder, EmbedderInfo, Passage, Vector, build_embedder
from contactcenter.triage import Category, TriageClassifier, TriageModelMismatch
from contactcenter.triage.evaluation import classification_report, safety_report
from contactcenter.triage.safety import (
    N_REACTION_FEATURES,
    information_request,
    reaction_features,
    safety_terms,
)


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    settings = EmbeddingSettings(
        provider=EmbeddingProvider.offline, cache_dir=tmp_path_factory.mktemp("models")
    )
    return build_embedder(settings)


@pytest.fixture(scope="module")
def triage(embedder: Embedder) -> TriageClassifier:
    return TriageClassifier.load(embedder)


INFORMATIONAL = [
    "Are you open on Easter Monday?",
    "Which credit cards can I pay with?",
    "How much does next day delivery cost?",
    "What is your policy on returning unopened cosmetics?",
]
SERVICE = [
    "My parcel hasn't arrived yet, can you check where it is? Order 55812",
    "Please cancel my order from Tuesday and refund me",
    "I moved, please change the address on my account",
    "I can't sign in, I need to reset my password",
    "Could you email me the invoice for my March purchase?",
]
# medication vocabulary without any reaction: never safety
MEDICATION_NO_REACTION = [
    ("Should I take amoxicillin before or after meals?", Category.informational),
    ("Is the store brand loratadine the same as Claritin?", Category.informational),
    ("Do you stock the 20 mg tablets of atorvastatin?", Category.informational),
    ("Please refill my amlodipine prescription for pickup Friday", Category.service_action),
    (
        "Can you transfer my levothyroxine refills to the Main Street branch?",
        Category.service_action,
    ),
]
SAFETY = {
    "reaction": "Since the new tablets I've got an itchy rash and my eyelids are puffy",
    "side effect": "the pills you gave me make my heart race and I feel faint every morning",
    "withdrawal": "Two days after stopping my antidepressant I'm dizzy and shaking all the time",
    "overdose": "My husband swallowed about twenty of his sleeping tablets, what do we do",
    "self-harm": "I have been thinking about taking my own life",
    "emergency": "my mum is struggling to breathe after her injection, please help",
    "wrong medication": "The bag I picked up had heart pills for another patient and I took one",
    "legal complaint": "I'm instructing a solicitor over the dispensing error that hurt my son",
    "privacy": "Your pharmacist read my diagnosis out loud to everyone, I want this taken up",
}


@pytest.mark.parametrize("text", INFORMATIONAL)
def test_informational_questions_are_informational(triage: TriageClassifier, text: str) -> None:
    result = triage.classify(text)
    assert result.category is Category.informational, result.decision_path
    assert result.next_step == "answer from the knowledge base"


@pytest.mark.parametrize("text", SERVICE)
def test_requests_to_act_are_service_actions(triage: TriageClassifier, text: str) -> None:
    result = triage.classify(text)
    assert result.category is Category.service_action, result.decision_path
    assert result.next_step == "create a ticket and reply with next steps"


@pytest.mark.parametrize(("text", "expected"), MEDICATION_NO_REACTION)
def test_medication_talk_without_a_reaction_is_not_safety(
    triage: TriageClassifier, text: str, expected: Category
) -> None:
    result = triage.classify(text)
    assert result.category is not Category.safety_compliance, result.decision_path
    assert not result.safety_terms
    if expected is Category.informational:  # requests to act on medication can read as questions
        assert result.category is expected, result.decision_path


@pytest.mark.parametrize("kind", sorted(SAFETY))
def test_each_safety_kind_escalates(triage: TriageClassifier, kind: str) -> None:
    result = triage.classify(SAFETY[kind])
    assert result.category is Category.safety_compliance, (kind, result.decision_path)
    assert result.next_step == "escalate to a person (urgent)"


def test_result_explains_itself(triage: TriageClassifier) -> None:
    for text in [INFORMATIONAL[0], SERVICE[0], "I took an overdose of my insulin"]:
        result = triage.classify(text)
        assert result.decision_path[-1] == f"-> {result.category.value}"
        assert len(result.decision_path) >= 2
        assert 0.0 <= result.confidence <= 1.0
        assert 0.0 <= result.margin <= result.confidence
        assert 0.0 <= result.safety_score <= 1.0
        assert set(result.scores) == {c.value for c in Category}
        assert sum(result.scores.values()) == pytest.approx(1.0)


def test_lexicon_hit_is_safety_with_full_confidence(triage: TriageClassifier) -> None:
    result = triage.classify("I think I took an overdose")
    assert result.category is Category.safety_compliance
    assert "overdose" in result.safety_terms
    assert result.confidence == 1.0
    assert any("safety lexicon" in step for step in result.decision_path)


def test_lexicon_ignores_plain_medication_and_shopping_words() -> None:
    for text in [
        "what are the side effects of ibuprofen?",
        "the delivery took too much time",
        "I want a refund for the broken glass vase",
        "can I take an extra dose if I missed one yesterday?",
    ]:
        assert safety_terms(text) == [], text
    assert safety_terms("I'm going to sue you") == ["legal action"]
    assert safety_terms("she can\u2019t breathe") == ["can't breathe"]


# reactions told in the patient's own words (no "side effect", no lexicon phrase) escalate;
# medication talk that explicitly denies a reaction does not
REACTION_IN_OWN_WORDS = [
    "The new tablets made me throw up all night and I keep getting headaches",
    "Ever since I started the statin my legs ache and I can barely walk",
]
NEGATED_REACTION = [
    "I've had no side effects at all, can you send my next refill?",
    "No nausea, no dizziness, nothing - can I order another box of sertraline?",
    "No withdrawal symptoms when I switched brands, just want to confirm the price",
]


@pytest.mark.parametrize("text", REACTION_IN_OWN_WORDS)
def test_reaction_without_the_words_side_effect_is_safety(
    triage: TriageClassifier, text: str
) -> None:
    result = triage.classify(text)
    assert not result.safety_terms
    assert result.category is Category.safety_compliance, result.decision_path


@pytest.mark.parametrize("text", NEGATED_REACTION)
def test_negated_reactions_are_not_safety(triage: TriageClassifier, text: str) -> None:
    result = triage.classify(text)
    assert not result.safety_terms
    assert result.category is not Category.safety_compliance, result.decision_path


# general health questions ask for facts and report nothing: informational; the same topics told
# as something that happened to the writer or someone they look after: safety
HEALTH_INFORMATION = [
    "what are the early signs of scarlet fever",
    "What causes a frozen shoulder?",
    "side effects of citalopram?",
    "bronchiolitis symptoms in infants",
    "How is rheumatic fever treated?",
]
PERSONAL_HEALTH_REPORT = [
    "is it normal that my gums bleed since I started the new tablets?",
    "My grandson chewed up three of my blood pressure pills, what should we do?",
    "I've had a blinding headache every day since switching to the new patch",
]


@pytest.mark.parametrize("text", HEALTH_INFORMATION)
def test_general_health_questions_are_informational(triage: TriageClassifier, text: str) -> None:
    assert information_request(text)
    result = triage.classify(text)
    assert result.category is Category.informational, result.decision_path


@pytest.mark.parametrize("text", PERSONAL_HEALTH_REPORT)
def test_personal_reports_in_question_form_are_safety(triage: TriageClassifier, text: str) -> None:
    assert not information_request(text)
    result = triage.classify(text)
    assert result.category is Category.safety_compliance, result.decision_path


def test_information_request_needs_an_impersonal_question_or_topic() -> None:
    assert information_request("What is the outlook for someone with sarcoidosis ?")
    assert information_request("measles incubation period")
    # statements, even impersonal ones, and anything said about me or mine are not
    assert not information_request("Nausea and sweating, typical side effects of this drug.")
    assert not information_request("what should I do, my arm is swollen after the injection")
    assert not information_request("When I take it at night my heart races")


def test_an_impersonal_question_needs_a_surer_head(triage: TriageClassifier) -> None:
    head = triage._safety
    assert head.threshold_for("what are the symptoms of scarlet fever") >= max(head.threshold, 0.5)
    assert head.threshold_for("my skin itches since the new pills") == head.threshold


def test_lexicon_skips_negated_reactions() -> None:
    assert safety_terms("no withdrawal symptoms this time") == []
    assert safety_terms("without any bad reaction so far") == []
    assert safety_terms("terrible withdrawal symptoms since Monday") == ["withdrawal symptoms"]
    # the negation only reaches within its own clause
    assert safety_terms("no fever, but brain zaps all day") == ["withdrawal symptoms"]


def test_reaction_features_respect_negation() -> None:
    said = reaction_features("this pill gave me nausea and a headache")
    denied = reaction_features("I didn't have any nausea or headache")
    assert said.shape == denied.shape == (N_REACTION_FEATURES,)
    assert said.min() >= 0.0 and said.max() <= 1.0
    assert said[:-6].sum() == 2 and denied[:-6].sum() == 0  # symptom groups mentioned
    assert denied[-5] > 0  # negated mentions are counted apart
    assert reaction_features("no side effects whatsoever")[-2] == 1.0


def test_head_runtime_sum_equals_dense_features(
    triage: TriageClassifier, embedder: Embedder
) -> None:
    head = triage._safety
    texts = [*REACTION_IN_OWN_WORDS, *NEGATED_REACTION, SERVICE[0]]
    vectors = embedder.embed_passages([Passage("", t) for t in texts])
    assert head.tfidf is not None and head.extra_features > N_REACTION_FEATURES
    dense = head.features(vectors, texts) @ head.weights.astype(np.float64) + head.bias
    expected = 1.0 / (1.0 + np.exp(-dense))
    assert head.probabilities(vectors, texts) == pytest.approx(expected, abs=1e-9)


def test_classify_many_equals_classify(triage: TriageClassifier) -> None:
    texts = [*INFORMATIONAL, *SERVICE, *SAFETY.values(), *NEGATED_REACTION]
    batched = triage.classify_many(texts)
    assert triage.classify_many([]) == []
    for text, many in zip(texts, batched, strict=True):
        one = triage.classify(text)
        assert many.category is one.category
        assert many.safety_terms == one.safety_terms
        assert many.confidence == pytest.approx(one.confidence, abs=1e-4)
        for label, score in one.scores.items():
            assert many.scores[label] == pytest.approx(score, abs=1e-4)


def test_safety_threshold_can_be_overridden(embedder: Embedder) -> None:
    strict = TriageClassifier.load(embedder, safety_threshold=1.0)
    assert not any(
        "safety head" in s and ">=" in s for s in strict.classify(SERVICE[1]).decision_path
    )
    assert strict.classify("I want to kill myself").category is Category.safety_compliance


def _package_data() -> Path:
    return Path(str(resources.files("contactcenter.triage") / "data"))


def test_metadata_records_the_embedder_and_cv_metrics() -> None:
    meta = json.loads((_package_data() / "triage.json").read_text())
    assert meta["embedder_model_id"].startswith("all-minilm-l6-v2@")
    assert meta["labels"] == [c.value for c in Category]
    assert 0.0 < meta["safety_threshold"] < 1.0
    assert meta["cv_metrics"]["macro_f1"] > 0.9


@dataclass
class _OtherEmbedder:
    """Stands in for any embedder other than the one the weights were trained on."""

    inner: Embedder

    @property
    def info(self) -> EmbedderInfo:
        return EmbedderInfo(model_id="bge-small-en-v1.5@deadbeef", dim=384, provider="fastembed")

    def embed_passages(self, passages: Sequence[Passage]) -> Vector:
        return self.inner.embed_passages(passages)

    def embed_query(self, text: str) -> Vector:
        return self.inner.embed_query(text)


def test_weights_for_another_embedder_are_refused(embedder: Embedder, tmp_path: Path) -> None:
    with pytest.raises(TriageModelMismatch, match="bge-small"):
        TriageClassifier.load(_OtherEmbedder(embedder))
    # and the other way round: weights stamped with another id, the real embedder
    for name in ("triage.npz", "triage.json"):
        shutil.copy(_package_data() / name, tmp_path / name)
    meta = json.loads((tmp_path / "triage.json").read_text())
    meta["embedder_model_id"] = "text-embedding-3-small"
    (tmp_path / "triage.json").write_text(json.dumps(meta))
    with pytest.raises(TriageModelMismatch, match="text-embedding-3-small"):
        TriageClassifier.load(embedder, data_dir=tmp_path)


def test_classification_report_on_a_known_confusion() -> None:
    # true a: 3 rows -> a,a,b ; true b: 2 rows -> b,b ; true c: 1 row -> a
    y_true = ["a", "a", "a", "b", "b", "c"]
    y_pred = ["a", "a", "b", "b", "b", "a"]
    report = classification_report(y_true, y_pred)
    assert report["accuracy"] == pytest.approx(4 / 6)
    a, b, c = (report["per_class"][k] for k in "abc")
    assert (a["precision"], a["recall"], a["support"]) == (pytest.approx(2 / 3), 2 / 3, 3)
    assert a["f1"] == pytest.approx(2 / 3)
    assert (b["precision"], b["recall"], b["f1"]) == (pytest.approx(2 / 3), 1.0, pytest.approx(0.8))
    assert (c["precision"], c["recall"], c["f1"], c["support"]) == (0.0, 0.0, 0.0, 1)
    assert report["macro_f1"] == pytest.approx((2 / 3 + 0.8 + 0.0) / 3)
    assert report["confusion"]["a"] == {"a": 2, "b": 1, "c": 0}
    assert report["confusion"]["c"] == {"a": 1, "b": 0, "c": 0}


def test_safety_report_on_known_counts() -> None:
    truth = [True, True, True, True, False, False, False, False, False]
    pred = [True, True, True, False, True, False, False, False, False]
    report = safety_report(truth, pred)
    assert report["recall"] == pytest.approx(0.75)
    assert report["precision"] == pytest.approx(0.75)
    assert report["false_positive_rate"] == pytest.approx(0.2)


def test_metrics_reject_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        classification_report(["a"], [])
    with pytest.raises(ValueError):
        safety_report([True], [True, False])


def test_softmax_matches_shipped_weights(triage: TriageClassifier, embedder: Embedder) -> None:
    with np.load(_package_data() / "triage.npz") as npz:
        w, b = npz["W"], npz["b"]
    x = embedder.embed_query(SERVICE[0]).astype(np.float64)
    logits = x @ w + b
    expected = np.exp(logits - logits.max())
    expected /= expected.sum()
    scores = triage.classify(SERVICE[0]).scores
    assert [scores[c.value] for c in Category] == pytest.approx(list(expected), abs=1e-5)
