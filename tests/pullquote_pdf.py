"""Write a page with a pull quote (a family member's words set large in italic, no box) beside running text.

Drawn line by line with reportlab's canvas, so that each line breaks exactly where the test needs it. The text
is our own writing.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

WIDTH, HEIGHT = A4
LEADING = 13

TITLE = "Family background"
FIRST = [
    "Robin was nine when the family moved to the estate. The",
    "school noticed within a term that he was often late and",
    "tired, and the class teacher raised this with his father.",
]
# Ends mid-sentence at the foot of the left column (or just above the quote, in one column) ...
BROKEN = [
    "The review learned that the family's rent arrears were",
    "known to the housing officer and to the school, but that",
    "neither of them had mentioned the arrears",
]
# ... and carries on at the head of the right column (or below the quote).
GOES_ON = [
    "to the early help team until the eviction notice came. By",
    "then the family had already been told to leave the flat.",
]
LAST = [
    "The early help assessment was started in the spring and",
    "finished in the summer, after the family had moved away.",
]
QUOTE = ["\u201cWe kept asking for help and", "nobody ever came back to us.\u201d"]
HEADING = "Contact with the school"


def write_pull_quote(path: Path, layout: str = "columns", large: str = "quote") -> Path:
    """One page. ``layout="columns"``: two columns; the left one ends mid-sentence and, lower down, holds the
    large text; the sentence goes on at the head of the right column. ``layout="column"``: one column with the
    large text set between the two halves of the sentence. ``large="quote"`` sets :data:`QUOTE` large in
    italic; ``large="heading"`` sets :data:`HEADING` large in bold there instead, and the text after it is
    :data:`GOES_ON` all the same (a heading met mid-sentence: the text before it really stopped, even where
    the text after the heading starts in lower case)."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    left, right = 50.0, WIDTH / 2 + 22
    y = HEIGHT - 70

    def lines(x: float, y: float, texts: list[str]) -> float:
        pdf.setFont("Helvetica", 10)
        for text in texts:
            pdf.drawString(x, y, text)
            y -= LEADING
        return y - 8

    def set_large(x: float, y: float) -> float:
        if large == "quote":
            pdf.setFont("Helvetica-Oblique", 16)
            for text in QUOTE:
                pdf.drawString(x + 12, y, text)
                y -= 20
        else:
            pdf.setFont("Helvetica-Bold", 16)
            pdf.drawString(x, y, HEADING)
            y -= 22
        return y - 10

    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(left, y, TITLE)
    y = lines(left, y - 24, FIRST)
    y = lines(left, y, BROKEN) + 8
    if layout == "columns":
        set_large(left, y - 90)
        y = lines(right, HEIGHT - 70, GOES_ON)
    else:
        y = lines(left, set_large(left, y - 8), GOES_ON)
    lines(right if layout == "columns" else left, y, LAST)
    pdf.showPage()
    pdf.save()
    return path
