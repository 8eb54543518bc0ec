"""Chunking: whole sentences packed up to the word limit, bounded overlap, never across a
section; and the demo knowledge base parses into sensible passages."""

from __future__ import annotations

import itertools
import random
import re
import time
from importlib import resources

import pytest

from contactcenter.knowledge.chunking import chunk_document, count_words, split_sentences
from contactcenter.knowledge.parsing import parse_document
from contactcenter.knowledge.types import (
    Chunk,
    DocumentKind,
    DocumentParseError,
    ParsedDocument,
    Section,
)

MAX_WORDS, OVERLAP = 80, 15

# --- builders -----------------------------------------------------------------------------------

WORDS = (
    "pharmacy prescription refill delivery counter medicine insurance copay pharmacist label "
    "dose tablet store order patient doctor plan receipt hours weekend"
).split()


def sentence(rng: random.Random, length: int) -> str:
    words = [rng.choice(WORDS) for _ in range(length)]
    return " ".join(words).capitalize() + rng.choice([".", ".", ".", "!", "?"])


def document(*sections: Section, title: str = "Guide") -> ParsedDocument:
    return ParsedDocument(kind=DocumentKind.markdown, title=title, sections=sections)


def chunks_of(text: str, max_words: int = MAX_WORDS, overlap: int = OVERLAP) -> list[Chunk]:
    doc = document(Section(("Part",), text))
    return chunk_document(doc, max_words=max_words, overlap_words=overlap)


def random_text(seed: int, sentences: int = 60) -> str:
    rng = random.Random(seed)
    lines = []
    for _ in range(sentences // 4):
        lines.append(" ".join(sentence(rng, rng.randint(3, 30)) for _ in range(4)))
    return "\n".join(lines)


# --- sentences ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Take 2.5 mg twice a day, e.g. after breakfast and dinner.",
        "Dr. Patel and Mrs. Lee work on Saturdays.",
        "We open at 9 a.m. Monday to Friday.",
        "Prescription No. 42 is ready.",
        "See the label, i.e. the sticker on the box.",
        "Order at riverside-pharmacy.example.com/refills. or call.",
        "It costs $4.99 per 0.5 ml vial.",
        "Approx. 30 minutes, see p. 12 and Fig. 3.",
        "Ask J. R. Smith at the U.S. office.",
        "1. Open the app and tap Refill.",
        "Bring the receipt (e.g. the email) to the counter.",
    ],
)
def test_abbreviations_decimals_and_urls_do_not_end_a_sentence(text: str) -> None:
    assert split_sentences(text) == [text]


def test_sentence_boundaries() -> None:
    text = (
        "We deliver daily. Is it free? Yes! Orders over $35 ship free... Others pay $4.99.\n"
        '"Call us." She said so. (See the FAQ.) Open 9 a.m. to 5 p.m.\n'
        "- Insulin is delivered cold\n"
        "Visit https://riverside-pharmacy.example.com/delivery. It explains more.\n"
        "薬局は九時に開きます。処方箋をお持ちください！"  # noqa: RUF001
    )
    assert split_sentences(text) == [
        "We deliver daily.",
        "Is it free?",
        "Yes!",
        "Orders over $35 ship free...",
        "Others pay $4.99.",
        '"Call us."',
        "She said so.",
        "(See the FAQ.)",
        "Open 9 a.m. to 5 p.m.",
        "- Insulin is delivered cold",
        "Visit https://riverside-pharmacy.example.com/delivery.",
        "It explains more.",
        "薬局は九時に開きます。",
        "処方箋をお持ちください！",  # noqa: RUF001
    ]


def test_count_words() -> None:
    assert count_words("Take two tablets\ttwice a day.") == 6
    assert count_words("x" * 250) == 3  # one word per 100 characters
    assert count_words("薬局は9時に open.") == 7  # each ideograph or kana is a word
    assert count_words("a b c d", 2, 5) == 2


# --- packing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_chunks_are_whole_sentences_within_the_word_limit(seed: int) -> None:
    text = random_text(seed)
    sentences = set(split_sentences(text))
    chunks = chunks_of(text)
    assert len(chunks) > 3
    for chunk in chunks:
        assert count_words(chunk.text) <= MAX_WORDS  # no tolerance
        assert len(chunk.text.split()) <= MAX_WORDS
        assert chunk.text in text
        assert set(split_sentences(chunk.text)) <= sentences  # starts and ends on a boundary


@pytest.mark.parametrize("seed", range(8))
def test_overlap_is_whole_trailing_sentences_and_bounded(seed: int) -> None:
    chunks = chunks_of(random_text(seed, sentences=80))
    overlaps = 0
    for previous, current in itertools.pairwise(chunks):
        before = split_sentences(previous.text)
        common = _common_sentences(before, split_sentences(current.text))
        assert sum(count_words(s) for s in common) <= OVERLAP
        assert len(common) < len(before)  # never the whole previous chunk
        overlaps += bool(common)
    assert overlaps > 0


def _common_sentences(previous: list[str], current: list[str]) -> list[str]:
    """The longest tail of ``previous`` that opens ``current``."""
    for size in range(min(len(previous), len(current)), 0, -1):
        if previous[-size:] == current[:size]:
            return previous[-size:]
    return []


def test_overlap_zero_gives_disjoint_chunks() -> None:
    text = random_text(3)
    chunks = chunks_of(text, overlap=0)
    total = sum(count_words(c.text) for c in chunks)
    assert total == count_words(text)


def test_long_sentence_is_split_at_words_with_overlap() -> None:
    words = [f"W{i}" for i in range(200)]
    text = "Intro sentence here. " + " ".join(words) + ". Closing words."
    chunks = chunks_of(text, max_words=50, overlap=10)
    pieces = [c.text.split() for c in chunks]
    assert all(len(p) <= 50 for p in pieces)
    assert pieces[0] == ["Intro", "sentence", "here."]
    assert pieces[1] == words[:50]
    assert pieces[2][:10] == words[40:50]  # overlap of 10 words
    assert pieces[-1][-2:] == ["Closing", "words."]
    covered = {w.rstrip(".") for p in pieces for w in p}
    assert covered >= set(words)


def test_a_section_that_fits_is_one_chunk() -> None:
    doc = document(
        Section(("Holidays", "Closed"), "Closed on Christmas Day."),
        Section(("Holidays", "Reduced hours"), "Open 10 to 4 on public holidays."),
    )
    chunks = chunk_document(doc, max_words=MAX_WORDS, overlap_words=OVERLAP)
    assert chunks == [
        Chunk(0, "Guide", "Holidays > Closed", "Closed on Christmas Day."),
        Chunk(1, "Guide", "Holidays > Reduced hours", "Open 10 to 4 on public holidays."),
    ]
    assert chunks[0].context == "Guide > Holidays > Closed"


def test_chunks_never_cross_sections() -> None:
    rng = random.Random(11)
    sections = tuple(
        Section((f"Part {i}",), " ".join(sentence(rng, rng.randint(4, 25)) for _ in range(12)))
        for i in range(5)
    )
    chunks = chunk_document(document(*sections), max_words=40, overlap_words=10)
    by_label = {s.heading[0]: s.text for s in sections}
    for chunk in chunks:
        assert chunk.section is not None
        assert chunk.text in by_label[chunk.section]
    assert [c.chunk_no for c in chunks] == list(range(len(chunks)))
    labels = [c.section for c in chunks]
    assert labels == sorted(labels, key=lambda label: int(str(label).split()[-1]))


def test_no_heading_means_no_section_and_empty_sections_give_no_chunks() -> None:
    doc = document(Section((), "Text without a heading."), Section(("Empty",), "  \n "))
    chunks = chunk_document(doc, max_words=MAX_WORDS, overlap_words=OVERLAP)
    assert chunks == [Chunk(0, "Guide", None, "Text without a heading.")]
    assert chunks[0].context == "Guide"


def test_faq_pairs_stay_together_with_the_question_as_section() -> None:
    doc = document(
        Section(
            ("Delivery", "Do you deliver on Sundays?"), "No. We deliver Monday to Saturday.", True
        ),
        Section(("Is it free?",), "Yes, over $35.", True),
    )
    chunks = chunk_document(doc, max_words=MAX_WORDS, overlap_words=OVERLAP)
    assert chunks == [
        Chunk(0, "Guide", "Do you deliver on Sundays?", "No. We deliver Monday to Saturday."),
        Chunk(1, "Guide", "Is it free?", "Yes, over $35."),
    ]


def test_long_faq_answer_repeats_the_question_on_each_piece() -> None:
    answer = " ".join(sentence(random.Random(5), 12) for _ in range(20))
    doc = document(Section(("How do refills work?",), answer, True))
    chunks = chunk_document(doc, max_words=40, overlap_words=10)
    assert len(chunks) > 4
    assert {c.section for c in chunks} == {"How do refills work?"}


def test_chunking_is_deterministic() -> None:
    doc = document(*(Section((f"S{i}",), random_text(i)) for i in range(4)))
    first = chunk_document(doc, max_words=60, overlap_words=12)
    assert first == chunk_document(doc, max_words=60, overlap_words=12)


def test_too_many_chunks_is_a_parse_error() -> None:
    doc = document(*(Section((f"Q{i}?",), "An answer.", True) for i in range(12)))
    with pytest.raises(DocumentParseError) as caught:
        chunk_document(doc, max_words=MAX_WORDS, overlap_words=OVERLAP, max_chunks=10)
    assert caught.value.reason == "the document is too large: 12 chunks (limit 10)"


@pytest.mark.parametrize(("max_words", "overlap"), [(0, 0), (20, 20), (20, -1)])
def test_nonsense_sizes_are_a_programming_error(max_words: int, overlap: int) -> None:
    with pytest.raises(ValueError, match="overlap_words < max_words"):
        chunks_of("Text.", max_words=max_words, overlap=overlap)


def test_long_line_and_long_token_stay_linear() -> None:
    line = "word " * 400_000  # 2 MB, no sentence end
    started = time.perf_counter()
    chunks = chunks_of(line)
    assert time.perf_counter() - started < 10
    assert all(count_words(c.text) <= MAX_WORDS for c in chunks)
    token = "x" * 1_000_000  # no spaces at all: 100-character words
    chunks = chunks_of(token)
    assert all(len(c.text) <= MAX_WORDS * 100 for c in chunks)
    assert len(chunks) == 154


# --- the demo knowledge base --------------------------------------------------------------------

DEMO = resources.files("contactcenter.knowledge") / "demo"
DEMO_FILES = sorted(entry.name for entry in DEMO.iterdir() if entry.is_file())


def test_demo_has_the_expected_files() -> None:
    assert DEMO_FILES == [
        "contact-us.md",
        "delivery.md",
        "faq.csv",
        "insurance-and-payment.md",
        "opening-hours.md",
        "prescriptions-and-refills.md",
        "privacy.md",
        "returns-and-refunds.md",
        "side-effects-and-safety.md",
    ]


@pytest.mark.parametrize("name", DEMO_FILES)
def test_demo_file_parses_into_sections_and_chunks(name: str) -> None:
    data = (DEMO / name).read_bytes()
    doc = parse_document(data, filename=name)
    chunks = chunk_document(doc, max_words=MAX_WORDS, overlap_words=OVERLAP)
    assert len(chunks) >= 2
    assert all(0 < count_words(c.text) <= MAX_WORDS for c in chunks)
    if name.endswith(".md"):
        assert doc.source_url and doc.source_url.startswith(
            "https://riverside-pharmacy.example.com/"
        )
        assert len(doc.sections) >= 4
        assert all(s.heading for s in doc.sections[1:])
        body = re.sub(r"\A---.*?---", "", data.decode(), flags=re.S)
        assert 150 <= len(body.split()) <= 600
    else:
        assert doc.title == "FAQ"
        assert 18 <= len(doc.sections) <= 25
        assert all(s.faq and len(s.heading) == 2 for s in doc.sections)


def test_demo_uses_only_fictional_contact_details() -> None:
    for name in DEMO_FILES:
        text = (DEMO / name).read_text()
        for phone in re.findall(r"\b\d{3}-\d{4}\b", text):
            assert phone.startswith("555-01"), (name, phone)
        for url in re.findall(r"https?://[^\s)\"]+", text):
            assert "example.com" in url, (name, url)
        for email in re.findall(r"[\w.-]+@[\w.-]+", text):
            assert email.rstrip(".").endswith("example.com"), (name, email)
