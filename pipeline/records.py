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
    # (page, number) of the shaded or framed box it was set in (a "Learning point" panel), None outside boxes
    box: tuple[int, int] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PageInfo:
    """What extraction found on one page."""

    number: int
    chars: int
    needs_ocr: bool  # scanned (no text layer) or garbled: OCR is the way to read it
    garbled: bool = False  # it has a text layer, but not one of readable English (pipeline.textcheck)
    drawn: bool = False  # no text layer, but marks that look like text drawn as shapes (text converted to outlines)
    garbled_lines: int = 0  # lines left out: their font's text is not readable English (a font's wrong character map)


@dataclass
class ExtractedDocument:
    """The text of one PDF, as blocks in reading order, with per-page facts."""

    blocks: list[Block]
    pages: list[PageInfo]

    @property
    def needs_ocr_pages(self) -> list[int]:
        """Pages not read: scanned (no text layer) or with a garbled text layer."""
        return [p.number for p in self.pages if p.needs_ocr]

    @property
    def garbled_pages(self) -> list[int]:
        return [p.number for p in self.pages if p.garbled]

    @property
    def status(self) -> str:
        """'needs_ocr' when no text was read and some page needs OCR (a scan, or a garbled text layer), else 'ok'."""
        if not self.blocks and self.needs_ocr_pages:
            return "needs_ocr"
        return "ok"

    def unread_pages_message(self) -> str | None:
        """Why some pages were not read and what to do, or None when every page was read.

        >>> pages = [PageInfo(1, 0, True), PageInfo(2, 2000, False), PageInfo(3, 2400, True, garbled=True),
        ...          PageInfo(4, 0, True, drawn=True)]
        >>> for part in ExtractedDocument(blocks=[], pages=pages).unread_pages_message().split("; "):
        ...     print(part)
        page 1 has no text layer (scanned)
        page 3 has a text layer that is not readable English (a font without a proper character map, or another \
language)
        page 4 has no text layer, only shapes that look like text (text converted to outlines). Not read: run the \
PDF through OCR to include them
        """
        scanned = [p.number for p in self.pages if p.needs_ocr and not p.garbled and not p.drawn]
        garbled = self.garbled_pages
        drawn = [p.number for p in self.pages if p.needs_ocr and p.drawn]
        parts = []
        if scanned:
            parts.append(f"{_pages(scanned)} no text layer (scanned)")
        if garbled:
            parts.append(f"{_pages(garbled)} a text layer that is not readable English (a font without a proper "
                         "character map, or another language)")
        if drawn:
            parts.append(f"{_pages(drawn)} no text layer, only shapes that look like text (text converted to "
                         "outlines)")
        lines = [p for p in self.pages if p.garbled_lines and not p.needs_ocr]
        if lines:
            count = sum(p.garbled_lines for p in lines)
            parts.append(f"{_pages([p.number for p in lines])} lines in a font whose text is not readable English "
                         f"(a font without a proper character map, or another language): {count} "
                         f"line{'s' if count > 1 else ''} left out")
        if not parts:
            return None
        return "; ".join(parts) + ". Not read: run the PDF through OCR to include " + (
            "it" if len(scanned) + len(garbled) + len(drawn) + len(lines) == 1 else "them")

    def needs_ocr_message(self) -> str:
        """Why nothing could be read, for a document whose status is 'needs_ocr'."""
        if self.garbled_pages:
            return ("no page has readable text: the text layer is not readable English (a font without a proper "
                    "character map, or another language); run it through OCR and replace the file")
        if any(p.drawn for p in self.pages):
            return ("no page has a text layer: the text is drawn as shapes (converted to outlines), so only OCR "
                    "can read it; run it through OCR, or ask the publisher for a copy with its text, and replace "
                    "the file")
        return "no page has a text layer (a scanned document); run it through OCR and replace the file"


def _pages(numbers: list[int]) -> str:
    """'page 3 has' or 'pages 3, 4 have'."""
    if len(numbers) == 1:
        return f"page {numbers[0]} has"
    return f"pages {', '.join(map(str, numbers))} have"


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
