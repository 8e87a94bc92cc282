"""Ruled tables on scanned pages: their rules found in the page image, their cells filled with OCR's words.

On a page with a text layer, pdfplumber finds a ruled table from the lines drawn in the PDF. A scanned page
has no drawn lines, only a picture of them, and Tesseract reads a ruled chronology line by line across its
columns, so an entry's date, agency and event run together with the next entry's. Here the rules are found
in the image itself: long runs of dark pixels along a row (horizontal rules) or a column (vertical rules).
Rules that cross one another make a grid; a grid with at least two rows and two columns is a table. Each
OCR word goes to the cell that holds its centre, and the table becomes one line of kind ``table`` (cells
joined by " | ", rows by newlines), as a ruled table on a text layer does.

Before a page with such a table is read for its words, its rules are painted out of the image
(:func:`erase_rules`): Tesseract reads a line of text that a rule touches, or runs close to, worse (on rough
scans of the demo reviews' tables, "mcndenl" for "incident", "l Agency" with the rule read as a letter).

A cell spanning two columns (no rule between them in its row) is one cell. A table drawn with horizontal
rules only, or with none, is left to the unruled-table step (``pipeline.tables``); a framed panel (one
column) is not a table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DARK = 235  # grey level below which a pixel may be part of a rule (a scanned thin rule is light grey)
CONTRAST = 20  # grey levels by which a rule is darker than the paper just above and below it
_ACROSS = 4  # pixels above and below a rule where the paper is (rules up to about 2 points thick)
MIN_HORIZONTAL = 0.75  # inches: the shortest horizontal rule (a table is at least this wide)
MIN_VERTICAL = 0.2  # inches: the shortest run of a vertical rule (a row is at least this tall)
JOIN_GAP = 0.05  # inches: pieces of one rule this close are joined (a scan breaks thin lines)
SAME_LINE = 0.025  # inches: rules this close across are one rule (thick, or a little askew)
MIN_ROW = 0.06  # inches: a band between rules thinner than this is a double rule, not a row
RULE_MARGIN = 6.0  # points outside a table where a mark read off its rules is still the table's
SPECK_CONFIDENCE = 70.0  # a lone punctuation mark in a cell read with less confidence than this is dust
_RULE_MARKS = set("|_—–-[]")  # what OCR reads a piece of a rule as


@dataclass(frozen=True)
class Rule:
    """A rule found in the image, in points: ``at`` across it, from ``start`` to ``end`` along it."""

    at: float
    start: float
    end: float


@dataclass(frozen=True)
class Grid:
    """A ruled table: the y of its horizontal rules and the x of its column rules (points, top to bottom and
    left to right, the outer edges included), and its vertical rules, which say where cells are split."""

    ys: tuple[float, ...]
    xs: tuple[float, ...]
    verticals: tuple[Rule, ...]

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]

    def contains(self, x: float, y: float) -> bool:
        x0, top, x1, bottom = self.box
        return x0 <= x <= x1 and top <= y <= bottom

    def cells(self) -> list[list[tuple[float, float]]]:
        """For each row, its cells' (left, right) edges: a column rule splits a row where it crosses the
        middle of the row."""
        rows = []
        for top, bottom in zip(self.ys, self.ys[1:], strict=False):
            middle = (top + bottom) / 2
            edges = [self.xs[0]]
            for x in self.xs[1:-1]:
                if any(abs(rule.at - x) <= 2 and rule.start <= middle <= rule.end for rule in self.verticals):
                    edges.append(x)
            edges.append(self.xs[-1])
            rows.append(list(zip(edges, edges[1:], strict=False)))
        return rows


def find_grids(image, dpi: float, skew: float = 0.0) -> list[Grid]:
    """The ruled tables in a page ``image`` (a grey PIL image rendered at ``dpi``), in points. On a page
    scanned askew (its lines sloping by ``skew``, as ``ocr.level`` takes it) each rule is levelled the same
    way as the words, about the page's centre, so that words and cells agree."""
    grey = np.asarray(image).astype(np.int16)
    scale = dpi / 72
    cx, cy = image.width / 2, image.height / 2
    horizontal = [Rule(r.at - ((r.start + r.end) / 2 - cx) * skew, r.start, r.end)
                  for r in _rules(_thin_lines(grey), dpi)]
    vertical = [Rule(r.at + ((r.start + r.end) / 2 - cy) * skew, r.start, r.end)
                for r in _rules(_thin_lines(grey.T), dpi, minimum=MIN_VERTICAL)]
    grids = []
    for rows, columns in _connected(horizontal, vertical, tolerance=SAME_LINE * dpi * 2):
        ys = _merged(sorted(r.at for r in rows), MIN_ROW * dpi)
        left, right = min(r.start for r in rows), max(r.end for r in rows)
        xs = _merged(sorted([left, right, *(r.at for r in columns)]), MIN_ROW * dpi)
        if len(ys) < 3 or len(xs) < 3:  # two rows and two columns at least: a framed panel is not a table
            continue
        grids.append(Grid(
            ys=tuple(y / scale for y in ys), xs=tuple(x / scale for x in xs),
            verticals=tuple(Rule(r.at / scale, r.start / scale, r.end / scale) for r in columns),
        ))
    return grids


ERASE_RUN = 0.2  # inches: a thin line at least this long inside a table is a rule, and is painted out


def erase_rules(image, dpi: float, grids: list[Grid]):
    """A copy of the grey page ``image`` (rendered at ``dpi``) with the rules of its tables (``grids``, from
    :func:`find_grids`) painted white, so that OCR reads the words in the cells as it reads a page without
    rules. Only thin lines at least ``ERASE_RUN`` long (a letter's stroke in a table is shorter), lying
    within ``RULE_MARGIN`` of a table, are painted out, with a pixel either side of them for the grey edge
    a scan gives a line: headings and text outside the tables are left as they are.

    Examples
    --------
    >>> from PIL import Image, ImageDraw
    >>> page = Image.new("L", (1200, 900), 255)
    >>> draw = ImageDraw.Draw(page)
    >>> for y in (300, 360, 480):
    ...     draw.line([(150, y), (1050, y)], fill=0, width=2)
    >>> for x in (150, 450, 1050):
    ...     draw.line([(x, 300), (x, 480)], fill=0, width=2)
    >>> draw.line([(150, 700), (1050, 700)], fill=0, width=2)  # a rule away from the table
    >>> clean = np.asarray(erase_rules(page, 216, find_grids(page, 216)))
    >>> dark = lambda pixels: int((pixels < 200).sum())
    >>> dark(np.asarray(page)[280:500]), dark(clean[280:500]), dark(clean[690:710])  # corner pixels are left
    (6467, 3, 1802)
    """
    from PIL import Image

    if not grids:
        return image
    grey = np.asarray(image).astype(np.int16)
    run = int(ERASE_RUN * dpi)
    mask = _long_runs(_thickened(_thin_lines(grey)), run) | _long_runs(_thickened(_thin_lines(grey.T)), run).T
    near = np.zeros(mask.shape, dtype=bool)
    scale, margin = dpi / 72, RULE_MARGIN * dpi / 72
    for grid in grids:
        x0, top, x1, bottom = (v * scale for v in grid.box)
        near[max(0, int(top - margin)):int(bottom + margin) + 1, max(0, int(x0 - margin)):int(x1 + margin) + 1] = True
    mask &= near
    wide = _thickened(_thickened(mask).T).T  # a pixel either side, across and along
    pixels = np.asarray(image).copy()
    pixels[wide] = 255
    return Image.fromarray(pixels)


def _thickened(lines: np.ndarray) -> np.ndarray:
    """``lines`` with each row's pixels also set in the rows above and below (a rule a little askew)."""
    thick = lines.copy()
    thick[1:] |= lines[:-1]
    thick[:-1] |= lines[1:]
    return thick


def _long_runs(mask: np.ndarray, length: int) -> np.ndarray:
    """The pixels of ``mask`` that lie in runs along a row at least ``length`` long."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    change = np.diff(padded, axis=1)
    starts, ends = np.argwhere(change == 1), np.argwhere(change == -1)  # row-major: they pair up in order
    out = np.zeros(mask.shape, dtype=bool)
    for (row, start), (_, end) in zip(starts, ends, strict=True):
        if end - start >= length:
            out[row, start:end] = True
    return out


def _thin_lines(grey: np.ndarray) -> np.ndarray:
    """Pixels of thin lines running along the rows of ``grey``: darker by ``CONTRAST`` than the pixels a few
    rows above and below. A thin grey rule (a scan of a half-point line is light grey) counts; the inside of
    a shaded band or a block of ink does not, as it is as dark above and below."""
    lines = np.zeros(grey.shape, dtype=bool)
    k = _ACROSS
    middle = grey[k:-k]
    lines[k:-k] = (middle < DARK) & (grey[:-2 * k] - middle > CONTRAST) & (grey[2 * k:] - middle > CONTRAST)
    return lines


def _rules(dark: np.ndarray, dpi: float, minimum: float = MIN_HORIZONTAL) -> list[Rule]:
    """Rules along the rows of ``dark`` (pass the transpose for vertical ones), in pixels: runs of ink at
    least ``minimum`` inches long (a neighbouring row's ink counts, for a rule a little askew), pieces in
    nearly the same row joined."""
    thick = _thickened(dark)
    padded = np.zeros((thick.shape[0], thick.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = thick
    change = np.diff(padded, axis=1)
    starts, ends = np.argwhere(change == 1), np.argwhere(change == -1)  # row-major: they pair up in order
    long = (ends[:, 1] - starts[:, 1]) >= max(8, int(min(minimum, 0.2) * dpi))
    pieces = sorted(zip(starts[long, 0], starts[long, 1], ends[long, 1], strict=True))
    done: list[list[float]] = []
    active: list[list[float]] = []  # [last row, start, end, first row] of rules still being followed
    join, same = JOIN_GAP * dpi, SAME_LINE * dpi
    for row, start, end in pieces:
        done += [rule for rule in active if row - rule[0] > same]
        active = [rule for rule in active if row - rule[0] <= same]
        for rule in active:
            if start <= rule[2] + join and end >= rule[1] - join:
                rule[0], rule[1], rule[2] = row, min(rule[1], start), max(rule[2], end)
                break
        else:
            active.append([row, start, end, row])
    # a rule lies midway between the first and last rows it was seen in (a neighbouring row's ink counts)
    return [Rule((r[0] + r[3]) / 2, float(r[1]), float(r[2])) for r in done + active if r[2] - r[1] >= minimum * dpi]


def _connected(horizontal: list[Rule], vertical: list[Rule], tolerance: float) -> list[tuple[list, list]]:
    """Groups of horizontal and vertical rules that cross (or touch) one another."""
    parent = list(range(len(horizontal) + len(vertical)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(horizontal):
        for j, v in enumerate(vertical):
            if (h.start - tolerance <= v.at <= h.end + tolerance
                    and v.start - tolerance <= h.at <= v.end + tolerance):
                parent[root(i)] = root(len(horizontal) + j)
    groups: dict[int, tuple[list, list]] = {}
    for i, h in enumerate(horizontal):
        groups.setdefault(root(i), ([], []))[0].append(h)
    for j, v in enumerate(vertical):
        groups.setdefault(root(len(horizontal) + j), ([], []))[1].append(v)
    return [(rows, columns) for rows, columns in groups.values() if len(rows) >= 3 and len(columns) >= 1]


def _merged(values: list[float], gap: float) -> list[float]:
    """Sorted positions, those closer than ``gap`` to the previous one dropped into it (their mean)."""
    groups: list[list[float]] = []
    for value in values:
        if groups and value - groups[-1][-1] < gap:
            groups[-1].append(value)
        else:
            groups.append([value])
    return [sum(group) / len(group) for group in groups]


def fill(grid: Grid, lines: list) -> list[list[str]]:
    """The text of each cell of ``grid`` from OCR ``lines`` (``ocr.OcrLine``): each word goes to the cell
    holding its centre; in a cell, words keep their lines (top to bottom) and their order in them. Marks
    read off the rules themselves ("|", "_") are dropped. Rows with no text are left out."""
    cells = grid.cells()
    found: dict[tuple[int, int], list[tuple[float, int, float, str]]] = {}
    for number, line in enumerate(lines):
        for word in line.words:
            x, y = (word.box[0] + word.box[2]) / 2, (word.box[1] + word.box[3]) / 2
            if not grid.contains(x, y) or set(word.text) <= _RULE_MARKS or _speck(word):
                continue
            row = next((i for i, (top, bottom) in enumerate(zip(grid.ys, grid.ys[1:], strict=False))
                        if top <= y <= bottom), None)
            if row is None:
                continue
            column = next((k for k, (left, right) in enumerate(cells[row]) if left <= x <= right), None)
            if column is not None:
                found.setdefault((row, column), []).append((line.words[0].box[1], number, x, word.text))
    rows = []
    for i, row in enumerate(cells):
        texts = [" ".join(text for *_, text in sorted(found.get((i, k), []))) for k in range(len(row))]
        if any(texts):
            rows.append(texts)
    return rows


def _speck(word) -> bool:
    """A mark of a letter or two with no letter or digit, read with little confidence: dust in a cell."""
    return len(word.text) <= 2 and not any(ch.isalnum() for ch in word.text) and word.confidence < SPECK_CONFIDENCE


def inside(grid: Grid, word) -> bool:
    """Whether an OCR word belongs to the table: its centre lies inside the grid, or it is a piece of a rule
    read as a mark ("|", "[") just outside it (on a page scanned a little askew)."""
    x, y = (word.box[0] + word.box[2]) / 2, (word.box[1] + word.box[3]) / 2
    if grid.contains(x, y):
        return True
    x0, top, x1, bottom = grid.box
    return (set(word.text) <= _RULE_MARKS and x0 - RULE_MARGIN <= x <= x1 + RULE_MARGIN
            and top - RULE_MARGIN <= y <= bottom + RULE_MARGIN)
