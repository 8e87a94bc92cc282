"""Tables set without rules: rows of cells lined up in columns, kept together as one table block.

Ruled tables are found by pdfplumber (``pipeline.pdflines``). A chronology set with tab stops and no lines
comes out of the PDF as short pieces of text that share a baseline, split wherever the gap between them is
wide. Read as text, its rows would run together into paragraphs (or, with two columns, every date would be
read apart from its event) and its header line could pass for a heading. Here, three or more consecutive
rows of two or more pieces that start at the same x positions become one ``table`` line, each row's cells
joined by " | " and rows by newlines (as for ruled tables); a line under a row whose pieces all start at
column positions (a cell's text wrapped onto a new line) is added to those cells, as is a line that wraps
the first cell beside an entry going on in lower case, and a bold line just above the first row is kept as
its header.

Columns of running text are not tables: a table has a column of short cells (dates, agencies) besides the
column of its entries (the one with the most words: a chronology's event, last, or an action plan's action,
which can come first), where lines of running text hold several words each, so two- and three-column
pages are left to the reading-order step. A two-column table also needs its first column to hold labels
that each start an entry (see ``_label_column``), so paragraph numbers in a hanging indent and chart labels
beside text are not one.
"""

from __future__ import annotations

import dataclasses
import itertools
import re

from pipeline.pdflines import OCR_FONT, Line, PageLines, table_text

MIN_ROWS = 3
MIN_COLUMNS = 2
# A paragraph number or bullet set apart from its text: "4.2", "12.", "(b)", "iv)", "•".
_MARKER = re.compile(r"^(?:\(?(?:\d{1,3}(?:\.\d{1,3})*|[a-z]|[ivxlc]{1,5})[.):]?|[•●▪◦‣∙·\-–—*>])$", re.IGNORECASE)
_ENTRY_START = re.compile(r"^[\"'“‘(\[]?[A-Z0-9]")
_SENTENCE_END = re.compile(r"[.!?:;][\"'”’)]?$")
_NUMBERED = re.compile(r"^\(?\d{1,3}(?:\.\d{1,3})*[.)]\s")
LABEL_WORDS = 5  # words: the most a first-column cell of a two-column table holds ("Tuesday 12 March 2019")
ALIGN = 3.0  # points: how far a cell may start from its column's x
OCR_SIZE_SPREAD = 0.3  # share of its size by which an OCR row may differ from the first row and stay in the table
WRAP_PITCH = 1.5  # font sizes between baselines: a cell's wrapped line, closer than rows set apart are
SHORT_CELL = 3  # words: a table has a column of short cells before its last; lines of running text are longer


def merge_unruled_tables(page: PageLines) -> None:
    """Replace the lines of each unruled table on ``page`` with one line of kind ``table`` (in place)."""
    rows, split_from = _split_cells(*_split_labels(rows_of([ln for ln in page.lines if ln.kind == "text"])))
    taken: set[int] = set()
    tables: list[Line] = []
    i = 0
    while i < len(rows):
        group = _table_from(rows, i)
        if group is None:
            i += 1
            continue
        start, end, cells = group
        lines = [ln for row in rows[start:end] for ln in row]
        header = _header(rows, start, lines[0].size)
        if header is not None:
            lines.insert(0, header)
            cells.insert(0, [header.text])
        taken.update(id(split_from.get(id(ln), ln)) for ln in lines)
        text = table_text(cells)
        tables.append(Line(text=text, x0=min(ln.x0 for ln in lines), x1=max(ln.x1 for ln in lines),
                           top=min(ln.top for ln in lines), bottom=max(ln.bottom for ln in lines),
                           size=sorted(ln.size for ln in lines)[len(lines) // 2], bold=False,
                           page=page.number, kind="table"))
        i = end
    if tables:
        page.lines = [ln for ln in page.lines if id(ln) not in taken] + tables


def _split_labels(rows: list[list[Line]]) -> tuple[list[list[Line]], dict[int, Line]]:
    """Split a row's first line whose label (a date) was set too close to what follows to come apart (its
    entry, or the agency column before the entry), where at least two other rows on the page have a piece at
    the line's x and another where the rest starts.

    Returns the rows and, for each new piece, the line it came from (so that the line is what gets replaced).
    """
    starts = [(row[0].x0, row[1].x0) for row in rows if len(row) >= 2]
    split_from: dict[int, Line] = {}
    out = []
    for row in rows:
        line = row[0]
        if line.label_split is not None and line.text.startswith(line.label_split[0]):
            label, x = line.label_split
            if sum(abs(a - line.x0) <= ALIGN and abs(b - x) <= ALIGN for a, b in starts) >= 2:
                left = dataclasses.replace(line, text=label, x1=x - 1, label_split=None, cell_gaps=())
                right = dataclasses.replace(line, text=line.text[len(label):].strip(), x0=x, label_split=None,
                                            cell_gaps=())
                split_from.update({id(left): line, id(right): line})
                row = [left, right, *row[1:]]
        out.append(row)
    return out, split_from


def _split_cells(rows: list[list[Line]], split_from: dict[int, Line]) -> tuple[list[list[Line]], dict[int, Line]]:
    """Split a piece holding two short cells set too close to come apart ("Police   Now"), at a gap (see
    ``Line.cell_gaps``) where at least two rows of two or more pieces have a piece start: where a column
    starts. Cells that run together are the shortest of their table's rows, so the other rows show the columns.

    Returns the rows and ``split_from`` with each new piece added, mapped to the line it came from.
    """
    starts = [ln.x0 for row in rows if len(row) >= 2 for ln in row]

    def column_at(x: float) -> bool:
        return sum(abs(start - x) <= ALIGN for start in starts) >= 2

    out = []
    for row in rows:
        pieces = []
        for line in row:
            cuts = [(before, x) for before, x in line.cell_gaps if column_at(x) and line.text.startswith(before)]
            if not cuts or not column_at(line.x0):
                pieces.append(line)
                continue
            source = split_from.get(id(line), line)
            bounds = [(0, line.x0), *((len(before), x) for before, x in cuts)]
            for (a, x), (b, next_x) in zip(bounds, [*bounds[1:], (len(line.text), line.x1 + 1)], strict=True):
                piece = dataclasses.replace(line, text=line.text[a:b].strip(), x0=x, x1=next_x - 1, cell_gaps=(),
                                            label_split=None)
                split_from[id(piece)] = source
                pieces.append(piece)
        out.append(pieces)
    return out, split_from


def rows_of(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped by baseline, top to bottom, each row's pieces left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: (ln.bottom, ln.x0)):
        if rows and abs(line.bottom - rows[-1][0].bottom) < 1.0:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [sorted(row, key=lambda ln: ln.x0) for row in rows]


def _table_from(rows: list[list[Line]], start: int) -> tuple[int, int, list[list[str]]] | None:
    """The table that starts at ``rows[start]``: (start, end, cells per row), or None."""
    first = rows[start]
    if len(first) < MIN_COLUMNS:
        return None
    columns = [ln.x0 for ln in first]
    end = start + 1
    while end < len(rows):
        row = rows[end]
        slots = [_column(ln.x0, columns) for ln in row]
        gap = row[0].bottom - rows[end - 1][0].bottom
        if (None in slots or len(set(slots)) != len(slots) or gap > 2.6 * first[0].size
                or abs(row[0].size - first[0].size) > _size_tolerance(first[0])):  # a heading ends the table
            break
        end += 1
    entry = _entry_column(rows[start:end], columns)
    if len(columns) == 2 and entry == 0:  # two columns of running text, or a list beside its labels
        return None
    cells = [[ln.text for ln in first]]
    full_rows = 1
    entry_lines = [ln for row in rows[start:end] for ln in row if _column(ln.x0, columns) == entry]
    shape = _EntryShape(right=max(ln.x1 for ln in entry_lines),
                        numbered=sum(bool(_NUMBERED.match(ln.text)) for ln in entry_lines) >= 2)
    for previous, row in itertools.pairwise(rows[start:end]):
        slots = [_column(ln.x0, columns) for ln in row]
        gap = row[0].bottom - previous[0].bottom
        above = next((ln for ln in reversed(previous) if _column(ln.x0, columns) == entry), None)
        if 0 in slots and not (gap <= WRAP_PITCH * row[0].size
                               and _carries_on(row, slots, entry, cells[-1][entry], above, shape)):
            # something in the first column starts a row; anything else carries on the last one
            cells.append([""] * len(columns))
            full_rows += len(row) >= min(len(columns), 3)
        for ln, slot in zip(row, slots, strict=True):
            cell = cells[-1][slot]
            cells[-1][slot] = f"{cell} {ln.text}".strip()
    if full_rows < MIN_ROWS or _running_text(rows[start:end], columns, entry):
        return None
    if len(columns) == 2 and not _label_column(rows[start:end], columns):
        return None
    return start, end, cells


def _entry_column(rows: list[list[Line]], columns: list[float]) -> int:
    """The column of entries, the one cell of a row that runs on over several lines: the column with the most
    words, the last on a tie. A chronology's event comes last; an action plan's action can come first, beside
    its agency and timescale."""
    words = [0] * len(columns)
    for row in rows:
        for ln in row:
            words[_column(ln.x0, columns)] += len(ln.text.split())
    return max(range(len(columns)), key=lambda index: (words[index], index))


def _size_tolerance(line: Line) -> float:
    """How far a row's type size may be from the first row's: a point on a text layer; on a page read by OCR,
    whose sizes are measured from the picture and vary from line to line by a fifth on a rough scan, 30%."""
    return OCR_SIZE_SPREAD * line.size if line.font == OCR_FONT else 1.0


@dataclasses.dataclass(frozen=True)
class _EntryShape:
    """What the entries of a table whose entries are its first column look like: how far right their lines
    run, and whether they are numbered ("1. ...", "2) ...")."""

    right: float
    numbered: bool


def _carries_on(row: list[Line], slots: list[int], entry: int, entry_so_far: str, above: Line | None,
                shape: _EntryShape) -> bool:
    """Whether a row with a piece in the first column, set one line below the row above, is still that row,
    wrapped: its first cell went onto a second line ("September" over "2012") beside the entry's own next
    line, which carries on in mid sentence (starts in lower case). An entry of a new row opens with a
    capital, a digit or a quotation mark.

    When the entries are the first column, the piece there is the entry's own next line, alone or beside the
    short cells' next lines. Where the entries are numbered, only a number ("2.", "3)") starts a row: an
    action of two sentences stays one. Otherwise a line opening with a capital carries on only a line set in
    the same type (a bold heading row never runs into the first entry) that ran to the column's right edge
    mid sentence ("... work with the" over "Northshire Police"): a short line ended its entry, however it ends.
    """
    pieces = [ln for ln, slot in zip(row, slots, strict=True) if slot == entry]
    if not pieces:
        return False
    text = pieces[0].text
    if text[:1].islower():
        return True
    if entry != 0 or _NUMBERED.match(text):
        return False
    if shape.numbered:
        return True
    if above is None or above.bold != pieces[0].bold:
        return False
    return above.x1 >= shape.right - 3 * above.size and not _SENTENCE_END.search(entry_so_far)


def _column(x: float, columns: list[float]) -> int | None:
    for index, column in enumerate(columns):
        if abs(x - column) <= ALIGN:
            return index
    return None


def _running_text(rows: list[list[Line]], columns: list[float], entry: int) -> bool:
    """Whether the columns read as running text: no column but the entries' holds short cells (a date, an
    agency: a median of ``SHORT_CELL`` words or fewer), as a table's other columns do."""
    for index in range(len(columns)):
        if index == entry:
            continue
        words = sorted(len(ln.text.split()) for row in rows for ln in row if _column(ln.x0, columns) == index)
        if words and words[len(words) // 2] <= SHORT_CELL:
            return False
    return True


def _label_column(rows: list[list[Line]], columns: list[float]) -> bool:
    """Whether the first of two columns holds labels (dates, times, names) that each start an entry.

    Each label is short, is not a paragraph number or bullet set in a hanging indent (which also stands
    apart from its text), and shares its line with the start of an entry: text that opens with a capital, a
    digit or a quotation mark. Chart labels beside a column of running text fail this: some stand alone and
    the text beside them carries on mid-sentence. A third of the rows may have label and entry run together
    in one piece (the gap between them too narrow to split them); their text stays whole in the row."""
    starts = [row for row in rows if _column(row[0].x0, columns) == 0]  # the rest are wrapped entry lines
    # A label set too close to its entry comes out run together with it, as one long piece: allowed for a
    # few rows. A label alone on its line is not.
    joined = {id(row) for row in starts if len(row) == 1 and len(row[0].text.split()) > LABEL_WORDS}
    if len(joined) * 3 > len(starts):
        return False
    for row in starts:
        if id(row) in joined:
            continue
        label = row[0].text.strip()
        if len(row) < 2 or len(label.split()) > LABEL_WORDS or _MARKER.match(label):
            return False
        if not _ENTRY_START.match(row[1].text.strip()):
            return False
    return True


def _header(rows: list[list[Line]], start: int, size: float) -> Line | None:
    """A single bold line just above the table's first row: its column headings, run together. A heading set
    larger just above a table whose first row is its column headings ("4. Key events") is not one."""
    if start == 0:
        return None
    above = rows[start - 1]
    first = rows[start]
    if len(above) == 1 and above[0].bold and abs(above[0].x0 - first[0].x0) <= ALIGN \
            and first[0].bottom - above[0].bottom <= 2.6 * size and above[0].size < 1.12 * first[0].size:
        return above[0]
    return None
