"""Write PDFs whose text layer is garbled on chosen pages, the way a font embedded with a wrong character map
garbles it: the page looks right, but every character extracts as another one.

The pages are typeset with reportlab; a garbled page is set in Courier, and that font is then given a
``/ToUnicode`` map that sends each character code to a different printable character. pdfium honours the
map, so the extractor sees what it would see in such a real PDF. The text is our own writing.
"""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

PARAGRAPH = (
    "The practitioners who knew the family best were not invited to the strategy discussion, so the plan was "
    "made without them. The health visitor had seen the baby every fortnight and had noticed that he was often "
    "left in his car seat for long periods. The nursery had recorded bruising on two occasions. Neither piece "
    "of knowledge reached the social worker before the case was closed, and the review found that the decision "
    "to close rested on the mother's account alone. Partners have since agreed a shared chronology template."
)


def _lines(text: str, width: int = 88) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current]


def _to_unicode(shift: int) -> bytes:
    """A CMap sending each printable code to another printable character (a fixed permutation)."""
    mapping = {code: 0x21 + ((code - 0x20) * shift) % 94 for code in range(0x20, 0x7F)}
    body = "\n".join(f"<{code:02X}> <{uni:04X}>" for code, uni in mapping.items())
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CMapName /Garbled def\n/CMapType 2 def\n"
        "1 begincodespacerange <00> <FF> endcodespacerange\n"
        f"{len(mapping)} beginbfchar\n{body}\nendbfchar\nendcmap\n"
        "CMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode()


def write_pdf(path: Path, garbled_pages: set[int], pages: int = 3, garbled_headings: bool = False) -> Path:
    """Write a ``pages``-page PDF to ``path``; the 1-based ``garbled_pages`` extract as junk. With
    ``garbled_headings``, every page's heading is set in the garbled font and its text in a good one."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        font = "Courier" if number in garbled_pages else "Helvetica"
        canvas.setFont("Courier" if garbled_headings else f"{font}-Bold" if font == "Helvetica" else font, 14)
        canvas.drawString(60, 720, f"Section {number}: what the review found")
        canvas.setFont(font, 10)
        y = 690
        sentences = PARAGRAPH.split(". ")
        for turn in range(2):  # two paragraphs, their sentences in an order of this page's own
            start = (number + turn * 2) % len(sentences)
            text = ". ".join(sentences[start:] + sentences[:start]).rstrip(".") + "."
            for line in _lines(text, 80 if font == "Courier" else 95):
                canvas.drawString(60, y, line)
                y -= 14
            y -= 10
        canvas.showPage()
    canvas.save()
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(buffer.getvalue())))
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if font["/BaseFont"] == "/Courier":
                stream = DecodedStreamObject()
                stream.set_data(_to_unicode(7))
                font[NameObject("/ToUnicode")] = writer._add_object(stream)
    with open(path, "wb") as handle:
        writer.write(handle)
    return path
