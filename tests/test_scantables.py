"""Ruled tables found in page images (``pipeline.scantables``): grids from drawn rules, cells from words."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from pipeline.ocr import OcrLine, OcrWord
from pipeline.scantables import fill, find_grids, inside

DPI = 216
PX = DPI / 72  # pixels a point


def page(draw_on) -> Image.Image:
    image = Image.new("L", (int(595 * PX), int(842 * PX)), 255)
    draw_on(ImageDraw.Draw(image))
    return image


def rule(draw: ImageDraw.ImageDraw, x0: float, y0: float, x1: float, y1: float, grey: int = 0) -> None:
    draw.line([(x0 * PX, y0 * PX), (x1 * PX, y1 * PX)], fill=grey, width=2)


def table(draw: ImageDraw.ImageDraw, ys: list[float], xs: list[float], grey: int = 0,
          spans: tuple[int, ...] = ()) -> None:
    """Rules of a table: horizontal at ``ys``, vertical at ``xs``; in the rows listed in ``spans`` the inner
    column rules are left out (a cell spanning the row)."""
    for y in ys:
        rule(draw, xs[0], y, xs[-1], y, grey)
    for x in xs:
        for row, (top, bottom) in enumerate(zip(ys, ys[1:], strict=False)):
            if x in (xs[0], xs[-1]) or row not in spans:
                rule(draw, x, top, x, bottom, grey)


def word(text: str, x: float, y: float, confidence: float = 95.0) -> OcrWord:
    return OcrWord(text, (x, y, x + 6 * len(text), y + 9), confidence)


def test_a_grid_of_rules_is_a_table_with_its_rows_and_columns():
    ys, xs = [100, 120, 160, 200], [60, 150, 250, 530]
    grids = find_grids(page(lambda d: table(d, ys, xs)), DPI)
    assert len(grids) == 1
    grid = grids[0]
    assert all(abs(a - b) <= 1 for a, b in zip(grid.ys, ys, strict=True))
    assert all(abs(a - b) <= 1 for a, b in zip(grid.xs, xs, strict=True))
    assert [len(row) for row in grid.cells()] == [3, 3, 3]


def test_light_grey_rules_of_a_scan_are_found_and_shading_is_not_a_rule():
    # A half-point rule scans light grey; a shaded header row is a block of grey, not a rule.
    def draw(d):
        d.rectangle([60 * PX, 100 * PX, 530 * PX, 120 * PX], fill=228)
        table(d, [100, 120, 160, 200], [60, 150, 250, 530], grey=205)

    grids = find_grids(page(draw), DPI)
    assert len(grids) == 1 and len(grids[0].ys) == 4 and len(grids[0].xs) == 4


@pytest.mark.parametrize("draw", [
    pytest.param(lambda d: table(d, [100, 300], [60, 530]), id="a framed panel"),
    pytest.param(lambda d: table(d, [100, 130, 300], [60, 530]), id="a panel with a rule under its title"),
    pytest.param(lambda d: [rule(d, 60, y, 530, y) for y in (100, 140, 180, 220)], id="rules with no columns"),
    pytest.param(lambda d: d.rectangle([60 * PX, 100 * PX, 300 * PX, 200 * PX], fill=60), id="a dark block"),
])
def test_what_is_not_a_table(draw):
    assert find_grids(page(draw), DPI) == []


def test_words_go_to_the_cell_holding_them_and_a_spanning_cell_is_one_cell():
    grid = find_grids(page(lambda d: table(d, [100, 120, 160, 200], [60, 150, 530], spans=(2,))), DPI)[0]
    lines = [
        OcrLine((word("Date", 64, 105), word("Event", 154, 105)), 9),
        OcrLine((word("May", 64, 125), word("2019", 90, 125), word("Visit", 154, 125), word("made.", 190, 125)), 9),
        OcrLine((word("|", 150, 126, 40), word(".", 300, 140, 20)), 9),  # a rule read as a mark, a speck
        OcrLine((word("second", 154, 140), word("line", 200, 140)), 9),
        OcrLine((word("Case", 64, 170), word("closed", 100, 170), word("across", 154, 170)), 9),
    ]
    assert fill(grid, lines) == [["Date", "Event"], ["May 2019", "Visit made. second line"], ["Case closed across"]]
    assert inside(grid, word("|", 55, 130)) and not inside(grid, word("Note", 40, 130))
