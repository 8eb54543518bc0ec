"""The knowledge domain's vocabulary: what is parsed and chunked from an uploaded file."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DocumentKind(StrEnum):
    markdown = "markdown"
    text = "text"
    html = "html"
    pdf = "pdf"
    faq_csv = "faq_csv"
    faq_json = "faq_json"


class DocumentParseError(Exception):
    """A file that cannot become a document; `reason` is shown to the staff member as is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Section:
    """A run of text under one heading path (``("Refunds", "Opened items")``).

    For FAQ files each question/answer pair is one section: ``heading`` is the question and
    ``faq`` is true, so the chunker keeps the pair together.
    """

    heading: tuple[str, ...]
    text: str
    faq: bool = False


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    kind: DocumentKind
    title: str
    sections: tuple[Section, ...]
    source_url: str | None = None


@dataclass(frozen=True, slots=True)
class Chunk:
    """One retrievable passage of a document, in document order (``chunk_no`` from 0)."""

    chunk_no: int
    title: str  # the document title
    section: str | None  # "Refunds > Opened items", or the FAQ question
    text: str

    @property
    def context(self) -> str:
        """What the passage is about: the title, and the section when there is one."""
        if self.section and self.section != self.title:
            return f"{self.title} > {self.section}"
        return self.title
