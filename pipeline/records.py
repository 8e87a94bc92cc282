"""The records that flow between stages: plain dataclasses, no behaviour beyond small derived properties.

Extract produces an ``ExtractedDocument`` (blocks in reading order), segment turns it into ``Passage`` objects
with their ``Sentence`` objects, classify adds ``ThemeTag`` objects, and store writes them all for one review
in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OCR_OFF = "OCR is off (CASEREVIEW_OCR=0, or not installed: run `make install`)"


# A page with this many lines set at a right angle to the rest of its text is named in the notes: they are read
# where they lie, and may come out of order (a vertical label in a margin is one line, and is not named).
ACROSS_NOTE_LINES = 3

PageBreaks = tuple[tuple[int, int], ...]  # (offset in a text, page): where the text moves to a later page


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
    # the heading level its type suggested, for text set like a heading that does not read like one
    # ("Good 48% (43%)" in bold): layout uses it to find runs of chart labels; 0 otherwise
    styled_level: int = field(default=0, repr=False, compare=False)
    # where a block running over pages moves to a later page: (offset in ``text``, page) pairs, so that a
    # passage cut from part of it is given its own pages (empty: the block is on one page, or not known)
    page_breaks: PageBreaks = field(default=(), repr=False, compare=False)


def shifted(page_breaks: PageBreaks, by: int) -> PageBreaks:
    """Page breaks of a text that now starts ``by`` characters later (or earlier, for a negative ``by``)."""
    return tuple((offset + by, page) for offset, page in page_breaks)


def joined_breaks(first: PageBreaks, first_page_end: int, at: int, second: PageBreaks, second_page_start: int,
                  lead: int = 0) -> PageBreaks:
    """The page breaks of two texts joined into one, the second starting at offset ``at`` of the whole (after
    ``lead`` characters of it were dropped): the first's, a break at ``at`` when the second starts on a later
    page than the first ends, then the second's, moved along.

    >>> joined_breaks(((5, 2),), 2, 12, ((4, 4),), 3)
    ((5, 2), (12, 3), (16, 4))
    """
    moved = () if second_page_start == first_page_end else ((at, second_page_start),)
    return (*first, *moved, *shifted(second, at - lead))


@dataclass(frozen=True)
class PageInfo:
    """What extraction found on one page."""

    number: int
    chars: int
    needs_ocr: bool  # scanned (no text layer) or garbled: OCR is the way to read it
    garbled: bool = False  # it has a text layer, but not one of readable English (pipeline.textcheck)
    drawn: bool = False  # no text layer, but marks that look like text drawn as shapes (text converted to outlines)
    garbled_lines: int = 0  # lines left out: their font's text is not readable English (a font's wrong character map)
    ocr_lines: int = 0  # lines in such a font whose text was read by OCR instead
    ocr: bool = False  # read by OCR (it had no usable text layer): its text may hold misread words
    ocr_confidence: float | None = None  # mean OCR word confidence on the page, 0-100
    ocr_tried: bool = False  # OCR looked at it (and, if it is still needs_ocr, found no English text)
    printed: int | None = None  # the number printed on it (pipeline.pagenumbers), None where none is trusted
    turned: int = 0  # degrees (clockwise) it was turned, beyond how it is shown, to read its text upright
    across_lines: int = 0  # lines set at a right angle to the rest of its text, read where they lie


@dataclass
class ExtractedDocument:
    """The text of one PDF, as blocks in reading order, with per-page facts."""

    blocks: list[Block]
    pages: list[PageInfo]

    @property
    def needs_ocr_pages(self) -> list[int]:
        """Pages not read: no text layer (scanned, or text drawn as shapes) or a garbled one, and OCR was off or
        found no English text on them."""
        return [p.number for p in self.pages if p.needs_ocr]

    @property
    def garbled_pages(self) -> list[int]:
        """Pages whose text layer is junk (read by OCR instead, where it could)."""
        return [p.number for p in self.pages if p.garbled]

    @property
    def ocr_pages(self) -> list[int]:
        """Pages read by OCR."""
        return [p.number for p in self.pages if p.ocr]

    @property
    def status(self) -> str:
        """'needs_ocr' when no text was read and some page has no usable text layer, else 'ok'."""
        if not self.blocks and self.needs_ocr_pages:
            return "needs_ocr"
        return "ok"

    def unread_pages_message(self) -> str | None:
        """What was read by OCR, what was not read and why, and what to do; None when every page was read from
        its text layer.

        >>> pages = [PageInfo(1, 0, True), PageInfo(2, 2000, False), PageInfo(3, 2400, True, garbled=True),
        ...          PageInfo(4, 0, True, drawn=True), PageInfo(5, 1800, False, ocr=True, ocr_confidence=88.5),
        ...          PageInfo(6, 1500, False, garbled_lines=2)]
        >>> for part in ExtractedDocument(blocks=[], pages=pages).unread_pages_message().split("; "):
        ...     print(part)
        page 5 was read by OCR (it has no usable text layer, mean word confidence 88%): words may be misread, \
so check quotes against the PDF. Page 1 has no text layer (scanned)
        page 3 has a text layer that is not readable English (a font without a proper character map, or another \
language)
        page 4 has no text layer, only shapes that look like text (text converted to outlines). Not read: OCR is off \
(CASEREVIEW_OCR=0, or not installed: run `make install`): switch it on, or run the PDF through OCR, to include them. \
Page 6 has lines in a font whose text is not readable English (a font without a proper character map, or another \
language): 2 lines left out.
        """
        sentences = []
        read = [p for p in self.pages if p.ocr]
        if read:
            confidence = sum(p.ocr_confidence or 0.0 for p in read) / len(read)
            sentences.append(f"{_pages(_numbers(read), past=True)} read by OCR (it has no usable text layer, mean "
                             f"word confidence {confidence:.0f}%): words may be misread, so check quotes against "
                             "the PDF")
        unread = [p for p in self.pages if p.needs_ocr]
        scanned = [p for p in unread if not p.garbled and not p.drawn]
        garbled = [p for p in unread if p.garbled]
        drawn = [p for p in unread if p.drawn]
        parts = []
        if scanned:
            parts.append(f"{_pages(_numbers(scanned))} no text layer (scanned)")
        if garbled:
            parts.append(f"{_pages(_numbers(garbled))} a text layer that is not readable English (a font without a "
                         "proper character map, or another language)")
        if drawn:
            parts.append(f"{_pages(_numbers(drawn))} no text layer, only shapes that look like text (text "
                         "converted to outlines)")
        if parts:
            them = "it" if len(unread) == 1 else "them"
            if all(p.ocr_tried for p in unread):
                advice = (f"Not read: OCR found no English text on {them} (a picture, a blank scan, or another "
                          f"language): look at {them} in the PDF")
            else:
                advice = f"Not read: {OCR_OFF}: switch it on, or run the PDF through OCR, to include {them}"
            sentences.append("; ".join(parts) + ". " + advice)
        mended = [p for p in self.pages if p.ocr_lines]
        if mended:
            count = sum(p.ocr_lines for p in mended)
            sentences.append(f"{_pages(_numbers(mended))} lines in a font whose text is not readable English (a "
                             f"font without a proper character map): {count} line{'s' if count > 1 else ''} "
                             "read by OCR instead, so check their words against the PDF")
        lines = [p for p in self.pages if p.garbled_lines and not p.needs_ocr and not p.ocr]
        if lines:
            count = sum(p.garbled_lines for p in lines)
            sentences.append(f"{_pages(_numbers(lines))} lines in a font whose text is not readable English (a "
                             f"font without a proper character map, or another language): {count} "
                             f"line{'s' if count > 1 else ''} left out")
        across = [p for p in self.pages if p.across_lines >= ACROSS_NOTE_LINES]
        if across:
            count = sum(p.across_lines for p in across)
            sentences.append(f"{_pages(_numbers(across))} text set at a right angle to the rest of the page (a turned "
                             f"table or a note down the margin): {count} lines read where they lie, which may be out "
                             "of order, so check them against the PDF")
        if not sentences:
            return None
        return ". ".join([sentences[0], *(s[0].upper() + s[1:] for s in sentences[1:])]) + "."

    def needs_ocr_message(self) -> str:
        """Why nothing could be read, for a document whose status is 'needs_ocr'."""
        if all(p.ocr_tried for p in self.pages if p.needs_ocr):
            return ("no page has text that could be read: it has no usable text layer, and OCR found no English "
                    "text on its pages (pictures, blank scans, or another language); look at the file, and "
                    "replace it if it is not the review")
        if self.garbled_pages:
            return ("no page has readable text: the text layer is not readable English (a font without a proper "
                    f"character map, or another language); {OCR_OFF}: switch it on, or run the file through OCR "
                    "and replace it")
        if any(p.drawn for p in self.pages):
            return ("no page has a text layer: the text is drawn as shapes (converted to outlines), so only OCR "
                    f"can read it; {OCR_OFF}: switch it on, or ask the publisher for a copy with its text")
        return (f"no page has a text layer (a scanned document); {OCR_OFF}: switch it on, or run the file through "
                "OCR and replace it")


def _numbers(pages: list[PageInfo]) -> list[int]:
    return [p.number for p in pages]


def _pages(numbers: list[int], past: bool = False) -> str:
    """'page 3 has' or 'pages 3, 4 have' ('page 3 was', 'pages 3, 4 were' with ``past``)."""
    if len(numbers) == 1:
        return f"page {numbers[0]} {'was' if past else 'has'}"
    return f"pages {', '.join(map(str, numbers))} {'were' if past else 'have'}"


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
    # made of the review's footnotes (sources, definitions, survey counts): searched and shown, never tagged
    footnote: bool = field(default=False, compare=False)
    # written in another language (the Welsh half of a bilingual review): searched and shown, never tagged
    other_language: bool = field(default=False, compare=False)
    # the headings the passage is under, outermost first, its own section last ("Finding 1: ...", "Why this
    # matters"); () when it is under none
    headings: tuple[str, ...] = field(default=(), compare=False)


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
