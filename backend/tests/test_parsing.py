"""Parsing uploaded files: every format into title, sections and clean text, and every bad file
refused with the reason a staff member reads."""

from __future__ import annotations

import io
import json
import logging
import random
import time

import pytest
from pypdf import PdfReader, PdfWriter

from contactcenter.knowledge.parsing import detect_kind, parse_document, title_from_filename
from contactcenter.knowledge.types import DocumentKind, DocumentParseError, ParsedDocument, Section

# --- builders -----------------------------------------------------------------------------------


def parse(text: str | bytes, filename: str, **kwargs: str | None) -> ParsedDocument:
    data = text.encode() if isinstance(text, str) else text
    return parse_document(data, filename=filename, **kwargs)


def refused(data: bytes, filename: str, content_type: str | None = None) -> str:
    with pytest.raises(DocumentParseError) as caught:
        parse_document(data, filename=filename, content_type=content_type)
    return caught.value.reason


def make_pdf(pages: list[list[str]], *, title: str | None = None) -> bytes:
    """A real PDF, written by hand: one Helvetica text line per entry, so text is extractable."""

    def literal(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    count = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
    objects = {
        1: "<< /Type /Catalog /Pages 2 0 R >>",
        2: f"<< /Type /Pages /Kids [{kids}] /Count {count} >>",
        3: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    for i, lines in enumerate(pages):
        shown = " ".join(f"({literal(line)}) Tj T*" for line in lines)
        stream = f"BT /F1 11 Tf 14 TL 72 740 Td {shown} ET"
        objects[4 + 2 * i] = (
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>"
        )
        objects[5 + 2 * i] = f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream"
    info = None
    if title:
        info = 4 + 2 * count
        objects[info] = f"<< /Title ({literal(title)}) >>"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(f"{number} 0 obj\n{objects[number]}\nendobj\n".encode("latin-1"))
    xref, size = out.tell(), max(objects) + 1
    out.write(f"xref\n0 {size}\n0000000000 65535 f \n".encode())
    for number in range(1, size):
        out.write(f"{offsets[number]:010d} 00000 n \n".encode())
    trailer = f"<< /Size {size} /Root 1 0 R" + (f" /Info {info} 0 R" if info else "") + " >>"
    out.write(f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def encrypted(pdf: bytes, *, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


SAMPLE_PAGES = [
    [
        "Delivery policy",
        "We deliver prescriptions to your door within ten miles of the store, and every medi-",
        "cation is packed in a sealed bag with your name on the label.",
        "Fees",
        "Standard delivery costs $4.99.",
        "1",
    ],
    ["Refrigerated medicines are delivered the same day only.", "Page 2 of 2"],
]


# --- file type ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "kind"),
    [
        ("guide.md", DocumentKind.markdown),
        ("Guide.MARKDOWN", DocumentKind.markdown),
        ("notes.txt", DocumentKind.text),
        ("page.htm", DocumentKind.html),
        ("page.html", DocumentKind.html),
        ("policy.pdf", DocumentKind.pdf),
        ("faq.csv", DocumentKind.faq_csv),
        ("faq.json", DocumentKind.faq_json),
        ("faq.jsonl", DocumentKind.faq_json),
        (r"C:\fakepath\returns.md", DocumentKind.markdown),
    ],
)
def test_kind_comes_from_the_extension(filename: str, kind: DocumentKind) -> None:
    assert detect_kind(filename, "application/octet-stream", b"%PDF-1.7") is kind


def test_kind_falls_back_to_content_type_then_sniffing() -> None:
    assert detect_kind("upload", "text/markdown; charset=utf-8", b"# Hi") is DocumentKind.markdown
    assert detect_kind("upload", None, b"%PDF-1.7\n...") is DocumentKind.pdf
    assert detect_kind("upload", None, b"\n<!DOCTYPE html><p>x") is DocumentKind.html
    assert detect_kind("upload", None, b"<!-- c --><html lang=en>") is DocumentKind.html


def test_unsupported_extension_names_it_and_lists_what_works() -> None:
    reason = refused(b"PK\x03\x04", "report.docx")
    assert reason == (
        "unsupported file type '.docx': upload Markdown, text, HTML, PDF, or an FAQ as CSV or JSON"
    )
    assert refused(b"hello", "README").startswith("unsupported file type: upload Markdown")


def test_title_from_filename() -> None:
    assert title_from_filename("returns-and-refunds.md") == "Returns and refunds"
    assert title_from_filename("docs/opening_hours.v2.txt") == "Opening hours v2"
    assert title_from_filename("faq.csv") == "FAQ"
    assert title_from_filename(".md") == "Md"
    assert title_from_filename("---.txt") == "Untitled document"


# --- empty and undecodable files ----------------------------------------------------------------


@pytest.mark.parametrize("filename", ["a.md", "a.txt", "a.html", "a.pdf", "a.csv", "a.json"])
def test_empty_file_is_refused(filename: str) -> None:
    assert refused(b"", filename) == "the file is empty"


@pytest.mark.parametrize("filename", ["a.md", "a.txt", "a.html", "a.csv", "a.json"])
def test_whitespace_only_file_is_empty(filename: str) -> None:
    assert refused(b" \n\t\r\n  ", filename) == "the file is empty"
    assert refused(b"\xef\xbb\xbf\n", filename) == "the file is empty"  # a BOM alone


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"<html><head><script>x()</script></head><body><nav>Home</nav></body></html>", "a.html"),
        (b"![logo](logo.png)\n\n<!-- draft -->\n", "a.md"),
        (b"---\ntitle: Only a title\n---\n", "a.md"),
        (b"\x01\x02\x03\n\x7f", "a.txt"),
    ],
)
def test_markup_without_text_is_refused(data: bytes, filename: str) -> None:
    assert refused(data, filename) == "no text found"


@pytest.mark.parametrize("filename", ["returns.md", "returns.txt", "faq.csv", "faq.json"])
def test_latin1_bytes_are_refused_with_the_offending_byte(filename: str) -> None:
    data = "question,answer\nCafé?,Oui.\n".encode("latin-1")
    assert refused(data, filename) == (
        "not UTF-8 text (invalid byte 0xe9 at offset 19); save the file as UTF-8"
    )


def test_nul_bytes_mean_a_binary_file() -> None:
    reason = refused(b"hello\x00\x00\x01world", "notes.txt")
    assert reason == "this looks like a binary file, not text (it contains NUL bytes)"
    assert refused(b"<p>a\x00b</p>", "page.html").startswith("this looks like a binary file")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_unicode_with_a_byte_order_mark_is_read(encoding: str) -> None:
    text = "Pharmacy hours\n\nWe open at 9 a.m. — café au lait is free."
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    doc = parse(data, "hours.txt")
    assert doc.title == "Pharmacy hours"
    assert doc.sections[0].text == "We open at 9 a.m. — café au lait is free."


def test_utf16_without_bom_is_binary() -> None:
    assert refused("Hello".encode("utf-16-le"), "a.txt").startswith("this looks like a binary")


def test_declared_charset_is_honoured() -> None:
    page = '<html><head><meta charset="iso-8859-1"><title>Café</title></head><body><p>Crème</p>'
    assert parse(page.encode("latin-1"), "a.html").sections[0].text == "Crème"
    legacy = (
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        "<p>“Quoted” \u2013 fine</p>"
    )
    assert parse(legacy.encode("cp1252"), "a.html").sections[0].text == "“Quoted” \u2013 fine"
    doc = parse(
        "Crème brûlée".encode("latin-1"), "a.txt", content_type="text/plain; charset=latin1"
    )
    assert doc.sections[0].text == "Crème brûlée"


def test_unknown_charset_is_ignored_and_wrong_bytes_refused() -> None:
    assert parse("<meta charset=klingon><p>Café", "a.html").sections[0].text == "Café"
    assert parse(b"x", "a.txt", content_type="text/plain; charset=base64").sections[0].text == "x"
    reason = refused("<meta charset=klingon><p>Café".encode("latin-1"), "a.html")
    assert reason.startswith("not UTF-8 text (invalid byte 0xe9 at offset 28)")
    reason = refused(b"\x81\xff", "a.txt", "text/plain; charset=shift_jis")
    assert reason.startswith("not valid shift_jis text (invalid byte 0x")


# --- cleaning -----------------------------------------------------------------------------------


def test_text_is_cleaned() -> None:
    raw = (
        "Intro\r\n\r\n"
        "Cafe\u0301 \u00a0 and   tea\u200b.\x07 Pre\u00adscriptions are ready.\r\n"
        "  Second\tline  \r\n\r\n\r\n\r\nThird \ufb01le."
    )
    doc = parse(raw, "notes.txt")
    assert doc.title == "Intro"
    assert doc.sections[0].text == (
        "Café and tea. Prescriptions are ready.\nSecond\tline\n\nThird file."
    )


# --- Markdown -----------------------------------------------------------------------------------

MARKDOWN = """---
title: "Returns & refunds"
url: https://riverside-pharmacy.example.com/returns
owner: pharmacy team
---

# Returns & refunds

We want you to be **happy** with every _purchase_.

## Prescription medicines

Medicines cannot be returned. See [our safety page](https://example.com/safety) for why.
![A pill bottle](bottle.png)

### Pharmacy errors

1. Do not take the medicine.
2. Call `555-0100` straight away.
   - Keep the package.

## Store products

| Item | Days |
|------|------|
| Unopened | 30 |
| Opened | 0 |

```
RETURN-CODE: 42
```

<div class="note"><p>Bring the <b>receipt</b>.</p><script>track()</script></div>

> Refunds take 3 to 5 business days.
"""


def test_markdown_sections_follow_the_heading_hierarchy() -> None:
    doc = parse(MARKDOWN, "returns.md")
    assert doc.kind is DocumentKind.markdown
    assert doc.title == "Returns & refunds"
    assert doc.source_url == "https://riverside-pharmacy.example.com/returns"
    assert doc.sections == (
        Section((), "We want you to be happy with every purchase."),
        Section(
            ("Prescription medicines",),
            "Medicines cannot be returned. See our safety page for why.",
        ),
        Section(
            ("Prescription medicines", "Pharmacy errors"),
            "Do not take the medicine.\nCall 555-0100 straight away.\nKeep the package.",
        ),
        Section(
            ("Store products",),
            "Item | Days\nUnopened | 30\nOpened | 0\n\nRETURN-CODE: 42\n\nBring the receipt.\n\n"
            "Refunds take 3 to 5 business days.",
        ),
    )


def test_markdown_title_falls_back_to_first_h1_then_argument_then_filename() -> None:
    body = "Some text.\n\n## Part\n\nMore text."
    assert parse("# Delivery guide\n\n" + body, "d.md").title == "Delivery guide"
    assert parse(body, "d.md", title="Given title").title == "Given title"
    assert parse(body, "home-delivery.md").title == "Home delivery"
    # the file's own title wins over the argument
    assert parse("# Delivery guide\n\n" + body, "d.md", title="Given").title == "Delivery guide"


def test_markdown_h1_that_is_not_the_title_stays_in_the_path() -> None:
    doc = parse("---\ntitle: Guide\n---\n# Delivery\n\n## Fees\n\nFree over $35.", "g.md")
    assert doc.sections == (Section(("Delivery", "Fees"), "Free over $35."),)


def test_source_url_argument_wins_over_front_matter() -> None:
    doc = parse(MARKDOWN, "r.md", source_url="https://kb.example.com/r")
    assert doc.source_url == "https://kb.example.com/r"
    doc = parse("---\nurl: not a url\n---\ntext", "r.md")
    assert doc.source_url is None


def test_markdown_front_matter_block_values_are_ignored() -> None:
    doc = parse("---\ntitle: >\n  Folded title\n---\n\n# Real title\n\nBody.", "a.md")
    assert doc.title == "Real title"


# --- plain text ---------------------------------------------------------------------------------


def test_text_first_line_heading_becomes_the_title() -> None:
    doc = parse("Opening hours\n\nWe open at 9 a.m.\nWe close at 9 p.m.", "hours.txt")
    assert doc.title == "Opening hours"
    assert doc.sections == (Section((), "We open at 9 a.m.\nWe close at 9 p.m."),)


def test_text_first_line_sentence_is_body() -> None:
    doc = parse("We open at 9 a.m.\n\nWe close at 9 p.m.", "store-hours.txt", title="Hours")
    assert doc.title == "Hours"
    assert doc.sections[0].text == "We open at 9 a.m.\n\nWe close at 9 p.m."
    assert parse("We open at 9.\n\nClosed Sundays.", "store-hours.txt").title == "Store hours"


def test_text_hard_wrapped_paragraphs_are_unwrapped() -> None:
    wrapped = (
        "Prescriptions sent by your doctor before six in the evening are usually\n"
        "ready the same day, and we send a text message as soon as they are ready\n"
        "for collection at the pharmacy counter on the ground floor of the store.\n"
        "\n"
        "Refills can be requested online, in the app or by phone, at least two\n"
        "business days before you run out of the medicine you take every day.\n"
        "- Online\n"
        "- In the app\n"
    )
    text = parse(wrapped, "rx.txt").sections[0].text
    assert text.split("\n") == [
        "Prescriptions sent by your doctor before six in the evening are usually ready the same "
        "day, and we send a text message as soon as they are ready for collection at the "
        "pharmacy counter on the ground floor of the store.",
        "",
        "Refills can be requested online, in the app or by phone, at least two business days "
        "before you run out of the medicine you take every day.",
        "- Online",
        "- In the app",
    ]


def test_text_short_lines_are_kept() -> None:
    text = "Monday: 8 to 9\nTuesday: 8 to 9\nWednesday: 8 to 9\nSaturday: closed\nSunday: closed"
    assert parse(text, "hours.txt").sections[0].text == text


# --- HTML ---------------------------------------------------------------------------------------

HTML = """<!DOCTYPE html>
<html><head>
<title>Delivery | Riverside Pharmacy</title>
<link rel="canonical" href="https://riverside-pharmacy.example.com/delivery">
<style>p { color: red }</style>
</head>
<body>
<header><a href="/">Riverside Pharmacy</a> <nav><a href="/a">Home</a></nav></header>
<main>
  <article>
    <header><h1>Delivery</h1></header>
    <p>We deliver <em>prescriptions</em>
       and store products.<br>Every day but Sunday.</p>
    <h2>Fees</h2>
    <ul><li>Standard: $4.99</li><li>Free over <strong>$35</strong></li></ul>
    <table><tr><th>Service</th><th>Fee</th></tr><tr><td>Same day</td><td>$7.99</td></tr></table>
    <h3>Refrigerated items</h3>
    <p>Same day only.<!-- internal note --></p>
    <div hidden>Hidden promo</div>
    <aside>Related articles</aside>
    <form><label>Email</label><input name=e><button>Subscribe</button></form>
    <pre>CODE  1
CODE  2</pre>
    <script>track("delivery")</script>
  </article>
</main>
<footer>© Riverside Pharmacy</footer>
</body></html>
"""


def test_html_sections_and_readable_lines() -> None:
    doc = parse(HTML, "delivery.html")
    assert doc.kind is DocumentKind.html
    assert doc.title == "Delivery"
    assert doc.source_url == "https://riverside-pharmacy.example.com/delivery"
    assert doc.sections == (
        Section((), "We deliver prescriptions and store products.\nEvery day but Sunday."),
        Section(("Fees",), "Standard: $4.99\nFree over $35\n\nService | Fee\nSame day | $7.99"),
        Section(("Fees", "Refrigerated items"), "Same day only.\n\nCODE 1\nCODE 2"),
    )


def test_html_title_from_title_tag_or_h1() -> None:
    assert parse("<title>Store hours</title><p>Open daily.", "a.html").title == "Store hours"
    assert parse("<h1>Store hours</h1><p>Open daily.", "a.html").title == "Store hours"
    assert parse("<p>Open daily.", "store-hours.html").title == "Store hours"


def test_html_source_url_argument_wins_over_canonical() -> None:
    doc = parse(HTML, "d.html", source_url="https://kb.example.com/d")
    assert doc.source_url == "https://kb.example.com/d"


@pytest.mark.parametrize(
    "piece",
    ["<!--", "<a b='", '<a b="', "<?x", "</a", "<!x", "<![CDATA[", "<a", "</", "< ", "<script>"],
)
def test_html_unterminated_markup_stays_linear(piece: str) -> None:
    """CPython's html.parser is quadratic on these (gh-135462; 120 KB of ``<a b='`` took 37 s):
    300 KB must still be fast."""
    data = ("<p>text " + piece * (300_000 // len(piece))).encode()
    started = time.perf_counter()
    try:
        parse_document(data, filename="evil.html")
    except DocumentParseError:
        pass
    assert time.perf_counter() - started < 5


def test_html_deep_nesting_does_not_overflow() -> None:
    doc = parse("<div>" * 20_000 + "Deep text." + "</div>" * 20_000, "deep.html")
    assert doc.sections[0].text == "Deep text."


# --- PDF ----------------------------------------------------------------------------------------


def test_pdf_pages_become_sections_without_page_numbers() -> None:
    doc = parse_document(make_pdf(SAMPLE_PAGES, title="Delivery policy"), filename="x.pdf")
    assert doc.kind is DocumentKind.pdf
    assert doc.title == "Delivery policy"
    assert doc.sections == (
        Section(
            ("Page 1",),
            "We deliver prescriptions to your door within ten miles of the store, and every "
            "medication is packed in a sealed bag with your name on the label.\n"
            "Fees\nStandard delivery costs $4.99.",
        ),
        Section(("Page 2",), "Refrigerated medicines are delivered the same day only."),
    )


def test_pdf_title_falls_back_to_argument_then_filename() -> None:
    pdf = make_pdf(SAMPLE_PAGES, title="Microsoft Word - draft3.docx")
    assert parse_document(pdf, filename="delivery-policy.pdf").title == "Delivery policy"
    assert parse_document(pdf, filename="x.pdf", title="Delivery").title == "Delivery"


def test_pdf_with_owner_password_only_is_read() -> None:
    doc = parse_document(encrypted(make_pdf(SAMPLE_PAGES), user_password=""), filename="x.pdf")
    assert doc.sections[1].text == "Refrigerated medicines are delivered the same day only."


def test_pdf_with_a_password_is_refused() -> None:
    pdf = encrypted(make_pdf(SAMPLE_PAGES), user_password="secret")
    assert refused(pdf, "x.pdf") == "the PDF is password-protected"


def test_pdf_without_text_needs_ocr() -> None:
    reason = refused(blank_pdf(), "scan.pdf")
    assert reason == "the PDF has no extractable text (scanned pages need OCR first)"


@pytest.mark.parametrize("cut", [20, 200, -40])
def test_truncated_pdf_is_refused(cut: int) -> None:
    pdf = make_pdf(SAMPLE_PAGES)
    assert refused(pdf[:cut], "x.pdf").startswith("the PDF could not be read (")


def test_random_bytes_named_pdf_are_refused() -> None:
    noise = random.Random(7).randbytes(4000)
    assert refused(noise, "x.pdf") == (
        "the PDF could not be read (it does not start with a PDF header)"
    )
    assert refused(b"%PDF-1.7\n" + noise, "x.pdf").startswith("the PDF could not be read (")


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_pdf_warnings_are_kept_at_debug() -> None:
    damaged = make_pdf(SAMPLE_PAGES).replace(b"startxref\n", b"startxref\n9")  # bad xref offset
    root, ours = Collect(), Collect()
    logging.getLogger().addHandler(root)
    parsing_logger = logging.getLogger("contactcenter.knowledge.parsing")
    parsing_logger.addHandler(ours)
    level = parsing_logger.level
    parsing_logger.setLevel(logging.DEBUG)
    try:
        parse_document(damaged, filename="x.pdf")
    finally:
        logging.getLogger().removeHandler(root)
        parsing_logger.removeHandler(ours)
        parsing_logger.setLevel(level)
    assert not [r for r in root.records if r.name.startswith("pypdf")]
    assert [r.levelno for r in ours.records if r.getMessage().startswith("pypdf: ")]
    assert {r.levelno for r in ours.records} == {logging.DEBUG}


# --- FAQ CSV ------------------------------------------------------------------------------------


def test_faq_csv_pairs_become_faq_sections() -> None:
    data = (
        "Category,Question,Answer,URL\n"
        'Delivery,Do you deliver on Sundays?,"No, Monday to Saturday only.",https://x.example/d\n'
        ',How much is delivery?,"$4.99, free over $35.",https://x.example/d\n'
        "Delivery,Empty answer,,\n"
        ",,An answer without a question,\n"
    )
    doc = parse(data, "delivery-faq.csv")
    assert doc.kind is DocumentKind.faq_csv
    assert doc.title == "Delivery FAQ"
    assert doc.source_url == "https://x.example/d"  # every pair shares it
    assert doc.sections == (
        Section(("Delivery", "Do you deliver on Sundays?"), "No, Monday to Saturday only.", True),
        Section(("How much is delivery?",), "$4.99, free over $35.", True),
    )


@pytest.mark.parametrize(
    "data",
    [
        "q;a\nIs it free?;Yes, always.\n",
        "QUESTIONS\tANSWERS\nIs it free?\tYes, always.\n",
        'Question , Answer\nIs it free?, "Yes, always."\n',
        'faq_question,response\n"Is it free?","Yes, always."\n',
    ],
)
def test_faq_csv_synonyms_and_delimiters(data: str) -> None:
    doc = parse(data, "faq.csv", title="Prices")
    assert doc.title == "Prices"
    assert doc.sections == (Section(("Is it free?",), "Yes, always.", True),)


def test_faq_csv_without_needed_columns_lists_what_it_found() -> None:
    reason = refused(b"Frage,Antwort\nWas?,Das.\n", "faq.csv")
    assert reason == "the CSV needs 'question' and 'answer' columns (found: 'Frage', 'Antwort')"


def test_faq_csv_with_no_usable_rows_is_refused() -> None:
    reason = refused(b"question,answer\n,\nOnly a question,\n", "faq.csv")
    assert reason == "no FAQ entries with both a question and an answer were found"


def test_faq_csv_malformed_field_is_refused_with_line() -> None:
    data = b"question,answer\nBig?," + b"x" * 200_000 + b"\n"
    assert refused(data, "faq.csv").startswith("the CSV could not be read (line 2: field larger")


# --- FAQ JSON -----------------------------------------------------------------------------------


def test_faq_json_list_and_wrapped_object() -> None:
    pairs = [{"Q": "Open Sundays?", "A": "Yes, 10 to 4."}, {"question": "Parking?", "answer": 3}]
    doc = parse(json.dumps(pairs), "faq.json")
    assert doc.kind is DocumentKind.faq_json
    assert [s.heading for s in doc.sections] == [("Open Sundays?",), ("Parking?",)]
    wrapped = {"title": "Store FAQ", "url": "https://x.example/faq", "faqs": pairs}
    doc = parse(json.dumps(wrapped), "faq.json")
    assert (doc.title, doc.source_url, len(doc.sections)) == (
        "Store FAQ",
        "https://x.example/faq",
        2,
    )


def test_faq_json_lines() -> None:
    data = (
        '{"question": "A?", "answer": "One.", "category": "Basics"}\n\n{"q": "B?", "a": "Two."}\n'
    )
    for filename in ("faq.jsonl", "faq.json"):
        doc = parse(data, filename)
        assert doc.sections == (
            Section(("Basics", "A?"), "One.", True),
            Section(("B?",), "Two.", True),
        )


def test_invalid_json_reports_line_and_column() -> None:
    assert refused(b'[\n  {"question": "A?",\n    "answer" "x"}\n]', "faq.json") == (
        "not valid JSON (line 3, column 14: Expecting ':' delimiter)"
    )
    assert refused(b'{"q": "A?", "a": "x"}\n{"q": oops}\n', "faq.jsonl") == (
        "not valid JSON (line 2, column 7: Expecting value)"
    )
    assert refused(b"[" * 100_000, "faq.json") == "not valid JSON (nested too deeply)"


@pytest.mark.parametrize("value", ['"just text"', "42", '["a", "b"]', '{"faq": "none"}'])
def test_json_of_the_wrong_shape_is_refused(value: str) -> None:
    reason = refused(value.encode(), "faq.json")
    assert reason.startswith("the JSON must be a list of objects") or reason.startswith(
        "the JSON entries need 'question' and 'answer' fields"
    )


def test_json_entries_without_needed_fields_list_what_they_have() -> None:
    reason = refused(b'[{"title": "x", "body": "y"}]', "faq.json")
    assert reason == "the JSON entries need 'question' and 'answer' fields (found: 'title', 'body')"


# --- size -----------------------------------------------------------------------------------------


def test_long_single_line_is_parsed_in_linear_time() -> None:
    line = ("word " * 1_000_000).encode()  # 5 MB, one line
    for filename in ("big.txt", "big.md", "big.html"):
        started = time.perf_counter()
        doc = parse_document(line, filename=filename)
        assert time.perf_counter() - started < 10
        assert len(doc.sections[0].text) == len(line) - 1
