"""Read a PDF into positioned text lines with pypdfium2 (fast), pdfplumber only for ruled tables.

This module knows about PDF files; it knows nothing about paragraphs or reading order (see ``layout``).
Coordinates are top-down: ``top`` grows towards the bottom of the page, in PDF points.
"""

from __future__ import annotations

import ctypes
import math
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipeline import ocr, scantables
from pipeline.errors import ExtractError
from pipeline.filekinds import describe_non_pdf, sniff_kind
from pipeline.pdfshapes import (
    MASK,
    MAX_BOX_PATHS,
    TABLE_RULES,
    count_rules,
    covering_annotations,
    covering_fill,
    drawn_marks,
    find_boxes,
    grey_page,
    mark_badges,
    mask_redacted,
    mask_under_images,
    mask_white_out,
    page_objects,
    typed_annotations,
    unmask,
    visible_shapes,
    white_text,
)
from pipeline.pdfview import buffers, clear_view, loose_box, set_view, tight_box, upright
from pipeline.textcheck import garbled_font, readable_ocr_text, text_quality

# A line is split where two runs of text on one baseline are further apart than this many font sizes:
# that is a column gutter or a table cell boundary, not a space between words.
OCR_FONT = "(ocr)"  # Line.font of lines read by OCR
_GUTTER_FONT_SIZES = 2.2
# A line narrower than a column is split only at a gap this wide (a tab after a list's number is narrower), and
# only looked at when it is wider than its characters would make it, at this share of a font size each (about
# the mean width of a letter) and half such a gap.
_CELL_GAP_FONT_SIZES = 4.0
_CHAR_WIDTH = 0.5
# A narrower gap after a short first run (a date set close to its event in a chronology) is only noted.
_LABEL_GAP = 0.8
_LABEL_WORDS = 5
_LEAD_WORDS = 12
_SLANT = 3  # degrees from a right angle beyond which a line is slanted (a watermark)
_DATE_START = re.compile(r"\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun|"
                         r"early|mid|late|spring|summer|autumn|winter)", re.IGNORECASE)
_HYPHEN_BREAK = re.compile("(?<=\ufffe)")
# Bullets from Symbol and Wingdings fonts without a Unicode map come out in the private use area.
PRIVATE_BULLETS = "\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf0e0\uf0ae\uf06e\uf0a8\uf0f0"
# Discs, squares, diamonds, ticks, crosses and arrows that start list items ("✓ seen alone", "→ escalated").
_BULLET_SHAPES = "•●○◦‣∙·⁃■□▪▫◼◻◾◽❑❒◆◇♦◊❖►▶▸▹➢➣➤→⇒➔➜➝➞✓✔✗✘☐☑★✦✧"
BULLETS = _BULLET_SHAPES + "\\-–—*" + PRIVATE_BULLETS  # for a regex character class
# Bullets are left out when a font's text is judged: a bullet font is not a garbled one.
_NO_BULLETS = str.maketrans("", "", _BULLET_SHAPES + PRIVATE_BULLETS)
# A letter used as a bullet, and how far (in font sizes) its text must be set from it to count as one: a tab,
# not the space after a word.
_LETTER_BULLET = re.compile(r"([oØ§ü])\s+(?=\S)")
_LETTER_BULLET_GAP = 0.8
# A bullet alone before a wide gap, and the widest tab (in font sizes) still set between a bullet and its text: a
# wider gap is a table's columns, a tick or a key's square in a cell of its own.
_LONE_BULLETS = frozenset(_BULLET_SHAPES + PRIVATE_BULLETS + "oØ§ü")
_BULLET_TAB_FONT_SIZES = 6.0
_LIST_MARKER = re.compile(
    r"^\s*(?:[" + BULLETS + r"]|\(?\d{1,2}(?:\.\d{1,2}){0,2}[.)]?|\(?[a-z]\)|\(?[ivx]{1,4}\))\s+")


@dataclass
class Line:
    """One line of text on a page, with its geometry and font."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    page: int
    # x where the text after a list marker ("4.2", "•") starts: continuation lines align here.
    text_x0: float | None = None
    kind: str = "text"  # "text" or "table" (a whole ruled table, rows joined by newlines)
    # In a line that starts like a date, a gap after the first few words wider than a justified space but
    # too narrow to split the line: the words before it and the x where the rest starts. A table may split
    # the line there (a date set close to its event); nothing else uses it.
    label_split: tuple[str, float] | None = None
    # In a line narrower than a column, each gap wider than a justified space but too narrow to split the line:
    # the text before it and the x where the rest starts. Two short cells of a table row can be set that close
    # ("Social Care   March 2024", "Police   Now"); a table splits the line where its columns start.
    cell_gaps: tuple[tuple[str, float], ...] = ()
    # A line that starts in bold and ends in regular type: its bold words ("Recommendation 1:"), a heading
    # run into its paragraph if the layout step agrees.
    bold_lead: str | None = None
    angle: float = 0.0  # degrees: the direction the text runs on the page (a diagonal watermark: 45 or 315)
    # The shaded or framed box on the page that holds the line (1, 2, ... from the top; see find_boxes), 0 if
    # none: a "Learning point" panel or a sidebar, whose heading is not the section of the text after it.
    box: int = 0
    font: str = ""  # the name of the font of the character in the middle of the line (see _garbled_font_lines)
    # A table line's rows, each a cell a column ("" where the cell is empty), and the x where each column starts:
    # a table broken over a page is joined to the rest of it by these (see layout; empty for other lines).
    cells: tuple[tuple[str, ...], ...] = ()
    columns: tuple[float, ...] = ()
    # Its leading number is drawn inside a small shape of its own (a circle beside a briefing's heading, see
    # pdfshapes.mark_badges): decoration, which a heading leaves out.
    badge: bool = False
    # The big-number tile the line belongs to (1, 2, ... on its page; see layout._tile_rows), 0 if none: a figure
    # set large and the label under it, read as one paragraph.
    tile: int = 0

    @property
    def width(self) -> float:
        return self.x1 - self.x0


@dataclass
class PageLines:
    """The lines of one page and what we learnt about the page itself."""

    number: int  # 1-based
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    has_images: bool = False
    char_count: int = 0
    garbled: bool = False  # a text layer that is not readable text (see pipeline.textcheck): its lines are dropped
    drawn: bool = False  # no text layer, but marks that could be text drawn as shapes (see pdfshapes.drawn_marks)
    garbled_lines: int = 0  # lines left out because their font's text is junk across the document
    ocr_lines: int = 0  # lines in such a font whose text was read by OCR instead
    ocr: bool = False  # its lines were read by OCR (it had no usable text layer; see pipeline.ocr)
    ocr_confidence: float | None = None  # mean confidence (0-100) of the words OCR read on it
    ocr_tried: bool = False  # OCR looked at it (if it is still needs_ocr, OCR found no English text on it)
    # Where the part of the page shown (its crop box) starts within the whole page, turned as the page is
    # shown: (left, top). Our positions are measured from the crop box, pdfplumber's from the whole page.
    origin: tuple[float, float] = (0.0, 0.0)
    # Degrees (clockwise) the page was turned, beyond its /Rotate, to read its text upright: its text runs sideways
    # or upside down as the page is shown (see _reading_rotation). Its lines' positions are on the page so turned.
    turned: int = 0
    # Lines set at a right angle to the text the page is read by (a note down the margin, a table turned on a
    # page of upright text): read where they lie, which may be out of place.
    across_lines: int = 0
    # The page's label in the PDF's own page numbering (/PageLabels: "iii", "12"), "" when it has none.
    label: str = ""
    # Dark shapes painted over text (redactions), (x0, top, x1, bottom): the text under them is not read.
    redactions: list[tuple[float, float, float, float]] = field(default_factory=list)

    @property
    def needs_ocr(self) -> bool:
        """True when OCR is the way to read the page: it shows something (images, or text drawn as shapes) but
        has no text layer, or its text layer is garbled."""
        if self.ocr:
            return False
        return (self.char_count == 0 and (self.has_images or self.drawn)) or self.garbled


def sniff_pdf(path: Path) -> None:
    """Raise ExtractError with a useful reason when ``path`` is not a PDF at all."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)  # not the whole file: every document is sniffed before it is read
    except FileNotFoundError:
        raise ExtractError(f"{path}: file not found") from None
    if sniff_kind(head) == "pdf":
        return
    raise ExtractError(f"{path.name}: {describe_non_pdf(path)}")


def open_pdf(path: Path) -> pdfium.PdfDocument:
    """Open a PDF, turning pdfium's failures into reasons a user can act on."""
    sniff_pdf(path)
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise ExtractError(
                f"{path.name}: the PDF is encrypted with a password, so its text cannot be read "
                "(ask the publisher for an unprotected copy)"
            ) from None
        if _has_no_pages(path):  # PDFium refuses a PDF with no pages, with the error "Success"
            raise ExtractError(
                f"{path.name}: the PDF has no pages, so there is nothing in it to read; download the review "
                "again or replace the file"
            ) from None
        raise ExtractError(
            f"{path.name}: the PDF is damaged and cannot be read ({exc}); download it again or replace the file"
        ) from None


def _has_no_pages(path: Path) -> bool:
    """Whether the PDF's bytes hold no page object ("/Type /Page") and a page tree that counts none ("/Type
    /Pages ... /Count 0" in one dictionary), as a PDF written with no pages."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    empty_tree = re.search(rb"<<[^<>]*/Type\s*/Pages\b[^<>]*/Count\s+0(?!\d)[^<>]*>>|"
                           rb"<<[^<>]*/Count\s+0(?!\d)[^<>]*/Type\s*/Pages\b[^<>]*>>", data)
    return empty_tree is not None and re.search(rb"/Type\s*/Page(?![a-zA-Z])", data) is None


# PDFium may not be called from two threads at once, even on different documents (pypdfium2's docs):
# the pdfium part of extraction is serialised; layout, segmentation and tagging still run in parallel.
PDFIUM_LOCK = threading.RLock()


def read_pages(path: Path) -> list[PageLines]:
    """Read every page of the PDF at ``path`` into positioned lines.

    PDFium is called under ``PDFIUM_LOCK`` a page at a time. OCR (a second or two a page) runs outside it, on
    ``ocr.OCR_THREADS`` threads, so that other documents are read meanwhile: a long scan does not hold up the
    rest of a run.
    """
    with PDFIUM_LOCK:
        pdf = open_pdf(path)
    pool = ocr.ReaderPool() if ocr.enabled() else None
    try:
        with PDFIUM_LOCK:
            try:
                page_count = len(pdf)
            except pdfium.PdfiumError as exc:
                raise ExtractError(f"{path.name}: the PDF is damaged ({exc}); replace the file") from None
        if page_count == 0:
            raise ExtractError(f"{path.name}: the PDF has no pages; replace the file")
        pages = []
        ruled_pages: list[int] = []
        waiting = []  # (index, page, whether it has rules, OCR of it to come)
        for index in range(page_count):
            with PDFIUM_LOCK:
                page_lines, ruled, image = _read_page_at(pdf, index, path, with_image=pool is not None)
                page_lines.label = _page_label(pdf, index)
            pages.append(page_lines)
            if image is not None:
                waiting.append((index, page_lines, ruled, pool.submit(image, (page_lines.width, page_lines.height))))
            elif ruled:
                ruled_pages.append(index)
        for index, page_lines, ruled, future in waiting:
            # what OCR read stays (pdfplumber would find no text in its tables); a page it could not read
            # keeps its rules
            if not _take_ocr(page_lines, future.result()) and ruled:
                ruled_pages.append(index)
        if waiting:
            _even_ocr_sizes(pages)
        junk = _garbled_font_lines(pages)
        if junk:
            _mend_garbled_lines(pdf, pages, junk, pool)
        if ruled_pages:
            _replace_ruled_tables(path, pages, sorted(ruled_pages))
        return pages
    finally:
        if pool is not None:
            pool.close()
        with PDFIUM_LOCK:
            pdf.close()


def _page_label(pdf: pdfium.PdfDocument, index: int) -> str:
    """The page's label, as the PDF's own page numbering gives it ("iii", "12"), or "" when it has none."""
    try:
        return pdf.get_page_label(index) or ""
    except pdfium.PdfiumError:
        return ""


def _even_ocr_sizes(pages: list[PageLines]) -> None:
    """Give the lines read by OCR the sizes of their groups across the document (``ocr.even_sizes``), so that
    headings set in one size are measured as one size."""
    lines = [line for page in pages if page.ocr for line in page.lines if line.font == OCR_FONT]
    evened = ocr.even_sizes([(line.size, len(line.text)) for line in lines])
    for line in lines:
        line.size = evened[line.size]


def _read_page_at(pdf: pdfium.PdfDocument, index: int, path: Path, with_image: bool):
    """(lines of page ``index``, whether it holds a ruled table, its image for OCR or None). The image is made
    only ``with_image`` and when the page has no usable text layer."""
    try:
        page = pdf[index]
    except pdfium.PdfiumError as exc:
        raise ExtractError(f"{path.name}: page {index + 1} is damaged ({exc}); replace the file") from None
    try:
        annotation_covers = None
        if typed_annotations(page):  # form fields, typed comments: drawn into the page so their text is read
            annotation_covers = covering_annotations(page)  # flattening turns these into mere shapes
            pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_NORMALDISPLAY)
            page.close()
            page = pdf[index]
        page_lines, ruled = _read_page(page, index + 1, annotation_covers)
        image = ocr.page_image(page) if with_image and page_lines.needs_ocr else None
        return page_lines, ruled, image
    finally:
        page.close()


def _take_ocr(result: PageLines, read: ocr.OcrPage) -> bool:
    """Put what OCR ``read`` on a page without a usable text layer into ``result``; False when OCR found no
    readable English on it (a photograph, a blank scan, a page in another language), which then stays unread."""
    result.ocr_tried = True
    lines = []
    tables, rest = _scanned_tables(read, result.number)
    for run, size, bold in ocr.page_runs(rest, gutter=_GUTTER_FONT_SIZES):
        line = Line(
            text=" ".join(word.text for word in run),
            x0=min(word.box[0] for word in run), x1=max(word.box[2] for word in run),
            top=min(word.box[1] for word in run), bottom=ocr.run_bottom(run, size),
            size=round(size, 1), bold=bold, page=result.number, font=OCR_FONT)
        if len(run) > 1 and _LIST_MARKER.match(run[0].text + " "):
            line.text_x0 = run[1].box[0]  # "2.1", "•": its paragraph's wrapped lines align with the text after it
        if len(run) > 1 and _DATE_START.match(line.text):
            line.label_split = _ocr_label_split(run, size)
        lines.append(line)
    lines += tables
    text = " ".join(line.text for line in lines)
    if not lines or not readable_ocr_text(text):
        return False
    result.lines = lines
    result.width, result.height = read.size  # a page scanned sideways is read, and laid out, turned upright
    result.ocr = True
    result.char_count = len("".join(text.split()))
    result.ocr_confidence = round(ocr.mean_confidence(read.lines), 1)
    return True


def _read_page(page: pdfium.PdfPage, number: int, annotation_covers: list | None = None) -> tuple[PageLines, bool]:
    """Read one page; ``annotation_covers`` are its redaction annotations when they were found before the page
    was flattened (see ``covering_annotations``)."""
    width, height = page.get_size()
    result = PageLines(number=number, width=width, height=height)
    paths: list[tuple[object, tuple | None]] = []  # (path, matrix of the form it is in)
    painted_over: list[tuple[int, object, tuple | None]] = []  # black or white boxes painted after some text
    text_order: dict[int, int] = {}  # address of each text object -> its place in the paint order
    white: set[int] = set()  # addresses of text objects in white (see mask_white_out)
    images_over: list[tuple[int, object, tuple | None]] = []  # images painted after some text
    for index, obj, obj_type, matrix in page_objects(page):
        if obj_type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            result.has_images = True
            if text_order and len(images_over) < MAX_BOX_PATHS:
                images_over.append((index, obj, matrix))
        elif obj_type == pdfium_c.FPDF_PAGEOBJ_PATH:
            paths.append((obj, matrix))
            if text_order and covering_fill(obj):
                painted_over.append((index, obj, matrix))
        elif obj_type == pdfium_c.FPDF_PAGEOBJ_TEXT:
            address = ctypes.cast(obj, ctypes.c_void_p).value
            text_order[address] = index
            if white_text(obj):
                white.add(address)
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        rotation = page.get_rotation()
        # A page whose text mostly runs sideways or upside down as shown (a landscape table drawn turned on a
        # portrait page, a landscape page given a /Rotate that turns it away) is read as a reader turns it: the
        # page is turned in memory (pdfium then orders its text, and renders it, as it reads upright).
        reading = _reading_rotation(textpage, text, rotation)
        shown_size = (width, height)
        if reading != rotation:
            result.turned = (reading - rotation) % 360
            page.set_rotation(reading)
            textpage.close()
            textpage = page.get_textpage()
            text, rotation = textpage.get_text_range(), reading
            width, height = page.get_size()
            result.width, result.height = width, height
        # page.get_size() is the size as shown; the characters' boxes come in the page's unturned coordinates
        x_origin, y_origin, x_end, y_end = page.get_cropbox()
        left, bottom, right, top = page.get_mediabox()
        result.origin = {90: (y_origin - bottom, x_origin - left), 180: (right - x_end, y_origin - bottom),
                         270: (top - y_end, right - x_end)}.get(rotation, (x_origin - left, top - y_end))
        set_view(rotation, width, height, x_origin, y_origin)
        # a page painted over with thousands of shapes is a map or a chart: only its annotations are checked
        covers = (painted_over if len(painted_over) <= MAX_BOX_PATHS else []) + (
            covering_annotations(page) if annotation_covers is None else annotation_covers)
        if covers:
            text, result.redactions = mask_redacted(textpage, text, text_order, covers, height)
        grey = grey_page(page)  # rendered once, if either check needs it
        if white:
            text = mask_white_out(grey, textpage, text, white, height)
        if images_over:
            text = mask_under_images(grey, textpage, text, text_order, images_over, width, height)
        quality = text_quality(text)
        result.char_count, result.garbled = quality.chars, quality.garbled
        if not result.char_count and not result.has_images and paths:  # text converted to outlines?
            result.drawn = drawn_marks(grey())
        if not result.garbled:
            lines = _lines_from_text(textpage, text, width, height, number)
            result.lines = _drop_lone_marks(_drop_slanted(_drop_unseen(list(lines), width, height)))
            direction = (360 - rotation) % 360  # the way the page's text runs (pdfium's angle) as it is read
            if result.turned:
                _place_folio(result, shown_size, direction)
            result.across_lines = sum(_quarter(line.angle) != direction for line in result.lines)
            if result.lines and len(paths) <= MAX_BOX_PATHS:
                shapes = visible_shapes(paths, height)
                find_boxes(result.lines, shapes, width, height)  # numbers Line.box
                mark_badges(result.lines, shapes)
    finally:
        clear_view()
        textpage.close()
    # A ruled table needs several straight strokes; one or two are a rule under a heading or a footnote
    # separator, and curves (a logo, a chart's pie) are no rules. A garbled page is not read at all.
    # (pdfplumber reads a turned page as it is shown, as we do.)
    return result, not result.garbled and count_rules(paths) >= TABLE_RULES


# Share of a page's text (its characters, on lines set at a right angle) that must run one way for the page to be
# read turned that way.
_TURNED_SHARE = 0.5


def _reading_rotation(textpage, text: str, shown: int) -> int:
    """The rotation (clockwise degrees, as /Rotate gives it) at which the page's text reads upright: its /Rotate
    ``shown``, unless most of its text runs another way on the page as shown.

    A landscape chronology is often drawn turned a quarter turn on a portrait page (the text matrix turned, no
    /Rotate to say so), and a landscape page is sometimes given a /Rotate that turns its upright text away (or a
    page is turned upside down by mistake). Read as shown, each of its lines runs down or up the page and the
    page's lines come out in no order. Each line is judged by the direction of its middle character (pdfium
    gives it clockwise from the page's x axis) and weighs as many characters as it has; slanted text (a
    watermark) does not count.
    """
    weights: dict[int, int] = {}
    start = 0
    for raw_line in text.split("\r\n"):
        stripped = raw_line.strip()
        if stripped:
            first = start + len(raw_line) - len(raw_line.lstrip())
            angle = _angle(textpage, first + len(stripped) // 2)
            quarter = _quarter(angle)
            if abs(angle - round(angle / 90) * 90) <= _SLANT:
                weights[quarter] = weights.get(quarter, 0) + len(stripped)
        start += len(raw_line) + 2
    if not weights:
        return shown
    direction = max(weights, key=weights.get)
    reading = (360 - direction) % 360  # text running at ``direction`` reads upright with the page turned back
    if reading == shown or weights[direction] <= _TURNED_SHARE * sum(weights.values()):
        return shown
    return reading


def _place_folio(page: PageLines, shown: tuple[float, float], direction: int) -> None:
    """On a page read turned (``page.turned``), put the lines set across its text (not running the way
    ``direction`` says its text runs) that lie in the top or bottom margin of the page as it is shown (size
    ``shown``) in the top or bottom margin of the page as it is read.

    A designer who pastes a turned table into a portrait page keeps the page's running header and page number
    upright. Read turned, they would run down the side of the page, where neither a running line nor a page
    number is looked for, and the header would be read as a paragraph beside the table. Kept in the margin they
    are in, they are the page's header and footer, as on the pages around it. Other lines set across the page's
    text stay where they are.
    """
    from pipeline.pagenumbers import MARGIN_BAND  # here: pagenumbers reads this module's lines

    width, height = shown
    band = MARGIN_BAND * height
    for line in page.lines:
        if _quarter(line.angle) == direction:
            continue
        # the line's box on the page as shown: the page's clockwise turn undone
        if page.turned == 90:
            top, bottom, x0, x1 = height - line.x1, height - line.x0, line.top, line.bottom
        elif page.turned == 270:
            top, bottom, x0, x1 = line.x0, line.x1, width - line.bottom, width - line.top
        else:
            top, bottom, x0, x1 = height - line.bottom, height - line.top, width - line.x1, width - line.x0
        if bottom <= band or top >= height - band:
            extent = min(x1 - x0, page.width)
            line.x0 = min(max(0.0, x0), page.width - extent)
            line.x1 = line.x0 + extent
            line.top, line.bottom = (top, bottom) if bottom <= band else (page.height - (height - top),
                                                                          page.height - (height - bottom))
            line.angle = direction
            # positions measured along the line as it was set across the page mean nothing here
            line.text_x0, line.label_split, line.cell_gaps = None, None, ()


def _quarter(angle: float) -> int:
    """``angle`` (degrees) to the nearest right angle, 0-270."""
    return round(angle / 90) % 4 * 90


def _garbled_font_lines(pages: list[PageLines]) -> set[int]:
    """The lines (their ``id``) set in a font whose text, across the document, is junk
    (``textcheck.garbled_font``).

    A font embedded with a wrong character map garbles only what is set in it. When that is the body text, the
    page check finds it; when it is only the headings, or a quotation style, each page reads well and the junk
    would become section names and passages. Each line is counted under the font of its middle character.
    """
    by_font: dict[str, list[Line]] = {}
    for page in pages:
        for line in page.lines:
            if line.font != OCR_FONT:  # OCR text is checked page by page, as it is read
                by_font.setdefault(line.font, []).append(line)
    junk = {font for font, lines in by_font.items() if garbled_font(_sample(lines))}
    return {id(line) for page in pages for line in page.lines if line.font in junk}


def _mend_garbled_lines(pdf: pdfium.PdfDocument, pages: list[PageLines], junk: set[int],
                        pool: ocr.ReaderPool | None) -> None:
    """Give each line in a garbled font the text OCR reads inside its box, keeping its position, size and
    weight (so a heading stays a heading); drop the lines OCR cannot read, or all of them without OCR. Each
    page counts its lines read by OCR (``ocr_lines``) and those dropped (``garbled_lines``)."""
    affected = [i for i, page in enumerate(pages) if any(id(line) in junk for line in page.lines)]
    reads = {}
    if pool is not None:
        futures = []
        for i in affected:
            with PDFIUM_LOCK:
                page = pdf[i]
                try:
                    image = ocr.page_image(page)
                finally:
                    page.close()
            futures.append((i, pool.submit(image, (pages[i].width, pages[i].height))))
        reads = {i: future.result() for i, future in futures}
    for i in affected:
        page = pages[i]
        read = reads.get(i)
        words = [w for line in read.lines for w in line.words] if read is not None and not read.turned else []
        kept = []
        for line in page.lines:
            if id(line) in junk:
                text = _words_in(line, words)
                if not text:
                    page.garbled_lines += 1
                    continue
                line.text, line.font, line.bold_lead, line.label_split = text, OCR_FONT, None, None
                line.cell_gaps = ()
                page.ocr_lines += 1
            kept.append(line)
        page.lines = kept


def _words_in(line: Line, words: list) -> str | None:
    """The OCR words whose centres lie in ``line``'s box, left to right, if they read as English words."""
    inside = sorted((w for w in words if line.x0 - 2 <= (w.box[0] + w.box[2]) / 2 <= line.x1 + 2
                     and line.top - 2 <= (w.box[1] + w.box[3]) / 2 <= line.bottom + 2), key=lambda w: w.box[0])
    text = " ".join(w.text for w in inside)
    quality = text_quality(text)
    return text if quality.letters and quality.known_share >= 0.5 else None


def _sample(lines: list[Line], chars: int = 3000) -> str:
    """The text of the first lines, up to about ``chars`` characters (plenty to judge a font, and cheaper),
    without bullets."""
    taken, size = [], 0
    for line in lines:
        taken.append(line.text)
        size += len(line.text) + 1
        if size >= chars:
            break
    return " ".join(taken).translate(_NO_BULLETS)


def _font_name(textpage, index: int) -> str:
    fonts = buffers()
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, fonts.font_name, 256, ctypes.byref(fonts.font_flags))
    return fonts.font_name.value.decode("latin-1", "replace")


def _angle(textpage, index: int) -> float:
    radians = pdfium_c.FPDFText_GetCharAngle(textpage.raw, index)
    return 0.0 if radians < 0 else round(math.degrees(radians)) % 360


def _drop_unseen(lines: list[Line], width: float, height: float) -> list[Line]:
    """Drop lines whose middle lies outside the page as shown: text set off the page's edge, or on a part of
    the page its crop box cuts away (a way of hiding text that leaves it in the file), is not seen by readers.

    >>> seen = Line("Seen.", 72, 300, 100, 112, 11, False, 1)
    >>> [ln.text for ln in _drop_unseen([seen, Line("Off the edge.", -400, -200, 200, 212, 11, False, 1)], 595, 842)]
    ['Seen.']
    """
    return [ln for ln in lines if 0 <= (ln.x0 + ln.x1) / 2 <= width and 0 <= (ln.top + ln.bottom) / 2 <= height]


_LONE_MARK = re.compile(r"^(?:\d{1,3}|[*†‡])$")


def _drop_lone_marks(lines: list[Line]) -> list[Line]:
    """Drop footnote marks that pdfium put on a line of their own: a number (or *, †, ‡) in small type, raised
    beside the end of a line of larger text that it overlaps. Left in, "3" would start the next line and
    read as a numbered paragraph. A number in a table cell or a page number is not raised beside text.

    >>> text = Line("stays between January and May 2019.", 62, 230, 520, 532, 10.5, False, 1)
    >>> mark = Line("3", 231, 235, 517, 524, 6.5, False, 1)
    >>> [line.text for line in _drop_lone_marks([text, mark])]
    ['stays between January and May 2019.']
    """
    marks = [ln for ln in lines if _LONE_MARK.match(ln.text)]
    if not marks:
        return lines
    dropped = set()
    for mark in marks:
        for line in lines:
            if (line is not mark and line.size * 0.85 > mark.size and mark.top < line.bottom
                    and mark.bottom > line.top and mark.top < line.top + 0.5 * (line.bottom - line.top)
                    and -1 <= mark.x0 - line.x1 <= line.size):
                dropped.add(id(mark))
                break
    return [ln for ln in lines if id(ln) not in dropped]


def _drop_slanted(lines: list[Line]) -> list[Line]:
    """Drop lines set on a slant: a diagonal watermark ("DRAFT", "OFFICIAL SENSITIVE") would otherwise be
    read as a heading on every page. Text at a right angle (a page or table turned on its side) is kept."""
    return [line for line in lines if min(line.angle % 90, 90 - line.angle % 90) <= _SLANT]


def _lines_from_text(textpage: pdfium.PdfTextPage, text: str, width: float, height: float, number: int):
    start = 0
    for raw_line in text.split("\r\n"):
        # pdfium joins a line ending in a hyphen to the next one, marking the hyphen as U+FFFE: split it
        # back into two lines so geometry stays per line and join_lines decides about the hyphen.
        offset = start
        for part in _HYPHEN_BREAK.split(raw_line):
            yield from _split_line(textpage, part, offset, height, width, number)
            offset += len(part)
        start += len(raw_line) + 2


def _split_line(textpage, raw_line: str, start: int, height: float, page_width: float, number: int):
    """Yield one Line per run of text separated by a wide gap (columns, table cells)."""
    stripped = raw_line.strip()
    if not stripped:
        return
    first = start + (len(raw_line) - len(raw_line.lstrip()))
    last = start + len(raw_line.rstrip()) - 1
    boxes = _char_boxes(textpage, first, last)
    if boxes is None:
        return
    known_boxes = {(first, last): boxes}
    size = _font_size(textpage, first) or (boxes[3] - boxes[1])
    # Only a line wider than a column can hide a gutter; checking every space of every line would be slow. A
    # narrower line is checked when it is much wider than its characters: two short cells of a table side by
    # side ("Social Care   March 2024"). Their gap must be wider than a tab after a list's number.
    width = boxes[2] - boxes[0]
    if width > 0.4 * page_width:
        cuts = _gutter_cuts(textpage, raw_line, start, first, last, size, _GUTTER_FONT_SIZES)
    elif width > (_CHAR_WIDTH * len(stripped) + _CELL_GAP_FONT_SIZES / 2) * size:
        cuts = _cell_cuts(textpage, raw_line, start, first, last, size)
    else:
        cuts = []
    if cuts and _lone_bullet(textpage, raw_line, start, first, cuts[0], size):
        cuts = cuts[1:]  # a bullet set a wide tab before its text starts the line's text, not a column of its own
    pieces = [first, *cuts, last + 1]
    for a, b in zip(pieces, pieces[1:], strict=False):
        piece = raw_line[a - start : b - start]
        piece_stripped = piece.strip()
        if not piece_stripped:
            continue
        a2 = a + (len(piece) - len(piece.lstrip()))
        b2 = a + len(piece.rstrip()) - 1
        box = known_boxes.get((a2, b2)) or _char_boxes(textpage, a2, b2)
        if box is None:
            continue
        left, bottom, right, top = box
        line = Line(
            text=piece_stripped,
            x0=left,
            x1=right,
            top=height - top,
            bottom=height - bottom,
            size=round(_piece_size(textpage, a2, b2, size if a2 == first else None) or size, 1),
            bold=_is_bold(textpage, a2) and (a2 == b2 or _is_bold(textpage, b2)),
            page=number,
            angle=_angle(textpage, a2),
            font=_font_name(textpage, (a2 + b2) // 2),
        )
        line.text = unmask(_drop_footnote_marks(textpage, line.text, a2, line.size))
        if not line.bold and " " in piece_stripped and _is_bold(textpage, a2):
            lead = _bold_lead(textpage, raw_line, start, a2, b2)
            line.bold_lead = unmask(lead) if lead else lead
        if not cuts and width <= 0.4 * page_width and " " in piece_stripped:
            line.cell_gaps = tuple((unmask(before), x) for before, x in
                                   _narrow_gaps(textpage, raw_line, start, a2, b2, line.size))
        if _DATE_START.match(line.text) and " " in line.text:  # checking every line would be slow
            split = _label_split(textpage, raw_line, start, a2, b2, line.size)
            line.label_split = (unmask(split[0]), split[1]) if split else None
        marker = _LIST_MARKER.match(piece_stripped)
        if marker and marker.end() < len(piece_stripped):
            char_box = tight_box(textpage, a2 + marker.end())
            line.text_x0 = char_box[0]
        elif (letter := _LETTER_BULLET.match(piece_stripped)) and line.text.startswith(letter.group(1)):
            # Word's second-level bullet is a letter "o" in Courier New, and Wingdings' arrow, square and tick
            # can come out as "Ø", "§" and "ü"; set apart from its text by a tab, it is a bullet, not a word.
            text_x0 = tight_box(textpage, a2 + letter.end())[0]
            if text_x0 - tight_box(textpage, a2)[2] >= _LETTER_BULLET_GAP * line.size:
                line.text = "•" + line.text[1:]
                line.text_x0 = text_x0
        yield line


def _lone_bullet(textpage, raw_line: str, start: int, first: int, cut: int, size: float) -> bool:
    """Whether the piece of a line before its first cut (``first`` up to the index ``cut``) is a bullet alone, set
    a wide tab before the text of its item, no wider than ``_BULLET_TAB_FONT_SIZES``: a disc, a square or another
    bullet shape, or a letter Word and Wingdings use as one (``_LETTER_BULLET``). A sub-bullet "o" indented to
    line up with the text of the item above it is set further from its own text than a column gutter is wide; cut
    there, it became a line of its own, read after its text when set a little larger, and its item ran on into
    the next."""
    if raw_line[first - start:cut - start].strip() not in _LONE_BULLETS:
        return False
    return tight_box(textpage, cut)[0] - tight_box(textpage, first)[2] <= _BULLET_TAB_FONT_SIZES * size


def _piece_size(textpage, first: int, last: int, known: float | None = None) -> float:
    """The size a piece of a line is set in: the middle one of its first, middle and last characters' sizes, so
    that one large first letter (a raised initial cap: "T" at 34 pt, then "his review has shown" at 11 pt) or a
    small mark at its end does not make the whole line larger or smaller than its words. ``known``: the first
    character's size, when already read."""
    sizes = [known or _font_size(textpage, first), _font_size(textpage, (first + last) // 2),
             _font_size(textpage, last)]
    sizes = sorted(size for size in sizes if size)
    return sizes[len(sizes) // 2] if sizes else 0.0


def _font_size(textpage, index: int) -> float:
    """The size a character is printed at, in points: the font size scaled by the text and graphics matrices.

    Many PDF writers (macOS, InDesign, cairo) set every font at size 1 and scale it with the text matrix;
    pdfium's font size alone would make all their text the same size, and no heading or footnote could be
    told by its size.
    """
    size = pdfium_c.FPDFText_GetFontSize(textpage.raw, index)
    matrix = buffers().matrix
    if size and pdfium_c.FPDFText_GetMatrix(textpage.raw, index, ctypes.byref(matrix)):
        scale = math.hypot(matrix.c, matrix.d)  # how much the matrix stretches the glyphs' height
        if scale > 0:
            size *= scale
    return size


# A number at the end of a word (before a space, punctuation or the line's end): a footnote mark when it, or
# its last digits, are set small.
_NUMBER_AT_WORD_END = re.compile(r"(?<!\d)\d+(?=[\s,.;:)]|$)")
_MARK_AFTER = frozenset(".,;:)’'”")  # besides letters and digits, what a footnote mark may follow
_MARK_DIGITS = 4  # at most this many: "1718" (two marks side by side)


def _drop_footnote_marks(textpage, text: str, first: int, size: float) -> str:
    """Remove superscript footnote numbers from a line's text: "checklist²" and "(Okafor 2012).¹⁷¹⁸" lose the
    small raised digits, and so do "Working Together 2018³" and "section 47⁴", where the mark is glued to a
    number set at full size (the digits of one run are checked from its end, as long as they are small).

    ``text`` starts at character index ``first``; only numbers glued to a word are checked, and only their
    last digit unless it is small, so this is cheap.
    """
    pieces = []
    last = 0
    for match in _NUMBER_AT_WORD_END.finditer(text):
        start, end = match.span()
        small = end
        while small > max(start, end - _MARK_DIGITS) and _font_size(textpage, first + small - 1) < size * 0.85:
            small -= 1
        if small == end:
            continue
        if small == start and not (start and (text[start - 1].isalpha() or text[start - 1] in _MARK_AFTER)):
            if not (start > 1 and text[start - 1] == " " and _raised(textpage, first + start, first + start - 2, size)):
                continue  # a small number standing alone ("page 3" in a footer, "only 2 agencies"): not a mark
            small -= 1  # "asked for help ³": the space the text layer put before the raised mark goes with it
        pieces.append(text[last:small])
        last = end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _raised(textpage, index: int, before: int, size: float) -> bool:
    """Whether the character at ``index`` sits on a baseline raised above that of the character at ``before``
    (by a fifth of the line's type ``size`` or more, less than a whole size) and to its right: a superscript.

    A footnote mark that a text layer sets apart from its word by a space ("help ³") is told from a number set
    small on the line ("only 2 agencies") by being raised, not by its size alone.
    """
    points = []
    for at in (before, index):
        x, y = ctypes.c_double(), ctypes.c_double()
        if not pdfium_c.FPDFText_GetCharOrigin(textpage.raw, at, ctypes.byref(x), ctypes.byref(y)):
            return False
        points.append(upright(x.value, y.value, x.value, y.value)[:2])
    (x0, y0), (x1, y1) = points
    return x1 > x0 and 0.2 * size <= y1 - y0 < size


def _char_boxes(textpage, first: int, last: int) -> tuple[float, float, float, float] | None:
    """Box (left, bottom, right, top) spanning characters first..last, from their loose boxes."""
    box0 = loose_box(textpage, first)
    box1 = box0 if last == first else loose_box(textpage, last)
    if box0 is None or box1 is None:
        return None
    l0, b0, r0, t0 = box0
    l1, b1, r1, t1 = box1
    if r0 == l0 == 0 and r1 == l1 == 0:
        return None
    return min(l0, l1), min(b0, b1), max(r0, r1), max(t0, t1)


def _spaces(raw_line: str, start: int, first: int, last: int):
    """(index of the first space, index of the character after the spaces) for each run of spaces between the
    characters ``first`` and ``last`` (indexes in the page text; ``raw_line`` begins at ``start``)."""
    index = first + 1
    while index < last:
        if raw_line[index - start] != " ":
            index += 1
            continue
        after = index + 1
        while raw_line[after - start] == " ":
            after += 1
        yield index, after
        index = after


def _gutter_cuts(textpage, raw_line: str, start: int, first: int, last: int, size: float,
                 sizes: float) -> list[int]:
    """Char indexes where a horizontal gap wider than ``sizes`` font sizes splits the line (checked only at
    spaces, so cheap)."""
    threshold = max(sizes * size, 12.0)
    return [after for space, after in _spaces(raw_line, start, first, last)
            if tight_box(textpage, after)[0] - tight_box(textpage, space - 1)[2] > threshold]


def _cell_cuts(textpage, raw_line: str, start: int, first: int, last: int, size: float) -> list[int]:
    """Char indexes where a line narrower than a column is split between two table cells ("Social Care   March
    2024"): at gaps wider than ``_CELL_GAP_FONT_SIZES``, when the line also holds a space between words under a
    font size wide. A justified line in a narrow column stretches all its spaces alike ("Broad-based,
    community-partnership"); the space after a list's marker does not count."""
    gaps = [(after, tight_box(textpage, after)[0] - tight_box(textpage, space - 1)[2])
            for space, after in _spaces(raw_line, start, first, last)]
    if gaps and _LIST_MARKER.match(raw_line[first - start:]):
        gaps = gaps[1:]
    if not any(gap < size for _, gap in gaps):
        return []
    return [after for after, gap in gaps if gap > max(_CELL_GAP_FONT_SIZES * size, 12.0)]


def _label_split(textpage, raw_line: str, start: int, first: int, last: int, size: float
                 ) -> tuple[str, float] | None:
    """The first gap among a piece's first ``_LABEL_WORDS`` words that is wider than ``_LABEL_GAP`` font sizes:
    (the words before it, the x where the rest starts), or None."""
    for words, (space, after) in enumerate(_spaces(raw_line, start, first, last), start=1):
        if words > _LABEL_WORDS:
            return None
        before, following = loose_box(textpage, space - 1), loose_box(textpage, after)
        if before is not None and following is not None and following[0] - before[2] > _LABEL_GAP * size:
            return raw_line[first - start:space - start], following[0]
    return None


def _narrow_gaps(textpage, raw_line: str, start: int, first: int, last: int, size: float):
    """(the text before it, the x where the rest starts) for each gap wider than ``_LABEL_GAP`` font sizes."""
    for space, after in _spaces(raw_line, start, first, last):
        x = tight_box(textpage, after)[0]
        if x - tight_box(textpage, space - 1)[2] > _LABEL_GAP * size:
            yield raw_line[first - start:space - start], x


def table_text(rows: list[list[str]]) -> str:
    """A table's text as every table line holds it: a row a line, its non-empty cells joined by " | "."""
    return "\n".join(" | ".join(cell for cell in row if cell) for row in rows)


def _scanned_tables(read: ocr.OcrPage, number: int) -> tuple[list[Line], list[ocr.OcrLine]]:
    """The ruled tables found in a scanned page's image, as table lines (``pipeline.scantables``), and the
    OCR lines less the words that went into them."""
    tables, grids = [], []
    for grid in read.grids:
        rows = scantables.fill(grid, read.lines)
        if len(rows) < 2 or max(len(row) for row in rows) < 2:
            continue
        sizes = sorted(line.size for line in read.lines if any(scantables.inside(grid, w) for w in line.words))
        x0, top, x1, bottom = grid.box
        tables.append(Line(text=table_text(rows), x0=x0, x1=x1,
                           top=top, bottom=bottom, size=round(sizes[len(sizes) // 2], 1), bold=False, page=number,
                           kind="table", font=OCR_FONT))
        grids.append(grid)
    if not grids:
        return [], read.lines
    rest = []
    for line in read.lines:
        words = tuple(w for w in line.words if not any(scantables.inside(grid, w) for grid in grids))
        if words:
            rest.append(ocr.OcrLine(words, line.size))
    return tables, rest


def _ocr_label_split(run: list, size: float) -> tuple[str, float] | None:
    """``_label_split`` for a run of OCR words: the words before the first gap among the first
    ``_LABEL_WORDS`` wider than ``_LABEL_GAP`` type sizes, and the x where the rest starts, or None."""
    for words, (word, following) in enumerate(zip(run, run[1:], strict=False), start=1):
        if words > _LABEL_WORDS:
            return None
        if following.box[0] - word.box[2] > _LABEL_GAP * size:
            return " ".join(w.text for w in run[:words]), following.box[0]
    return None


def _bold_lead(textpage, raw_line: str, start: int, first: int, last: int) -> str | None:
    """The words in bold at the start of a piece that ends in regular type (at most ``_LEAD_WORDS``)."""
    for words, (space, after) in enumerate(_spaces(raw_line, start, first, last + 1), start=1):
        if words > _LEAD_WORDS:
            return None
        if not _is_bold(textpage, after):  # the first regular word
            return raw_line[first - start:space - start]
    return None


def _is_bold(textpage, index: int) -> bool:
    weight = pdfium_c.FPDFText_GetFontWeight(textpage.raw, index)
    if weight and weight >= 600:
        return True
    name = _font_name(textpage, index).lower()
    return "bold" in name or "black" in name or "heavy" in name


def _replace_ruled_tables(path: Path, pages: list[PageLines], page_indexes: list[int]) -> None:
    """Swap the lines inside ruled tables for one table element per table (rows kept together)."""
    import pdfplumber  # imported lazily: only documents with ruled pages pay for it

    with pdfplumber.open(str(path)) as pdf:
        for index in page_indexes:
            plumber_page = pdf.pages[index]
            page = pages[index]
            if page.turned:  # read as it was read by pdfium: turned further than its /Rotate shows it
                plumber_page = _turned_plumber_page(plumber_page, page.turned)
            # pdfplumber measures from where its media box puts the page (shown turned), our lines from the
            # corner of the crop box
            dx, dy = plumber_page.mediabox[0] + page.origin[0], plumber_page.mediabox[1] + page.origin[1]
            if page.redactions:  # the characters under a redaction are not read in tables either
                hidden = [(x0 + dx, top + dy, x1 + dx, bottom + dy) for x0, top, x1, bottom in page.redactions]
                for char in plumber_page.chars:  # the page's own records: its tables are read from them
                    if _under(char, hidden):
                        char["text"] = MASK
            for table in plumber_page.find_tables():
                rows = _ruled_rows(table)
                if len(rows) < 2 or max(len(r) for r in rows) < 2:
                    continue
                x0, top, x1, bottom = table.bbox
                x0, top, x1, bottom = x0 - dx, top - dy, x1 - dx, bottom - dy
                inside = [
                    ln for ln in page.lines if ln.x0 >= x0 - 2 and ln.x1 <= x1 + 2 and ln.top >= top - 2
                    and ln.bottom <= bottom + 2
                ]
                if not inside:
                    continue
                page.lines = [ln for ln in page.lines if ln not in inside]
                size = sorted(ln.size for ln in inside)[len(inside) // 2]
                text = table_text(rows)
                page.lines.append(
                    Line(text=text, x0=x0, x1=x1, top=top, bottom=bottom, size=size, bold=False,
                         page=page.number, kind="table", cells=tuple(tuple(row) for row in rows),
                         columns=tuple(column.bbox[0] - dx for column in table.columns))
                )


def _ruled_rows(table) -> list[list[str]]:
    """The rows of a pdfplumber table that hold text, a cell a column. A cell that a merged cell above covers
    (a recommendation spanning the rows of its actions) repeats the merged cell's text: pdfplumber gives it no
    text, and as a row's empty cells are left out of its text, the cells after it were read a column to the
    left ("Deliver briefings | Named GP | September 2024" under "Recommendation | Action | Lead | By when").
    A cell covered from the left (a heading spanning columns) stays empty: its row already holds the text."""
    texts = table.extract()
    rows = []
    for index, row in enumerate(texts):
        if row and any(cell and cell.strip() for cell in row):
            rows.append([_clean_cell(cell if cell is not None else _spanned_text(table, texts, index, k))
                         for k, cell in enumerate(row)])
    return rows


def _spanned_text(table, texts: list[list[str | None]], index: int, column: int) -> str | None:
    """The text of the merged cell that covers row ``index``'s cell in ``column`` from a row above (the nearest
    cell above in that column, reaching below the row's top), or None."""
    top = table.rows[index].bbox[1]
    for above in range(index - 1, -1, -1):
        box = table.rows[above].cells[column]
        if box is not None:
            return texts[above][column] if box[3] > top + 1 else None
    return None


def _turned_plumber_page(plumber_page, turned: int):
    """A pdfplumber page read turned ``turned`` degrees clockwise beyond its /Rotate: pdfplumber (pdfminer) reads
    a page as its /Rotate shows it, so a copy of the page's dictionary is given the rotation it is read at."""
    from pdfminer.pdfpage import PDFPage
    from pdfplumber.page import Page

    source = plumber_page.page_obj
    attrs = dict(source.attrs)
    attrs["Rotate"] = (plumber_page.rotation + turned) % 360
    page_obj = PDFPage(source.doc, source.pageid, attrs, source.label)
    return Page(plumber_page.pdf, page_obj, page_number=plumber_page.page_number,
                initial_doctop=plumber_page.initial_doctop)


def _under(obj: dict, shapes: list[tuple[float, float, float, float]]) -> bool:
    """Whether a pdfplumber character lies under one of ``shapes`` (x0, top, x1, bottom)."""
    if obj.get("object_type") != "char":
        return False
    x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in shapes)


def _clean_cell(cell: str | None) -> str:
    if not cell:
        return ""
    return unmask(re.sub(r"\s+", " ", cell.replace("-\n", "")).strip())
