"""Write a PDF redacted the unsafe way: black boxes drawn over text that is still in the file.

Typeset with reportlab's canvas, so each box is painted after the text it hides, as a hasty redaction in a
PDF editor paints it. Beside the redactions the page has marks that must not count as one: dark bands
painted behind headings in white (one of them after the text above it), a strike-through, an underline and
a yellow highlight. Annotations added with pypdf redact two more names (see ``ANNOTATED``), and one name
is set in white on the white page (``WHITE_OUT``); a black image is pasted over another (``IMAGED``) and a
faint see-through one over a line that stays readable (``WATERMARKED``). A second page holds a ruled table
(read through pdfplumber) with one cell redacted. The text is our own writing; the hidden words are invented
names that appear nowhere else.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

HIDDEN = ("Quonset", "Ellery", "Brackwater Lane", "Tamsin Ollerby", "Dorian Vell", "Fenwick Row", "Ottoline Parr",
          "Sorrel Quint", "Wenna Thorley")
FONT, SIZE, LEADING = "Helvetica", 11, 15
LEFT = 72

LINES = [
    "The review panel met four times between March and July, and spoke to the family",
    "members who agreed to take part. The mother of Child D, Mrs Ellery Quonset, told the",
    "panel that she had asked for help with housing on several occasions before the move.",
    "Her address at the time was withheld from the review for the safety of the children,",
    "and the panel saw only the records that the agencies chose to share with it.",
    "The family lived at 14 Brackwater Lane until the spring, when they moved across the",
    "county boundary without telling the school, the health visitor or the housing team.",
    "Nobody asked where the children were living until the school raised the alarm.",
    "Their uncle, Mr Dorian Vell, and the aunt at Fenwick Row were not spoken to by anyone.",
    "A neighbour, Ottoline Parr, was not asked what she had seen.",
    "The landlord, Sorrel Quint, had warned the council about the state of the flat.",
    "The social worker, Ms Wenna Thorley, visited the family twice that spring.",
]
# (hidden words, colour of the box painted over them): black boxes, and a white one ("white-out")
REDACT = [("Ellery Quonset", (0, 0, 0)), ("Brackwater Lane", (0, 0, 0)), ("Sorrel Quint", (1, 1, 1))]
# Redactions made with annotations, over the last line: a black-filled box drawn with a viewer's comment
# tools, and a redaction marked but never applied; beside them, a hidden black box and a yellow one, which
# hide nothing.
ANNOTATED = {"square": "Dorian Vell", "redact": "Fenwick Row", "hidden": "uncle", "yellow": "spoken to"}
ANNOTATED_LINE = next(i for i, line in enumerate(LINES) if ANNOTATED["square"] in line)
WHITE_OUT = (next(i for i, line in enumerate(LINES) if "Ottoline Parr" in line), "Ottoline Parr")  # set in white
IMAGED = "Wenna Thorley"  # hidden under a black image pasted over it
WATERMARKED = 3  # the line under a faint, see-through image: still readable
STRUCK = (6, "without telling")  # a thin line through the middle of these words
UNDERLINED = (7, "Nobody asked")
HIGHLIGHTED = (4, "the agencies chose to share")
BAND_BEFORE = 5  # the line above which the second heading band sits


def _box(canvas: Canvas, y: float, line: str, words: str) -> tuple[float, float]:
    """(x, width) of ``words`` within ``line`` set at the left margin."""
    start = line.index(words)
    x = LEFT + canvas.stringWidth(line[:start], FONT, SIZE)
    return x, canvas.stringWidth(words, FONT, SIZE)


FIELD_TEXT = "The housing officer was told of the move on the same day."


def write_pdf(path: Path, form_field: bool = False) -> Path:
    """The redacted PDF; with ``form_field``, page 1 also holds a filled form field (``FIELD_TEXT``), whose
    text lies in an annotation rather than the page's content."""
    width, height = A4
    canvas = Canvas(str(path), pagesize=A4)
    # A dark band painted first, with the heading painted on it in white: a design, not a redaction.
    canvas.setFillColorRGB(0.05, 0.1, 0.2)
    canvas.rect(LEFT - 6, height - 92, width - 2 * LEFT + 12, 30, fill=1, stroke=0)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(LEFT, height - 82, "Key findings from the review")
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(FONT, SIZE)
    tops = []
    for i, line in enumerate(LINES):
        y = height - 130 - i * LEADING - (40 if i >= BAND_BEFORE else 0)
        tops.append(y)
        if i == BAND_BEFORE:
            # A second band, painted after the text above it: later in paint order than some text, yet
            # behind its own heading.
            canvas.setFillColorRGB(0.05, 0.1, 0.2)
            canvas.rect(LEFT - 6, y + 14, width - 2 * LEFT + 12, 26, fill=1, stroke=0)
            canvas.setFillColorRGB(1, 1, 1)
            canvas.setFont("Helvetica-Bold", 14)
            canvas.drawString(LEFT, y + 22, "The move")
            canvas.setFillColorRGB(0, 0, 0)
            canvas.setFont(FONT, SIZE)
        if i == WHITE_OUT[0]:
            start = line.index(WHITE_OUT[1])
            x = LEFT + canvas.stringWidth(line[:start], FONT, SIZE)
            canvas.drawString(LEFT, y, line[:start])
            canvas.setFillColorRGB(1, 1, 1)
            canvas.drawString(x, y, WHITE_OUT[1])
            canvas.setFillColorRGB(0, 0, 0)
            canvas.drawString(x + canvas.stringWidth(WHITE_OUT[1], FONT, SIZE), y, line[start + len(WHITE_OUT[1]):])
        else:
            canvas.drawString(LEFT, y, line)
    # The marks painted after the text: a highlight, a strike-through and an underline, then the redactions.
    index, words = HIGHLIGHTED
    x, w = _box(canvas, tops[index], LINES[index], words)
    canvas.setFillColorRGB(1, 0.95, 0.3)
    canvas.rect(x, tops[index] - 3, w, SIZE + 2, fill=1, stroke=0)
    canvas.setFillColorRGB(0, 0, 0)
    index, words = STRUCK
    x, w = _box(canvas, tops[index], LINES[index], words)
    canvas.rect(x, tops[index] + 3.5, w, 0.8, fill=1, stroke=0)
    index, words = UNDERLINED
    x, w = _box(canvas, tops[index], LINES[index], words)
    canvas.rect(x, tops[index] - 2, w, 0.7, fill=1, stroke=0)
    for words, colour in REDACT:
        index = next(i for i, line in enumerate(LINES) if words in line)
        canvas.setFillColorRGB(*colour)
        x, w = _box(canvas, tops[index], LINES[index], words)
        canvas.rect(x - 1, tops[index] - 3.5, w + 2, SIZE + 3, fill=1, stroke=0)
    canvas.setFillColorRGB(0, 0, 0)
    _paste_images(canvas, tops)
    line, top = LINES[ANNOTATED_LINE], tops[ANNOTATED_LINE]
    spans = {kind: (*_box(canvas, top, line, words), top) for kind, words in ANNOTATED.items()}
    if form_field:
        canvas.acroForm.textfield(name="note", value=FIELD_TEXT, x=LEFT, y=120, width=width - 2 * LEFT, height=20,
                                  fontName=FONT, fontSize=SIZE, borderWidth=0)
    canvas.showPage()
    _table_page(canvas, width, height)
    canvas.save()
    _annotate(path, spans)
    return path


def _paste_images(canvas: Canvas, tops: list[float]) -> None:
    """A solid black image over ``IMAGED``; a faint see-through image over line ``WATERMARKED``."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    index = next(i for i, line in enumerate(LINES) if IMAGED in line)
    x, w = _box(canvas, tops[index], LINES[index], IMAGED)
    canvas.drawImage(ImageReader(Image.new("RGB", (40, 10), (0, 0, 0))), x - 1, tops[index] - 3.5, w + 2, SIZE + 3)
    faint = Image.new("RGBA", (200, 40), (200, 0, 0, 40))
    canvas.drawImage(ImageReader(faint), LEFT - 10, tops[WATERMARKED] - 6, 300, 20, mask="auto")


def _annotate(path: Path, spans: dict[str, tuple[float, float, float]]) -> None:
    """Add the annotations of ``ANNOTATED`` to page 1, over the words at ``spans`` (x, width, baseline)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Rectangle
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject

    writer = PdfWriter()
    writer.append(PdfReader(path))

    def rect(kind: str) -> tuple[float, float, float, float]:
        x, w, y = spans[kind]
        return (x - 1, y - 3.5, x + w + 1, y + SIZE)

    writer.add_annotation(0, Rectangle(rect("square"), interior_color="000000"))
    writer.add_annotation(0, DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Redact"),
        NameObject("/Rect"): ArrayObject([FloatObject(v) for v in rect("redact")])}))
    hidden = Rectangle(rect("hidden"), interior_color="000000")
    hidden[NameObject("/F")] = NumberObject(2)  # the Hidden flag: never shown
    writer.add_annotation(0, hidden)
    writer.add_annotation(0, Rectangle(rect("yellow"), interior_color="ffee44"))
    with open(path, "wb") as handle:
        writer.write(handle)


def _table_page(canvas: Canvas, width: float, height: float) -> None:
    """A ruled table of who was told about the move, with the name of one relative redacted."""
    rows = [("Date", "Agency", "What was shared"),
            ("4 May", "School", "Told of the move by the aunt, Tamsin Ollerby"),
            ("9 May", "Health visiting", "Not told; visit missed"),
            ("20 May", "Housing", "Told by the new landlord")]
    columns = [LEFT, LEFT + 70, LEFT + 190, width - LEFT]
    row_height = 24
    top = height - 100
    canvas.setFont(FONT, 10)
    for r, row in enumerate(rows):
        y = top - (r + 1) * row_height + 8
        for c, cell in enumerate(row):
            canvas.drawString(columns[c] + 4, y, cell)
    canvas.setLineWidth(0.6)
    for r in range(len(rows) + 1):
        canvas.line(columns[0], top - r * row_height, columns[-1], top - r * row_height)
    for x in columns:
        canvas.line(x, top, x, top - len(rows) * row_height)
    canvas.setFont(FONT, 11)
    canvas.drawString(LEFT, top - len(rows) * row_height - 30, "The table sets out what each agency was told.")
    # the redaction, painted after the table's text
    cell = rows[1][2]
    start = cell.index(HIDDEN[3])
    x = columns[2] + 4 + canvas.stringWidth(cell[:start], FONT, 10)
    canvas.rect(x - 1, top - 2 * row_height + 5, canvas.stringWidth(HIDDEN[3], FONT, 10) + 2, 13, fill=1, stroke=0)


FORM_HIDDEN = "Mabel Quist"
CHRONOLOGY_ROWS = [("Date", "Agency", "What happened"), ("4 May 2021", "School", "A bruise was seen by the teacher."),
                   ("9 May 2021", "Family", f"The aunt, {FORM_HIDDEN}, phoned."),
                   ("20 May 2021", "Police", "Officers visited.")]
# how the pipeline reads the chronology back: one row a line, cells joined by " | ", the name redacted
CHRONOLOGY_READ = [" | ".join(row).replace(FORM_HIDDEN, "[redacted]") for row in CHRONOLOGY_ROWS]


def draw_chronology(canvas: Canvas, width: float, height: float) -> None:
    """Draw, on a page of ``width`` x ``height`` as it is set up on ``canvas``: a ruled chronology with the
    name ``FORM_HIDDEN`` redacted (a black box painted over it), and a sentence under the table."""
    canvas.setFont(FONT, 10)
    columns, top, row_height = [60, 160, 290, width - 60], height - 100, 26
    for r, row in enumerate(CHRONOLOGY_ROWS):
        for c, cell in enumerate(row):
            canvas.drawString(columns[c] + 4, top - (r + 1) * row_height + 9, cell)
    for r in range(len(CHRONOLOGY_ROWS) + 1):
        canvas.line(columns[0], top - r * row_height, columns[-1], top - r * row_height)
    for x in columns:
        canvas.line(x, top, x, top - len(CHRONOLOGY_ROWS) * row_height)
    canvas.drawString(60, top - len(CHRONOLOGY_ROWS) * row_height - 30, "The table sets out what happened that month.")
    x = columns[2] + 4 + canvas.stringWidth("The aunt, ", FONT, 10)
    canvas.rect(x - 1, top - 3 * row_height + 6, canvas.stringWidth(FORM_HIDDEN, FONT, 10) + 2, 13, fill=1, stroke=0)


def write_page_in_a_form(path: Path) -> Path:
    """One page whose whole content is drawn inside a form (XObject), placed moved and scaled, as some PDF
    writers and page-merging tools place it: the chronology of :func:`draw_chronology`, a shaded
    "Learning point" panel, and paragraphs after it."""
    canvas = Canvas(str(path), pagesize=A4)
    width, height = A4
    canvas.beginForm("content")
    draw_chronology(canvas, width, height)
    canvas.setFillColorRGB(0.86, 0.9, 0.94)
    canvas.rect(54, 300, width - 108, 90, fill=1, stroke=0)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont("Helvetica-Bold", 10)
    canvas.drawString(60, 375, "Learning point")
    canvas.setFont(FONT, 10)
    canvas.drawString(60, 360, "Agencies should check that a change of address has reached everyone.")
    canvas.drawString(60, 346, "Managers should ask about moves of home in supervision.")
    canvas.drawString(60, 250, "After the panel the review returns to its findings about the school.")
    canvas.drawString(60, 236, "The school did not know that the family had moved away from the area.")
    canvas.endForm()
    canvas.saveState()
    canvas.translate(20, 15)
    canvas.scale(0.95, 0.95)
    canvas.doForm("content")
    canvas.restoreState()
    canvas.showPage()
    canvas.save()
    return path


def write_gradient_title(path: Path) -> Path:
    """A page with a white title on a band filled with a gradient pattern, then a paragraph. pdfium reports a
    pattern's fill colour as white, so only what is really drawn can tell that the title shows. Written by
    hand: reportlab paints gradients as shadings, not as pattern fills."""
    content = (b"q /Pattern cs /P0 scn 50 700 400 30 re f Q\n"
               b"BT /F1 14 Tf 1 1 1 rg 60 708 Td (What the review found) Tj ET\n"
               b"BT /F1 11 Tf 0 0 0 rg 60 670 Td (Agencies did not share what they knew about the move.) Tj ET\n")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> /Pattern << /P0 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /PatternType 2 /Shading << /ShadingType 2 /ColorSpace /DeviceRGB /Coords [50 0 450 0] "
        b"/Function << /FunctionType 2 /Domain [0 1] /C0 [0.1 0.2 0.5] /C1 [0.2 0.5 0.8] /N 1 >> >> >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, start)
    path.write_bytes(out)
    return path
