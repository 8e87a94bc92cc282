"""Write PDFs with a landscape page that is not stored upright, the ways published reviews carry one.

A review's chronology or table of recommendations is often set on a landscape page between portrait ones.
``write_landscape`` writes three pages (portrait, landscape, portrait) with a running header and page numbers,
and puts the landscape page in the file in one of these ways (``how``):

- ``"upright"``: a landscape page, drawn upright (the reference: how the page reads when nothing is turned);
- ``"drawn-90"`` / ``"drawn-270"``: a portrait page whose text is drawn turned a quarter turn (the text matrix
  turned), so that a reader turns the page, clockwise or anticlockwise, to read it; ``folio="upright"`` keeps
  the running header and page number upright on it, as a designer who pasted a turned table into a portrait
  page would;
- ``"rotate-90"`` / ``"rotate-270"``: the landscape page drawn upright in its own coordinates with /Rotate set,
  so that a viewer shows it sideways;
- ``"rotate-180"``: the page drawn upright with /Rotate 180, shown upside down (turned by mistake).

``ruled=True`` draws the chronology with rules (read through pdfplumber), otherwise it is set without any.
The text is our own writing.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

FONT, BOLD = "Helvetica", "Helvetica-Bold"
HEADER = "Local child safeguarding practice review: Child T"

BEFORE = [
    "1.1 This review looks at the help given to Child T and his mother in the eighteen months before he was "
    "hurt. The panel read the records of seven agencies and spoke to the practitioners who knew the family.",
    "1.2 The chronology overleaf lists the contacts that mattered most. It is not a full record of every "
    "visit, call and letter; each agency gave the panel its own account, and those accounts are summarised "
    "in the next chapter.",
]
AFTER = [
    "2.1 Three themes run through the chronology. The first is that the mother's low mood was noticed early "
    "but never followed up by anyone who could help with it.",
    "2.2 The second is that each agency saw a small part of the picture. No one put the referral from the "
    "police beside the missed appointments, and the strategy discussion came only after the injury.",
]
TITLE = "Appendix 2: Timeline of contact with the family"
INTRO = ("The table below sets out, in date order, the contacts between agencies and the family that the panel "
         "found most telling. Entries were checked with each agency before the review was signed off.")
HEAD = ("Date", "Agency", "What happened")
ROWS = [
    ("3 March 2022", "Health visiting", "New birth visit at home; the mother said she felt low and was offered a "
                                        "follow-up call, which did not take place."),
    ("17 March 2022", "GP practice", "Baby seen for a rash; no worries recorded about his care."),
    ("2 May 2022", "Children's social care", "Referral from the police after a neighbour heard shouting; closed "
                                             "after one telephone call with the mother."),
    ("9 June 2022", "Early help", "Family support worker visited twice; the mother missed the third visit."),
    ("21 July 2022", "Hospital", "Baby brought in with a swollen leg; an X-ray found a fracture and a strategy "
                                 "discussion was held that evening."),
]
CLOSING = ("The panel noted that the gap between the referral in May and the injury in July was the longest "
           "period in which no agency saw the baby.")

PORTRAIT = A4
LANDSCAPE = landscape(A4)
# where the landscape page's columns start, and how wide its last one is
_COLUMNS = (60, 170, 320)
_EVENT_WIDTH = 360


def landscape_truth() -> list[str]:
    """The landscape page's text as the pipeline should read it: title, introduction, the table a row a line
    (cells joined by " | "), and the closing sentence."""
    return [TITLE, INTRO, " | ".join(HEAD), *(" | ".join(row) for row in ROWS), CLOSING]


def truth() -> str:
    """The whole document's text in reading order, without its running header and page numbers."""
    return "\n".join(["1. Introduction", *BEFORE, *landscape_truth(), "2. Themes", *AFTER])


def _wrapped(canvas: Canvas, x: float, y: float, text: str, width: float, size: float = 10.5,
             font: str = FONT, leading: float | None = None) -> float:
    """Draw ``text`` wrapped to ``width`` from (x, y) down; the y below the last line."""
    leading = leading or size * 1.35
    canvas.setFont(font, size)
    for line in simpleSplit(text, font, size, width):
        canvas.drawString(x, y, line)
        y -= leading
    return y


def _folio(canvas: Canvas, width: float, height: float, number: int) -> None:
    canvas.setFont(FONT, 8.5)
    canvas.drawString(60, height - 40, HEADER)
    canvas.drawCentredString(width / 2, 30, str(number))


def _portrait_page(canvas: Canvas, heading: str, paragraphs: list[str], number: int) -> None:
    width, height = PORTRAIT
    canvas.setPageSize(PORTRAIT)
    _folio(canvas, width, height, number)
    canvas.setFont(BOLD, 14)
    canvas.drawString(60, height - 90, heading)
    y = height - 120
    for text in paragraphs:
        y = _wrapped(canvas, 60, y, text, width - 120) - 8
    canvas.showPage()


def draw_landscape(canvas: Canvas, width: float, height: float, ruled: bool = False) -> None:
    """Draw the landscape page's text (not its folio) on a page ``width`` x ``height`` as the canvas is set up."""
    canvas.setFont(BOLD, 14)
    canvas.drawString(60, height - 80, TITLE)
    y = _wrapped(canvas, 60, height - 106, INTRO, width - 120) - 12
    cells = [HEAD, *ROWS]
    tops = []
    for r, row in enumerate(cells):
        tops.append(y + 13)
        bottom = y
        for c, cell in enumerate(row):
            x, cell_width = _COLUMNS[c], (_EVENT_WIDTH if c == 2 else _COLUMNS[c + 1] - _COLUMNS[c] - 12)
            end = _wrapped(canvas, x + 4, y, cell, cell_width, size=9.5, font=BOLD if r == 0 else FONT,
                           leading=12)
            bottom = min(bottom, end)
        y = bottom - 8
    tops.append(y + 13)
    if ruled:
        right = _COLUMNS[2] + _EVENT_WIDTH + 12
        for top in tops:
            canvas.line(_COLUMNS[0], top, right, top)
        for x in (*_COLUMNS, right):
            canvas.line(x, tops[0], x, tops[-1])
    _wrapped(canvas, 60, y - 14, CLOSING, width - 120)


def write_landscape(path: Path, how: str = "upright", ruled: bool = False, folio: str = "turned") -> Path:
    """Three pages, the second a landscape chronology stored as ``how`` says (see the module's docstring)."""
    from pypdf import PdfReader, PdfWriter

    source = path.with_suffix(".source.pdf")
    canvas = Canvas(str(source), pagesize=PORTRAIT)
    _portrait_page(canvas, "1. Introduction", BEFORE, 1)
    shown_width, shown_height = LANDSCAPE
    if how.startswith("drawn-"):
        turn = int(how.split("-")[1])
        width, height = PORTRAIT
        canvas.setPageSize(PORTRAIT)
        if folio == "upright":
            _folio(canvas, width, height, 2)
        canvas.saveState()
        # (x, y) of the landscape page lands at (width - y, x) for 90, (y, height - x) for 270
        canvas.translate(*{90: (width, 0), 270: (0, height)}[turn])
        canvas.rotate(turn)
        if folio != "upright":
            _folio(canvas, shown_width, shown_height, 2)
        draw_landscape(canvas, shown_width, shown_height, ruled)
        canvas.restoreState()
    else:
        canvas.setPageSize(LANDSCAPE)
        _folio(canvas, shown_width, shown_height, 2)
        draw_landscape(canvas, shown_width, shown_height, ruled)
    canvas.showPage()
    _portrait_page(canvas, "2. Themes", AFTER, 3)
    canvas.save()
    reader, writer = PdfReader(str(source)), PdfWriter()
    for number, page in enumerate(reader.pages):
        if number == 1 and how.startswith("rotate-"):
            page.rotate(int(how.split("-")[1]))
        writer.add_page(page)
    with open(path, "wb") as handle:
        writer.write(handle)
    source.unlink()
    return path
