"""The records that flow between stages: plain dataclasses, no behaviour beyond small derived properties.

Extract produces an ``ExtractedDocument`` (blocks in reading order), segment turns it into ``Passage`` objects
with their ``Sentence`` objects, classify adds ``ThemeTag`` objects, and store writes them all for one review
in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Block:
    """A unit of text in reading order: a heading, a paragraph, a list item, a table, a footnote or a contents list."""

    kind: str  # "heading" | "paragraph" | "list_item" | "table" | "footnote" | "contents"
    text: str
    page_start: int
    page_end: int
    level: int = 0  # heading level (1 = largest); 0 for non-headings


@dataclass(frozen=True)
class PageInfo:
    """What extraction found on one page."""

    number: int
    chars: int
    needs_ocr: bool


@dataclass
class ExtractedDocument:
    """The text of one PDF, as blocks in reading order, with per-page facts."""

    blocks: list[Block]
    pages: list[PageInfo]

    @property
    def needs_ocr_pages(self) -> list[int]:
        return [p.number for p in self.pages if p.needs_ocr]

    @property
    def status(self) -> str:
        """'needs_ocr' when no page has a text layer (a scan), else 'ok'."""
        if not self.blocks and self.needs_ocr_pages:
            return "needs_ocr"
        return "ok"


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage; offsets are into the passage text."""

    seq: int
    text: str
    char_start: int
    char_end: int


@dataclass(frozen=True)
class Passage:
    """A paragraph-sized piece of a review that never crosses a section boundary.

    ``passage_id`` is a content hash (stable across runs); ``char_start``/``char_end`` are offsets into the
    review's full text (its blocks joined by blank lines).
    """

    passage_id: str
    review_id: str
    seq: int
    text: str
    page_start: int
    page_end: int
    section: str | None
    char_start: int
    char_end: int
    sentences: tuple[Sentence, ...] = field(default=())


@dataclass(frozen=True)
class Evidence:
    """A sentence of a passage that shows why it carries a theme."""

    sentence_seq: int
    text: str
    score: float


@dataclass(frozen=True)
class ThemeTag:
    """A theme given to a passage by a model, with its probability and evidence sentences."""

    passage_id: str
    theme: str
    score: float
    model_version: str
    evidence: tuple[Evidence, ...] = field(default=())
