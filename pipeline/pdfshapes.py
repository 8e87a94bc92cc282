"""What is drawn on a PDF page besides its text: rules, shaded boxes and redactions.

Objects are walked in paint order, through forms (:func:`page_objects`). Straight paths tell whether a page
may hold a ruled table (:func:`count_rules`); shaded or outlined shapes that hold lines of text are boxes
(:func:`find_boxes`); black or white boxes painted over text, annotations that cover it, and text set in
white on the white page are redactions, and the characters under them are masked (:func:`mask_redacted`,
:func:`mask_white_out`), as are characters under an image painted over them (:func:`mask_under_images`).
"""

from __future__ import annotations

import ctypes
import re
from collections import Counter
from typing import TYPE_CHECKING

import pypdfium2.raw as pdfium_c

from pipeline.pdfview import loose_box, upright

if TYPE_CHECKING:
    from pipeline.pdflines import Line

TABLE_RULES = 6


def count_rules(paths: list[tuple[object, tuple | None]]) -> int:
    """How many of a page's paths are straight (lines and rectangles, no curves), counting up to
    ``TABLE_RULES``: only pages with that many may hold a ruled table, worth reading through pdfplumber
    (about ten times slower). A vector logo on every page would otherwise send every page there."""
    count = 0
    for obj, _matrix in paths:
        segments = pdfium_c.FPDFPath_CountSegments(obj)
        if segments < 2:
            continue
        if all(pdfium_c.FPDFPathSegment_GetType(pdfium_c.FPDFPath_GetPathSegment(obj, k))
               != pdfium_c.FPDF_SEGMENT_BEZIERTO for k in range(min(segments, 64))):
            count += 1
            if count >= TABLE_RULES:
                break
    return count


REDACTED = "[redacted]"
MASK = "\u2588"  # stands in for a character under a redaction until the line's text is made
_MASKED_RUN = re.compile(MASK + r"(?:[\s" + MASK + r"]*" + MASK + r")?")


def _rgba(get_colour, *args) -> tuple[int, int, int, int] | None:
    """(red, green, blue, alpha), 0-255, from a pdfium colour getter called with ``args`` first; None when
    pdfium has no colour to give."""
    out = [ctypes.c_uint() for _ in range(4)]
    if not get_colour(*args, *(ctypes.byref(v) for v in out)):
        return None
    return tuple(v.value for v in out)


def _opaque_black(rgba: tuple[int, int, int, int] | None) -> bool:
    return rgba is not None and rgba[3] == 255 and max(rgba[:3]) < 60


def _white(rgba: tuple[int, int, int, int] | None) -> bool:
    return rgba is not None and min(rgba[:3]) >= 245


def covering_fill(obj) -> bool:
    """Whether a path is filled in an opaque black or white (or nearly): what a redaction is drawn with, a
    black box or a white one ("white-out"). Mid colours are left alone: a highlighter's yellow is often
    painted over words that stay readable through it."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not pdfium_c.FPDFPath_GetDrawMode(obj, ctypes.byref(fill), ctypes.byref(stroke)) or not fill.value:
        return False
    rgba = _rgba(pdfium_c.FPDFPageObj_GetFillColor, obj)
    return _opaque_black(rgba) or (_white(rgba) and rgba[3] == 255)


_ABOVE_ALL = 1 << 30  # the paint order of annotations: a viewer draws them over the page's content


def covering_annotations(page) -> list[tuple[int, tuple[float, float, float, float], None]]:
    """Annotations that hide the words under them, as (paint order, (left, bottom, right, top), None): a redaction
    marked but never applied (the words are still in the file), or a box filled in an opaque dark colour drawn
    over words with a viewer's comment tools. Hidden annotations are left out."""
    found = []
    rect = pdfium_c.FS_RECTF()
    for i in range(pdfium_c.FPDFPage_GetAnnotCount(page.raw)):
        annot = pdfium_c.FPDFPage_GetAnnot(page.raw, i)
        if not annot:
            continue
        try:
            subtype = pdfium_c.FPDFAnnot_GetSubtype(annot)
            if pdfium_c.FPDFAnnot_GetFlags(annot) & (pdfium_c.FPDF_ANNOT_FLAG_HIDDEN | pdfium_c.FPDF_ANNOT_FLAG_NOVIEW):
                continue
            hides = subtype == pdfium_c.FPDF_ANNOT_REDACT or (
                subtype == pdfium_c.FPDF_ANNOT_SQUARE and _opaque_black(
                    _rgba(pdfium_c.FPDFAnnot_GetColor, annot, pdfium_c.FPDFANNOT_COLORTYPE_InteriorColor)))
            if hides and pdfium_c.FPDFAnnot_GetRect(annot, ctypes.byref(rect)):
                found.append((_ABOVE_ALL, (min(rect.left, rect.right), min(rect.bottom, rect.top),
                                           max(rect.left, rect.right), max(rect.bottom, rect.top)), None))
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return found


def typed_annotations(page) -> bool:
    """Whether the page has form fields or typed-text comments: text a reader sees that is not in the page's
    content, but in annotations drawn over it (a review written into a fillable template, or words added with
    a viewer's text tool). pdfium's text layer leaves it out until the page is flattened."""
    for i in range(pdfium_c.FPDFPage_GetAnnotCount(page.raw)):
        annot = pdfium_c.FPDFPage_GetAnnot(page.raw, i)
        if not annot:
            continue
        try:
            if pdfium_c.FPDFAnnot_GetSubtype(annot) in (pdfium_c.FPDF_ANNOT_WIDGET, pdfium_c.FPDF_ANNOT_FREETEXT):
                return True
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return False


def _shape_boxes(shapes: list[tuple[int, object, tuple | None]]) -> list[tuple[int, tuple]]:
    """(paint order, box as the page is shown, y upwards) of each shape; an annotation comes as a rectangle."""
    boxes = []
    for index, obj, matrix in shapes:
        bounds = obj if isinstance(obj, tuple) else page_bounds(obj, matrix)
        if bounds is not None:
            boxes.append((index, upright(*bounds)))
    return boxes


def _painted_over(textpage, text: str, text_order: dict[int, int], boxes: list[tuple[int, tuple]],
                  whole_height: bool) -> list[tuple[int, tuple, int]]:
    """The characters a box painted after them covers: (index in ``text``, the character's box, the place in
    ``boxes`` of the first such box). A box covers a character when it holds the character's centre and, with
    ``whole_height``, most of its height too (so that an underline or a strike-through covers nothing)."""
    import numpy as np  # imported here: only pages painted over after their text need it

    if not boxes:
        return []
    indices, char_boxes = [], []
    for i, char in enumerate(text):
        if not char.isspace():
            box = loose_box(textpage, i)
            if box is not None:
                indices.append(i)
                char_boxes.append(box)
    if not indices:
        return []
    chars = np.array(char_boxes)
    x, y = (chars[:, 0] + chars[:, 2]) / 2, (chars[:, 1] + chars[:, 3]) / 2
    shape = np.array([b for _, b in boxes])  # (x0, y0, x1, y1), y upwards
    covers = ((shape[None, :, 0] <= x[:, None]) & (x[:, None] <= shape[None, :, 2])
              & (shape[None, :, 1] <= y[:, None]) & (y[:, None] <= shape[None, :, 3]))
    if whole_height:
        covers &= (shape[:, 3] - shape[:, 1])[None, :] >= 0.6 * (chars[:, 3] - chars[:, 1])[:, None]
    paint = np.array([index for index, _ in boxes])
    found = []
    for row in np.flatnonzero(covers.any(axis=1)):
        i = indices[row]
        painted = text_order.get(_text_object(textpage, i), -1)
        later = np.flatnonzero(covers[row] & (paint > painted)) if painted >= 0 else []
        if len(later):
            found.append((i, char_boxes[row], int(later[0])))
    return found


def _text_object(textpage, index: int) -> int | None:
    """The address of the text object that draws character ``index`` (the keys of ``text_order``)."""
    return ctypes.cast(pdfium_c.FPDFText_GetTextObject(textpage.raw, index), ctypes.c_void_p).value


def _masked(text: str, indices) -> str:
    chars = list(text)
    for i in indices:
        chars[i] = MASK
    return "".join(chars)


def mask_redacted(textpage, text: str, text_order: dict[int, int], shapes: list[tuple[int, object, tuple | None]],
                  height: float) -> tuple[str, list[tuple[float, float, float, float]]]:
    """The page's text with each character hidden under a box painted after it replaced by a mask.

    A redaction done by drawing black (or white) boxes over the text leaves the text in the file: it must not
    be read, stored or searched. A character counts as hidden when such a box (:func:`covering_fill`) painted
    later (higher in the page's paint order) covers its centre and most of its height, so an underline or a
    strike-through does not hide it, nor does a dark band painted behind white text. ``shapes`` holds (paint
    order, path object, matrix of its form) and, for annotations (:func:`covering_annotations`), (paint
    order, rectangle, None); ``text_order`` gives each text object's place in the paint order
    (:func:`page_objects`). Returns the text (same length, so character indices still match) and the shapes
    that hid something, as (x0, top, x1, bottom).
    """
    # smaller marks (rules, dots) cannot hide a letter
    boxes = [(i, b) for i, b in _shape_boxes(shapes) if b[2] - b[0] >= 2 and b[3] - b[1] >= 4]
    hidden = _painted_over(textpage, text, text_order, boxes, whole_height=True)
    used = [boxes[k][1] for k in sorted({k for _, _, k in hidden})]
    return (_masked(text, [i for i, _, _ in hidden]),
            [(x0, height - y1, x1, height - y0) for x0, y0, x1, y1 in used])


_FILLED_TEXT = frozenset({pdfium_c.FPDF_TEXTRENDERMODE_FILL, pdfium_c.FPDF_TEXTRENDERMODE_FILL_CLIP})


def white_text(obj) -> bool:
    """Whether a text object is only filled, in white (or nearly): on a white page it cannot be seen."""
    if pdfium_c.FPDFTextObj_GetTextRenderMode(obj) not in _FILLED_TEXT:
        return False
    rgba = _rgba(pdfium_c.FPDFPageObj_GetFillColor, obj)
    return _white(rgba) and rgba[3] > 0


def grey_page(page):
    """A reader of the page as it is shown, rendered in grey at 72 dpi (one pixel a point), rendering it once
    and only when first asked: ``grey()`` gives the pixels (rows from the top)."""
    pixels = []

    def grey():
        if not pixels:
            pixels.append(page.render(scale=1, grayscale=True).to_numpy())
        return pixels[0]

    return grey


def _char_pixels(pixels, box: tuple, height: float):
    """The pixels of a character's box (left, bottom, right, top; y upwards on a page ``height`` high), or
    None when the box lies off the rendered page."""
    rows, columns = pixels.shape[:2]
    x0, x1 = max(0, int(box[0])), min(columns, int(box[2]) + 1)
    y0, y1 = max(0, int(height - box[3])), min(rows, int(height - box[1]) + 1)
    return pixels[y0:y1, x0:x1] if x1 > x0 and y1 > y0 else None


_SEEN = 235  # a pixel darker than this (0-255 grey) shows on white paper


DRAWN_GLYPHS = 50  # glyph-sized marks on a page without a text layer, from which it may hold text drawn as shapes
_EDGE_STEP = 60  # a change of grey between neighbouring pixels this large is a sharp edge (a glyph's outline)
_GLYPH_PIXELS = 40  # a glyph-sized mark fits in a square this wide at 72 dpi (type up to about 40 points)


def drawn_marks(pixels) -> bool:
    """Whether a page without a text layer shows marks that could be text: text converted to outlines, or a
    drawing with its labels drawn as shapes.

    Such a page looks like any other on screen, but there is nothing to extract: only OCR can read it.
    Text is many small separate marks; a frame, a rule, a logo, a chart's bars or a coloured background are a
    few large ones. The marks are the outlines of sharp changes of grey on the page rendered at 72 dpi.
    """
    return glyph_marks(pixels) >= DRAWN_GLYPHS


def glyph_marks(pixels) -> int:
    """How many separate glyph-sized marks a rendered page shows (see :func:`drawn_marks`)."""
    from scipy import ndimage

    grey = pixels.astype("int16")
    if grey.ndim == 3:
        grey = grey[..., 0]
    edges = ndimage.maximum_filter(grey, size=2) - ndimage.minimum_filter(grey, size=2) >= _EDGE_STEP
    labels, count = ndimage.label(edges, structure=[[1, 1, 1], [1, 1, 1], [1, 1, 1]])
    if not count:
        return 0
    return sum(1 for rows, columns in ndimage.find_objects(labels)
               if rows.stop - rows.start <= _GLYPH_PIXELS and columns.stop - columns.start <= _GLYPH_PIXELS)


def mask_white_out(grey, textpage, text: str, white: set[int], height: float) -> str:
    """The page's text with each character that cannot be seen, white on the white page, replaced by a mask.

    Turning words white is a way of redacting them that leaves them in the file ("white-out"). White text that
    stands out against what is behind it (a dark band, a photograph, a gradient) is read as usual. What is
    behind is read off the rendered page (``grey``, from :func:`grey_page`), so any way of painting a
    background counts (pdfium reports a gradient pattern's colour as white): a character is hidden when
    nothing inside its box is darker than near-white. ``white`` holds the addresses of the page's white text
    objects (:func:`white_text`).
    """
    pixels = grey()
    hidden = []
    for i, char in enumerate(text):
        if char.isspace() or _text_object(textpage, i) not in white:
            continue
        box = loose_box(textpage, i)
        region = None if box is None else _char_pixels(pixels, box, height)
        if region is not None and region.min() >= _SEEN:
            hidden.append(i)
    return _masked(text, hidden)


_FLAT = 25  # a character's box whose greys span less than this (0-255) shows no letter at all
_MAX_IMAGE_SHARE = 0.25  # of the page's area: a larger image over the text is a scan, not a redaction


def mask_under_images(grey, textpage, text: str, text_order: dict[int, int],
                      images: list[tuple[int, object, tuple | None]], width: float, height: float) -> str:
    """The page's text with each character that an image painted over it hides replaced by a mask.

    An image pasted over words (a black or white block, a scanned strip) is a way of redacting them that leaves
    them in the file. Whether the image hides a character is read off the rendered page (``grey``, from
    :func:`grey_page`): the character is hidden when its box shows one flat tone, no letter. A see-through
    image (a faint watermark) lets the letters show, and they are read. Images over a quarter of the page are
    left alone: a scanned page laid over its own recognised text ("text under image", as OCR tools write it)
    is not a redaction, and its text boxes need not line up with the letters in the scan. ``images`` holds
    the (paint order, image, matrix of its form) of the images painted after some text; the page is rendered
    only if one of them covers a character.
    """
    largest = _MAX_IMAGE_SHARE * width * height
    boxes = [(i, b) for i, b in _shape_boxes(images) if (b[2] - b[0]) * (b[3] - b[1]) <= largest]
    covered = _painted_over(textpage, text, text_order, boxes, whole_height=False)
    if not covered:
        return text
    pixels = grey()
    hidden = []
    for i, box, _ in covered:
        region = _char_pixels(pixels, box, height)
        if region is not None and int(region.max()) - int(region.min()) < _FLAT:
            hidden.append(i)
    return _masked(text, hidden)


def unmask(text: str) -> str:
    """A line's text with each run of hidden characters (and the spaces between them) as one "[redacted]"."""
    return _MASKED_RUN.sub(REDACTED, text) if MASK in text else text


# A page drawn with more paths than this is a chart or a map, not a page of text with a few panels on it.
MAX_BOX_PATHS = 2000
_MIN_BOX_WIDTH = 90.0  # points: narrower shapes are bars, bullets or table cells
_MIN_BOX_HEIGHT = 12.0  # a title band on top of a panel can be this low (alone it holds one line: no box)


def page_objects(page):
    """Every object painted on a page, in paint order, looking inside forms (XObjects), as (place in the paint
    order, object, type, matrix): the matrix takes an object inside a form to the page (None at the top level,
    where positions are already the page's)."""
    index = 0
    stack = [(page.raw, None, pdfium_c.FPDFPage_CountObjects(page.raw), 0, True)]
    matrix_buffer = pdfium_c.FS_MATRIX()
    while stack:
        parent, matrix, count, i, is_page = stack.pop()
        if i >= count:
            continue
        stack.append((parent, matrix, count, i + 1, is_page))
        obj = pdfium_c.FPDFPage_GetObject(parent, i) if is_page else pdfium_c.FPDFFormObj_GetObject(parent, i)
        if not obj:
            continue
        obj_type = pdfium_c.FPDFPageObj_GetType(obj)
        yield index, obj, obj_type, matrix
        index += 1
        if obj_type == pdfium_c.FPDF_PAGEOBJ_FORM and pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(matrix_buffer)):
            m = matrix_buffer
            own = (m.a, m.b, m.c, m.d, m.e, m.f)
            inner = own if matrix is None else _compose(own, matrix)
            stack.append((obj, inner, pdfium_c.FPDFFormObj_CountObjects(obj), 0, False))


def _compose(first: tuple, then: tuple) -> tuple:
    """The matrix that applies ``first``, then ``then`` (PDF matrices, (a, b, c, d, e, f))."""
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = then
    return (a1 * a2 + b1 * c2, a1 * b2 + b1 * d2, c1 * a2 + d1 * c2, c1 * b2 + d1 * d2,
            e1 * a2 + f1 * c2 + e2, e1 * b2 + f1 * d2 + f2)


def page_bounds(obj, matrix: tuple | None) -> tuple[float, float, float, float] | None:
    """(left, bottom, right, top) of a page object on the page (through its form's ``matrix``, if any)."""
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    if not pdfium_c.FPDFPageObj_GetBounds(obj, ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right),
                                          ctypes.byref(top)):
        return None
    if matrix is None:
        return left.value, bottom.value, right.value, top.value
    a, b, c, d, e, f = matrix
    xs, ys = [], []
    for x in (left.value, right.value):
        for y in (bottom.value, top.value):
            xs.append(a * x + c * y + e)
            ys.append(b * x + d * y + f)
    return min(xs), min(ys), max(xs), max(ys)


def visible_shapes(paths: list, height: float) -> list[tuple[float, float, float, float]]:
    """The visible filled or outlined shapes among a page's paths ((path, matrix) pairs, see
    :func:`page_objects`), as (x0, top, x1, bottom) boxes, whatever their size: the large ones may box in text
    (:func:`find_boxes`), a small one may hold a heading's number (:func:`mark_badges`)."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    shapes = []
    for obj, matrix in paths:
        if not pdfium_c.FPDFPath_GetDrawMode(obj, ctypes.byref(fill), ctypes.byref(stroke)):
            continue
        visible = bool(fill.value) and _visible(pdfium_c.FPDFPageObj_GetFillColor, obj)
        if not visible and stroke.value:
            visible = _visible(pdfium_c.FPDFPageObj_GetStrokeColor, obj)
        bounds = page_bounds(obj, matrix) if visible else None
        if bounds is None:
            continue
        x0, y0, x1, y1 = upright(*bounds)
        shapes.append((x0, height - y1, x1, height - y0))
    return shapes


def _visible(get_colour, obj) -> bool:
    """Whether a path's fill or stroke colour shows on a white page (not white, not transparent)."""
    rgba = _rgba(get_colour, obj)
    return rgba is not None and rgba[3] > 0 and not _white(rgba)


def _join_stacked(shapes: list[tuple[float, float, float, float]]) -> list[tuple[float, float, float, float]]:
    """Shapes stacked edge to edge with the same left and right edges, as one shape each: a panel drawn as a
    dark title band on top of a light body (or as rows of a one-column table) is one box, its title inside it.

    >>> _join_stacked([(50, 100, 300, 118), (50, 118, 300, 200), (50, 300, 300, 340)])
    [(50, 100, 300, 200), (50, 300, 300, 340)]
    """
    joined: list[tuple[float, float, float, float]] = []
    for shape in sorted(set(shapes), key=lambda s: (s[1], s[0])):
        for k, above in enumerate(joined):
            if abs(shape[0] - above[0]) <= 3 and abs(shape[2] - above[2]) <= 3 and -1 <= shape[1] - above[3] <= 3:
                joined[k] = (min(above[0], shape[0]), above[1], max(above[2], shape[2]), max(above[3], shape[3]))
                break
        else:
            joined.append(shape)
    return joined


def find_boxes(lines: list[Line], shapes: list[tuple[float, float, float, float]], width: float,
               height: float) -> list[tuple[float, float, float, float]]:
    """The shapes that box in text on a page, numbering the lines inside each (``Line.box``).

    A box holds two or more lines, leaves some of the page's lines outside it, and is not a frame around
    the whole page (at most 60% of its height unless it is a narrow sidebar). A line belongs to the smallest
    box it lies wholly inside. A shaded band behind a single heading is not a box.

    >>> from pipeline.pdflines import Line
    >>> lines = [Line("Findings", 50, 120, 90, 102, 14, True, 1),
    ...          Line("Learning point", 60, 140, 120, 130, 10, True, 1),
    ...          Line("Share a new address.", 60, 200, 132, 142, 10, False, 1),
    ...          Line("Text.", 50, 90, 160, 170, 10, False, 1)]
    >>> find_boxes(lines, [(55, 115, 500, 146), (0, 0, 595, 842)], 595, 842)
    [(55, 115, 500, 146)]
    >>> [line.box for line in lines]
    [0, 1, 1, 0]
    """
    shapes = [s for s in shapes if s[2] - s[0] >= _MIN_BOX_WIDTH and s[3] - s[1] >= _MIN_BOX_HEIGHT]
    candidates = [s for s in _join_stacked(shapes) if (s[3] - s[1]) <= 0.6 * height or (s[2] - s[0]) <= 0.5 * width]
    candidates.sort(key=lambda s: (s[2] - s[0]) * (s[3] - s[1]))  # smallest first
    holder: dict[int, int] = {}
    for i, line in enumerate(lines):
        for k, (x0, top, x1, bottom) in enumerate(candidates):
            if line.x0 >= x0 - 2 and line.x1 <= x1 + 2 and line.top >= top - 2 and line.bottom <= bottom + 2:
                holder[i] = k
                break
    counts = Counter(holder.values())
    kept = sorted((k for k, n in counts.items() if n >= 2 and n < len(lines)), key=lambda k: candidates[k][1])
    number = {k: n + 1 for n, k in enumerate(kept)}
    for i, line in enumerate(lines):
        line.box = number.get(holder.get(i, -1), 0)
    return [candidates[k] for k in kept]


# A heading's number set in a shape of its own: a bare number ("1", "12") starting a line, with words after it.
_BADGE_NUMBER = re.compile(r"\d{1,2}\s+\S")
_BADGE_SIZE = 3.5  # font sizes: a badge is at most this wide and high (larger shapes are panels or table cells)
_BADGE_LEAST = 0.6  # font sizes: ... and at least this (smaller marks are bullets or rules)
_BADGE_COVER = 0.6  # of the line's height: how much of it the shape spans (not a rule under the number)


def mark_badges(lines: list[Line], shapes: list[tuple[float, float, float, float]]) -> None:
    """Mark the lines whose number is drawn inside a small shape of its own (``Line.badge``): a circle or
    square beside a briefing's heading ("(1) Background"), decoration rather than the heading's own number.

    The shape holds the number and nothing else: it starts at or before the number, ends before the line's
    words, spans most of the line's height and is no more than a few font sizes wide and high. A number typed
    before a heading, or a shaded band behind the whole line, marks nothing.

    >>> from pipeline.pdflines import Line
    >>> circled = Line("1 Background", 40, 140, 100, 117, 13, True, 1, text_x0=62)
    >>> typed = Line("2 Why it matters", 40, 150, 200, 217, 13, True, 1, text_x0=52)
    >>> banded = Line("3 Findings", 40, 120, 300, 317, 13, True, 1, text_x0=52)
    >>> mark_badges([circled, typed, banded], [(38, 97, 60, 119), (30, 296, 560, 320)])
    >>> [line.badge for line in (circled, typed, banded)]
    [True, False, False]
    """
    numbered = [ln for ln in lines if ln.kind == "text" and ln.text_x0 is not None and _BADGE_NUMBER.match(ln.text)]
    if not numbered:
        return
    most = _BADGE_SIZE * max(ln.size for ln in numbered)
    small = [s for s in shapes if s[2] - s[0] <= most and s[3] - s[1] <= most]  # a page may hold thousands of shapes
    for line in numbered:
        height = line.bottom - line.top
        for x0, top, x1, bottom in small:
            if (_BADGE_LEAST * line.size <= x1 - x0 <= _BADGE_SIZE * line.size
                    and _BADGE_LEAST * line.size <= bottom - top <= _BADGE_SIZE * line.size
                    and x0 <= line.x0 + 1 and line.x0 + 0.4 * line.size <= x1 <= line.text_x0 + 1
                    and min(bottom, line.bottom) - max(top, line.top) >= _BADGE_COVER * height):
                line.badge = True
                break
