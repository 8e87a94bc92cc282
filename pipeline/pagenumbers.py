"""The page numbers printed on a document's pages, which may differ from their place in the PDF.

A review's PDF often starts with a cover and a contents page that carry no number, so the page its footer
calls "3" is the fifth of the file. People cite the printed number; a PDF viewer goes to the file's page.
``printed_numbers`` reads the numbers in the top and bottom margins ("3", "Page 3 of 40", "- 3 -",
"Child D CSPR | Page 3") and keeps a page's number only where the numbering runs on: a numbered page near it
(within ``NEAR`` pages) shows a number at the same distance from its place in the file. A year or a
reference repeated in every footer, a chart's axis or a stray figure does not run on, so it is never taken
for a page number. Pages between two pages of one run (a full-page table without a footer) are numbered
from them. Where the margins tell nothing, the page's label in the PDF's own numbering (``/PageLabels``, what a
viewer shows in its page box) is used when it is a number.

>>> from pipeline.pdflines import Line, PageLines
>>> def page(number, footer):
...     line = Line(footer, 280, 300, 800, 810, 9, False, number)
...     return PageLines(number, 595, 842, [line] if footer else [])
>>> printed_numbers([page(1, ""), page(2, "ii"), page(3, "Page 1 of 3"), page(4, ""), page(5, "3")])
{3: 1, 4: 2, 5: 3}
>>> printed_numbers([page(1, "2019"), page(2, "2019"), page(3, "2019")])
{}
>>> printed_numbers([page(1, "Child D | 2019"), page(2, "12 | Northmoor SCP"), page(3, "Northmoor SCP · 13")])
{2: 12, 3: 13}
"""

from __future__ import annotations

import re

from pipeline.pdflines import Line, PageLines

# Running headers, footers and page numbers live in these top and bottom bands of a page (fraction of its
# height); pipeline.layout drops them, this module reads the numbers first.
MARGIN_BAND = 0.1
NEAR = 3  # how many pages away a page may be and still confirm a page's number
_PAGE_NUMBER = r"^(?:page\s*)?[-–—(\[]?\s*(\d{1,4})\s*[-–—)\]]?(?:\s*(?:of|/)\s*\d{1,4})?$"
# A margin line that is only a page number ("3", "Page 3 of 40", "- 3 -"): the number is group 1.
PAGE_NUMBER_LINE = re.compile(_PAGE_NUMBER, re.IGNORECASE)
# A margin line with a page number in it: only one, as above; one at the end after "page" ("Child D CSPR
# Page 3"); or one at either end set off by a bar, bullet or dash ("3 | Northmoor SCP", "Child D · 3").
_NUMBER_IN_LINE = re.compile(
    _PAGE_NUMBER
    + r"|\bpage\s+(\d{1,4})(?:\s*(?:of|/)\s*\d{1,4})?\s*$"
    r"|^(\d{1,4})\s+[|•·–—-]\s+\S|\S\s+[|•·–—-]\s+(\d{1,4})$",
    re.IGNORECASE,
)


def margin_lines(page: PageLines) -> list[Line]:
    """The text lines of a page that lie in its top or bottom ``MARGIN_BAND``."""
    top_band, bottom_band = page.height * MARGIN_BAND, page.height * (1 - MARGIN_BAND)
    return [line for line in page.lines
            if line.kind == "text" and (line.bottom <= top_band or line.top >= bottom_band)]


def printed_numbers(pages: list[PageLines]) -> dict[int, int]:
    """The printed number of each page where one can be trusted: {page's place in the file (1-based): number}.

    Parameters
    ----------
    pages : list of PageLines
        The document's pages, before running headers and footers are removed.
    """
    found: dict[int, int] = {}
    for page in pages:
        numbers = set()
        for line in margin_lines(page):
            match = _NUMBER_IN_LINE.search(line.text.strip())
            if match:
                numbers.add(int(next(group for group in match.groups() if group)))
        if len(numbers) == 1:
            found[page.number] = numbers.pop()
    offsets = {place: place - number for place, number in found.items()}
    places = sorted(offsets)
    runs_on = {
        place for place in places
        if any(other != place and abs(other - place) <= NEAR and offsets[other] == offsets[place] for other in places)
    }
    kept = {place: found[place] for place in runs_on}
    confirmed = sorted(kept)
    for before, after in zip(confirmed, confirmed[1:], strict=False):
        if offsets[before] == offsets[after]:
            for place in range(before + 1, after):
                kept.setdefault(place, place - offsets[before])
    for page in pages:  # where the margins tell nothing, the PDF's own page numbering, when it is in figures
        if page.number not in kept and page.label.isdigit():
            kept[page.number] = int(page.label)
    return dict(sorted(kept.items()))
