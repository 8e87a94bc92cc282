"""Contents pages: a list of section titles with page numbers is not text about the case.

Nearly every published review opens with a contents page, and its entries name the themes themselves
("Information sharing between agencies ..... 7", "The voice of the child ..... 14"). Read as a paragraph it
would be tagged with every theme and come top of a search for any of them, pointing at page 2 of each review.

Here a run of three or more lines that each end in a page number becomes one line of kind ``contents``
(one entry a line, "title, page N"), which the segment stage leaves out of the passages. An entry ends in a
page number after leader dots ("Findings ........ 12"), or in a lone number set well apart from its title
(right-aligned without leaders). Without leaders, the run must sit under a title such as "Contents" or have
five or more entries, so a short two-column table of figures is not taken for one. In any case the page
numbers must mostly rise and stay within the document's length, as a table of counts does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.pdflines import Line, PageLines
from pipeline.tables import rows_of

MIN_ENTRIES = 3
MIN_UNTITLED_ENTRIES = 5  # entries a run without leader dots needs when no "Contents" title is above it
MAX_BETWEEN = 2  # lines without a page number (a wrapped title, a part heading) allowed between entries
RISING_SHARE = 0.8  # share of consecutive page numbers that must not go down
NUMBER_GAP = 3.0  # font sizes between a title and a lone page number set apart from it
SPACING = 4.0  # font sizes: a larger gap between two lines ends the run

_PAGE = r"(?P<page>\d{1,3}|[ivxlc]{1,7})"
# Searched from the end of a line (a match anchored at the start would backtrack over every line of text).
_LEADER_END = re.compile(r"(?:(?:\.\s?){3,}|…+|(?:·\s?){3,}|_{3,})\s*" + _PAGE + r"$", re.IGNORECASE)
_LONE_PAGE = re.compile(r"^" + _PAGE + r"$", re.IGNORECASE)
# The title of a contents list (also set aside with it by the segment step when it is set as plain text).
CONTENTS_TITLE = re.compile(
    r"^(?:table of )?contents(?: page)?$|^index$|^list of (?:tables|figures|charts|appendices|boxes)$", re.IGNORECASE)


@dataclass
class _Entry:
    title: str
    page: str
    leader: bool


def mark_contents(page: PageLines, page_count: int) -> None:
    """Replace each contents list on ``page`` with one line of kind ``contents`` (in place).

    ``page_count`` is the number of pages in the document: a contents list points within it.
    """
    rows = rows_of([ln for ln in page.lines if ln.kind == "text"])
    entries = [_entry(row) for row in rows]  # aligned with rows: None for a line that is not an entry
    if sum(entry is not None for entry in entries) < MIN_ENTRIES:
        return  # most pages: no list to look for
    taken: set[int] = set()
    found: list[Line] = []
    i = 0
    while i < len(rows):
        end = _run_from(rows, entries, i, page_count)
        if end is None:
            i += 1
            continue
        lines = [ln for row in rows[i:end] for ln in row]
        text = "\n".join(_describe(rows[i:end], entries[i:end]))
        found.append(Line(text=text, x0=min(ln.x0 for ln in lines), x1=max(ln.x1 for ln in lines),
                          top=min(ln.top for ln in lines), bottom=max(ln.bottom for ln in lines),
                          size=sorted(ln.size for ln in lines)[len(lines) // 2], bold=False, page=page.number,
                          kind="contents"))
        taken.update(id(ln) for ln in lines)
        i = end
    if found:
        page.lines = [ln for ln in page.lines if id(ln) not in taken] + found


def _run_from(rows: list[list[Line]], entries: list[_Entry | None], start: int, page_count: int) -> int | None:
    """The end (exclusive) of the contents list starting at ``rows[start]``, or None if none starts there.

    It starts with an entry, or with the first line of an entry's title that wrapped onto the next line."""
    if entries[start] is None and not _wraps_into(rows, entries, start):
        return None
    found: list[_Entry] = []
    end = start
    between = 0
    for index in range(start, len(rows)):
        row = rows[index]
        if index > start and row[0].top - rows[index - 1][0].bottom > SPACING * row[0].size:
            break
        entry = entries[index]
        if entry is None:
            between += 1
            if between > MAX_BETWEEN:
                break
            continue
        found.append(entry)
        between = 0
        end = index + 1
    if len(found) < MIN_ENTRIES or not _pages_fit(found, page_count):
        return None
    leaders = sum(entry.leader for entry in found)
    if leaders * 2 < len(found) and len(found) < MIN_UNTITLED_ENTRIES and not _titled(rows, start):
        return None
    return end


def _entry(row: list[Line]) -> _Entry | None:
    """The row as a contents entry (its title and page number), or None."""
    text = " ".join(ln.text.strip() for ln in row)
    match = _LEADER_END.search(text) if text[-1:].isalnum() else None
    if match:
        title = text[:match.start()].rstrip(" .·_…")
        if any(ch.isalpha() for ch in title):
            return _Entry(title, match["page"], leader=True)
    if len(row) >= 2 and _LONE_PAGE.match(row[-1].text.strip()) \
            and row[-1].x0 - row[-2].x1 >= NUMBER_GAP * row[-1].size:
        title = " ".join(ln.text.strip() for ln in row[:-1])
        if any(ch.isalpha() for ch in title):
            return _Entry(title, row[-1].text.strip(), leader=False)
    return None


def _pages_fit(entries: list[_Entry], page_count: int) -> bool:
    """Page numbers that mostly rise and point inside the document (front-matter roman numerals count too)."""
    arabic = [int(entry.page) for entry in entries if entry.page.isdigit()]
    if arabic and max(arabic) > page_count + 10:
        return False
    pairs = list(zip(arabic, arabic[1:], strict=False))
    return not pairs or sum(b >= a for a, b in pairs) >= RISING_SHARE * len(pairs)


def _titled(rows: list[list[Line]], start: int) -> bool:
    """Whether a "Contents" (or "Index", "List of tables") title is among the few lines above the list."""
    above = rows[max(0, start - 3):start]
    return any(CONTENTS_TITLE.match(" ".join(ln.text for ln in row).strip(" :")) for row in above)


def _wraps_into(rows: list[list[Line]], entries: list[_Entry | None], index: int) -> bool:
    """Whether ``rows[index]`` is the first line of the title of the entry on the next line: same type, set
    closer than the entries are to each other, and not a "Contents" title."""
    if index + 1 >= len(rows) or entries[index] is not None or entries[index + 1] is None:
        return False
    row = rows[index]
    first, below = row[0], rows[index + 1][0]
    return (len(row) == 1 and not first.bold
            and abs(first.size - below.size) < 0.5 and below.top - first.bottom <= 0.6 * below.size
            and below.x0 >= first.x0 - 1 and not CONTENTS_TITLE.match(first.text.strip(" :")))


def _describe(rows: list[list[Line]], entries: list[_Entry | None]) -> list[str]:
    """The lines of a contents block: "title, page N" for each entry (a wrapped title joined), other lines
    (a part heading) as they are."""
    out: list[str] = []
    pending: list[str] = []
    for index, (row, entry) in enumerate(zip(rows, entries, strict=True)):
        text = " ".join(ln.text.strip() for ln in row)
        if entry is not None:
            out.append(f"{' '.join([*pending, entry.title])}, page {entry.page}")
            pending = []
        elif _wraps_into(rows, entries, index):
            pending.append(text)
        else:
            out.append(text)
    return out
