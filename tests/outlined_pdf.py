"""Write PDFs whose text a reader sees but the page's text layer does not hold as it is.

Text converted to outlines: design tools offer it so a print shop needs no fonts; each glyph is drawn as a
filled shape, so the page looks like any other but has no text layer at all. The glyph shapes come from
matplotlib's ``TextPath`` (DejaVu Sans, installed with matplotlib), so what pdfium renders is real type.
Also blank pages and pages of shapes that are not text (a frame on a coloured background, a logo, a bar
chart), and a typed-text comment drawn over a page by its own appearance. The text is our own writing.
"""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from tests.garbled_pdf import PARAGRAPH, _lines

TITLE = "What the review found"


def _outline(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    """Draw ``text`` at (x, y) as filled glyph outlines."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.path import Path as GlyphPath
    from matplotlib.textpath import TextPath

    glyphs = TextPath((x, y), text, size=size, prop=FontProperties(family="DejaVu Sans"))
    path = canvas.beginPath()
    vertices, codes = glyphs.vertices, glyphs.codes
    current = start = (x, y)
    i = 0
    while i < len(codes):
        code = codes[i]
        if code == GlyphPath.MOVETO:
            current = start = tuple(vertices[i])
            path.moveTo(*current)
            i += 1
        elif code == GlyphPath.LINETO:
            current = tuple(vertices[i])
            path.lineTo(*current)
            i += 1
        elif code == GlyphPath.CURVE3:  # a quadratic curve, raised to the cubic a PDF draws
            (x0, y0), (qx, qy), (x1, y1) = current, vertices[i], vertices[i + 1]
            path.curveTo(x0 + 2 / 3 * (qx - x0), y0 + 2 / 3 * (qy - y0),
                         x1 + 2 / 3 * (qx - x1), y1 + 2 / 3 * (qy - y1), x1, y1)
            current = (x1, y1)
            i += 2
        elif code == GlyphPath.CURVE4:
            path.curveTo(*vertices[i], *vertices[i + 1], *vertices[i + 2])
            current = tuple(vertices[i + 2])
            i += 3
        else:  # CLOSEPOLY
            path.close()
            current = start
            i += 1
    canvas.drawPath(path, stroke=0, fill=1, fillMode=0)


def _page(canvas: Canvas, number: int, outlined: bool) -> None:
    title = f"Section {number}: {TITLE.lower()}"
    if outlined:
        _outline(canvas, title, 60, 720, 14)
    else:
        canvas.setFont("Helvetica-Bold", 14)
        canvas.drawString(60, 720, title)
    canvas.setFont("Helvetica", 10)
    y = 690
    for turn in range(3):
        sentences = PARAGRAPH.rstrip(".").split(". ")
        start = (number + turn) % len(sentences)
        text = ". ".join(sentences[start:] + sentences[:start]).rstrip(".") + "."
        for line in _lines(text, 95):
            if outlined:
                _outline(canvas, line, 60, y, 10)
            else:
                canvas.drawString(60, y, line)
            y -= 14
        y -= 10


def write_outlined(path: Path, outlined_pages: set[int], pages: int = 3) -> Path:
    """A ``pages``-page PDF of two paragraphs a page; on the 1-based ``outlined_pages`` the text is outlines."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        _page(canvas, number, number in outlined_pages)
        canvas.showPage()
    canvas.save()
    path.write_bytes(buffer.getvalue())
    return path


def write_shapes(path: Path, text_page: bool = False) -> Path:
    """Pages with no text: a blank page, a logo, a frame on a coloured background and a bar chart; with
    ``text_page``, a page of ordinary text first."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    if text_page:
        _page(canvas, 1, outlined=False)
        canvas.showPage()
    canvas.showPage()  # blank
    for radius in range(5, 50, 6):  # a logo of rings
        canvas.circle(300, 700, radius, stroke=1, fill=0)
    canvas.showPage()
    canvas.setFillColorRGB(0.2, 0.3, 0.6)  # a coloured page in a white frame
    canvas.rect(0, 0, A4[0], A4[1], fill=1, stroke=0)
    canvas.setStrokeColorRGB(1, 1, 1)
    canvas.setLineWidth(3)
    canvas.rect(30, 30, A4[0] - 60, A4[1] - 60, fill=0, stroke=1)
    canvas.showPage()
    canvas.setFillColorRGB(0, 0, 0)  # a bar chart with axes
    for i in range(8):
        canvas.rect(80 + i * 55, 200, 35, 40 + i * 30, fill=1, stroke=0)
    canvas.line(70, 200, 520, 200)
    canvas.line(70, 200, 70, 500)
    canvas.showPage()
    canvas.save()
    path.write_bytes(buffer.getvalue())
    return path


COMMENT_TEXT = "Added by the reviewer: the school was not told about the move."


def write_typed_comment(path: Path) -> Path:
    """A page of text with a typed-text comment over its margin, drawn by its own appearance stream, as a PDF
    viewer's text tool writes it: the words are seen on the page but are not in its content."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        TextStringObject,
    )

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    _page(canvas, 1, outlined=False)
    canvas.showPage()
    canvas.save()
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(buffer.getvalue())))
    rect = (60, 420, 520, 440)
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica")}))
    appearance = DecodedStreamObject()
    appearance.set_data(f"BT /Helv 11 Tf 2 6 Td ({COMMENT_TEXT}) Tj ET".encode())
    appearance.update({
        NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(rect[2] - rect[0]),
                                          FloatObject(rect[3] - rect[1])]),
        NameObject("/Resources"): DictionaryObject({NameObject("/Font"): DictionaryObject({
            NameObject("/Helv"): font})})})
    writer.add_annotation(0, DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/FreeText"),
        NameObject("/Rect"): ArrayObject([FloatObject(v) for v in rect]),
        NameObject("/Contents"): TextStringObject(COMMENT_TEXT),
        NameObject("/DA"): TextStringObject("/Helv 11 Tf 0 g"),
        NameObject("/AP"): DictionaryObject({NameObject("/N"): writer._add_object(appearance)})}))
    with open(path, "wb") as handle:
        writer.write(handle)
    return path
