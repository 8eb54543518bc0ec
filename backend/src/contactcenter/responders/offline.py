"""The offline grounded responder: a reply made only of sentences quoted from retrieved passages.

No LLM and no paraphrase. Each passage is cut into quotable units (a sentence; a short "Yes." or
"No." joined to the sentence after it; a sentence ending in ":" together with the list that
follows; a table row as "cell: cell, cell"), markdown noise is stripped, and units that read as
instructions to an assistant are dropped. The question and every unit are embedded in one batch;
up to ``max_sentences`` units are picked by maximal marginal relevance (near-duplicates skipped),
with a small preference for the top passage, and quoted in their original order, grouped per
passage with a citation number ([1] for the first passage used). Passage text is data: it is only
ever quoted, never acted on.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from contactcenter.embeddings.base import Embedder, Passage, Vector
from contactcenter.guardrails.injection import match_patterns
from contactcenter.knowledge.chunking import split_sentences
from contactcenter.vectorstore.base import ScoredChunk

LEAD_IN = "Here is what I found:"
NOT_SURE = "I'm not sure I have the right information for that."
NO_CONTACT = "a person will answer shortly"

MAX_PASSAGES = 5  # passages read per answer, in retrieval order
MAX_UNITS_PER_PASSAGE = 8
MIN_UNIT_WORDS = 4  # shorter sentences ("Yes.") are joined to the sentence after them
MIN_SENTENCE_COSINE = 0.35  # a unit must be this close to the question to be quoted
UNIT_WINDOW = 0.2  # ... and within this of the best unit of its passage,
PASSAGE_WINDOW = 0.25  # whose best unit is within this of the best unit overall
DUPLICATE_COSINE = 0.85  # units closer than this to one already picked are skipped
MMR_LAMBDA = 0.7
PRIOR_WEIGHT = 0.25  # weight of the passage's dense score in a unit's relevance
TOP_PASSAGE_BONUS = 0.03
SUPPORT_TAU = 0.8

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_LINE_MARKER = re.compile(r"^(?:>\s*|[-*+\u2022]\s+|\d{1,3}[.)]\s+)+")
_INLINE_NOISE = re.compile(r"\*\*|__|`")
_SPACES = re.compile(r"\s+")
_TABLE_RULE = re.compile(r":?-{3,}:?")
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Citation:
    number: int
    chunk_id: str
    document_id: str
    title: str
    section: str | None
    source_url: str | None
    quote: str  # the passage's quoted units, verbatim (markdown noise stripped)


@dataclass(frozen=True, slots=True)
class GroundedAnswer:
    text: str  # the reply, with [1], [2] markers
    citations: list[Citation]
    answered: bool  # False: nothing fit, the reply is a polite "no answer" with contact options
    evidence: dict[str, float]  # features for the confidence model


@dataclass(frozen=True, slots=True)
class _Unit:
    passage: int  # index into the passages read
    order: int  # position in its passage
    text: str


class OfflineResponder:
    """Composes replies from retrieved passages only; deterministic for the same inputs."""

    def __init__(self, embedder: Embedder, *, max_sentences: int = 3, min_dense: float = 0.35):
        if max_sentences < 1:
            raise ValueError(f"max_sentences must be at least 1 (got {max_sentences})")
        self._embedder = embedder
        self._max_sentences = max_sentences
        self._min_dense = min_dense

    def answer(
        self,
        question: str,
        passages: Sequence[ScoredChunk],
        *,
        tenant_name: str,
        contact: str | None = None,
    ) -> GroundedAnswer:
        read = list(passages[:MAX_PASSAGES])
        units = [
            _Unit(p, i, text)
            for p, chunk in enumerate(read)
            for i, text in enumerate(quotable_units(chunk.text)[:MAX_UNITS_PER_PASSAGE])
        ]
        units = _unique(units)
        dense = sorted((c.dense_score for c in read if c.dense_score is not None), reverse=True)
        evidence = {
            "top_dense": dense[0] if dense else 0.0,
            "top_fused": max((c.score for c in read), default=0.0),
            "margin_top2": (dense[0] - dense[1])
            if len(dense) > 1
            else (dense[0] if dense else 0.0),
            "support": 0.0,
            "query_coverage": 0.0,
            "n_sources": 0.0,
        }
        question = question.strip()
        if not question or not units:
            return _no_answer(tenant_name, contact, evidence)

        vectors = self._embedder.embed_passages(
            [Passage("", t) for t in [question, *(u.text for u in units)]]
        )
        q, unit_vectors = vectors[0], vectors[1:]
        cosines = unit_vectors @ q
        if not dense:  # no dense scores from the store: the best unit stands in for them
            evidence["top_dense"] = float(cosines.max())
        if evidence["top_dense"] < self._min_dense:
            return _no_answer(tenant_name, contact, evidence)

        picked = self._pick(units, read, cosines, unit_vectors)
        if not picked:
            return _no_answer(tenant_name, contact, evidence)

        used = sorted({units[i].passage for i in picked})
        paragraphs: list[str] = []
        citations: list[Citation] = []
        for number, p in enumerate(used, start=1):
            quotes = sorted((units[i] for i in picked if units[i].passage == p), key=_by_order)
            quote = " ".join(u.text for u in quotes)
            chunk = read[p]
            citations.append(
                Citation(
                    number=number,
                    chunk_id=chunk.id,
                    document_id=chunk.document_id,
                    title=chunk.title,
                    section=chunk.section,
                    source_url=chunk.source_url,
                    quote=quote,
                )
            )
            paragraphs.append(f"{quote} [{number}]")

        chosen = unit_vectors[picked]
        mixed = chosen.sum(axis=0)
        norm = float(np.linalg.norm(mixed))
        best_match = (chosen @ unit_vectors.T).max(axis=1)  # a quote matches itself: 1.0
        evidence["support"] = float((best_match >= SUPPORT_TAU).mean())
        evidence["query_coverage"] = float(mixed @ q / norm) if norm > 0 else 0.0
        evidence["n_sources"] = float(len(used))
        text = "\n\n".join([LEAD_IN, *paragraphs])
        return GroundedAnswer(text=text, citations=citations, answered=True, evidence=evidence)

    def _pick(
        self,
        units: list[_Unit],
        read: list[ScoredChunk],
        cosines: Vector,
        unit_vectors: Vector,
    ) -> list[int]:
        """Indexes of the units to quote: relevant ones, by maximal marginal relevance."""
        best = float(cosines.max())
        passage_best: dict[int, float] = {}
        for unit, cosine in zip(units, cosines.tolist(), strict=True):
            passage_best[unit.passage] = max(passage_best.get(unit.passage, -1.0), cosine)
        passage_floor = max(MIN_SENTENCE_COSINE, best - PASSAGE_WINDOW)
        prior = np.array(
            [
                PRIOR_WEIGHT * (read[u.passage].dense_score or 0.0)
                + (TOP_PASSAGE_BONUS if u.passage == 0 else 0.0)
                for u in units
            ],
            dtype=np.float32,
        )
        relevance = cosines + prior
        eligible = [
            i
            for i, unit in enumerate(units)
            if passage_best[unit.passage] >= passage_floor
            and cosines[i] >= max(MIN_SENTENCE_COSINE, passage_best[unit.passage] - UNIT_WINDOW)
        ]
        picked: list[int] = []
        # the best-ranked passage leads whenever one of its sentences is relevant at all:
        # retrieval reads each passage whole and in context, and ranks passages better than the
        # similarity of single sentences does (specs/003-ai-reply-pipeline/research.md)
        top = [
            i for i, u in enumerate(units) if u.passage == 0 and cosines[i] >= MIN_SENTENCE_COSINE
        ]
        if top:
            lead = max(top, key=lambda i: float(relevance[i]))
            picked.append(lead)
            eligible = [i for i in eligible if i != lead]
        while eligible and len(picked) < self._max_sentences:
            if picked:
                similarity = (unit_vectors[eligible] @ unit_vectors[picked].T).max(axis=1)
            else:
                similarity = np.zeros(len(eligible), dtype=np.float32)
            scores = MMR_LAMBDA * relevance[eligible] - (1 - MMR_LAMBDA) * similarity
            k = int(np.argmax(scores))
            choice = eligible.pop(k)
            if float(similarity[k]) > DUPLICATE_COSINE:
                continue
            picked.append(choice)
        return picked


@functools.lru_cache(maxsize=4096)
def quotable_units(text: str) -> tuple[str, ...]:
    """The passage's quotable units in order, markdown noise stripped, instructions dropped.

    Cached by text: the same passages answer question after question, and splitting them and
    screening every sentence for injection patterns costs about as much as the rest of the
    reply (`make load`)."""
    units: list[str] = []
    intro: str | None = None  # a sentence ending in ":" that the next paragraph completes
    for paragraph in _BLANK_LINE.split(text):
        lines = [line for line in (_clean(raw) for raw in paragraph.splitlines()) if line]
        if not lines:
            continue
        rows = [line for line in lines if "|" in line]
        if rows and len(rows) == len(lines):
            if intro is not None:
                units.append(intro)
                intro = None
            units.extend(_table_rows(rows))
            continue
        sentences = _join_short([s for line in lines for s in split_sentences(line)])
        if intro is not None:
            units.append(" ".join([intro, *sentences]))
            intro = None
            continue
        colon = next((i for i, s in enumerate(sentences) if s.endswith(":")), None)
        if colon is None:
            units.extend(sentences)
        elif colon == len(sentences) - 1:
            units.extend(sentences[:-1])
            intro = sentences[-1]
        else:
            units.extend(sentences[:colon])
            units.append(" ".join(sentences[colon:]))
    if intro is not None:
        units.append(intro)
    return tuple(u for u in units if _WORDS.search(u) and not match_patterns(u))


def _clean(line: str) -> str:
    """The line without list markers and emphasis; headings are dropped (they are not facts)."""
    if _HEADING.match(line):
        return ""
    line = _LINE_MARKER.sub("", line.strip())
    line = _INLINE_NOISE.sub("", line)
    return _SPACES.sub(" ", line).strip()


def _table_rows(rows: list[str]) -> list[str]:
    """Rows as "first cell: other cells"; the first row of a table is its header."""
    rendered: list[str] = []
    for row in rows:
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        cells = [c for c in cells if c]
        if len(cells) < 2 or all(_TABLE_RULE.fullmatch(c) for c in cells):
            continue
        rendered.append(f"{cells[0]}: {', '.join(cells[1:])}")
    return rendered[1:] if len(rendered) > 1 else rendered


def _join_short(sentences: list[str]) -> list[str]:
    """Sentences with the short ones ("Yes.", "No.") joined to the sentence after them."""
    joined: list[str] = []
    carry = ""
    for sentence in sentences:
        sentence = f"{carry} {sentence}" if carry else sentence
        carry = ""
        if len(_WORDS.findall(sentence)) < MIN_UNIT_WORDS:
            carry = sentence
        else:
            joined.append(sentence)
    if carry:
        if joined:
            joined[-1] = f"{joined[-1]} {carry}"
        else:
            joined.append(carry)
    return joined


def _unique(units: list[_Unit]) -> list[_Unit]:
    """The units with exact repeats (overlapping chunks) removed; the first copy is kept."""
    seen: set[str] = set()
    kept: list[_Unit] = []
    for unit in units:
        key = unit.text.casefold()
        if key not in seen:
            seen.add(key)
            kept.append(unit)
    return kept


def _by_order(unit: _Unit) -> int:
    return unit.order


def _no_answer(tenant_name: str, contact: str | None, evidence: dict[str, float]) -> GroundedAnswer:
    who = f"A member of the {tenant_name} team" if tenant_name.strip() else "A member of our team"
    reach = contact.strip() if contact and contact.strip() else NO_CONTACT
    text = f"{NOT_SURE} {who} can help: {reach}"
    if not text.endswith((".", "!", "?")):
        text += "."
    return GroundedAnswer(text=text, citations=[], answered=False, evidence=evidence)
