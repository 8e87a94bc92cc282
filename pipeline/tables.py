"""Tables set without rules: rows of cells lined up in columns, kept together as one table block.

Ruled tables are found by pdfplumber (``pipeline.pdflines``). A chronology set with tab stops and no lines
comes out of the PDF as short pieces of text that share a baseline, split wherever the gap between them is
wide. Read as text, its rows would run together into paragraphs (or, with two columns, every date would be
read apart from its event) and its header line could pass for a heading. Here, three or more consecutive
rows of two or more pieces that start at the same x positions become one ``table`` line, each row's cells
joined by " | " and rows by newlines (as for ruled tables); a line under a row whose pieces all start at
column positions (a cell's text wrapped onto a new line) is added to those cells, as is a line that wraps
the first cell beside an entry going on in lower case, and a bold line just above the first row is kept as
its header. At the top of a page, lines in its columns but not the first are the rest of a row the page broke
(see ``_rest_of_a_row``); the layout step joins a table broken over a page into one (``continues``,
``join_continued``).

Columns of running text are not tables: a table has a column of short cells (dates, agencies) besides the
column of its entries (the one with the most words: a chronology's event, last, or an action plan's action,
which can come first), where lines of running text hold several words each, so two- and three-column
pages are left to the reading-order step. A two-column table also needs its first column to hold labels
that each start an entry (see ``_label_column``), so paragraph numbers in a hanging indent and chart labels
beside text are not one. A glossary (Term | Meaning, under a bold header row that names them, or straight
under a heading that names a glossary, or going on from the page before) may also wrap its terms onto more
lines (see ``_glossary_header``, ``_glossary_heading``, ``_glossary_goes_on``).
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
# A date standing alone as a table's first cell: "01/01/2022", "3 May 2019", "Tuesday 1 October 2019", "Early
# November 2019", "Mar 2020", "2019".
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
          r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE_LABEL = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+|(?:early|mid|late|end of|start of)[\s-]+)?"
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{2}|\d{4})"
    r"|(?:\d{1,2}(?:st|nd|rd|th)?\s+)?" + _MONTH + r"(?:,?\s+\d{2,4})?"
    r"|" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?,?(?:\s+\d{4})?"
    r"|(?:19|20)\d{2})", re.IGNORECASE)
_NUMBERED = re.compile(r"^\(?\d{1,3}(?:\.\d{1,3})*[.)]\s")
# Column headings of a glossary, each the whole of its cell: the term's, and its meaning's. Both are needed: one
# alone starts many other tables' headers ("Date | Description", "Words of the child | Age").
_GLOSSARY_TERM = re.compile(r"^(?:terms?|abbreviations?|acronyms?|words?|phrases?|initials|glossary)(?: used)?:?$",
                            re.IGNORECASE)
_GLOSSARY_MEANING = re.compile(r"^(?:meanings?|definitions?|descriptions?|explanations?|full (?:name|title|form|term)s?"
                               r"|(?:it )?stands? for|what (?:it|this) means)( in full)?:?$", re.IGNORECASE)
# A heading that names a glossary, the whole of its line: "Glossary", "Abbreviations", "Acronyms", "Glossary of
# terms", "Terms used in this report", numbered or in an appendix ("Appendix 2: Glossary", "7. Abbreviations").
# "Terms of reference" is not one.
_GLOSSARY_HEADING = re.compile(
    r"^(?:(?:appendix|annexe?|section|part)\s+[a-z0-9]{1,3}\s*[:.\-–—]?\s*|\d{1,2}(?:\.\d{1,2})*\.?\s+)?"
    r"(?:glossary(?:\s+(?:of|and)\s+(?:terms|abbreviations|acronyms)(?:\s+used)?)?"
    r"|(?:list\s+of\s+)?(?:abbreviations|acronyms)(?:\s+(?:and|&)\s+(?:abbreviations|acronyms|terms|glossary))?"
    r"(?:\s+used)?"
    r"|(?:key\s+)?terms\s+used|key\s+terms|terminology|(?:glossary\s+and\s+)?definitions(?:\s+of\s+terms)?"
    r"|jargon\s+buster)"
    r"(?:\s+in\s+(?:this|the)\s+(?:report|review|document))?(?:\s*\((?:continued|cont'?d?\.?)\))?\s*:?$",
    re.IGNORECASE)
GLOSSARY_HEADING_GAP = 4.0  # font sizes: the most from a glossary's heading's baseline to its first row's
LABEL_WORDS = 5  # words: the most a first-column cell of a two-column table holds ("Tuesday 12 March 2019")
ALIGN = 3.0  # points: how far a cell may start from its column's x
OCR_SIZE_SPREAD = 0.3  # share of its size by which an OCR row may differ from the first row and stay in the table
WRAP_PITCH = 1.5  # font sizes between baselines: a cell's wrapped line, closer than rows set apart are
HEADER_WORDS = 6  # words: the most a glossary's header row holds ("Abbreviation   Full name")
ROW_SPACE = 0.25  # font sizes: space between two rows beyond the lines' own, more than a cell's lines have
SHORT_CELL = 3  # words: a table has a column of short cells before its last; lines of running text are longer


def merge_unruled_tables(page: PageLines, glossary: tuple[float, ...] | None = None) -> tuple[float, ...] | None:
    """Replace the lines of each unruled table on ``page`` with one line of kind ``table`` (in place).

    ``glossary`` is what this returned for the page before: the columns of a glossary that was the last thing
    on it. A table at the top of this page in the same columns is that glossary going on (its heading or header
    row is not repeated), and may wrap its terms as it did. Returns the columns of a glossary that is the last
    thing on this page (nothing in body type below it), or None."""
    rows, split_from = _level_labels(*_split_cells(*_split_labels(rows_of([ln for ln in page.lines
                                                                           if ln.kind == "text"]))))
    taken: set[int] = set()
    tables: list[Line] = []
    last_glossary: Line | None = None
    i = 0
    while i < len(rows):
        group = _table_from(rows, i, glossary if not tables else None)
        if group is None:
            i += 1
            continue
        start, end, cells, is_glossary = group
        columns = [ln.x0 for ln in rows[start]]
        lines = [ln for row in rows[start:end] for ln in row]
        if not tables:
            start = _rest_of_a_row(rows, start, columns, cells)
            lines = [ln for row in rows[start:end] for ln in row]
        header = _header(rows, start, columns[0], lines[0].size)
        if header is not None:
            lines.insert(0, header)
            cells.insert(0, _header_cells(header, columns))
        taken.update(id(split_from.get(id(ln), ln)) for ln in lines)
        text = table_text(cells)
        tables.append(Line(text=text, x0=min(ln.x0 for ln in lines), x1=max(ln.x1 for ln in lines),
                           top=min(ln.top for ln in lines), bottom=max(ln.bottom for ln in lines),
                           size=sorted(ln.size for ln in lines)[len(lines) // 2], bold=False,
                           page=page.number, kind="table", cells=tuple(tuple(row) for row in cells),
                           columns=tuple(columns)))
        last_glossary = tables[-1] if is_glossary else None
        i = end
    if tables:
        page.lines = [ln for ln in page.lines if id(ln) not in taken] + tables
    if last_glossary is None or tables[-1] is not last_glossary or any(
            ln.top > last_glossary.bottom and ln.size >= 0.9 * last_glossary.size
            for ln in page.lines if ln is not last_glossary):
        return None
    return last_glossary.columns


def _split_labels(rows: list[list[Line]]) -> tuple[list[list[Line]], dict[int, Line]]:
    """Split a row's first line whose label (a date) was set too close to what follows to come apart (its
    entry, or the agency column before the entry), where at least two other rows on the page show a column
    starting at the line's x and another where the rest starts: a piece at each, or, when the label is a date,
    a date set just as close (a date column only just wide enough for every date, as Word's autofit makes it,
    leaves every row's date glued to the agency after it, so no row has the pieces apart).

    Returns the rows and, for each new piece, the line it came from (so that the line is what gets replaced).
    """
    starts = [(row[0].x0, row[1].x0) for row in rows if len(row) >= 2]
    dated = [(row[0].x0, row[0].label_split[1]) for row in rows if _is_date_split(row[0])]
    split_from: dict[int, Line] = {}
    out = []
    for row in rows:
        line = row[0]
        if line.label_split is not None and line.text.startswith(line.label_split[0]):
            label, x = line.label_split
            is_date = _is_date_split(line)
            shown = starts + dated if is_date else starts
            # a date counts itself among ``dated``: it needs two others, as any label does
            if sum(abs(a - line.x0) <= ALIGN and abs(b - x) <= ALIGN for a, b in shown) >= 2 + is_date:
                left = dataclasses.replace(line, text=label, x1=x - 1, label_split=None, cell_gaps=())
                right = dataclasses.replace(line, text=line.text[len(label):].strip(), x0=x, label_split=None,
                                            cell_gaps=())
                split_from.update({id(left): line, id(right): line})
                row = [left, right, *row[1:]]
        out.append(row)
    return out, split_from


def _is_date_split(line: Line) -> bool:
    """Whether ``line`` opens with a date (not a paragraph number) set a little apart from what follows it."""
    return (line.label_split is not None and line.text.startswith(line.label_split[0])
            and not _MARKER.match(line.label_split[0]) and bool(_DATE_LABEL.fullmatch(line.label_split[0])))


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


def _level_labels(rows: list[list[Line]], split_from: dict[int, Line]) -> tuple[list[list[Line]], dict[int, Line]]:
    """Move each label of a two-column table under a header row up to the first line of its entry, where the
    label was set level with a later line (a cell centred or set at the bottom, as Word users often do): a row
    starts with its label beside its entry's first line, and a label anywhere else was read as a heading or
    as running text. Only under a bold header row over both columns (``_header_columns``), and only where the
    rows are set apart by more space than the lines of an entry and each entry holds one short label
    (``_levelled``): without a header, a short line beside a paragraph is as likely a note in the margin.

    Returns the rows and ``split_from`` with each moved line mapped to the line it came from."""
    moved: dict[int, Line] = {}
    for index, row in enumerate(rows):
        columns = _header_columns(row)
        if columns is not None and index + 1 < len(rows):
            moved.update(_levelled(_body_under(rows, index + 1, columns), columns))
    if not moved:
        return rows, split_from
    lines = [ln for row in rows for ln in row]
    split_from.update({id(moved[id(ln)]): split_from.get(id(ln), ln) for ln in lines if id(ln) in moved})
    return rows_of([moved.get(id(ln), ln) for ln in lines]), split_from


def _header_columns(row: list[Line]) -> tuple[float, float] | None:
    """Where the columns start under ``row`` when it is a bold header row over two columns: two bold pieces, or
    one bold line with one wide gap (two one-word headings come out of the PDF as one line), else None."""
    if len(row) == 2 and all(ln.bold for ln in row):
        return row[0].x0, row[1].x0
    if len(row) == 1 and row[0].bold and len(row[0].cell_gaps) == 1:
        return row[0].x0, row[0].cell_gaps[0][1]
    return None


def _body_under(rows: list[list[Line]], start: int, columns: tuple[float, float]) -> list[Line]:
    """The lines of the rows from ``rows[start]`` on that lie in ``columns``, in the first row's type size and
    no further apart than a table's rows are (as in ``_table_from``)."""
    first = rows[start][0]
    body = []
    for index in range(start, len(rows)):
        row = rows[index]
        if (any(_column(ln.x0, list(columns)) is None for ln in row)
                or abs(row[0].size - first.size) > _size_tolerance(first)
                or index > start and row[0].bottom - rows[index - 1][0].bottom > 2.6 * first.size):
            break
        body.extend(row)
    return body


def _levelled(body: list[Line], columns: tuple[float, float]) -> dict[int, Line]:
    """For each label of ``body`` (lines in the first of two columns) not level with the first line of its entry
    (lines in the second), the label moved there, by id of the line it was; empty when nothing moves or the
    lines do not read as such a table.

    An entry is a run of lines in the second column each one line under the last; more space than that starts
    the next. A label (its lines in a run as well) belongs to the entry it lies beside, and moves with its
    wrapped lines so that its first line is level with the entry's first. Every label must be short (not a
    paragraph number, which also stands beside a paragraph's lines) and lie beside one entry, and no entry may
    have two: where rows are set with no more space between them than between lines, which label starts which
    entry cannot be told, and nothing moves."""
    labels = [ln for ln in body if _column(ln.x0, list(columns)) == 0]
    entries = [ln for ln in body if _column(ln.x0, list(columns)) == 1]
    if not labels or not entries or any(len(ln.text.split()) > LABEL_WORDS or _MARKER.match(ln.text.strip())
                                        for ln in labels):
        return {}
    size = entries[0].size
    pitch = min((b.bottom - a.bottom for a, b in itertools.pairwise(entries) if b.bottom - a.bottom > 0.5 * size),
                default=None)
    if pitch is None:
        return {}
    blocks = _runs(entries, pitch + ROW_SPACE * size)
    moved: dict[int, Line] = {}
    taken: set[int] = set()
    for group in _runs(labels, pitch + ROW_SPACE * size):
        overlaps = [min(group[-1].bottom, block[-1].bottom) - max(group[0].top, block[0].top) for block in blocks]
        best = max(range(len(blocks)), key=overlaps.__getitem__)
        if overlaps[best] <= 0 or best in taken:
            return {}
        taken.add(best)
        # the shorter cell moves to the top of the taller, as if set at the top (a term wrapped onto more lines
        # than its meaning has stands above and below it)
        cell, other = (group, blocks[best]) if len(group) <= len(blocks[best]) else (blocks[best], group)
        shift = other[0].bottom - cell[0].bottom
        if abs(shift) >= 1.0:
            moved.update({id(ln): dataclasses.replace(ln, top=ln.top + shift, bottom=ln.bottom + shift)
                          for ln in cell})
    return moved


def _runs(lines: list[Line], most: float) -> list[list[Line]]:
    """``lines`` (top to bottom) in runs whose baselines are at most ``most`` apart: the lines of one cell.

    >>> lines = [Line("text", 60, 300, bottom - 10, bottom, 10, False, 1) for bottom in (100, 112, 124, 145, 157)]
    >>> [[ln.bottom for ln in run] for run in _runs(lines, 12 + ROW_SPACE * 10)]
    [[100, 112, 124], [145, 157]]
    """
    runs: list[list[Line]] = []
    for line in lines:
        if runs and line.bottom - runs[-1][-1].bottom <= most:
            runs[-1].append(line)
        else:
            runs.append([line])
    return runs


def rows_of(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped by baseline, top to bottom, each row's pieces left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: (ln.bottom, ln.x0)):
        if rows and abs(line.bottom - rows[-1][0].bottom) < 1.0:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [sorted(row, key=lambda ln: ln.x0) for row in rows]


def _table_from(rows: list[list[Line]], start: int, carried: tuple[float, ...] | None = None
                ) -> tuple[int, int, list[list[str]], bool] | None:
    """The table that starts at ``rows[start]``: (start, end, cells per row, whether it is a glossary), or None.
    ``carried``: the columns of a glossary that ended the page before (``merge_unruled_tables``).

    Two columns whose first holds the entries beside a short column of labels (Recommendation | Agency) are
    held to more, as running text with notes in its margin looks the same: the table must open with its
    header row in bold across both columns, every entry must have its label level with its first line, and no
    label may sit beside a line inside an entry (a label's own wrapped line aside)."""
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
    # Entries beside a short column of labels (Recommendation | Agency): see ``_table_from``'s docstring
    noted = len(columns) == 2 and entry == 0
    if noted and not all(ln.bold for ln in first):
        return None
    glossary = len(columns) == 2 and entry == 1 and (_glossary_header(rows, start, columns)
                                                     or _glossary_goes_on(rows, start, columns, carried))
    cells = [[ln.text for ln in first]]
    row_starts = [first]
    full_rows = 1
    entry_lines = [ln for row in rows[start:end] for ln in row if _column(ln.x0, columns) == entry]
    shape = _EntryShape(right=max(ln.x1 for ln in entry_lines),
                        numbered=sum(bool(_NUMBERED.match(ln.text)) for ln in entry_lines) >= 2)
    for previous, row in itertools.pairwise(rows[start:end]):
        slots = [_column(ln.x0, columns) for ln in row]
        gap = row[0].bottom - previous[0].bottom
        above = next((ln for ln in reversed(previous) if _column(ln.x0, columns) == entry), None)
        if 0 in slots and not (gap <= WRAP_PITCH * row[0].size
                               and (_carries_on(row, slots, entry, cells[-1][entry], above, shape)
                                    or glossary and _wrapped_term(row, slots, previous, columns))):
            # something in the first column starts a row; anything else carries on the last one
            cells.append([""] * len(columns))
            row_starts.append(row)
            full_rows += len(row) >= min(len(columns), 3)
            if noted and 1 not in slots:
                return None
        elif noted and 1 in slots and not any(_column(ln.x0, columns) == 1 for ln in previous):
            return None
        for ln, slot in zip(row, slots, strict=True):
            cell = cells[-1][slot]
            cells[-1][slot] = f"{cell} {ln.text}".strip()
    if full_rows < MIN_ROWS or _running_text(rows[start:end], columns, entry):
        return None
    if len(columns) == 2 and not noted and not _label_column(row_starts if glossary else rows[start:end], columns):
        return None
    return start, end, cells, glossary


def _glossary_goes_on(rows: list[list[Line]], start: int, columns: list[float],
                      carried: tuple[float, ...] | None) -> bool:
    """Whether a two-column table starting at ``rows[start]`` goes on with a glossary that ended the page before
    (``carried``, its columns): its columns start where that glossary's did (within the 6 points the layout
    step allows a table broken over a page), and nothing is above it on the page but the rest of a meaning the
    page broke (lines in the second column only)."""
    return (carried is not None and len(carried) == len(columns)
            and all(abs(a - b) <= 2 * ALIGN for a, b in zip(carried, columns, strict=True))
            and all(_column(ln.x0, columns) == 1 for row in rows[:start] for ln in row))


def _glossary_header(rows: list[list[Line]], start: int, columns: list[float]) -> bool:
    """Whether a two-column table starting at ``rows[start]`` opens with a glossary's header row: a few words in
    bold, one heading over each column, that name a term and its meaning ("Term   Meaning", "Abbreviation
    Full name"); either the table's own first row, or the single bold line just above it whose one wide gap
    falls where the second column starts (two one-word headings come out of the PDF as one line).

    Such a table may wrap its terms as well as its meanings: a long term goes onto a second line, beside its
    meaning's next line or under its last one (``_wrapped_term``). Without such a header, a short bold line
    beside a paragraph is more likely a side heading or a note in the margin, and is left to them."""
    first = rows[start]
    if len(first) == 2 and all(ln.bold for ln in first):
        return _names_a_glossary(first[0].text, first[1].text)
    if start == 0:
        return False
    if _glossary_heading(rows[start - 1], first, columns):
        return True
    above = rows[start - 1]
    if len(above) != 1 or not above[0].bold or abs(above[0].x0 - columns[0]) > ALIGN:
        return False
    header = above[0]
    if first[0].bottom - header.bottom > 2.6 * first[0].size or len(header.cell_gaps) != 1:
        return False
    before, x = header.cell_gaps[0]
    return _column(x, columns) == 1 and _names_a_glossary(before, header.text[len(before):])


def _glossary_heading(above: list[Line], first: list[Line], columns: list[float]) -> bool:
    """Whether ``above``, the row just above a two-column table's first row ``first``, is a heading that names a
    glossary ("Glossary", "Abbreviations", "Appendix 2: Glossary of terms", "Terms used in this report"): one
    line, the whole of it such a name, set as a heading (bold, or larger than the rows), starting left of the
    second column and no more than ``GLOSSARY_HEADING_GAP`` font sizes above the first row. Many reviews set
    their glossary under such a heading with no header row; a heading that merely holds a word of one ("Terms of
    reference") does not count, nor does one with anything between it and the rows."""
    if len(above) != 1:
        return False
    heading = above[0]
    size = max(heading.size, first[0].size)
    return (bool(_GLOSSARY_HEADING.match(heading.text.strip())) and not heading.cell_gaps
            and (heading.bold or heading.size >= 1.12 * first[0].size) and heading.x0 < columns[1] - ALIGN
            and 0 < first[0].bottom - heading.bottom <= GLOSSARY_HEADING_GAP * size)


def _names_a_glossary(term: str, meaning: str) -> bool:
    """Whether two column headings are a glossary's: a few words, the first naming a term and the second its
    meaning.

    >>> [_names_a_glossary(*pair) for pair in [("Term", "Meaning"), ("Abbreviation", "Full name"),
    ...     ("Date", "Description"), ("Terms of reference", "Page"), ("Words of the child", "Age"), ("Term", "Page")]]
    [True, True, False, False, False, False]
    """
    return (len(f"{term} {meaning}".split()) <= HEADER_WORDS
            and bool(_GLOSSARY_TERM.match(term.strip()) and _GLOSSARY_MEANING.match(meaning.strip())))


def _wrapped_term(row: list[Line], slots: list[int], previous: list[Line], columns: list[float]) -> bool:
    """Whether ``row``, one line under ``previous`` in a glossary, holds the next line of the term above
    ("Multi-Agency" / "Safeguarding Hub" / "(MASH)"): a line in the first column set in the same type as the
    term's line above it, alone or beside the meaning's next line (which ``_carries_on`` has judged)."""
    term = previous[0] if _column(previous[0].x0, columns) == 0 else None
    return slots == [0] and term is not None and term.bold == row[0].bold


def _entry_column(rows: list[list[Line]], columns: list[float]) -> int:
    """The column of entries, the one cell of a row that runs on over several lines: the column with the most
    words, the last on a tie. A chronology's event comes last; an action plan's action can come first, beside
    its agency and timescale."""
    words = [0] * len(columns)
    for row in rows:
        for ln in row:
            words[_column(ln.x0, columns)] += len(ln.text.split())
    return _most_words(words)


def _most_words(words: list[int]) -> int:
    """The index of the column with the most words, the last on a tie (the entries')."""
    return max(range(len(words)), key=lambda index: (words[index], index))


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


def _header(rows: list[list[Line]], start: int, left: float, size: float) -> Line | None:
    """A single bold line just above the table's first row, starting where its first column does (``left``):
    its column headings, run together. A heading set larger just above a table whose first row is its column
    headings ("4. Key events") is not one, nor is a heading that names a glossary ("Glossary", in bold body
    type just above its first row: ``_glossary_heading``)."""
    if start == 0:
        return None
    above = rows[start - 1]
    first = rows[start]
    if len(above) == 1 and above[0].bold and abs(above[0].x0 - left) <= ALIGN \
            and not _GLOSSARY_HEADING.match(above[0].text.strip()) \
            and first[0].bottom - above[0].bottom <= 2.6 * size and above[0].size < 1.12 * first[0].size:
        return above[0]
    return None


def _header_cells(header: Line, columns: list[float]) -> list[str]:
    """A header line's column headings: split where its wide gaps (``Line.cell_gaps``) fall on the table's
    columns ("Term | Meaning"), or left whole when any gap falls elsewhere."""
    slots = [_column(x, columns) for _, x in header.cell_gaps]
    if not slots or None in slots or slots != sorted(set(slots)) or slots[0] == 0:
        return [header.text]
    cells = [""] * len(columns)
    bounds = [(0, 0), *((len(before), slot) for (before, _), slot in zip(header.cell_gaps, slots, strict=True))]
    for (a, slot), (b, _) in zip(bounds, [*bounds[1:], (len(header.text), None)], strict=True):
        cells[slot] = header.text[a:b].strip()
    return cells


def _rest_of_a_row(rows: list[list[Line]], start: int, columns: list[float], cells: list[list[str]]) -> int:
    """Where a table found at ``rows[start]`` really starts: at the top of the page, lines above its first row
    that lie in its columns but not the first (a chronology's event going on from the page before, its date
    and agency cells empty here) are a row of their own, the rest of the row the page broke, and are put
    before ``cells`` (in place). Only the page's first lines count, or those just under a bold line that
    is the table's header repeated; anywhere else they are text beside or above the table."""
    top = start
    size = rows[start][0].size
    while top > 0:
        row = rows[top - 1]
        slots = [_column(ln.x0, columns) for ln in row]
        gap = rows[top][0].bottom - row[0].bottom
        if (None in slots or 0 in slots or len(set(slots)) != len(slots)
                or abs(row[0].size - size) > _size_tolerance(row[0]) or gap > 2.6 * size):
            break
        top -= 1
    if top == start or (top > 0 and not (top == 1 and _header(rows, 1, columns[0], size) is not None)):
        return start
    rest = [""] * len(columns)
    for row in rows[top:start]:
        for ln in row:
            slot = _column(ln.x0, columns)
            rest[slot] = f"{rest[slot]} {ln.text}".strip()
    cells.insert(0, rest)
    return top


def continues(before: Line, after: Line) -> bool:
    """Whether the table line ``after``, the first thing on its page, goes on with ``before``, the last thing on
    the page before: a table broken over the page, whose columns start where they did."""
    return (len(before.columns) == len(after.columns) >= MIN_COLUMNS and bool(before.cells) and bool(after.cells)
            and all(abs(a - b) <= 2 * ALIGN for a, b in zip(before.columns, after.columns, strict=True)))


def join_continued(rows: list[list[str]], more: list[list[str]]) -> tuple[list[list[str]], int]:
    """The rows of a table broken over a page: ``rows`` from the page before, ``more`` from the next, and the
    offset in their ``table_text`` where the next page's part starts.

    The header row, repeated at the top of the next page, is left out (``more``'s first row when its words
    are those of ``rows``'s first row, or start its cells, as when the plain lines under a header in body type
    were read as its wrapped lines). A first row holding nothing but the rest of the last row's entry (its
    date and agency empty; where the entries are the first column, an entry going on in lower case) is that
    row broken by the page, and goes into it: one row, not a row without a date.

    >>> rows = [["Date", "Agency", "Event"], ["3 May", "Police", "Officers called and"]]
    >>> more = [["Date", "Agency", "Event"], ["", "", "spoke to her."], ["9 May", "GP", "Seen."]]
    >>> rows, at = join_continued(rows, more)
    >>> rows[1:]
    [['3 May', 'Police', 'Officers called and spoke to her.'], ['9 May', 'GP', 'Seen.']]
    >>> table_text(rows)[at:at + 12]
    'spoke to her'

    A table without a header row keeps every word of the next page's first row, and a new entry with its date
    left blank stays a row of its own:

    >>> rows = [["2019", "Police", "Visit"], ["2019", "GP", "Seen by GP."]]
    >>> join_continued(rows, [["2019", "Police", "Visit made again; no answer."]])[0][2:]
    [['2019', 'Police', 'Visit made again; no answer.']]
    >>> rows = [["Date", "Agency", "Event"], ["3 May", "Police", "Officers called."]]
    >>> join_continued(rows, [["", "", "Social worker visited."]])[0][1:]
    [['3 May', 'Police', 'Officers called.'], ['', '', 'Social worker visited.']]
    """
    more = [list(row) for row in more]
    header = rows[0]
    if not more or not _may_be_header(header):
        pass  # a first row with a date or an empty cell is a table's first entry, never repeated as its header
    elif _words(more[0]) == _words(header):
        more = more[1:]
    elif len(more[0]) == len(header) and all(
            cell.lower().split()[:len(head.split())] == head.lower().split()
            for cell, head in zip(more[0], header, strict=True)):
        more[0] = [" ".join(cell.split()[len(head.split()):]) for cell, head in zip(more[0], header, strict=True)]
        if not any(more[0]):
            more = more[1:]
    before = table_text(rows[:-1])
    start = len(before) + 1 if before else 0
    last = rows[-1]
    if not more or not _rest_of(last, more[0], _entry_of([*rows, *more])):
        return [*rows, *more], len(table_text(rows)) + 1
    rest = more[0]
    joined = [f"{a} {b}".strip() for a, b in zip(last, rest, strict=True)]
    column = next(i for i, cell in enumerate(rest) if cell)
    head = " | ".join(cell for cell in last[:column] if cell)
    offset = len(head) + 3 * bool(head) + (len(last[column]) + 1 if last[column] else 0)
    return [*rows[:-1], joined, *more[1:]], start + offset


def _words(row: list[str]) -> list[str]:
    return " ".join(row).lower().split()


def _may_be_header(row: list[str]) -> bool:
    """Whether a table's first row may be its column headings, repeated on the next page: it holds words, and no
    digit (a date or a number starts an entry). A header read as one line may fill only the first cell.

    >>> _may_be_header(["Date", "Agency", "Event"]), _may_be_header(["2019", "Police", "Visit"])
    (True, False)
    >>> _may_be_header(["Date Agency Event", "", ""]), _may_be_header(["", "", ""])
    (True, False)
    """
    return any(cell.strip() for cell in row) and not any(ch.isdigit() for cell in row for ch in cell)


def _entry_of(rows: list[list[str]]) -> int:
    """The column with the most words (the entries'), the last on a tie (as ``_entry_column``)."""
    width = max(len(row) for row in rows)
    return _most_words([sum(len(row[i].split()) for row in rows if i < len(row)) for i in range(width)])


def _rest_of(last: list[str], row: list[str], entry: int) -> bool:
    """Whether ``row``, first on its page, is the rest of ``last``, the last row of the page before: it holds
    text in the entries' column only, and that text goes on in lower case or after an entry that stopped
    mid-sentence (where the entries are the first column, only in lower case). An entry of its own, the same
    day's next event with its date left blank, stays a row.

    >>> _rest_of(["3 May", "Police", "Officers called and"], ["", "", "Spoke to her."], 2)
    True
    >>> _rest_of(["3 May", "Police", "Officers called."], ["", "", "Social worker visited."], 2)
    False
    """
    filled = [i for i, cell in enumerate(row) if cell]
    return (len(row) == len(last) and filled == [entry]
            and (row[entry][:1].islower() or (entry != 0 and not _SENTENCE_END.search(last[entry].rstrip()))))
