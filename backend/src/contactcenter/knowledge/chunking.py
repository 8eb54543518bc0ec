"""Sections in, small retrievable passages out.

The default embedder reads 128 word pieces (about 90 words), so passages are packed from whole
sentences up to ``max_words`` and never cross a section boundary; consecutive passages of one
section share trailing sentences (at most ``overlap_words`` words). Each passage is the exact
substring of its section's text, so line breaks survive for display.

Words are what `count_words` counts: whitespace-separated tokens, except that a token longer
than 100 characters counts as one word per 100 characters, and each CJK ideograph or kana counts
as one word (those scripts do not separate words with spaces). By that count every passage has at
most ``max_words`` words (no tolerance); by ``str.split`` it can only be fewer.

Sentences end at ``.``, ``!``, ``?`` or ``…`` followed by a space and not by a lower-case letter,
and at line ends. A full stop does not end a sentence after a title (``Dr.``), after dotted
initials (``e.g.``, ``a.m.``, ``U.S.``) or one letter, after a few abbreviations (``approx.``),
before a number after ``No.``/``p.``/``Fig.``..., or after a list number (``1.``) that opens the
sentence. When unsure we do not split: a passage that holds two sentences is harmless, one that
stops mid-sentence is not. A sentence longer than ``max_words`` is cut at word boundaries into
windows that overlap by ``overlap_words``.

Runs in time linear in the text and is deterministic: the same document always yields the same
passages, which matters because point ids derive from (document, chunk_no).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from contactcenter.knowledge.types import Chunk, DocumentParseError, ParsedDocument, Section

__all__ = ["chunk_document", "count_words", "split_sentences"]

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\s{_CJK}]{{1,100}}")
_UNUSUAL_WORDS = re.compile(rf"[{_CJK}]|\S{{101}}")

_LINE = re.compile(r"[^\n]+")
# a run of terminators (and closing quotes or brackets) followed by a space; or CJK terminators
_END = re.compile(
    r"(?<![.!?\u2026])[.!?\u2026]++[\"'\u201d\u2019\u00bb)\]]*+(?=\s)"
    r"|(?<![\u3002\uff01\uff1f])[\u3002\uff01\uff1f]++[\u300d\u300f\u201d\u2019)\uff09]*+"
)
_SPACE = re.compile(r"\s*+")
_NEXT_LETTER = re.compile(r"[\"'\u201c\u2018(\[\u00ab\u00bf\u00a1]*+(.)")
_OPENERS = "\"'\u201c\u2018([\u00ab"

_TITLES = frozenset(
    "dr mr mrs ms mx prof st sr jr mt rev hon gen capt lt col sgt fr messrs".split()
)
_ABBREVIATIONS = frozenset("eg ie vs cf approx incl excl esp dept est ca viz al".split())
_BEFORE_NUMBER = frozenset(
    "no nos nr fig figs p pp vol ch sec art tel ext ph op jan feb mar apr jun jul aug sep "
    "sept oct nov dec".split()
)
_DOTTED_INITIALS = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
_LIST_NUMBER = re.compile(r"\d{1,3}|[A-Za-z]|[ivxlc]{1,6}")


def count_words(text: str, start: int = 0, end: int | None = None) -> int:
    """Words in ``text[start:end]``, as the chunker counts them."""
    segment = text[start:end]
    if _UNUSUAL_WORDS.search(segment):
        return sum(1 for _ in _WORD.finditer(segment))
    return len(segment.split())


class _Unit(NamedTuple):
    """A span of the section text that is packed whole: a sentence, or a window of one."""

    start: int
    end: int
    words: int


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (a line break always ends one)."""
    return [text[start:end] for start, end in _sentence_spans(text)]


def chunk_document(
    doc: ParsedDocument, *, max_words: int, overlap_words: int, max_chunks: int = 10_000
) -> list[Chunk]:
    """The document's passages in order, ``chunk_no`` from 0.

    A section is one passage when it fits (an FAQ answer, a heading with one line); otherwise
    it is packed from whole sentences. FAQ passages carry the question as their ``section``.
    Raises `DocumentParseError` when there would be more than ``max_chunks`` passages, and
    `ValueError` for sizes that make no sense (``overlap_words`` must be below ``max_words``).
    """
    if max_words < 1 or not 0 <= overlap_words < max_words or max_chunks < 1:
        raise ValueError(
            f"need 0 <= overlap_words < max_words and max_chunks >= 1 "
            f"(got {overlap_words=}, {max_words=}, {max_chunks=})"
        )
    chunks: list[Chunk] = []
    for section in doc.sections:
        label = _label(section)
        for start, end in _pack(section.text, max_words, overlap_words):
            chunks.append(Chunk(len(chunks), doc.title, label, section.text[start:end]))
    if len(chunks) > max_chunks:
        raise DocumentParseError(
            f"the document is too large: {len(chunks):,} chunks (limit {max_chunks:,})"
        )
    return chunks


def _label(section: Section) -> str | None:
    if not section.heading:
        return None
    if section.faq:
        return section.heading[-1]  # the question; a category before it is not repeated
    return " > ".join(section.heading)


def _pack(text: str, max_words: int, overlap_words: int) -> Iterator[tuple[int, int]]:
    """Spans of ``text`` made of whole units, each at most ``max_words`` words; each span
    after the first repeats the previous span's last units, at most ``overlap_words`` words
    of them and never all of them."""
    current: list[_Unit] = []
    words = 0
    for unit in _units(text, max_words, overlap_words):
        if current and words + unit.words > max_words:
            yield current[0].start, current[-1].end
            tail: list[_Unit] = []
            tail_words = 0
            for previous in reversed(current[1:]):
                if tail_words + previous.words > overlap_words:
                    break
                tail.append(previous)
                tail_words += previous.words
            tail.reverse()
            while tail and tail_words + unit.words > max_words:
                tail_words -= tail.pop(0).words
            current, words = tail, tail_words
        current.append(unit)
        words += unit.words
    if current:
        yield current[0].start, current[-1].end


def _units(text: str, max_words: int, overlap_words: int) -> Iterator[_Unit]:
    for start, end in _sentence_spans(text):
        words = count_words(text, start, end)
        if words <= max_words:
            yield _Unit(start, end, words)
        else:
            yield from _windows(text, start, end, max_words, overlap_words)


def _windows(text: str, start: int, end: int, size: int, overlap: int) -> Iterator[_Unit]:
    """A long sentence as windows of ``size`` words, each repeating ``overlap`` words of the
    previous one. Holds one window of positions at a time."""
    window: list[tuple[int, int]] = []
    fresh = 0  # words not yet emitted in any window
    for match in _WORD.finditer(text, start, end):
        window.append(match.span())
        fresh += 1
        if len(window) == size:
            yield _Unit(window[0][0], window[-1][1], size)
            window = window[size - overlap :] if overlap else []
            fresh = 0
    if fresh:
        yield _Unit(window[0][0], window[-1][1], len(window))


def _sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence; sentences never span lines and have no outer spaces."""
    for line in _LINE.finditer(text):
        line_start, line_end = line.span()
        start = _skip_space(text, line_start, line_end)
        while line_end > start and text[line_end - 1].isspace():
            line_end -= 1
        if start >= line_end:
            continue
        for end in _END.finditer(text, start, line_end):
            if end.end() < line_end and _ends_sentence(text, start, end, line_end):
                yield start, end.end()
                start = _skip_space(text, end.end(), line_end)
        if start < line_end:
            yield start, line_end


def _skip_space(text: str, pos: int, end: int) -> int:
    match = _SPACE.match(text, pos, end)
    return match.end() if match else pos


def _ends_sentence(text: str, sentence_start: int, end: re.Match[str], line_end: int) -> bool:
    """Whether the terminator ``end`` closes the sentence that began at ``sentence_start``."""
    terminator = end.group()
    if terminator[0] in "\u3002\uff01\uff1f":
        return True
    after = _NEXT_LETTER.match(text, _skip_space(text, end.end(), line_end), line_end)
    if after is None or after.group(1).islower():
        return False  # "approx. two", "e.g. tablets"
    if terminator.rstrip("\"'\u201d\u2019\u00bb)]") != ".":
        return True  # "!", "?", "...", "?!"
    # The word before the full stop: abbreviations are short, so 24 characters are plenty.
    window_start = max(sentence_start, end.start() - 24)
    segment = text[window_start : end.start()]
    words = segment.split()
    if not words:
        return True
    word = words[-1]
    if len(words) == 1 and window_start > sentence_start and not segment[0].isspace():
        return True  # a long word: not an abbreviation
    core = word.lstrip(_OPENERS)
    key = core.casefold()
    at_sentence_start = end.start() - len(word) == sentence_start
    if key in _TITLES or key in _ABBREVIATIONS or _DOTTED_INITIALS.fullmatch(core):
        return False
    if len(core) == 1 and core.isalpha():
        return False  # an initial: "J. Smith"
    if key in _BEFORE_NUMBER and after.group(1).isdigit():
        return False  # "No. 5", "p. 12"
    return not (at_sentence_start and _LIST_NUMBER.fullmatch(core))  # "1. Open the app"
