"""Render the fictional demo corpus of child safeguarding case reviews.

Usage (from the repository root)::

    .venv/bin/python scripts/render_demo_corpus.py

For every source ``corpus_manifest/demo_src/<review_id>.md`` this writes

* ``corpus_manifest/demo/<review_id>.pdf`` - the review typeset with reportlab. Output is deterministic
  (invariant mode, creation date fixed to the ``published`` date), so re-rendering gives identical bytes.
* ``corpus_manifest/demo/<review_id>.truth.txt`` - the text a perfect extractor should recover, in reading
  order: one block (title line, heading, paragraph, list item, quotation, table row, footnote) per line,
  blocks separated by a blank line. Running headers, footers and page numbers are left out, line-end
  hyphenation is undone, footnote reference marks are omitted, list items start with "• ", table rows are
  written as their cells joined by " | ", and each footnote appears as "<number> <text>" after the last block
  that begins on the page where the footnote is printed (a block broken over two pages is kept whole).

It also writes the deliberately broken inputs under ``corpus_manifest/demo/broken/`` (the scanned and the
encrypted one are rendered from ``demo_src/broken/*.md``) and rewrites the demo manifest
``corpus_manifest/demo.csv`` with the sha256 of every good PDF. Files in ``demo_src/`` whose name is in
capitals, such as ``THEMES.md``, are notes, not reviews.

Source markup
-------------
Front matter between two ``---`` lines, one ``key: value`` a line. Required keys: review_id, title, area,
nation, review_type, year, published (YYYY-MM-DD), layout. Optional: header (running header text, required
by the ``running-header`` layout token).

Body, blocks separated by blank lines (the lines of one paragraph are joined with spaces)::

    # Title              once; it and every block before the first "##" make up the title page
    ## Heading
    ### Subheading
    4.2 The health ...   numbered paragraph: the number is set in a hanging indent
    - item               bullet list item (a following line without "- " continues the item)
    1. item              numbered list item, e.g. a recommendation (continuation lines as for bullets)
    > words              quotation, set indented in italics
    | Date | Agency |    table row, first row is the header; a |---| separator row is skipped
    [^1]                 footnote reference inside a paragraph
    [^1]: note text      footnote text, printed in small type at the foot of the page that cites it

Layout tokens (comma separated in ``layout``): ``single-column`` or ``two-column`` (body pages),
``running-header``, ``footer-page-of`` ("Page 3 of 9") or ``footer-page-number`` ("3"), ``justified``,
``hyphenated`` (justified, long words broken with a hyphen at line ends; needs pyphen), ``serif`` (Times
instead of Helvetica), ``contents-dotted`` or ``contents-plain`` (a contents page after the title page listing
the "##" headings with the pages they start on, with leader dots or with the numbers alone at the right; it is
left out of the truth text but for its title, as the pipeline sets contents lists aside), ``unruled-tables``
(tables set with tab stops and a bold header row, without lines or shading), and the content
markers ``numbered-paragraphs``, ``chronology-table`` and ``footnotes``, which must agree with what the
source contains.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

ROOT = Path(__file__).resolve().parents[1]
MANIFEST_DIR = ROOT / "corpus_manifest"
SOURCE_DIR = MANIFEST_DIR / "demo_src"
OUTPUT_DIR = MANIFEST_DIR / "demo"
BROKEN_DIR = OUTPUT_DIR / "broken"
MANIFEST_PATH = MANIFEST_DIR / "demo.csv"

MANIFEST_COLUMNS = [
    "review_id",
    "title",
    "area",
    "nation",
    "review_type",
    "year",
    "published",
    "source",
    "sha256",
    "notes",
]
REQUIRED_KEYS = ["review_id", "title", "area", "nation", "review_type", "year", "published", "layout"]
REVIEW_TYPES = {"CSPR", "SCR", "CPR", "learning review", "CMR", "rapid review", "other"}
NATIONS = {"England", "Wales", "Scotland", "Northern Ireland"}
LAYOUT_TOKENS = {
    "single-column",
    "two-column",
    "running-header",
    "footer-page-of",
    "footer-page-number",
    "justified",
    "hyphenated",
    "serif",
    "numbered-paragraphs",
    "chronology-table",
    "footnotes",
    "contents-dotted",
    "contents-plain",
    "unruled-tables",
}
REVIEW_TYPE_NAMES = {
    "CSPR": "Child safeguarding practice review",
    "SCR": "Serious case review",
    "CPR": "Child practice review",
    "learning review": "Learning review",
    "CMR": "Case management review",
    "rapid review": "Rapid review",
    "other": "Case review",
}

NUMBERED_RE = re.compile(r"^(\d+(?:\.\d+)+)\s+(.*)$", re.DOTALL)
LIST_ITEM_RE = re.compile(r"^(- |\d+\. )")
ORDERED_ITEM_RE = re.compile(r"^(\d+\.)\s+(.*)$", re.DOTALL)
FOOTNOTE_REF_RE = re.compile(r"\[\^(\d+)\]")
FOOTNOTE_DEF_RE = re.compile(r"^\[\^(\d+)\]:\s*(.+)$")
TABLE_SEPARATOR_RE = re.compile(r"^\|[\s:|-]+\|$")

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 2.2 * cm
MARGIN_TOP = 2.5 * cm
MARGIN_BOTTOM = 2.3 * cm
COLUMN_GAP = 0.8 * cm
FOOTNOTE_ZONE = 2.6 * cm
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X


class SourceError(ValueError):
    """A demo source file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Block:
    """One unit of body text: a heading, paragraph, list item, quotation or table."""

    kind: str
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass
class ReviewSource:
    """A parsed demo source: front matter, title-page blocks, body blocks and footnote texts."""

    path: Path
    meta: dict[str, str]
    title_blocks: list[Block]
    body_blocks: list[Block]
    footnotes: dict[str, str]

    @property
    def review_id(self) -> str:
        return self.meta["review_id"]

    @property
    def layout(self) -> set[str]:
        return {token.strip() for token in self.meta["layout"].split(",") if token.strip()}

    @property
    def published(self) -> date:
        return date.fromisoformat(self.meta["published"])


@dataclass
class PageTracker:
    """Records, while a PDF is drawn, the page on which each block starts and each footnote is cited."""

    block_pages: dict[int, int] = field(default_factory=dict)
    footnote_pages: dict[str, int] = field(default_factory=dict)

    def on_block(self, canvas: Canvas, _kind: str, label: str) -> None:
        self.block_pages.setdefault(int(label), canvas.getPageNumber())

    def on_footnote(self, canvas: Canvas, _kind: str, label: str) -> None:
        self.footnote_pages.setdefault(label, canvas.getPageNumber())

    def footnotes_on(self, page: int) -> list[str]:
        return [label for label, on_page in self.footnote_pages.items() if on_page == page]


# ---------------------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------------------


def split_front_matter(path: Path, text: str) -> tuple[dict[str, str], str]:
    """Split ``text`` into its front matter (as a dict) and the body markup that follows it."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise SourceError(f"{path}: must start with a '---' front matter line")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise SourceError(f"{path}: front matter is not closed with a '---' line") from None
    meta: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        key, sep, value = line.partition(":")
        if not sep:
            raise SourceError(f"{path}:{number}: front matter line is not 'key: value': {line!r}")
        meta[key.strip()] = value.strip()
    return meta, "\n".join(lines[end + 1 :])


def group_lines(body: str) -> list[list[str]]:
    """Group body lines into blank-line separated chunks; headings always form a chunk of their own."""
    groups: list[list[str]] = []
    current: list[str] = []
    for raw in body.splitlines():
        line = raw.rstrip()
        if not line.strip():
            if current:
                groups.append(current)
            current = []
        elif line.startswith("#"):
            if current:
                groups.append(current)
            groups.append([line])
            current = []
        else:
            current.append(line)
    if current:
        groups.append(current)
    return groups


def parse_list_items(lines: list[str]) -> list[Block]:
    """Turn '- ' or '1. ' lines (with optional continuation lines) into bullet or numbered-item blocks."""
    items: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith("- "):
            items.append(("bullet", [line[2:].strip()]))
        elif LIST_ITEM_RE.match(line):
            items.append(("item", [line.strip()]))
        else:
            items[-1][1].append(line.strip())
    return [Block(kind, " ".join(words)) for kind, words in items]


def parse_table(path: Path, lines: list[str]) -> Block:
    """Turn pipe-table lines into a table block, checking every row has the same number of cells."""
    rows = []
    for line in lines:
        if TABLE_SEPARATOR_RE.match(line.strip()):
            continue
        rows.append(tuple(cell.strip() for cell in line.strip().strip("|").split("|")))
    if len({len(row) for row in rows}) != 1:
        raise SourceError(f"{path}: table starting {lines[0]!r} has rows with different numbers of cells")
    return Block("table", rows=tuple(rows))


def parse_group(path: Path, lines: list[str], footnotes: dict[str, str]) -> list[Block]:
    """Parse one chunk of lines into blocks; footnote definitions are stored in ``footnotes``."""
    first = lines[0]
    if first.startswith("### "):
        return [Block("subheading", first[4:].strip())]
    if first.startswith("## "):
        return [Block("heading", first[3:].strip())]
    if first.startswith("# "):
        return [Block("title", first[2:].strip())]
    if LIST_ITEM_RE.match(first):
        return parse_list_items(lines)
    if first.startswith("|"):
        return [parse_table(path, lines)]
    if FOOTNOTE_DEF_RE.match(first):
        for line in lines:
            match = FOOTNOTE_DEF_RE.match(line)
            if not match:
                raise SourceError(f"{path}: expected a footnote definition '[^n]: text', got {line!r}")
            footnotes[match.group(1)] = match.group(2).strip()
        return []
    if first.startswith("> "):
        return [Block("quote", " ".join(line.lstrip("> ").strip() for line in lines))]
    text = " ".join(line.strip() for line in lines)
    return [Block("numbered" if NUMBERED_RE.match(text) else "paragraph", text)]


def validate_source(source: ReviewSource, check_name: bool) -> None:
    """Check the front matter and that declared layout features match the content."""
    path, meta = source.path, source.meta
    missing = [key for key in REQUIRED_KEYS if not meta.get(key)]
    if missing:
        raise SourceError(f"{path}: front matter lacks {', '.join(missing)}")
    if check_name and meta["review_id"] != path.stem:
        raise SourceError(f"{path}: review_id {meta['review_id']!r} does not match the file name")
    if meta["review_type"] not in REVIEW_TYPES or meta["nation"] not in NATIONS:
        raise SourceError(f"{path}: unknown review_type {meta['review_type']!r} or nation {meta['nation']!r}")
    unknown = source.layout - LAYOUT_TOKENS
    if unknown:
        raise SourceError(
            f"{path}: unknown layout tokens {sorted(unknown)}; allowed: {sorted(LAYOUT_TOKENS)}"
        )
    if int(meta["year"]) != source.published.year:
        raise SourceError(f"{path}: year {meta['year']} differs from the published date {meta['published']}")
    if [block.kind for block in source.title_blocks][:1] != ["title"]:
        raise SourceError(f"{path}: the body must open with a '# Title' line")
    kinds = {block.kind for block in source.body_blocks}
    declared = {
        "numbered-paragraphs": "numbered" in kinds,
        "chronology-table": "table" in kinds,
        "footnotes": bool(source.footnotes),
        "running-header": bool(meta.get("header")),
    }
    for token, present in declared.items():
        if (token in source.layout) != present:
            raise SourceError(f"{path}: layout token {token!r} does not agree with the content")
    cited = set(FOOTNOTE_REF_RE.findall(" ".join(block.text for block in source.body_blocks)))
    if cited != set(source.footnotes):
        raise SourceError(f"{path}: footnotes cited {sorted(cited)} but defined {sorted(source.footnotes)}")
    for block in source.title_blocks + source.body_blocks:
        for text in [block.text, *(cell for row in block.rows for cell in row)]:
            try:
                text.encode("cp1252")
            except UnicodeEncodeError as error:
                raise SourceError(
                    f"{path}: {text[:40]!r}... has a character the standard PDF fonts "
                    f"cannot show ({error.object[error.start]!r})"
                ) from None


def parse_source(path: Path, check_name: bool = True) -> ReviewSource:
    """Read and validate one demo source file; ``check_name`` requires the file to be named by review_id."""
    meta, body = split_front_matter(path, path.read_text(encoding="utf-8"))
    footnotes: dict[str, str] = {}
    blocks = [block for group in group_lines(body) for block in parse_group(path, group, footnotes)]
    first_heading = next((i for i, block in enumerate(blocks) if block.kind == "heading"), len(blocks))
    source = ReviewSource(path, meta, blocks[:first_heading], blocks[first_heading:], footnotes)
    validate_source(source, check_name)
    return source


# ---------------------------------------------------------------------------------------------------------
# Typesetting
# ---------------------------------------------------------------------------------------------------------


def make_styles(layout: set[str]) -> dict[str, ParagraphStyle]:
    """Paragraph styles for one review, following its layout tokens."""
    serif = "serif" in layout
    regular, bold, italic = (
        ("Times-Roman", "Times-Bold", "Times-Italic")
        if serif
        else ("Helvetica", "Helvetica-Bold", "Helvetica-Oblique")
    )
    two_column = "two-column" in layout
    size = 9.5 if two_column else (11 if serif else 10.5)
    justify = bool({"justified", "hyphenated"} & layout)
    body = ParagraphStyle(
        "body",
        fontName=regular,
        fontSize=size,
        leading=size * 1.32,
        spaceAfter=size * 0.6,
        alignment=TA_JUSTIFY if justify else TA_LEFT,
        hyphenationLang="en_GB" if "hyphenated" in layout else "",
    )
    return {
        "body": body,
        "numbered": ParagraphStyle(
            "numbered",
            parent=body,
            leftIndent=1.15 * cm,
            bulletIndent=0,
            bulletFontName=regular,
            bulletFontSize=size,
        ),
        "bullet": ParagraphStyle(
            "bullet",
            parent=body,
            leftIndent=0.9 * cm,
            bulletIndent=0.35 * cm,
            spaceAfter=size * 0.3,
            bulletFontName=regular,
        ),
        "item": ParagraphStyle(
            "item",
            parent=body,
            leftIndent=0.9 * cm,
            bulletIndent=0.1 * cm,
            spaceAfter=size * 0.4,
            bulletFontName=regular,
            bulletFontSize=size,
        ),
        "quote": ParagraphStyle(
            "quote",
            parent=body,
            fontName=italic,
            leftIndent=0.9 * cm,
            rightIndent=0.9 * cm,
            alignment=TA_LEFT,
            hyphenationLang="",
        ),
        "heading": ParagraphStyle(
            "heading",
            parent=body,
            fontName=bold,
            fontSize=size + 4,
            leading=(size + 4) * 1.25,
            spaceBefore=size,
            spaceAfter=size * 0.6,
            alignment=TA_LEFT,
            hyphenationLang="",
            keepWithNext=1,
        ),
        "subheading": ParagraphStyle(
            "subheading",
            parent=body,
            fontName=bold,
            fontSize=size + 1.5,
            leading=(size + 1.5) * 1.25,
            spaceBefore=size * 0.6,
            spaceAfter=size * 0.4,
            alignment=TA_LEFT,
            hyphenationLang="",
            keepWithNext=1,
        ),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=8.5, leading=10.5),
        "cell_header": ParagraphStyle("cell_header", fontName=bold, fontSize=8.5, leading=10.5),
        "footnote": ParagraphStyle(
            "footnote",
            fontName=regular,
            fontSize=7.5,
            leading=9,
            leftIndent=0.35 * cm,
            firstLineIndent=-0.35 * cm,
        ),
        "cover_title": ParagraphStyle(
            "cover_title", fontName=bold, fontSize=22, leading=28, alignment=TA_CENTER, spaceAfter=24
        ),
        "cover_notice": ParagraphStyle(
            "cover_notice",
            fontName=bold,
            fontSize=10.5,
            leading=14,
            alignment=TA_CENTER,
            textColor=colors.HexColor("#8b1a1a"),
            borderColor=colors.HexColor("#8b1a1a"),
            borderWidth=1,
            borderPadding=8,
            spaceBefore=6,
            spaceAfter=26,
        ),
        "cover": ParagraphStyle(
            "cover", fontName=regular, fontSize=12, leading=16, alignment=TA_CENTER, spaceAfter=10
        ),
    }


def inline_markup(text: str) -> str:
    """Escape text for a reportlab Paragraph and turn footnote references into superscript numbers."""
    return FOOTNOTE_REF_RE.sub(
        lambda m: f'<super>{m.group(1)}</super><onDraw name="footnote" label="{m.group(1)}"/>', escape(text)
    )


def truth_of(block: Block) -> list[str]:
    """The truth-file lines for one block (several for a table, one per row)."""
    if block.kind == "table":
        return [" | ".join(row) for row in block.rows]
    text = FOOTNOTE_REF_RE.sub("", block.text)
    return [f"• {text}" if block.kind == "bullet" else text]


def marker(index: int) -> str:
    """An invisible callback that records the page on which block ``index`` starts."""
    return f'<onDraw name="block" label="{index}"/>'


def column_widths(rows: tuple[tuple[str, ...], ...], total: float) -> list[float]:
    """Share the table width between columns in proportion to their longest cell, within limits."""
    longest = [max(len(row[col]) for row in rows) for col in range(len(rows[0]))]
    weights = [min(max(length, 10), 60) for length in longest]
    return [total * weight / sum(weights) for weight in weights]


def table_flowable(block: Block, first_index: int, styles: dict[str, ParagraphStyle], width: float,
                   ruled: bool = True) -> Table:
    """A table, gridded unless ``ruled`` is false; each row carries the marker of its own truth block."""
    data = []
    for offset, row in enumerate(block.rows):
        style = styles["cell_header"] if offset == 0 else styles["cell"]
        cells = [
            Paragraph((marker(first_index + offset) if col == 0 else "") + inline_markup(cell), style)
            for col, cell in enumerate(row)
        ]
        data.append(cells)
    table = Table(data, colWidths=column_widths(block.rows, width), hAlign="LEFT", splitByRow=1)
    rules = [("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#666666")),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e4e4"))] if ruled else []
    table.setStyle(
        TableStyle(
            rules + [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, -1), 0 if not ruled else 6),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    table.spaceBefore, table.spaceAfter = 4, 10
    return table


def cover_flowables(blocks: list[Block], styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """The title page: the title, the fictional-review notice in a box, then the other cover lines."""
    story: list[Flowable] = [Spacer(1, 3.5 * cm)]
    for index, block in enumerate(blocks):
        if block.kind == "title":
            style = styles["cover_title"]
        elif block.text.startswith("FICTIONAL"):
            style = styles["cover_notice"]
        else:
            style = styles["cover"]
        story.append(Paragraph(marker(index) + inline_markup(block.text), style))
    return story


def block_flowable(block: Block, index: int, styles: dict[str, ParagraphStyle], width: float,
                   ruled: bool = True) -> Flowable:
    """The flowable for one body block; ``index`` is the truth index of its (first) line."""
    if block.kind == "table":
        return table_flowable(block, index, styles, width, ruled)
    if block.kind in ("numbered", "item"):
        pattern = NUMBERED_RE if block.kind == "numbered" else ORDERED_ITEM_RE
        number, rest = pattern.match(block.text).groups()
        return Paragraph(marker(index) + inline_markup(rest), styles[block.kind], bulletText=number)
    text = marker(index) + inline_markup(block.text)
    if block.kind == "bullet":
        return Paragraph(text, styles["bullet"], bulletText="•")
    return Paragraph(text, styles.get(block.kind, styles["body"]))


def body_flowables(
    blocks: list[Block], first_index: int, styles: dict[str, ParagraphStyle], width: float, ruled: bool = True
) -> list[Flowable]:
    """Flowables for the body blocks, numbering their truth lines from ``first_index``."""
    story: list[Flowable] = []
    index = first_index
    for block in blocks:
        story.append(block_flowable(block, index, styles, width, ruled))
        index += len(truth_of(block))
    return story


class ReviewDocTemplate(BaseDocTemplate):
    """A4 document with a single-frame title page and one- or two-column body pages."""

    def __init__(
        self,
        buffer: io.BytesIO,
        source: ReviewSource,
        styles: dict[str, ParagraphStyle],
        tracker: PageTracker,
        total_pages: int | None,
    ) -> None:
        meta = source.meta
        super().__init__(
            buffer,
            pagesize=A4,
            invariant=1,
            pageCompression=1,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=meta["title"],
            author=meta["area"],
            subject=f"{REVIEW_TYPE_NAMES[meta['review_type']]} ({meta['review_type']}), {meta['nation']}, "
            f"{meta['year']} - fictional demonstration review",
            keywords=f"fictional, demonstration, {meta['review_type']}, {meta['nation']}, {meta['year']}",
            creator="casereview scripts/render_demo_corpus.py",
        )
        self.source, self.styles, self.tracker, self.total_pages = source, styles, tracker, total_pages
        self.addPageTemplates(
            [
                PageTemplate(
                    "cover", [self.frames_for(columns=1, footnotes=False)[0]], onPage=self.draw_furniture
                ),
                PageTemplate(
                    "body",
                    self.frames_for(
                        columns=2 if "two-column" in source.layout else 1, footnotes=bool(source.footnotes)
                    ),
                    onPage=self.draw_furniture,
                    onPageEnd=self.draw_footnotes,
                ),
            ]
        )

    def frames_for(self, columns: int, footnotes: bool) -> list[Frame]:
        """Body frames side by side, raised above the footnote zone when the review has footnotes."""
        bottom = MARGIN_BOTTOM + (FOOTNOTE_ZONE if footnotes else 0)
        height = PAGE_HEIGHT - MARGIN_TOP - bottom
        width = (TEXT_WIDTH - COLUMN_GAP * (columns - 1)) / columns
        return [
            Frame(
                MARGIN_X + n * (width + COLUMN_GAP),
                bottom,
                width,
                height,
                id=f"column{n}",
                leftPadding=0,
                rightPadding=0,
                topPadding=0,
                bottomPadding=0,
            )
            for n in range(columns)
        ]

    def draw_furniture(self, canvas: Canvas, _doc: BaseDocTemplate) -> None:
        """Running header and page-number footer, as the layout asks."""
        layout, page = self.source.layout, canvas.getPageNumber()
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.setStrokeColor(colors.HexColor("#999999"))
        if "running-header" in layout:
            canvas.setFont("Helvetica", 8)
            canvas.drawString(MARGIN_X, PAGE_HEIGHT - 1.5 * cm, self.source.meta["header"])
            canvas.line(MARGIN_X, PAGE_HEIGHT - 1.65 * cm, PAGE_WIDTH - MARGIN_X, PAGE_HEIGHT - 1.65 * cm)
        if "footer-page-of" in layout:
            canvas.setFont("Helvetica", 8.5)
            total = self.total_pages or 99  # the first pass only counts pages
            canvas.drawRightString(PAGE_WIDTH - MARGIN_X, 1.2 * cm, f"Page {page} of {total}")
        elif "footer-page-number" in layout:
            canvas.setFont("Helvetica", 9)
            canvas.drawCentredString(PAGE_WIDTH / 2, 1.2 * cm, str(page))
        canvas.restoreState()

    def draw_footnotes(self, canvas: Canvas, _doc: BaseDocTemplate) -> None:
        """Print the footnotes cited on this page in the zone reserved at the foot of the page."""
        labels = self.tracker.footnotes_on(canvas.getPageNumber())
        if not labels:
            return
        notes = [
            Paragraph(escape(f"{label} {self.source.footnotes[label]}"), self.styles["footnote"])
            for label in labels
        ]
        heights = [note.wrap(TEXT_WIDTH, FOOTNOTE_ZONE)[1] for note in notes]
        if sum(heights) + 8 > FOOTNOTE_ZONE:
            raise SourceError(
                f"{self.source.path}: footnotes {labels} do not fit at the foot of page "
                f"{canvas.getPageNumber()}; shorten them or cite them further apart"
            )
        top = MARGIN_BOTTOM + FOOTNOTE_ZONE - 6
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#777777"))
        canvas.line(MARGIN_X, top, MARGIN_X + 4 * cm, top)
        y = top - 4
        for note, height in zip(notes, heights, strict=True):
            y -= height
            note.drawOn(canvas, MARGIN_X, y)
        canvas.restoreState()


def canvas_class(published: date, tracker: PageTracker) -> type[Canvas]:
    """A Canvas that stamps ``published`` as the PDF creation date and reports block and footnote pages."""
    stamp = published.strftime("D:%Y%m%d090000+00'00'")

    class ReviewCanvas(Canvas):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self.setDateFormatter(lambda *_: stamp)
            self.setNamedCB("block", tracker.on_block)
            self.setNamedCB("footnote", tracker.on_footnote)

    return ReviewCanvas


def contents_flowables(source: ReviewSource, styles: dict[str, ParagraphStyle],
                        block_pages: dict[int, int] | None) -> list[Flowable]:
    """A contents page: each "##" heading with the page it starts on (from the first pass; "00" before)."""
    entries = []
    index = len(source.title_blocks)
    for block in source.body_blocks:
        if block.kind == "heading":
            entries.append((block.text, str(block_pages[index]) if block_pages else "00"))
        index += len(truth_of(block))
    font = styles["body"].fontName
    number_width = 1.5 * cm
    title_width = TEXT_WIDTH - number_width
    rows = []
    for title, page in entries:
        if "contents-dotted" in source.layout:
            dot = stringWidth(" .", font, 11)
            title = f"{title} " + " ." * int((title_width - stringWidth(title, font, 11) - 12) / dot)
        rows.append((title, page))
    table = Table(rows, colWidths=[title_width, number_width])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font, 11), ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 7)]))
    return [PageBreak(), Paragraph("Contents", styles["heading"]), Spacer(1, 0.4 * cm), table]


def typeset(source: ReviewSource, total_pages: int | None,
            block_pages: dict[int, int] | None = None) -> tuple[bytes, PageTracker, int]:
    """Typeset one review; returns the PDF bytes, where blocks and footnotes fell, and the page count.

    ``block_pages`` (from a first pass) gives the page numbers of a contents page."""
    styles = make_styles(source.layout)
    tracker = PageTracker()
    buffer = io.BytesIO()
    doc = ReviewDocTemplate(buffer, source, styles, tracker, total_pages)
    column_width = doc.frames_for(2 if "two-column" in source.layout else 1, False)[0].width
    story = cover_flowables(source.title_blocks, styles)
    if {"contents-dotted", "contents-plain"} & source.layout:
        story += contents_flowables(source, styles, block_pages)
    story += [NextPageTemplate("body"), PageBreak()]
    story += body_flowables(source.body_blocks, len(source.title_blocks), styles, column_width,
                            ruled="unruled-tables" not in source.layout)
    doc.build(story, canvasmaker=canvas_class(source.published, tracker))
    return buffer.getvalue(), tracker, doc.page


def truth_text(source: ReviewSource, tracker: PageTracker) -> str:
    """The reading-order text of a rendered review, footnotes placed after their page's last block."""
    lines = [line for block in source.title_blocks + source.body_blocks for line in truth_of(block)]
    missing = [i for i in range(len(lines)) if i not in tracker.block_pages]
    if missing:
        raise SourceError(f"{source.path}: blocks {missing[:5]} were never drawn")
    notes = sorted(tracker.footnote_pages.items(), key=lambda item: (item[1], int(item[0])))
    out: list[str] = []
    for index, line in enumerate(lines):
        while notes and notes[0][1] < tracker.block_pages[index]:
            label = notes.pop(0)[0]
            out.append(f"{label} {source.footnotes[label]}")
        out.append(line)
        if index == len(source.title_blocks) - 1 and {"contents-dotted", "contents-plain"} & source.layout:
            out.append("Contents")  # its title is a heading; the list under it is set aside
    out += [f"{label} {source.footnotes[label]}" for label, _ in notes]
    return "\n\n".join(out) + "\n"


def render_review(source: ReviewSource) -> tuple[bytes, str, int]:
    """Render a review twice (the second pass knows the page total and where each block starts); returns
    PDF, truth text, pages."""
    _, first, pages = typeset(source, None)
    pdf, tracker, pages_again = typeset(source, pages, first.block_pages)
    if pages_again != pages or tracker.block_pages != first.block_pages:
        raise SourceError(f"{source.path}: page count or block pages changed between passes")
    return pdf, truth_text(source, tracker), pages


# ---------------------------------------------------------------------------------------------------------
# Broken inputs
# ---------------------------------------------------------------------------------------------------------


def corrupt_pdf(pdf: bytes) -> bytes:
    """Keep the PDF header but scramble and truncate the rest, so no parser can recover a page."""
    scramble = random.Random(20190611)
    head = pdf[:9]
    body = bytes(byte ^ scramble.randrange(1, 256) for byte in pdf[9 : len(pdf) * 3 // 5])
    return head + body


def encrypt_pdf(pdf: bytes, password: str) -> bytes:
    """Encrypt a PDF with a user password (RC4-128, with the file identifier fixed for reproducibility)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=password, owner_password=None, algorithm="RC4-128")
    writer._ID = ArrayObject([writer._ID[0], writer._ID[0]])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def wrap_for_image(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` pixels in ``font``."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if font.getlength(candidate) > width and line:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line]


def page_images(source: ReviewSource) -> list[Image.Image]:
    """Draw the review's text onto greyscale page images with Pillow, slightly skewed like a scan."""
    width, height, margin = 827, 1169, 80  # A4 at 100 dpi
    font, bold = ImageFont.load_default(size=17), ImageFont.load_default(size=22)
    pages: list[Image.Image] = []
    y = height
    for block in source.title_blocks + source.body_blocks:
        block_font = bold if block.kind in ("title", "heading") else font
        for line in wrap_for_image(" ".join(truth_of(block)), block_font, width - 2 * margin):
            if y > height - margin - 30:
                pages.append(Image.new("L", (width, height), 250))
                y = margin
            ImageDraw.Draw(pages[-1]).text((margin, y), line, fill=35, font=block_font)
            y += 27
        y += 14
    return [page.rotate(0.7, resample=Image.BICUBIC, fillcolor=250) for page in pages]


def image_only_pdf(source: ReviewSource) -> bytes:
    """A PDF whose pages are JPEG pictures of text, with no text layer."""
    buffer = io.BytesIO()
    canvas = canvas_class(source.published, PageTracker())(buffer, pagesize=A4, invariant=1)
    canvas.setTitle("Scanned document")
    for image in page_images(source):
        jpeg = io.BytesIO()
        image.save(jpeg, format="JPEG", quality=45, optimize=True)
        jpeg.seek(0)
        canvas.drawImage(ImageReader(jpeg), 0, 0, PAGE_WIDTH, PAGE_HEIGHT)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


DOWNLOAD_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Child safeguarding practice reviews | Eastbrook Council</title>
<link rel="stylesheet" href="/assets/site.css">
</head>
<body>
<div class="cookie-banner">We use cookies to make this site work. <a href="/cookies">Cookie settings</a></div>
<header><a href="/">Eastbrook Council</a></header>
<main>
<h1>Child safeguarding practice reviews</h1>
<p>This is a fictional page made for testing software. It stands in for the web page that some
council websites return instead of the document you asked for.</p>
<p>The document you requested has moved. Please use the links below.</p>
<ul>
<li><a href="/safeguarding/reviews/child-u-2020">Child U - executive summary (PDF, 412KB)</a></li>
<li><a href="/safeguarding/reviews/annual-report">Partnership annual report 2020 to 2021</a></li>
</ul>
</main>
<footer>&copy; Eastbrook Council (fictional)</footer>
</body>
</html>
"""


# Manifest rows for the broken inputs. The scanned and encrypted ones take their metadata from their
# sources in demo_src/broken/; the others have invented metadata of their own.
BROKEN_ROWS = [
    {
        "review_id": "eastbrook-2020-child-u",
        "title": "Child Safeguarding Practice Review – Child U",
        "area": "Eastbrook Safeguarding Children Partnership",
        "nation": "England",
        "review_type": "CSPR",
        "year": "2020",
        "published": "2020-11-02",
        "source": "demo/broken/download-page.pdf",
        "notes": "Deliberately broken example: an HTML web page saved with a .pdf name.",
    },
    {
        "review_id": "larkfield-2018-child-x",
        "title": "Serious Case Review – Child X",
        "area": "Larkfield Local Safeguarding Children Board",
        "nation": "England",
        "review_type": "SCR",
        "year": "2018",
        "published": "2018-06-11",
        "source": "demo/broken/corrupt-review.pdf",
        "notes": "Deliberately broken example: a PDF scrambled and truncated so that it cannot be parsed.",
    },
    {
        "source": "demo/broken/encrypted-review.pdf",
        "notes": "Deliberately broken example: encrypted with a user password (demo-password).",
    },
    {
        "source": "demo/broken/scanned-review.pdf",
        "notes": "Deliberately broken example: image-only scan with no text layer (needs OCR).",
    },
    {
        "review_id": "penrhos-2023-child-j",
        "title": "Child Practice Review – Child J",
        "area": "Penrhos Regional Safeguarding Board",
        "nation": "Wales",
        "review_type": "CPR",
        "year": "2023",
        "published": "2023-05-22",
        "source": "demo/missing-review.pdf",
        "notes": "Deliberately broken example: this file does not exist.",
    },
]


def write_broken_inputs() -> list[dict[str, str]]:
    """Write the deliberately broken inputs and return their manifest rows (without sha256)."""
    BROKEN_DIR.mkdir(parents=True, exist_ok=True)
    scanned = parse_source(SOURCE_DIR / "broken" / "scanned-review.md", check_name=False)
    encrypted = parse_source(SOURCE_DIR / "broken" / "encrypted-review.md", check_name=False)
    scanned_pdf, scanned_truth, _ = render_review(scanned)
    encrypted_pdf, encrypted_truth, _ = render_review(encrypted)
    (BROKEN_DIR / "scanned-review.truth.txt").write_text(scanned_truth, encoding="utf-8")
    (BROKEN_DIR / "encrypted-review.truth.txt").write_text(encrypted_truth, encoding="utf-8")
    contents = {
        "corrupt-review.pdf": corrupt_pdf(scanned_pdf),
        "encrypted-review.pdf": encrypt_pdf(encrypted_pdf, "demo-password"),
        "scanned-review.pdf": image_only_pdf(scanned),
        "download-page.pdf": DOWNLOAD_PAGE.encode("utf-8"),
    }
    for name, content in contents.items():
        (BROKEN_DIR / name).write_bytes(content)
    metadata = {"scanned-review.pdf": scanned.meta, "encrypted-review.pdf": encrypted.meta}
    rows = []
    for spec in BROKEN_ROWS:
        meta = metadata.get(Path(spec["source"]).name, spec)
        row = {key: meta[key] for key in MANIFEST_COLUMNS if key in meta}
        rows.append({**row, "source": spec["source"], "sha256": "", "notes": spec["notes"]})
    return rows


# ---------------------------------------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------------------------------------


def manifest_row(source: ReviewSource, pdf_path: Path) -> dict[str, str]:
    """The manifest row for a rendered review, with the sha256 of its PDF."""
    row = {key: source.meta[key] for key in MANIFEST_COLUMNS if key in source.meta}
    row["source"] = pdf_path.relative_to(MANIFEST_DIR).as_posix()
    row["sha256"] = hashlib.sha256(pdf_path.read_bytes()).hexdigest()
    row["notes"] = f"Fictional demonstration review (layout: {source.meta['layout']})."
    return row


def write_manifest(rows: list[dict[str, str]]) -> None:
    """Write the demo manifest CSV with the columns in their fixed order."""
    with MANIFEST_PATH.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# ---------------------------------------------------------------------------------------------------------


def require_pyphen() -> None:
    """Hyphenated layouts need pyphen; without it the PDFs would silently differ from the committed ones."""
    try:
        import pyphen  # noqa: F401
    except ImportError:
        sys.exit(
            "pyphen is needed for the hyphenated layouts: .venv/bin/pip install pyphen "
            "(or pip install -e '.[dev]')"
        )


def remove_stale_outputs(review_ids: set[str]) -> None:
    """Delete rendered PDFs and truth files whose source no longer exists."""
    for path in [*OUTPUT_DIR.glob("*.pdf"), *OUTPUT_DIR.glob("*.truth.txt")]:
        if path.name.split(".")[0] not in review_ids:
            path.unlink()


def main() -> None:
    """Render every demo source, the broken inputs and the manifest."""
    require_pyphen()
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    rows = []
    for path in sorted(SOURCE_DIR.glob("*.md")):
        if path.stem == path.stem.upper():
            continue  # THEMES.md and other notes are not reviews
        source = parse_source(path)
        pdf, truth, pages = render_review(source)
        pdf_path = OUTPUT_DIR / f"{source.review_id}.pdf"
        pdf_path.write_bytes(pdf)
        (OUTPUT_DIR / f"{source.review_id}.truth.txt").write_text(truth, encoding="utf-8")
        rows.append(manifest_row(source, pdf_path))
        print(f"{source.review_id}: {pages} pages, {len(pdf) // 1024} KB")
    remove_stale_outputs({row["review_id"] for row in rows})
    rows += write_broken_inputs()
    write_manifest(rows)
    print(f"wrote {len(rows)} manifest rows to {MANIFEST_PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
