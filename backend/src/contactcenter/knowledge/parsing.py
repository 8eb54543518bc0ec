"""Uploaded files in, clean sectioned text out.

`parse_document` turns the bytes of one file (Markdown, text, HTML, PDF, or an FAQ as CSV or
JSON) into a `ParsedDocument`: a title, an optional source URL and sections of clean text under
their heading paths. Bad input always raises `DocumentParseError` with a reason a staff member
can act on; library failures are wrapped, never leaked.

Conventions the chunker relies on:

- section text is NFC, has no control characters other than ``\\n`` and ``\\t``, no zero-width
  characters or soft hyphens, and single spaces;
- a ``\\n`` separates units that stand alone (a paragraph, a list item, a table row), a blank
  line separates paragraphs; hard-wrapped prose (PDF pages, wrapped text files) is unwrapped;
- a heading path never repeats the document title: a first heading equal to the title is the
  title, not a section.

Titles: the file's own title wins (front matter, first H1, ``<title>``, PDF metadata, the
heading-like first line of a text file); the ``title`` argument is the fallback, then the file
name. A ``source_url`` argument always wins over a URL found in the file.

Everything here runs in time linear in the input, including on hostile HTML: CPython's
``html.parser`` is quadratic on unterminated markup (gh-135462, fixed only in 3.11.13, and more
cases since), so HTML is re-tokenised by a linear scanner before BeautifulSoup sees it.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag
from markdown_it import MarkdownIt
from markdown_it.token import Token
from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from contactcenter.knowledge.types import DocumentKind, DocumentParseError, ParsedDocument, Section

__all__ = ["detect_kind", "parse_document", "title_from_filename"]

logger = logging.getLogger(__name__)

SUPPORTED = "upload Markdown, text, HTML, PDF, or an FAQ as CSV or JSON"

_MAX_TITLE_CHARS = 200
_MAX_HEADING_CHARS = 300

# --- file type ----------------------------------------------------------------------------------

_KIND_BY_EXTENSION = {
    ".md": DocumentKind.markdown,
    ".markdown": DocumentKind.markdown,
    ".txt": DocumentKind.text,
    ".text": DocumentKind.text,
    ".html": DocumentKind.html,
    ".htm": DocumentKind.html,
    ".xhtml": DocumentKind.html,
    ".pdf": DocumentKind.pdf,
    ".csv": DocumentKind.faq_csv,
    ".tsv": DocumentKind.faq_csv,
    ".json": DocumentKind.faq_json,
    ".jsonl": DocumentKind.faq_json,
    ".ndjson": DocumentKind.faq_json,
}

_KIND_BY_MEDIA_TYPE = {
    "text/markdown": DocumentKind.markdown,
    "text/x-markdown": DocumentKind.markdown,
    "text/plain": DocumentKind.text,
    "text/html": DocumentKind.html,
    "application/xhtml+xml": DocumentKind.html,
    "application/pdf": DocumentKind.pdf,
    "text/csv": DocumentKind.faq_csv,
    "application/csv": DocumentKind.faq_csv,
    "text/tab-separated-values": DocumentKind.faq_csv,
    "application/json": DocumentKind.faq_json,
    "application/jsonl": DocumentKind.faq_json,
    "application/x-ndjson": DocumentKind.faq_json,
    "application/x-jsonlines": DocumentKind.faq_json,
}

_HTML_SNIFF = re.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S)


def detect_kind(filename: str, content_type: str | None, data: bytes) -> DocumentKind:
    """What the file is: by extension first, then by content type, then by its first bytes."""
    extension = _extension(filename)
    if extension in _KIND_BY_EXTENSION:
        return _KIND_BY_EXTENSION[extension]
    media_type, _ = _split_content_type(content_type)
    if media_type in _KIND_BY_MEDIA_TYPE:
        return _KIND_BY_MEDIA_TYPE[media_type]
    head = data[:1024]
    if b"%PDF-" in head:
        return DocumentKind.pdf
    if _HTML_SNIFF.match(head.removeprefix(codecs.BOM_UTF8)):
        return DocumentKind.html
    if extension:
        raise DocumentParseError(f"unsupported file type '{extension}': {SUPPORTED}")
    raise DocumentParseError(f"unsupported file type: {SUPPORTED}")


def parse_document(
    data: bytes,
    *,
    filename: str,
    content_type: str | None = None,
    title: str | None = None,
    source_url: str | None = None,
) -> ParsedDocument:
    """Parse one uploaded file.

    ``title`` is used when the file names no title of its own; ``source_url`` wins over a URL
    found in the file (front matter, canonical link). Raises `DocumentParseError`.
    """
    if not data:
        raise DocumentParseError("the file is empty")
    kind = detect_kind(filename, content_type, data)
    fallback_title = _clean_inline(title or "")[:_MAX_TITLE_CHARS] or title_from_filename(filename)
    url = _http_url(source_url)
    _, declared = _split_content_type(content_type)
    try:
        match kind:
            case DocumentKind.pdf:
                return _parse_pdf(data, fallback_title, url)
            case DocumentKind.html:
                text = _decode(data, declared or _html_declared_charset(data))
                return _parse_html(text, fallback_title, url)
            case DocumentKind.markdown:
                return _parse_markdown(_decode(data, declared), fallback_title, url)
            case DocumentKind.text:
                return _parse_text(_decode(data, declared), fallback_title, url)
            case DocumentKind.faq_csv:
                return _parse_faq_csv(_decode(data, declared), fallback_title, url)
            case DocumentKind.faq_json:  # JSON is UTF-8 (RFC 8259): a charset label is ignored
                jsonl = _extension(filename) in (".jsonl", ".ndjson")
                return _parse_faq_json(_decode(data, None), fallback_title, url, jsonl=jsonl)
    except RecursionError as exc:
        raise DocumentParseError("the file is nested too deeply to read") from exc


_ACRONYMS = {"faq": "FAQ", "faqs": "FAQs"}


def title_from_filename(filename: str) -> str:
    """``"returns-and-refunds.md"`` -> ``"Returns and refunds"``."""
    name = re.split(r"[/\\]", filename)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    words = _clean_inline(re.sub(r"[-_.\s]+", " ", stem))
    if not words:
        return "Untitled document"
    words = " ".join(_ACRONYMS.get(word.casefold(), word) for word in words.split(" "))
    return (words[:1].upper() + words[1:])[:_MAX_TITLE_CHARS]


def _extension(filename: str) -> str:
    name = re.split(r"[/\\]", filename)[-1].lower()
    if "." not in name.lstrip("."):
        return ""
    return "." + name.rsplit(".", 1)[1]


def _split_content_type(content_type: str | None) -> tuple[str, str | None]:
    """``"text/html; charset=ISO-8859-1"`` -> ``("text/html", "iso-8859-1")``."""
    if not content_type:
        return "", None
    media_type, *params = content_type.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip(" \"'"):
            charset = value.strip(" \"'").lower()
    return media_type.strip().lower(), charset


def _http_url(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    if re.match(r"https?://[^\s/?#]+", value, re.I) and not re.search(r"\s", value):
        return value
    return None


# --- decoding -----------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# WHATWG: these labels mean windows-1252 in practice; ASCII labels are read as UTF-8 (a superset)
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "windows-1252": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
_META_CHARSET = re.compile(rb"<meta[^>]{0,512}?charset\s*=\s*[\"']?\s*([a-z0-9._:-]{1,40})", re.I)


def _html_declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii").lower() if match else None


def _decode(data: bytes, declared: str | None) -> str:
    """Bytes to text: a BOM wins, then a declared charset, then strict UTF-8. Never guesses."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_as(data, len(bom), encoding, encoding[:6].upper())
    if b"\x00" in data:
        raise DocumentParseError("this looks like a binary file, not text (it contains NUL bytes)")
    codec = _codec_for(declared)
    if codec == "cp1252":
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")  # the declared ISO-8859-1, taken literally
    if codec and codec != "utf-8":
        return _decode_as(data, 0, codec, str(declared))
    return _decode_as(data, 0, "utf-8", "UTF-8")


def _codec_for(label: str | None) -> str | None:
    """The codec a charset label names; None for no label or one we do not know (ignored, as
    browsers do: the text must then be UTF-8)."""
    if not label:
        return None
    try:
        codec = codecs.lookup(_CHARSET_ALIASES.get(label, label))
        b" ".decode(codec.name, "ignore")  # refuses codecs that are not text ("base64")
    except LookupError:
        return None
    if codec.name.startswith(("utf-16", "utf-32")):  # without a BOM, such a label is a mistake
        return "utf-8"
    return codec.name


def _decode_as(data: bytes, start: int, encoding: str, label: str) -> str:
    try:
        text = data[start:].decode(encoding)
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        where = f"invalid byte 0x{data[offset]:02x} at offset {offset}"
        if label == "UTF-8":
            raise DocumentParseError(f"not UTF-8 text ({where}); save the file as UTF-8") from exc
        raise DocumentParseError(f"not valid {label} text ({where})") from exc
    if "\x00" in text:
        raise DocumentParseError("this looks like a binary file, not text (it contains NUL bytes)")
    return text


# --- cleaning -----------------------------------------------------------------------------------


def _cleaning_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {cp: None for cp in (*range(0x20), *range(0x7F, 0xA0))}
    del table[0x09], table[0x0A]
    table.update({0x0B: "\n", 0x0C: "\n", 0x85: "\n", 0x2028: "\n", 0x2029: "\n"})
    # soft hyphen, zero-width space, word joiner, BOM, Mongolian vowel separator. ZWJ and ZWNJ
    # stay: they are spelling in Persian and Indic scripts and bind emoji sequences.
    table.update(dict.fromkeys((0xAD, 0x200B, 0x2060, 0xFEFF, 0x180E)))
    spaces = (0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000)
    table.update(dict.fromkeys(spaces, " "))
    ligatures = ("ff", "fi", "fl", "ffi", "ffl", "st", "st")  # U+FB00..FB06, common in PDFs
    table.update({0xFB00 + i: s for i, s in enumerate(ligatures)})
    return table


_CLEANING_TABLE = _cleaning_table()
_SPACE_RUN = re.compile(r"[ \t]{2,}")
_LINE_EDGE_SPACE = re.compile(r"[ \t]?\n[ \t]?")
_BLANK_LINES = re.compile(r"\n{3,}")


def _clean_block(text: str) -> str:
    """Normalise a block of text; keeps line breaks and at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_CLEANING_TABLE)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = _SPACE_RUN.sub(lambda m: "\t" if "\t" in m.group() else " ", text)
    text = _LINE_EDGE_SPACE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def _clean_inline(text: str) -> str:
    """Normalise text that must be one line (titles, headings, cells, questions)."""
    return " ".join(_clean_block(text).split())


def _heading(text: str) -> str:
    text = _clean_inline(text)
    return text if len(text) <= _MAX_HEADING_CHARS else text[: _MAX_HEADING_CHARS - 1] + "…"


# --- sections -----------------------------------------------------------------------------------


class _Sink(Protocol):
    def heading(self, level: int, text: str) -> None: ...
    def line(self, text: str) -> None: ...
    def paragraph_break(self) -> None: ...


class _Sections:
    """Collects lines under the current heading path and cuts a Section at each heading."""

    def __init__(self, title: str) -> None:
        self._title_key = title.casefold()
        self._stack: list[tuple[int, str]] = []
        self._lines: list[str] = []
        self._sections: list[Section] = []
        self._seen_heading = False

    def heading(self, level: int, text: str) -> None:
        text = _heading(text)
        if not text:
            return
        self._flush()
        first, self._seen_heading = not self._seen_heading, True
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        if first and not self._stack and text.casefold() == self._title_key:
            return  # the document's title, not a section
        self._stack.append((level, text))

    def line(self, text: str) -> None:
        self._lines.append(text)

    def paragraph_break(self) -> None:
        self._lines.append("")

    def finish(self) -> tuple[Section, ...]:
        self._flush()
        return tuple(self._sections)

    def _flush(self) -> None:
        body = _clean_block("\n".join(self._lines))
        self._lines.clear()
        if body:
            self._sections.append(Section(tuple(text for _, text in self._stack), body))


class _Lines:
    """A sink that keeps headings as plain lines (HTML embedded in Markdown)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def heading(self, level: int, text: str) -> None:
        self.lines.append(text)

    def line(self, text: str) -> None:
        self.lines.append(text)

    def paragraph_break(self) -> None:
        self.lines.append("")


def _document(
    kind: DocumentKind, title: str, sections: tuple[Section, ...], url: str | None
) -> ParsedDocument:
    if not sections:
        raise DocumentParseError("no text found")
    return ParsedDocument(kind=kind, title=title, sections=sections, source_url=url)


def _require_text(text: str) -> None:
    if not text.strip(" \t\r\n\f\v\ufeff\u00a0"):
        raise DocumentParseError("the file is empty")


# --- Markdown -----------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_MARKDOWN_LEAF_BLOCKS = frozenset(("fence", "code_block", "html_block", "hr"))
_YAML_INDICATORS = tuple("|>[{&*!%@`")


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """Simple ``key: value`` front matter (no YAML library: nested values are ignored)."""
    match = _FRONT_MATTER.match(text[:65536])
    if not match:
        return {}, text
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or line[:1].isspace() or line.startswith("#"):
            continue
        value = value.strip()
        if value.startswith(_YAML_INDICATORS):
            continue  # block scalars, lists, anchors: beyond this reader
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1].replace('\\"', '"') if value[0] == '"' else value[1:-1]
        fields[key.strip().lower()] = value
    return fields, text[match.end() :]


def _parse_markdown(text: str, fallback_title: str, url: str | None) -> ParsedDocument:
    _require_text(text)
    meta, body = _front_matter(text.removeprefix("\ufeff"))
    try:
        tokens = _MARKDOWN.parse(body)
    except Exception as exc:
        raise DocumentParseError(f"the Markdown could not be read ({exc})") from exc
    first_h1 = next(
        (
            _clean_inline(_inline_text(tokens[i + 1]))
            for i, t in enumerate(tokens)
            if t.type == "heading_open" and t.tag == "h1" and i + 1 < len(tokens)
        ),
        "",
    )
    title = (_clean_inline(meta.get("title", "")) or first_h1 or fallback_title)[:_MAX_TITLE_CHARS]
    url = url or _http_url(meta.get("url")) or _http_url(meta.get("source_url"))
    sections = _Sections(title)
    _walk_markdown(tokens, sections)
    return _document(DocumentKind.markdown, title, sections.finish(), url)


def _walk_markdown(tokens: list[Token], out: _Sections) -> None:
    row: list[str] | None = None
    pending_heading: int | None = None
    for token in tokens:
        kind = token.type
        if token.level == 0 and (kind.endswith("_open") or kind in _MARKDOWN_LEAF_BLOCKS):
            out.paragraph_break()
        if kind == "heading_open":
            pending_heading = int(token.tag[1])
        elif kind == "inline":
            text = _inline_text(token)
            if pending_heading is not None:
                out.heading(pending_heading, text)
                pending_heading = None
            elif row is not None:
                if cell := _clean_inline(text):
                    row.append(cell)
            else:
                for line in text.split("\n"):
                    out.line(line)
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            out.line(" | ".join(row))
            row = None
        elif kind in ("fence", "code_block"):
            for line in token.content.splitlines():
                out.line(line)
        elif kind == "html_block":
            for line in _html_fragment_lines(token.content):
                out.line(line)


def _inline_text(token: Token) -> str:
    """Visible text of an inline token: link text without URLs, no images, no markup."""
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak" or (
            child.type == "html_inline" and re.match(r"<br\b", child.content, re.I)
        ):
            parts.append("\n")
    return "".join(parts)


# --- plain text ---------------------------------------------------------------------------------

_BULLET = re.compile(  # "- ", "• ", "1. ", "a) "
    r"(?:[-*\u2022\u2023\u25aa\u25cf\u25e6\u2013\u2014]|\d{1,3}[.)]|[a-zA-Z][.)])\s"
)
_SENTENCE_END = re.compile(r"[.!?:;\u2026][\"'\u201d\u2019)\]]*$")


def _parse_text(text: str, fallback_title: str, url: str | None) -> ParsedDocument:
    """Plain text: paragraphs, one section. A short first line without a final full stop,
    followed by a blank line, is the title (and leaves the body)."""
    _require_text(text)
    text = _clean_block(text)
    title = fallback_title
    first, sep, rest = text.partition("\n\n")
    if sep and rest.strip() and _looks_like_title(first):
        title, text = first, rest
    lines = text.split("\n")
    body = "\n".join(_unwrap(lines) if _looks_hard_wrapped(lines) else lines)
    sections = (Section((), _clean_block(body)),) if body.strip() else ()
    return _document(DocumentKind.text, title, sections, url)


def _looks_like_title(line: str) -> bool:
    return (
        "\n" not in line
        and len(line) <= 80
        and len(line.split()) <= 12
        and not _BULLET.match(line + " ")
        and not re.search(r"[.!?,;:]$", line)
    )


def _looks_hard_wrapped(lines: list[str]) -> bool:
    """True when most lines end near one width (40 to 120 characters): prose wrapped by hand."""
    lengths = sorted(len(line) for line in lines if line)
    if len(lengths) < 4:
        return False
    width = lengths[(len(lengths) * 9) // 10]
    if not 40 <= width <= 120:
        return False
    return sum(1 for n in lengths if n >= 0.75 * width) * 2 >= len(lengths)


def _unwrap(lines: list[str]) -> list[str]:
    """Join the physical lines of wrapped paragraphs; keep list items, headings and short lines.

    ``medi-`` + ``cation`` becomes ``medication``; ``COVID-`` + ``19`` keeps its hyphen.
    """
    lengths = sorted(len(line) for line in lines if line)
    width = lengths[(len(lengths) * 9) // 10] if lengths else 0
    out: list[str] = []
    parts: list[str] = []
    prev = ""
    for line in lines:
        if not line:
            if parts:
                out.append("".join(parts))
                parts = []
            out.append("")
            prev = ""
            continue
        if parts and _continues(prev, line, width):
            if prev.endswith("-") and len(prev) > 1 and prev[-2].isalpha() and line[0].islower():
                parts[-1] = parts[-1][:-1]
            else:
                parts.append(" ")
            parts.append(line)
        else:
            if parts:
                out.append("".join(parts))
            parts = [line]
        prev = line
    if parts:
        out.append("".join(parts))
    return out


def _continues(prev: str, line: str, width: int) -> bool:
    if _BULLET.match(line):
        return False
    if line[0].islower():
        return True
    if len(prev) < 0.7 * width:
        return False  # the last line of a paragraph, a heading or a list line
    heading_like = len(line) < 0.5 * width and not _SENTENCE_END.search(line)
    return not (heading_like and _SENTENCE_END.search(prev))


# --- HTML ---------------------------------------------------------------------------------------

_DROPPED = frozenset(
    "script style noscript template svg math iframe object embed canvas video audio "
    "picture button select input textarea head title meta link base".split()
)
_BOILERPLATE = frozenset(("nav", "header", "footer", "aside", "form"))
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_PARAGRAPHS = frozenset(
    "p ul ol dl table blockquote pre section article main figure details address".split()
)
_BLOCKS = _PARAGRAPHS | frozenset(
    "div li dt dd caption figcaption summary body html fieldset legend hr center".split()
)
_WHITESPACE = re.compile(r"\s+")


def _parse_html(text: str, fallback_title: str, url: str | None) -> ParsedDocument:
    _require_text(text)
    soup = _soup(text)
    # the walk skips these anyway; removing them keeps them out of titles, headings and cells
    for tag in soup.find_all(("noscript", "template", "svg", "math")):
        if isinstance(tag, Tag) and not tag.decomposed:
            tag.decompose()
    title_tag = _clean_inline(_text_of(soup.find("title")))
    h1 = _clean_inline(_text_of(soup.find("h1")))
    if title_tag and h1 and h1 != title_tag and h1.casefold() in title_tag.casefold():
        title_tag = h1  # "Returns | Riverside Pharmacy" -> "Returns"
    title = (title_tag or h1 or fallback_title)[:_MAX_TITLE_CHARS]
    if url is None:
        canonical = soup.find("link", rel="canonical")
        url = _http_url(canonical.get("href")) if isinstance(canonical, Tag) else None
    sections = _Sections(title)
    _walk_html(_main_content(soup), sections)
    return _document(DocumentKind.html, title, sections.finish(), url)


def _html_fragment_lines(html: str) -> list[str]:
    sink = _Lines()
    _walk_html(_soup(html), sink)
    return sink.lines


def _soup(html: str) -> BeautifulSoup:
    try:
        return BeautifulSoup(_linear_html(html), "html.parser")
    except Exception as exc:
        raise DocumentParseError(f"the HTML could not be read ({exc})") from exc


def _text_of(node: object) -> str:
    return node.get_text(" ") if isinstance(node, Tag) else ""


def _main_content(soup: BeautifulSoup) -> Tag:
    main = soup.find("main") or soup.find(None, {"role": "main"})
    if isinstance(main, Tag):
        return main
    articles = soup.find_all("article", limit=2)
    if len(articles) == 1 and isinstance(articles[0], Tag):
        return articles[0]
    return soup.body if isinstance(soup.body, Tag) else soup


def _walk_html(root: Tag, out: _Sink) -> None:
    """Visible text in document order; iterative, so deep nesting cannot overflow the stack."""
    line: list[str] = []

    def end_line() -> None:
        text = _WHITESPACE.sub(" ", "".join(line)).strip()
        line.clear()
        if text:
            out.line(text)

    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            end_line()
            if node.name in _PARAGRAPHS:
                out.paragraph_break()
            continue
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, doctype, CDATA
                line.append(str(node))
            continue
        if not isinstance(node, Tag) or _hidden(node):
            continue
        name = node.name
        if name in _HEADINGS:
            end_line()
            out.heading(int(name[1]), node.get_text(" "))
        elif name == "br":
            end_line()
        elif name == "tr":
            end_line()
            cells = (
                _clean_inline(c.get_text(" ")) for c in node.find_all(("td", "th"), recursive=False)
            )
            out.line(" | ".join(c for c in cells if c))
        elif name == "pre":
            end_line()
            for text in node.get_text().splitlines():
                out.line(text)
            out.paragraph_break()
        elif name != "img":
            if name in _BLOCKS:
                end_line()
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
    end_line()


def _hidden(tag: Tag) -> bool:
    name = tag.name
    if name in _DROPPED or tag.has_attr("hidden") or tag.get("aria-hidden") == "true":
        return True
    if name in _BOILERPLATE:
        # an article's own <header> holds its title and byline: keep it
        return not (name == "header" and tag.find_parent(("main", "article")) is not None)
    return False


_TAG_NAME = re.compile(r"<(/?)([a-zA-Z][^\t\n\r\f />\x00]*)")
_SPACE_OR_SLASH = re.compile(r"[\s/]*")
_ATTRIBUTE_NAME = re.compile(r"[^\s/>=]+")
_EQUALS = re.compile(r"\s*=+\s*")
_UNQUOTED = re.compile(r"[^>\s]*")
_SAFE_NAME = re.compile(r"[a-z][a-z0-9:_.-]*")
_KEPT_ATTRIBUTES = frozenset(("rel", "href", "hidden", "aria-hidden", "role"))
_RAW_TEXT = frozenset(("script", "style", "title", "textarea", "xmp", "noembed", "noframes"))
_RAW_TEXT_END: dict[str, re.Pattern[str]] = {
    name: re.compile(rf"</{name}(?=[\s/>])", re.I) for name in _RAW_TEXT
}


def _linear_html(src: str) -> str:
    """Re-tokenise HTML in linear time into markup ``html.parser`` reads in linear time.

    Comments, declarations and processing instructions are dropped; tags are rewritten with only
    the attributes we read; a ``<`` that starts no complete tag becomes ``&lt;``; script and
    style bodies are dropped. Each terminator search either consumes what it scans or, when the
    terminator is missing, ends the scan (it is missing for every later position too).
    """
    out: list[str] = []
    pos, n = 0, len(src)
    while pos < n:
        lt = src.find("<", pos)
        if lt < 0:
            out.append(src[pos:])
            break
        out.append(src[pos:lt])
        if src.startswith("<!--", lt):
            end = src.find("-->", lt + 4)
            if end < 0:
                break  # an unterminated comment runs to the end of the file
            pos = end + 3
            continue
        tag = _TAG_NAME.match(src, lt)
        if tag is None:
            if src[lt + 1 : lt + 2] in ("!", "?", "/"):  # declaration, PI, bogus comment
                end = src.find(">", lt + 2)
                if end < 0:
                    break
                pos = end + 1
            else:
                out.append("&lt;")
                pos = lt + 1
            continue
        end, attributes = _scan_attributes(src, tag.end())
        if end < 0:  # no closing '>': the rest is text
            out.append(src[lt:].replace("<", "&lt;"))
            break
        closing, name = tag.group(1), tag.group(2).lower()
        name = name if _SAFE_NAME.fullmatch(name) else "span"
        if closing:
            out.append(f"</{name}>")
        elif name in _RAW_TEXT:
            body_end = _RAW_TEXT_END[name].search(src, end)
            if name in ("title", "textarea"):
                body = src[end : body_end.start() if body_end else n].replace("<", "&lt;")
                out.append(f"<{name}>{body}</{name}>")
            if body_end is None:
                break
            close = src.find(">", body_end.end())
            end = n if close < 0 else close + 1
        else:
            out.append(f"<{name}{attributes}>")
        pos = end
    return "".join(out)


def _scan_attributes(src: str, pos: int) -> tuple[int, str]:
    """From after a tag name to after its ``>``: (end, kept attributes), or (-1, "")."""
    n = len(src)
    kept: list[str] = []
    while True:
        pos = _skip(_SPACE_OR_SLASH, src, pos)
        if pos >= n:
            return -1, ""
        if src[pos] == ">":
            return pos + 1, "".join(kept)
        name_match = _ATTRIBUTE_NAME.match(src, pos)
        if name_match is None:  # a stray '='
            pos += 1
            continue
        name, pos, value = name_match.group().lower(), name_match.end(), ""
        equals = _EQUALS.match(src, pos)
        if equals:
            pos = equals.end()
            if pos < n and src[pos] in "'\"":
                close = src.find(src[pos], pos + 1)
                if close < 0:
                    return -1, ""
                value, pos = src[pos + 1 : close], close + 1
            else:
                start, pos = pos, _skip(_UNQUOTED, src, pos)
                value = src[start:pos]
        if name in _KEPT_ATTRIBUTES:
            kept.append(f' {name}="{value.replace(chr(34), "&quot;")}"')


def _skip(pattern: re.Pattern[str], src: str, pos: int) -> int:
    """Where a match of ``pattern`` (which may be empty) at ``pos`` ends."""
    match = pattern.match(src, pos)
    return match.end() if match else pos


# --- PDF ----------------------------------------------------------------------------------------


class _PypdfToDebug(logging.Handler):
    """pypdf logs every recoverable oddity of a file as a warning: keep them at debug."""

    def emit(self, record: logging.LogRecord) -> None:
        logger.debug("pypdf: %s", record.getMessage())


def _quiet_pypdf() -> None:
    pypdf_logger = logging.getLogger("pypdf")
    if not any(isinstance(h, _PypdfToDebug) for h in pypdf_logger.handlers):
        pypdf_logger.addHandler(_PypdfToDebug())
        pypdf_logger.propagate = False


_quiet_pypdf()

_PAGE_NUMBER_LINE = re.compile(
    r"(?:page\s*)?[-\u2013\u2014(]?\s*\d{1,4}\s*[-\u2013\u2014)]?(?:\s*(?:of|/)\s*\d{1,4})?", re.I
)
_JUNK_PDF_TITLE = re.compile(
    r"(?:untitled|document\d*|microsoft word\b.*|.*\.(?:docx?|pdf|rtf|odt|pages|indd|tex))", re.I
)


def _parse_pdf(data: bytes, fallback_title: str, url: str | None) -> ParsedDocument:
    """One section per page with text, headed ``("Page 3",)`` (the printed page label when the
    file defines one): passages never straddle pages, so a citation can name its page."""
    if b"%PDF-" not in data[:1024]:
        raise DocumentParseError("the PDF could not be read (it does not start with a PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise DocumentParseError("the PDF is password-protected")
        page_count = len(reader.pages)
    except DocumentParseError:
        raise
    except DependencyError as exc:
        raise DocumentParseError("the PDF uses encryption this server cannot read") from exc
    except Exception as exc:  # pypdf raises many types on damaged files
        raise DocumentParseError(f"the PDF could not be read ({_pdf_reason(exc)})") from exc
    if page_count == 0:
        raise DocumentParseError("the PDF could not be read (it has no pages)")

    pages: list[list[str]] = []
    failures = 0
    for number in range(page_count):
        try:
            raw = reader.pages[number].extract_text()
        except Exception as exc:
            logger.debug("pdf page %d unreadable: %s", number + 1, exc)
            failures += 1
            raw = ""
        pages.append([line.strip() for line in _clean_block(raw).split("\n")])
    if failures == page_count:
        raise DocumentParseError("the PDF could not be read (no page could be decoded)")

    labels = _page_labels(reader, page_count)
    title = _pdf_title(reader) or fallback_title
    pages = _strip_page_furniture(pages)
    first = next((i for i, line in enumerate(pages[0]) if line), None)
    if first is not None and pages[0][first].casefold() == title.casefold():
        del pages[0][first]  # the title printed on the first page
    sections: list[Section] = []
    for number, lines in enumerate(pages):
        body = _clean_block("\n".join(_unwrap(lines)))
        if body:
            sections.append(Section((f"Page {labels[number]}",), body))
    if not sections:
        raise DocumentParseError("the PDF has no extractable text (scanned pages need OCR first)")
    return ParsedDocument(DocumentKind.pdf, title, tuple(sections), url)


_PDF_REASONS = {
    "stream has ended unexpectedly": "the file is truncated or damaged",
    "eof marker not found": "the file is truncated",
    "startxref not found": "the file is truncated or damaged",
}


def _pdf_reason(exc: Exception) -> str:
    text = _clean_inline(str(exc)) or type(exc).__name__
    known = next((r for k, r in _PDF_REASONS.items() if k in text.casefold()), None)
    return known or (text if len(text) <= 120 else text[:119] + "…")


def _page_labels(reader: PdfReader, page_count: int) -> list[str]:
    try:
        labels = [_clean_inline(label) for label in reader.page_labels]
    except Exception:
        labels = []
    if len(labels) != page_count or not all(labels):
        return [str(i + 1) for i in range(page_count)]
    return labels


def _pdf_title(reader: PdfReader) -> str:
    try:
        title = _clean_inline((reader.metadata.title if reader.metadata else None) or "")
    except Exception:
        return ""
    if not title or _JUNK_PDF_TITLE.fullmatch(title):
        return ""
    return title[:_MAX_TITLE_CHARS]


def _strip_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Drop page-number lines and running headers/footers (edge lines repeated on most pages)."""

    def edges(lines: list[str]) -> list[int]:
        filled = [i for i, line in enumerate(lines) if line]
        return sorted({*filled[:2], *filled[-2:]})

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", line.casefold())

    repeated: set[str] = set()
    if len(pages) >= 3:
        counts = Counter(key(lines[i]) for lines in pages for i in edges(lines))
        repeated = {k for k, count in counts.items() if count >= max(3, 0.6 * len(pages))}
    result = []
    for lines in pages:
        drop = {
            i
            for i in edges(lines)
            if _PAGE_NUMBER_LINE.fullmatch(lines[i]) or key(lines[i]) in repeated
        }
        result.append([line for i, line in enumerate(lines) if i not in drop])
    return result


# --- FAQ: CSV and JSON --------------------------------------------------------------------------

_FAQ_FIELDS: Mapping[str, frozenset[str]] = {
    "question": frozenset(("question", "questions", "q", "faq question", "question text")),
    "answer": frozenset(("answer", "answers", "a", "faq answer", "answer text", "response")),
    "url": frozenset(("url", "source url", "source", "link", "href")),
    "category": frozenset(("category", "section", "topic", "group")),
}


def _field_of(key: str) -> str | None:
    normalised = " ".join(re.sub(r"[_\-]+", " ", key.removeprefix("\ufeff")).casefold().split())
    return next((field for field, names in _FAQ_FIELDS.items() if normalised in names), None)


def _columns(keys: Iterable[str]) -> dict[str, str]:
    """Field name -> the first key that names it."""
    found: dict[str, str] = {}
    for key in keys:
        field = _field_of(key)
        if field and field not in found:
            found[field] = key
    return found


def _found(keys: Iterable[str]) -> str:
    names = [f"'{_clean_inline(k)[:40]}'" for k in keys if _clean_inline(k)]
    if not names:
        return "none"
    return ", ".join(names[:8]) + (", …" if len(names) > 8 else "")


def _faq_sections(rows: Iterable[Mapping[str, str]]) -> tuple[tuple[Section, ...], set[str]]:
    """FAQ pairs as sections (heading ``(category, question)`` or ``(question,)``) and the URLs
    seen. Rows missing a question or an answer are skipped."""
    sections: list[Section] = []
    urls: set[str] = set()
    for row in rows:
        question, answer = _heading(row.get("question", "")), _clean_block(row.get("answer", ""))
        if not question or not answer:
            continue
        category = _heading(row.get("category", ""))
        heading = (category, question) if category else (question,)
        sections.append(Section(heading, answer, faq=True))
        if row_url := _http_url(row.get("url")):
            urls.add(row_url)
    return tuple(sections), urls


def _faq_document(
    kind: DocumentKind,
    title: str,
    sections: tuple[Section, ...],
    urls: set[str],
    url: str | None,
) -> ParsedDocument:
    if not sections:
        raise DocumentParseError("no FAQ entries with both a question and an answer were found")
    # Sections carry no URL of their own: a URL shared by every pair is the document's.
    url = url or (next(iter(urls)) if len(urls) == 1 else None)
    return ParsedDocument(kind=kind, title=title, sections=sections, source_url=url)


def _parse_faq_csv(text: str, fallback_title: str, url: str | None) -> ParsedDocument:
    """An FAQ table: a header row naming question and answer columns (``q``/``a``,
    ``questions``/``answers``... in any case), optional url and category columns; comma,
    semicolon or tab separated."""
    _require_text(text)
    text = text.removeprefix("\ufeff")
    header, delimiter = _csv_header(text)
    columns = _columns(header)
    if "question" not in columns or "answer" not in columns:
        raise DocumentParseError(
            f"the CSV needs 'question' and 'answer' columns (found: {_found(header)})"
        )
    index = {field: header.index(key) for field, key in columns.items()}
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True)

    def rows() -> Iterator[dict[str, str]]:
        try:
            next(reader)
            for row in reader:
                yield {f: row[i] if i < len(row) else "" for f, i in index.items()}
        except csv.Error as exc:
            raise DocumentParseError(
                f"the CSV could not be read (line {reader.line_num}: {exc})"
            ) from exc

    sections, urls = _faq_sections(rows())
    return _faq_document(DocumentKind.faq_csv, fallback_title, sections, urls, url)


def _csv_header(text: str) -> tuple[list[str], str]:
    """The header row and the delimiter that makes it name a question and an answer column."""
    sample = text[:16384]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        sniffed = ","
    first: list[str] | None = None
    for delimiter in dict.fromkeys((sniffed, ",", ";", "\t")):
        try:
            rows = csv.reader(io.StringIO(sample), delimiter=delimiter, skipinitialspace=True)
            header = next(rows, [])
        except csv.Error:
            continue
        header = [cell.strip() for cell in header]
        first = header if first is None else first
        if {"question", "answer"} <= _columns(header).keys():
            return header, delimiter
    return first or [], sniffed


_FAQ_LIST_KEYS = ("faq", "faqs", "items", "questions", "entries")
_WRONG_JSON_SHAPE = (
    "the JSON must be a list of objects with 'question' and 'answer' fields, "
    "or an object with such a list under 'faq'"
)


def _parse_faq_json(
    text: str, fallback_title: str, url: str | None, *, jsonl: bool
) -> ParsedDocument:
    """An FAQ as JSON: ``[{"question": ..., "answer": ...}]``, ``{"title": ..., "faq": [...]}``,
    or JSON Lines (one object per line)."""
    _require_text(text)
    text = text.removeprefix("\ufeff")
    title = fallback_title
    if jsonl:
        items = _json_lines(text)
    else:
        try:
            value = _load_json(text)
        except _ExtraData:
            value = _json_lines(text)  # JSON Lines saved as .json
        if isinstance(value, dict):
            fields = {k.casefold(): v for k, v in value.items()}
            title = _clean_inline(str(fields.get("title") or ""))[:_MAX_TITLE_CHARS] or title
            url = url or _http_url(fields.get("url")) or _http_url(fields.get("source_url"))
            lists = (fields[k] for k in _FAQ_LIST_KEYS if isinstance(fields.get(k), list))
            value = next(lists, [value])
        if not isinstance(value, list):
            raise DocumentParseError(_WRONG_JSON_SHAPE)
        items = value
    objects = [item for item in items if isinstance(item, dict)]
    if not objects:
        raise DocumentParseError(_WRONG_JSON_SHAPE)
    keys = list(dict.fromkeys(k for item in objects for k in item if isinstance(k, str)))
    if not {"question", "answer"} <= _columns(keys).keys():
        raise DocumentParseError(
            f"the JSON entries need 'question' and 'answer' fields (found: {_found(keys)})"
        )
    sections, urls = _faq_sections(_json_row(item) for item in objects)
    return _faq_document(DocumentKind.faq_json, title, sections, urls, url)


class _ExtraData(DocumentParseError):
    """Valid JSON followed by more: perhaps JSON Lines."""


def _load_json(text: str, *, line: int | None = None) -> Any:
    """``json.loads`` with its failures as reasons; ``line`` numbers a JSON Lines record."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {line or exc.lineno}, column {exc.colno}"
        error = _ExtraData if exc.msg == "Extra data" else DocumentParseError
        raise error(f"not valid JSON ({where}: {exc.msg})") from exc
    except RecursionError as exc:
        raise DocumentParseError("not valid JSON (nested too deeply)") from exc
    except ValueError as exc:  # e.g. an integer with more than 4,300 digits
        where = f"line {line}: " if line else ""
        raise DocumentParseError(f"not valid JSON ({where}{exc})") from exc


def _json_lines(text: str) -> list[Any]:
    return [
        _load_json(line, line=number)
        for number, line in enumerate(text.split("\n"), start=1)
        if line.strip()
    ]


def _json_row(item: Mapping[Any, Any]) -> dict[str, str]:
    row: dict[str, str] = {}
    for key, value in item.items():
        field = _field_of(key) if isinstance(key, str) else None
        if field is None or field in row:
            continue
        if isinstance(value, str):
            row[field] = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            row[field] = str(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            row[field] = "\n".join(value)
    return row
