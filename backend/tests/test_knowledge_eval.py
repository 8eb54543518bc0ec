"""`contactcenter eval retrieval`: metrics on hand-made rankings, and the command end to end on
a tiny corpus whose answers are known."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contactcenter.cli import app
from contactcenter.core.config import Settings
from contactcenter.knowledge.evaluation import (
    EvalQuery,
    QueryOutcome,
    ndcg_at,
    percentile,
    score,
)

CORPUS = [
    {
        "id": "hours",
        "title": "Opening hours",
        "text": "The pharmacy is open Monday to Friday from 8 a.m. to 8 p.m. "
        "and on Saturdays from 9 to 5.",
    },
    {
        "id": "delivery",
        "title": "Home delivery",
        "text": "We deliver prescriptions to your door within 10 miles. "
        "Delivery is free for orders over $35.",
    },
    {
        "id": "returns",
        "title": "Returns and refunds",
        "text": "Unopened over-the-counter products can be returned within 30 days with a receipt.",
    },
    {
        "id": "privacy",
        "title": "Privacy notice",
        "text": "We keep your health records confidential and never sell your personal data.",
    },
]
QUERIES = [
    {"id": "q1", "query": "when are you open on saturday", "relevant_ids": ["hours"]},
    {"id": "q2", "query": "do you bring medicine to my house", "relevant_ids": ["delivery"]},
    # its answer is not in the corpus: a miss at every cut-off
    {"id": "q3", "query": "can I get a flu shot", "relevant_ids": ["vaccines"]},
]


def outcome(ranking: list[str], relevance: dict[str, float], ms: float = 1.0) -> QueryOutcome:
    return QueryOutcome(EvalQuery("q", "q", relevance), ranking, ms)


def test_metrics_on_known_rankings():
    outcomes = [
        outcome(["a", "b", "c"], {"a": 1}),  # rank 1
        outcome(["x", "y", "b"], {"b": 1}),  # rank 3
        outcome(["x"] * 5 + ["c"], {"c": 1}),  # rank 6
        outcome(["x", "y"], {"z": 1}),  # miss
    ]
    m = score(outcomes)
    assert m["queries"] == 4
    assert m["hit@1"] == 0.25
    assert m["hit@5"] == 0.5
    assert m["hit@10"] == 0.75
    assert m["mrr@10"] == pytest.approx((1 + 1 / 3 + 1 / 6) / 4)


def test_graded_ndcg():
    relevance = {"a": 2.0, "b": 1.0}
    ideal = (2**2 - 1) / math.log2(2) + (2**1 - 1) / math.log2(3)
    got = (2**1 - 1) / math.log2(2) + (2**2 - 1) / math.log2(4)
    assert ndcg_at(["b", "x", "a"], relevance, 10) == pytest.approx(got / ideal)
    assert ndcg_at(["a", "b"], relevance, 10) == pytest.approx(1.0)
    assert ndcg_at(["x"], relevance, 10) == 0.0


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([7.0], 99) == 7.0


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


@pytest.fixture(autouse=True)
def cli_settings(monkeypatch, settings):
    """The command reads the environment; point it at the session's data folder (whose model
    cache the app has filled) instead of the working directory."""
    monkeypatch.setattr(
        "contactcenter.cli.get_settings", lambda: Settings(data_dir=settings.data_dir)
    )


def test_eval_command_on_a_tiny_corpus(tmp_path):
    corpus = write_jsonl(tmp_path / "corpus.jsonl", CORPUS)
    queries = write_jsonl(tmp_path / "queries.jsonl", QUERIES)
    result = CliRunner().invoke(
        app, ["eval", "retrieval", "--corpus", str(corpus), "--queries", str(queries), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report) == {
        "hit@1",
        "hit@5",
        "hit@10",
        "mrr@10",
        "ndcg@10",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "queries",
    }
    assert report["queries"] == 3
    for key in ("hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10"):
        assert report[key] == pytest.approx(2 / 3, abs=1e-4), key
    assert 0 < report["p50_ms"] <= report["p95_ms"] <= report["p99_ms"]

    text_result = CliRunner().invoke(
        app, ["eval", "retrieval", "--corpus", str(corpus), "--queries", str(queries)]
    )
    assert text_result.exit_code == 0
    assert "hit@5" in text_result.stdout and "p95" in text_result.stdout


@pytest.mark.parametrize(
    ("corpus_text", "queries_text", "message"),
    [
        ('{"id": "a", "title": "t", "text": "x"}\nnot json\n', None, "corpus.jsonl:2"),
        ('{"title": "t", "text": "x"}\n', None, "'id' is missing"),
        ("", None, "the corpus is empty"),
        (None, '{"id": "q", "query": "hi"}\n', "relevant_ids"),
    ],
)
def test_eval_command_rejects_bad_files(tmp_path, corpus_text, queries_text, message):
    corpus = tmp_path / "corpus.jsonl"
    queries = tmp_path / "queries.jsonl"
    corpus.write_text(corpus_text if corpus_text is not None else json.dumps(CORPUS[0]) + "\n")
    queries.write_text(queries_text if queries_text is not None else json.dumps(QUERIES[0]) + "\n")
    result = CliRunner().invoke(
        app,
        ["eval", "retrieval", "--corpus", str(corpus), "--queries", str(queries), "--json"],
        env={"COLUMNS": "1000"},  # the error box must not wrap the file name
    )
    assert result.exit_code == 2
    assert message in result.output


def test_eval_answers_runs_the_pipeline_on_a_tiny_corpus(tmp_path):
    corpus, queries = tmp_path / "corpus.jsonl", tmp_path / "queries.jsonl"
    corpus.write_text("\n".join(json.dumps(d) for d in CORPUS))
    queries.write_text("\n".join(json.dumps(q) for q in QUERIES))
    result = CliRunner().invoke(
        app,
        ["eval", "answers", "--corpus", str(corpus), "--queries", str(queries), "--json"],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["queries"] == 3
    assert metrics["auto_send_rate"] + metrics["draft_rate"] == pytest.approx(1.0)
    assert 0.0 <= metrics["ece"] <= 1.0
    assert 0.0 <= metrics["auto_send_precision"] <= 1.0
    assert metrics["p95_ms"] > 0
    # the flu-shot question has no answer in the corpus: it can never be a correct auto-send
    assert metrics["accuracy_all"] <= 2 / 3 + 1e-3
