"""Write PDFs with text set in shaded boxes, the way case reviews set "Learning point" panels and sidebars.

Typeset with reportlab: a box is a filled rectangle drawn behind its text, as design software draws one.
``write_inline_box`` puts a panel between paragraphs, a white (invisible) panel and a shaded band behind a
chapter title; ``write_sidebar`` puts a panel beside a narrow column of text whose paragraph runs on over
the page. The text is our own writing, made of varied sentences so that no two paragraphs share a line.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    FrameBreak,
    NextPageTemplate,
    PageTemplate,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

WIDTH, HEIGHT = A4
BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=10.5, leading=14, spaceAfter=8)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=9.5, leading=12, spaceAfter=4)
BOLD_SMALL = ParagraphStyle("bold-small", parent=SMALL, fontName="Helvetica-Bold")
HEADING = ParagraphStyle("heading", fontName="Helvetica-Bold", fontSize=16, leading=20, spaceAfter=10)
TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=18, leading=22)

WHO = ["The health visitor", "The school nurse", "A duty social worker", "The family support worker", "The GP",
       "A police officer", "The midwife", "The housing officer", "The class teacher", "The team manager",
       "The youth worker", "The nursery manager", "An early help practitioner"]
DID = ["saw the family at home", "spoke to the mother by telephone", "visited the new flat",
       "met the boy at school", "read the case file", "went to the core group", "chaired the meeting",
       "wrote to the landlord", "called the grandmother", "checked the records", "visited without warning",
       "met the father at the contact centre", "rang the nursery"]
WHEN = ["in early spring", "during the summer holidays", "in the week before Christmas", "after the move",
        "on a Friday afternoon", "in October", "later that month", "two days afterwards", "at the end of term",
        "the following week", "in the new year", "on the morning of the review", "soon after the birth"]
FOUND = ["noted that the baby seemed well cared for", "was told that the father had left",
         "heard that rent arrears were rising", "found the home cold and untidy",
         "learned that the boy had missed school", "was worried by a bruise on his arm",
         "saw no sign of the new partner", "was reassured by the mother's account",
         "recorded that the girl seemed withdrawn", "was not let in", "noticed that the cupboards were empty",
         "was asked not to tell the social worker", "found that the car seat had no straps"]


def paragraphs(count: int, start: int = 0) -> list[str]:
    """``count`` distinct paragraphs of four sentences, numbered from ``start + 1``."""
    out = []
    n = len(WHO)
    for i in range(start, start + count):
        sentences = [f"{WHO[(i + k) % n]} {DID[(3 * i + k) % n]} {WHEN[(5 * i + 2 * k) % n]} and "
                     f"{FOUND[(7 * i + 3 * k) % n]}." for k in range(4)]
        out.append(f"{i + 1}. " + " ".join(sentences))
    return out


BOX_TEXT = [
    "Agencies should tell one another when a family moves home, and check that the news has arrived.",
    "Managers should ask about moves of home in supervision, and record what they were told.",
]
SIDEBAR_TEXT = [
    "A change of address is a moment of risk: records, plans and visits can be lost between areas.",
    "Practitioners should ask who else knows the family, and pass the new address to each of them.",
]


def _panel(flowables: list, background, width: float) -> Table:
    table = Table([[flowables]], colWidths=[width])
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), background),
                               ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                               ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return table


def write_inline_box(path: Path) -> Path:
    """Findings, three paragraphs, a shaded "Learning point 1" panel, three paragraphs; a white panel with a
    bold "Practice in the area" heading and a paragraph, then another paragraph; a shaded band holding only
    the title "Section 4" / "Recommendations", then two paragraphs."""
    text = paragraphs(10)
    width = WIDTH - 144
    story = [Paragraph("Findings", HEADING), *[Paragraph(t, BODY) for t in text[:3]],
             _panel([Paragraph("Learning point 1", BOLD_SMALL), *[Paragraph(t, SMALL) for t in BOX_TEXT]],
                    colors.HexColor("#dce6f0"), width),
             Spacer(1, 10), *[Paragraph(t, BODY) for t in text[3:6]],
             _panel([Paragraph("Practice in the area", BOLD_SMALL), Paragraph(text[6], SMALL)], colors.white, width),
             Spacer(1, 10), Paragraph(text[7], BODY),
             _panel([Paragraph("Section 4", TITLE), Paragraph("Recommendations", TITLE)],
                    colors.HexColor("#1f4e79"), width),
             Spacer(1, 10), *[Paragraph(t, BODY) for t in text[8:10]]]
    SimpleDocTemplate(str(path), pagesize=A4, leftMargin=72, rightMargin=72, topMargin=72,
                      bottomMargin=72).build(story)
    return path


def write_sidebar(path: Path) -> Path:
    """A narrow column of text under "Background" running over two pages, with a shaded "Key learning"
    sidebar beside it on the first page; the column's paragraph at the foot of page 1 carries on on page 2."""
    main_width = WIDTH * 0.58 - 50
    side_x, side_width, side_top = WIDTH * 0.62, WIDTH * 0.33, HEIGHT - 60

    def shade(canvas, _doc) -> None:
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#dce6f0"))
        canvas.rect(side_x - 6, side_top - 250, side_width + 12, 256, fill=1, stroke=0)
        canvas.restoreState()

    first = PageTemplate("first", [Frame(side_x, side_top - 244, side_width, 244, id="side"),
                                   Frame(50, 50, main_width, HEIGHT - 100, id="main")], onPage=shade)
    rest = PageTemplate("rest", [Frame(50, 50, main_width, HEIGHT - 100, id="main")])
    document = BaseDocTemplate(str(path), pagesize=A4)
    document.addPageTemplates([first, rest])
    story = [Paragraph("Key learning", BOLD_SMALL), *[Paragraph(t, SMALL) for t in SIDEBAR_TEXT],
             FrameBreak(), NextPageTemplate("rest"), Paragraph("Background", HEADING),
             *[Paragraph(t, BODY) for t in paragraphs(11)]]
    document.build(story)
    return path


def write_panel_over_pages(path: Path, before: int = 6) -> Path:
    """"Analysis", ``before`` paragraphs, then a shaded "Learning point 2" panel of five paragraphs that is
    broken over the page (each paragraph a row of the panel), then two more paragraphs."""
    width = WIDTH - 144
    rows = [[Paragraph("Learning point 2", BOLD_SMALL)], *[[Paragraph(t, SMALL)] for t in panel_paragraphs()]]
    panel = Table(rows, colWidths=[width])
    panel.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#dce6f0")),
                               ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8)]))
    text = paragraphs(before + 2)
    story = [Paragraph("Analysis", HEADING), *[Paragraph(t, BODY) for t in text[:before]], panel,
             Spacer(1, 10), *[Paragraph(t, BODY) for t in text[before:]]]
    SimpleDocTemplate(str(path), pagesize=A4, leftMargin=72, rightMargin=72, topMargin=72,
                      bottomMargin=72).build(story)
    return path


def panel_paragraphs() -> list[str]:
    """The five paragraphs of the panel in :func:`write_panel_over_pages` (lettered, not numbered)."""
    return [p.split(". ", 1)[1].replace(" and ", " who ", 1) for p in paragraphs(5, start=20)]


BANDED_TEXT = [
    "Health visitors should ask at every contact who else lives in the home, and record the answer.",
    "Where a new adult has joined the household, the visit should be shared with the family's social worker.",
]


def write_banded_panel(path: Path) -> Path:
    """"Findings", two paragraphs, a panel drawn as a dark title band ("Learning point 3", in white) on top
    of a light body holding two paragraphs, then two more paragraphs."""
    width = WIDTH - 144
    title = ParagraphStyle("band", parent=BOLD_SMALL, textColor=colors.white)
    panel = Table([[Paragraph("Learning point 3", title)], [[Paragraph(t, SMALL) for t in BANDED_TEXT]]],
                  colWidths=[width])
    panel.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, 0), colors.HexColor("#1f4e79")),
                               ("BACKGROUND", (0, 1), (0, 1), colors.HexColor("#dce6f0")),
                               ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8)]))
    text = paragraphs(4)
    story = [Paragraph("Findings", HEADING), *[Paragraph(t, BODY) for t in text[:2]], panel, Spacer(1, 10),
             *[Paragraph(t, BODY) for t in text[2:]]]
    SimpleDocTemplate(str(path), pagesize=A4, leftMargin=72, rightMargin=72, topMargin=72,
                      bottomMargin=72).build(story)
    return path
