"""Turn positioned lines into blocks in reading order.

The steps, each a small function: drop running headers, footers and page numbers; order each page's lines
(column by column, full-width lines as separators); rebuild paragraphs across lines, columns and pages;
recognise headings, list items, tables (unruled ones in ``pipeline.tables``) and footnotes; join words
hyphenated at line ends; normalise unicode.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import statistics
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable

import numpy as np

from pipeline.abbreviations import NON_FINAL_ABBREVIATIONS
from pipeline.contents import mark_contents
from pipeline.lexicon import log_probability
from pipeline.pagenumbers import PAGE_NUMBER_LINE, margin_lines
from pipeline.pdflines import BULLETS, OCR_FONT, PRIVATE_BULLETS, Line, PageLines, table_text
from pipeline.pdfshapes import REDACTED
from pipeline.records import Block, joined_breaks, shifted
from pipeline.tables import continues, join_continued, merge_unruled_tables, rows_of

# A page number as OCR may misread it in a footer ("Page 30of §" for "Page 3 of 5"): "Page" and a few short marks.
_OCR_PAGE_NUMBER = re.compile(r"^page(?:\s*[\w§]{1,4}){1,3}$", re.IGNORECASE)
_OCR_ALIKE = 0.85  # similarity (difflib ratio) at which two margin lines read by OCR are one line misread
_ROMAN_PAGE_NUMBER = re.compile(r"^[ivxlc]{1,6}$", re.IGNORECASE)  # a front-matter page number ("iii")
_BULLET = re.compile("^[" + BULLETS + "\u007f]\\s+")
_NUMBERED = re.compile(r"^(?:\(?\d{1,2}(?:\.\d{1,2}){0,2}[.)]?|\(?[a-z]\)|\(?[ivx]{1,4}\))\s+\S")
# A number at the start of a line that is not a list marker: no full stop or bracket of its own, or followed
# by a word in lower case ("65 per cent of", "(77 per cent)", "3.5 times").
_WEAK_NUMBER = re.compile(r"^(?:\(?\d{1,3}(?![.,)\d])\s|\(?\d{1,2}(?:\.\d{1,2}){0,2}[.)]?\s+[a-z(])")
# A paragraph's number as it may also start a wrapped line ("6. The class teacher", "4.2 The panel").
_PARAGRAPH_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2}){0,2}\.?\s+\S")
_SENTENCE_END_CHARS = frozenset(".!?:;…")
_CLOSERS = ")]\"'’”"
_SOFT_HYPHENS = str.maketrans({"\u00ad": "", "\ufffe": "-", "\u200b": "", "\ufeff": "", "\u007f": "•",
                               "\u2010": "-", "\u2011": "-", **{ch: "•" for ch in PRIVATE_BULLETS}})


def _ends_sentence(text: str) -> bool:
    """Whether a line ends a sentence: a full stop (or ! ? : ; …), perhaps inside a closing bracket or quote.

    A bracket or quotation mark alone does not: "(Ahmed et al. 2019)" and "parents’" end lines in the
    middle of sentences.

    >>> [_ends_sentence(t) for t in ("as she said.", "“not again.”", "(see p29).", "(Smith 2011)", "parents’",
    ...                              "Okafor et al.", "Child S.", "their families.iv", "see section 4.2", "s.47")]
    [True, True, True, False, False, False, True, True, False, False]
    """
    text = _ENDNOTE_MARK.sub("", text.rstrip())  # "... their families.iv": the mark is not the sentence's end
    if _ABBREVIATION_AT_END.search(text):
        return False  # "... Okafor et al." / "see para." at a line end: the sentence goes on
    return text.rstrip(_CLOSERS)[-1:] in _SENTENCE_END_CHARS


def _closes(text: str, following: str) -> bool:
    """Whether a line ending ``text`` closes its paragraph's sentence, given the line ``following`` it: an
    ellipsis followed by a word in lower case ("… it's got easier…" / "because they see it works") does not.

    >>> _closes("it got easier…", "because they saw it"), _closes("it got easier…", "They saw it")
    (False, True)
    """
    if following[:1].islower() and text.rstrip().rstrip(_CLOSERS).endswith(("…", "...")):
        return False
    return _ends_sentence(text)


# An endnote mark set in body type straight after a sentence's full stop: "families.iv", "later.12".
_ENDNOTE_MARK = re.compile(r"(?<=[^\W\d_][.!?]|[)’”][.!?])([\"'’”)]?)(?:[ivx]{1,5}|\d{1,3})$")
_ABBREVIATION_AT_END = re.compile(r"(?<![A-Za-z])(?:" + "|".join(sorted(NON_FINAL_ABBREVIATIONS)) + r")\.$")


_HEADING_WORD = re.compile(r"[^\W\d_]{2,}")  # a word of two letters or more, any case
_SECTION_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2})*[.:)]?$")
_YEAR = re.compile(r"^[(\[]?(?:19|20)\d\d[)\].,:;]*$")
_NUMBERISH = re.compile(r"^[(\[]?[-+£$€]?\d[\d.,:/%x-]*[)\]%]?$", re.IGNORECASE)
# A part of a report named by its number alone ("Part 1", "Appendix 3:", "Recommendation 2b"): a heading, though it
# holds as many figures as words. A chart's axis or key has other words ("Year 2", "Total 17", "Yes 12").
_NUMBERED_TITLE = re.compile(
    r"^(?:part|section|chapter|appendix|annexe?|stage|phase|step|finding|recommendation|theme|priority|volume)"
    r"\s+\d{1,2}[a-z]?[.:]?$", re.IGNORECASE)


def plausible_heading(text: str) -> bool:
    """Whether large or bold text reads like a heading rather than a chart label, figure or stray fragment.

    Charts and infographics in real reviews set their labels and numbers in large type, and a line
    broken off a pull quote can be bold: taken as headings they would become the section of every
    passage after them. A heading has a word of two letters or more, does not start in lower case (the rest
    of a sentence) or end a quotation, has no percentages, at most 24 words, and (after a section number)
    fewer figures (numbers other than years) than words. Chart labels of words and numbers can still pass. A part
    of the report named by its number alone ("Part 1", "Appendix 3") is a heading (``_NUMBERED_TITLE``); three
    of them in a row are a chart's axis still (``demote_label_runs``).

    >>> [plausible_heading(t) for t in ("4. Findings", "Voice of the child", "Period 1, 2018 to 2020",
    ...                                 "Good 48% (43%) Inadequate 5% (9%)", "and resources", "has not taken place.”")]
    [True, True, True, False, False, False]
    >>> [plausible_heading(t) for t in ("Part 2", "Stage 4:", "Recommendation 3b", "Year 2", "Total 17", "2 4")]
    [True, True, True, False, False, False]
    """
    text = text.strip()
    tokens = text.split()
    if not tokens or not _HEADING_WORD.search(text):
        return False
    first = next((ch for ch in text if ch.isalnum()), "")
    if first.islower():
        return False  # the rest of a sentence, not the start of a heading
    if text[-1] in "”\"'’" and _ends_sentence(text[:-1]):
        return False  # the end of a quotation
    if len(tokens) > 24 or "%" in text:
        return False  # a run of chart labels, or figures
    if _NUMBERED_TITLE.match(text):
        return True  # "Part 2": its number names it
    if _SECTION_NUMBER.match(tokens[0]):
        tokens = tokens[1:]  # "4.2 Findings": the number is the heading's, not a figure
    figures = sum(bool(_NUMBERISH.match(t)) and not _YEAR.match(t) for t in tokens)
    return figures * 2 < len(tokens)  # years are words here: "Period 1: 2018 to 2020" is a heading


# A line of single capitals spaced apart ("S U M M A R Y"): a heading set letter-spaced, four letters or more.
_LETTER_SPACED = re.compile(r"^[A-Z](?: [A-Z]){3,}$")
# Its words are this common in English at least ("safeguarding" is -16.1); a short word much more ("of", "key"), as
# letters make short words of all sorts ("ab", "cd", "abc" are in the word list).
_SPACED_WORD_LOG_PROBABILITY = -16.5
_SPACED_SHORT_WORD_LOG_PROBABILITY = {1: -6.0, 2: -8.0, 3: -10.0}
_ONE_LETTER_WORD = -4.0  # "a" and "I", as common as English's commonest words
_SPACED_WORDS = 6  # at most this many words run together


def join_spaced_letters(text: str) -> str:
    """A heading set with its capitals spaced apart, as its words: "S U M M A R Y" is "SUMMARY".

    The text layer puts a space between the letters and no wider one between words, so the letters are split into
    the common English words most likely together (the highest product of their probabilities, so "OF THE" and
    not "OFTHE", a word of the list too). Letters that make no such words (a chart's "A B C D", "C H I L D K") are
    left as they are.

    >>> join_spaced_letters("S U M M A R Y"), join_spaced_letters("E X E C U T I V E S U M M A R Y")
    ('SUMMARY', 'EXECUTIVE SUMMARY')
    >>> join_spaced_letters("K E Y F I N D I N G S"), join_spaced_letters("T H E V O I C E O F T H E C H I L D")
    ('KEY FINDINGS', 'THE VOICE OF THE CHILD')
    >>> join_spaced_letters("L E A R N I N G F R O M A R E V I E W"), join_spaced_letters("A P P E N D I X A")
    ('LEARNING FROM A REVIEW', 'APPENDIX A')
    >>> join_spaced_letters("A B C D"), join_spaced_letters("C H I L D K"), join_spaced_letters("Child K")
    ('A B C D', 'C H I L D K', 'Child K')
    """
    if not _LETTER_SPACED.match(text.strip()):
        return text
    letters = text.replace(" ", "")
    # best[k]: the likeliest split of the first k letters into words (minus its log probability, its ends), or None
    best: list[tuple[float, tuple[int, ...]] | None] = [(0.0, ())] + [None] * len(letters)
    for end in range(1, len(letters) + 1):
        for start in range(end):
            if end - start == 1 and letters[start] not in "AI":
                continue  # of one letter, only "A" and "I" are words (the word list holds neither)
            logp = _ONE_LETTER_WORD if end - start == 1 else log_probability(letters[start:end])
            before = best[start]
            floor = _SPACED_SHORT_WORD_LOG_PROBABILITY.get(end - start, _SPACED_WORD_LOG_PROBABILITY)
            if before is None or logp is None or logp < floor:
                continue
            candidate = (before[0] - logp, (*before[1], end))
            if best[end] is None or candidate[0] < best[end][0]:
                best[end] = candidate
    split = best[-1]
    if split is None or len(split[1]) > _SPACED_WORDS:
        return text
    ends = split[1]
    return " ".join(letters[start:end] for start, end in zip((0, *ends), ends, strict=False))


def strip_heading_marks(text: str) -> str:
    """A heading without the stray marks set before its words: a bullet, a dash or a dangling quotation mark.

    >>> strip_heading_marks("“ ■ Executive Summary"), strip_heading_marks("“Nobody listened”: the review")
    ('Executive Summary', '“Nobody listened”: the review')
    >>> strip_heading_marks("• “ Nobody listened”")
    '“ Nobody listened”'

    """
    tokens = text.split()
    while len(tokens) > 1 and not any(ch.isalnum() for ch in tokens[0]):
        if set(tokens[0]) <= set("“‘\"'") and any(q in text for q in "”’"):
            break  # an opening quotation mark whose closing one follows: "“ Nobody listened”"
        tokens = tokens[1:]
    return " ".join(tokens) if len(tokens) < len(text.split()) else text


def normalise(text: str) -> str:
    """Unicode NFKC (ligatures such as ﬁ become fi), soft hyphens and zero-width characters removed, the
    Unicode hyphens (U+2010, U+2011) written "-", and private-use bullets "•"."""
    return unicodedata.normalize("NFKC", text.translate(_SOFT_HYPHENS))


def _margin_key(text: str) -> str:
    """What stays the same in a running header or footer from page to page."""
    return re.sub(r"\d+", "#", normalise(text).lower()).strip()


def _misread_alike(keyed: list[tuple]) -> list[tuple]:
    """Give a margin line read by OCR the key of an earlier one it nearly matches (``_OCR_ALIKE``): OCR misreads
    a running header differently on different pages ("Narthmoor LSCB", "Review —~"), and each misreading
    would otherwise count as a line of its own, seen on one page only."""
    seen: list[tuple[str, bool]] = []
    out = []
    for page, line, key in keyed:
        if line.font == OCR_FONT and key not in seen:
            key = next((known for known in seen if known[1] == key[1]
                        and difflib.SequenceMatcher(None, known[0], key[0]).ratio() >= _OCR_ALIKE), key)
        if key not in seen:
            seen.append(key)
        out.append((page, line, key))
    return out


def remove_running_lines(pages: list[PageLines]) -> list[PageLines]:
    """Drop running headers, footers and page numbers (lines in the margins that repeat or are numbers)."""
    candidates = [(page, line) for page in pages for line in margin_lines(page)]
    # Count pages, not lines: a line repeated on one page (rows of a list or table near the top) is not a
    # running header.
    keyed = [(page, line, (_margin_key(line.text), line.top < page.height / 2)) for page, line in candidates]
    keyed = _misread_alike(keyed)
    pages_with: dict[tuple[str, bool], set[int]] = {}
    for page, _, key in keyed:
        pages_with.setdefault(key, set()).add(page.number)
    # Odd and even pages may alternate headers, so a third of the pages is enough to call a line running.
    repeat_needed = max(2, round(len(pages) * 0.3))
    body = body_size(pages)
    headings = _numbered_headings(pages, keyed, body)
    drop = set()
    for _, line, key in keyed:
        text = line.text.strip()
        if (PAGE_NUMBER_LINE.match(text) or _ROMAN_PAGE_NUMBER.match(text)
                or (line.font == OCR_FONT and _OCR_PAGE_NUMBER.match(text))
                or (len(pages_with[key]) >= repeat_needed and id(line) not in headings)):
            drop.add(id(line))
    drop |= _chapter_running_lines([(page, line, key) for page, line, key in keyed
                                    if id(line) not in drop and id(line) not in headings], pages_with, repeat_needed)
    drop |= _beside_running_lines([(page, line, key) for page, line, key in keyed if id(line) not in headings],
                                  drop, body)
    for page in pages:
        page.lines = [line for line in page.lines if id(line) not in drop]
    return pages


def _numbered_headings(pages: list[PageLines], keyed: list[tuple], body: float) -> set[int]:
    """The margin lines (their ``id``) that are headings numbered in turn, one a page ("Learning point 1" at the
    top of one page, "Learning point 2" of the next), not running lines, though their words repeat: set larger
    than the body text or in bold, each printed on one page only, with a number of its own beside its words.
    A running line that counts pages ("Page 3 of 40") is small, and one that names a chapter repeats whole. A
    bold running header that carries the page's number ("Child D LCSPR | 3") is one whose number is, on every page
    it is on, the page's own (in the file, or as printed in its margins): its lines are no headings."""
    from pipeline.pagenumbers import printed_numbers

    seen: dict[str, set[int]] = {}
    for page, line, _ in keyed:
        seen.setdefault(normalise(line.text).lower().strip(), set()).add(page.number)
    candidates = [(page, line, key) for page, line, key in keyed
                  if "#" in key[0] and re.search(r"[a-z]", key[0]) and (line.size >= body * 1.15 or line.bold)
                  and len(seen[normalise(line.text).lower().strip()]) == 1 and not _PAGE_WORD.search(line.text)]
    printed = printed_numbers(pages) if candidates else {}
    counts_pages: dict[tuple, bool] = {}
    for page, line, key in candidates:
        numbers = {int(number) for number in re.findall(r"\d+", line.text)}
        on_page = page.number in numbers or printed.get(page.number) in numbers
        counts_pages[key] = counts_pages.get(key, True) and on_page
    return {id(line) for _, line, key in candidates if not counts_pages[key]}


_SMALL_TYPE = 0.95  # a margin line set smaller than this share of the body's size is in small type


def _beside_running_lines(keyed: list[tuple], drop: set[int], body: float) -> set[int]:
    """The margin lines (their ``id``) in small type set where running lines were dropped on other pages.

    A short document with alternating headers (the partnership's name on odd pages, the review's title on even
    ones) prints the even pages' header on one page of three: its text recurs too little to be running. It is set
    at the place (height and size, ``_same_place``) of the header dropped on the other pages, in type smaller
    than the body's. A heading at the top of a page is set in bold body type or larger, and stays; a page
    number's place alone is no header's (a footnote may reach it on a page that has none).
    """
    anchors = sorted(((page, line, key) for page, line, key in keyed
                      if id(line) in drop and not PAGE_NUMBER_LINE.match(line.text.strip())),
                     key=lambda item: item[1].top)
    tops = [line.top for _, line, _ in anchors]
    found = set()
    for page, line, key in keyed:
        if id(line) in drop or line.size >= body * _SMALL_TYPE:
            continue
        reach = max(2.0, 0.3 * line.size)
        if any(other_page.number != page.number and other_key[1] == key[1] and _same_place(line, other)
               for other_page, other, other_key in anchors[bisect_left(tops, line.top - reach):
                                                          bisect_right(tops, line.top + reach)]):
            found.add(id(line))
    return found


_PAGE_WORD = re.compile(r"\b(?:page|p\.|pg\.?)\s*\d|\d\s*(?:of|/)\s*\d", re.IGNORECASE)


# A running line that changes by chapter ("Child Q CSPR - Introduction", then "Child Q CSPR - Analysis") keeps
# a start or an end of at least this many characters, two words or more, from page to page.
_SHARED_CHARS = 8
_SAME_PLACE_PAGES = 3  # the same margin line at the same place on this many pages is running, however long the document


def _chapter_running_lines(keyed: list[tuple], pages_with: dict[tuple[str, bool], set[int]],
                           repeat_needed: int) -> set[int]:
    """The margin lines (their ``id``) that are running headers or footers changing by chapter or part.

    Such a line repeats only on its chapter's pages, too few to count as running on its own. It is running when
    it is set at the same place and size as margin lines of ``repeat_needed`` pages or more that share a long
    start or end with it, and at least half of those pages hold a line that recurs word for word (a chapter's
    header is on each of its pages; a heading set at the top of each chapter's first page, "Chapter 2: Findings",
    never recurs, so headings stay). A line at the same place on ``_SAME_PLACE_PAGES`` pages is running too
    (alternating headers: the chapter's title on its odd pages), unless it is a cell of a row of three or more
    (a table's header row repeated on each page of a chronology).
    """
    drop = set()
    keyed = sorted(keyed, key=lambda item: item[1].top)
    tops = [line.top for _, line, _ in keyed]
    for page, line, key in keyed:
        family, recurring, same = {page.number}, set(), {page.number}
        reach = max(2.0, 0.3 * line.size)
        for other_page, other, other_key in keyed[bisect_left(tops, line.top - reach):
                                                  bisect_right(tops, line.top + reach)]:
            if other_page.number == page.number or other_key[1] != key[1] or not _same_place(line, other):
                continue
            if other_key == key:
                same.add(other_page.number)
            if other_key == key or _share_words(key[0], other_key[0]):
                family.add(other_page.number)
                if len(pages_with[other_key]) > 1:
                    recurring.add(other_page.number)
        if len(pages_with[key]) > 1:
            recurring.add(page.number)
        if ((len(family) >= repeat_needed and 2 * len(recurring) >= len(family))
                or (len(same) >= _SAME_PLACE_PAGES and not _in_row(line, keyed))):
            drop.add(id(line))
    return drop


def _same_place(line: Line, other: Line) -> bool:
    """Whether two margin lines of different pages are set at the same height in the same size."""
    return abs(line.top - other.top) <= max(2.0, 0.3 * line.size) and abs(line.size - other.size) <= 0.5


def _share_words(key: str, other: str) -> bool:
    """Whether two margin keys share a start or an end of ``_SHARED_CHARS`` characters or more that breaks
    between words and holds two words or more ("child q cspr - " of "child q cspr - introduction").

    >>> _share_words("child q cspr - introduction", "child q cspr - analysis"), _share_words("the plan", "the planned")
    (True, False)
    """
    return _shared_words(key, other) or _shared_words(key[::-1], other[::-1])


def _shared_words(key: str, other: str) -> bool:
    """``_share_words`` for the start of the keys (the end: both keys written backwards)."""
    shared = len(os.path.commonprefix([key, other]))
    while shared and not (_word_break(key, shared) and _word_break(other, shared)):
        shared -= 1
    return len(key[:shared].strip()) >= _SHARED_CHARS and len(key[:shared].split()) >= 2


def _word_break(text: str, at: int) -> bool:
    """Whether ``text`` breaks between words (or at its end) before index ``at``."""
    return at == len(text) or not (text[at].isalnum() and text[at - 1].isalnum())


def _in_row(line: Line, keyed: list[tuple]) -> bool:
    """Whether ``line`` is one of three or more margin lines of its page set side by side (a table's row)."""
    level = [other for page, other, _ in keyed if page.number == line.page and abs(other.top - line.top) < 1]
    return len(level) >= 3


def order_page(page: PageLines) -> list[list[Line]]:
    """Lines of a page in reading order, as runs that flow on from one another (one run per column section).

    A gutter is a vertical strip crossed only by full-width lines; the full-width lines split the page into
    sections, and each section is read column by column. A row of big-number tiles (see ``_tile_rows``) is read
    tile by tile; one set across the page splits it as a full-width line does, and its gaps are no gutter.
    """
    lines = sorted(page.lines, key=lambda ln: (round(ln.top), ln.x0))
    tile_rows = _tile_rows(lines)
    gutter = _find_gutter([ln for ln in lines if not ln.tile], page.width)
    if gutter is None:
        return [_in_tile_order(lines, tile_rows)] if lines else []
    across = [row for row in tile_rows if min(ln.x0 for ln in row) < gutter < max(ln.x1 for ln in row)]
    row_of = {id(ln): k for k, row in enumerate(across) for ln in row}
    runs: list[list[Line]] = []
    section: list[Line] = []
    for line in lines:
        k = row_of.get(id(line))
        if k is not None:
            if line is min(across[k], key=lambda ln: (round(ln.top), ln.x0)):  # the row's first line on the page
                runs.extend(_columns(section, gutter))
                section = []
                runs.append(across[k])
        elif line.x0 < gutter < line.x1:
            runs.extend(_columns(section, gutter))
            section = []
            runs.append([line])
        else:
            section.append(line)
    runs.extend(_columns(section, gutter))
    return [_in_tile_order(run, tile_rows) for run in runs if run]


def _columns(section: list[Line], gutter: float) -> list[list[Line]]:
    left = [ln for ln in section if ln.x1 <= gutter]
    right = [ln for ln in section if ln.x0 >= gutter]
    labels = _side_headings(left, right)
    if labels is None:
        return [left, right]
    # Each heading is read just before the text beside it, as a run of its own.
    runs: list[list[Line]] = []
    rest = right
    for label in labels:
        runs.append([ln for ln in rest if ln.top < label[0].top - label[0].size * _SIDE_ALIGN])
        rest = rest[len(runs[-1]):]
        runs.append(label)
    runs.append(rest)
    return runs


# Big-number tiles: figures set large side by side ("3", "14", "11 weeks"), each over its label in smaller type
# ("agencies involved"), with or without a box around each.
TILE_WORDS = 3  # words a figure holds at most: its number and a unit ("11 weeks", "1 in 5")
TILE_SCALE = 1.25  # a figure is set at least this much larger than its label
TILE_GAP = 1.0  # sizes of the type above: the most space from a figure, or a label's line, to the label's next line
TILE_LABEL_LINES = 4  # a label is a few words on a line or a few: more lines under a number are a column of text
_FIGURE_NUMBER = re.compile(r"^[(\[]?[-+£$€]?\d[\d.,:/%x-]*(?:[a-z]{1,2})?[)\]%]?$")  # "14", "67%", "£2.4m", "3bn"


def _figure(line: Line) -> bool:
    """Whether a line is a figure of a tile alone: a number (a sum, a share), perhaps with a unit in lower case
    ("11 weeks", "1 in 5"), not a numbered heading ("2.1 Scope", "3 Findings").

    >>> figures = ("14", "11 weeks", "£2.4m", "67%", "1 in 5", "2.1 Scope", "3 Findings", "3 in 5 children")
    >>> [_figure(Line(text, 0, 50, 0, 30, 30, True, 1)) for text in figures]
    [True, True, True, True, True, False, False, False]
    """
    words = line.text.split()
    return (line.kind == "text" and len(words) <= TILE_WORDS and bool(_FIGURE_NUMBER.match(words[0]))
            and not any(word[:1].isupper() for word in words[1:]))


def _tile_rows(lines: list[Line]) -> list[list[Line]]:
    """Each row of big-number tiles among a page's lines, read tile by tile (every figure, then its label), the
    lines of each tile numbered (``Line.tile``) so that they make one paragraph ("3 agencies involved").

    A row of tiles is two or more figures on one baseline with nothing else beside them, then rows of their
    labels in type clearly smaller, each line under one figure only (it overlaps that figure and stops short of
    its neighbours) and close below the line above it. Read row by row, as lines level with each other are,
    "3   14" over "agencies involved   contacts" came out as "3 14 agencies involved contacts". Lines that
    run across two figures (a paragraph, a caption) end the tiles' labels; a row of figures without labels
    under two of them is left as it is.

    >>> line = lambda text, x0, x1, top, size: Line(text, x0, x1, top, top + size, size, size > 11, 1)
    >>> lines = [line("3", 130, 148, 136, 30), line("14", 281, 314, 136, 30),
    ...          line("agencies involved", 95, 183, 170, 11), line("contacts with the", 240, 354, 170, 11),
    ...          line("family", 280, 315, 183, 11), line("Despite the contacts, no one saw her.", 66, 520, 210, 11)]
    >>> [[(ln.text, ln.tile) for ln in row] for row in _tile_rows(lines)]  # doctest: +NORMALIZE_WHITESPACE
    [[('3', 1), ('agencies involved', 1), ('14', 2), ('contacts with the', 2), ('family', 2)]]
    """
    for line in lines:  # found afresh each time the page is ordered
        line.tile = 0
    if sum(_figure(ln) for ln in lines) < 2:
        return []
    rows = rows_of(lines)
    found: list[list[Line]] = []
    number = 0
    for k, row in enumerate(rows):
        if len(row) < 2 or not all(_figure(ln) and not ln.tile for ln in row):
            continue
        columns = _tile_labels(row, rows[k + 1:])
        if sum(bool(column) for column in columns) < 2:
            continue
        read = []
        for figure, column in zip(row, columns, strict=True):
            number += 1
            for line in (figure, *column):
                line.tile = number
                read.append(line)
        found.append(read)
    return found


def _in_tile_order(run: list[Line], tile_rows: list[list[Line]]) -> list[Line]:
    """``run`` with the lines of each row of tiles in it read tile by tile, where the row's first line was."""
    if not any(ln.tile for ln in run):
        return run
    members = {id(ln) for ln in run}
    result: list[Line] = []
    done: set[int] = set()
    for line in run:
        if not line.tile:
            result.append(line)
            continue
        k = next(k for k, row in enumerate(tile_rows) if any(line is ln for ln in row))
        if k not in done:
            done.add(k)
            result.extend(ln for ln in tile_rows[k] if id(ln) in members)
    return result


def _tile_labels(figures: list[Line], below: list[list[Line]]) -> list[list[Line]]:
    """The lines of each figure's label (see ``_tile_rows``), from the rows ``below`` a row of figures; none at all
    where what is under the figures is not labels: a heading over text (lines in more than one type), or a
    column of text (more than a few lines under a figure)."""
    columns: list[list[Line]] = [[] for _ in figures]
    largest = min(ln.size for ln in figures) / TILE_SCALE
    above = figures
    for row in below:
        if row[0].top - max(ln.bottom for ln in above) > TILE_GAP * max(ln.size for ln in above):
            break
        slots = [_tile_of(line, figures) for line in row]
        if (any(slot is None for slot in slots) or len(set(slots)) < len(slots)
                or any(ln.kind != "text" or ln.size > largest for ln in row)):
            break
        for line, slot in zip(row, slots, strict=True):
            columns[slot].append(line)
        above = row
    labels = [ln for column in columns for ln in column]
    if (any(len(column) > TILE_LABEL_LINES for column in columns)
            or any(abs(ln.size - labels[0].size) > 0.5 or ln.bold != labels[0].bold for ln in labels)):
        return [[] for _ in figures]
    return columns


def _tile_of(line: Line, figures: list[Line]) -> int | None:
    """The figure (left to right) that ``line`` sits under alone: it overlaps it and stops short of the others."""
    for i, figure in enumerate(figures):
        if (line.x0 < figure.x1 and line.x1 > figure.x0 and (i == 0 or line.x0 > figures[i - 1].x1)
                and (i == len(figures) - 1 or line.x1 < figures[i + 1].x0)):
            return i
    return None


# Side headings: a narrow left column of a few short lines, each group level with the first line of the text
# beside it ("Background" in the margin, its paragraph to the right). Read as columns, every heading of the
# page came before all of its text.
_SIDE_ALIGN = 0.6  # font sizes: how far a heading's top may be from the top of the line beside it
_SIDE_WIDTH = 0.45  # at most this share of the text column's width
_SIDE_WORDS = 8  # words a line, at most


def _side_headings(left: list[Line], right: list[Line]) -> list[list[Line]] | None:
    """The left column's lines grouped into side headings (top to bottom), or None when the left column is
    not one of side headings: as many lines as the text beside it, wide, long lines, or not level with the
    first line of a paragraph (in two columns of running text, any line of the left column is level with
    some line of the right)."""
    if not left or len(right) < 2 * len(left) or any(ln.kind != "text" for ln in left):
        return None
    left_width = max(ln.x1 for ln in left) - min(ln.x0 for ln in left)
    right_width = max(ln.x1 for ln in right) - min(ln.x0 for ln in right)
    if left_width > _SIDE_WIDTH * right_width or any(len(ln.text.split()) > _SIDE_WORDS for ln in left):
        return None
    groups: list[list[Line]] = []
    for line in left:  # in reading order already
        if groups and line.top - groups[-1][-1].bottom < 0.6 * line.size:
            groups[-1].append(line)
        else:
            groups.append([line])
    for group in groups:
        size = group[0].size
        level = [i for i, ln in enumerate(right) if abs(ln.top - group[0].top) <= _SIDE_ALIGN * size]
        # beside the first line of the page's text, or of a paragraph set off by space above it
        if not level or (level[0] and right[level[0]].top - right[level[0] - 1].bottom < _SIDE_ALIGN * size):
            return None
    return groups


def _find_gutter(lines: list[Line], page_width: float) -> float | None:
    """The x of a column gutter, or None for a single-column page."""
    text_lines = [ln for ln in lines if ln.kind == "text"]
    if len(text_lines) < 8:
        return None
    x0 = np.array([ln.x0 for ln in lines])
    x1 = np.array([ln.x1 for ln in lines])
    left_edge, right_edge = x0.min(), x1.max()
    span = right_edge - left_edge
    if span < page_width * 0.4:
        return None
    grid = np.arange(left_edge + span * 0.25, left_edge + span * 0.75, 1.0)
    crossing = ((x0[None, :] < grid[:, None]) & (grid[:, None] < x1[None, :])).sum(axis=1)
    best = int(crossing.min())
    x = float(grid[int(crossing.argmin())])
    left = int((x1 <= x).sum())
    right = int((x0 >= x).sum())
    # Columns hold most of the page's lines; the few crossing lines are titles, tables or footnotes.
    if min(left, right) < 2 or left + right < 8 or best > 0.25 * (left + right):
        return None
    # Centre the gutter in the strip where the crossing count stays at its minimum.
    empty = grid[crossing == best]
    around = empty[np.abs(empty - x) <= (empty.max() - empty.min())]
    runs = np.split(around, np.where(np.diff(around) > 1.5)[0] + 1)
    strip = next(r for r in runs if r.min() <= x <= r.max())
    return float((strip.min() + strip.max()) / 2)


# characters (a line or two): less running text than this (a title over a document of tables) does not say what
# the body size is; two short paragraphs beside a larger table in smaller type do
BODY_TEXT_CHARS = 100


def body_size(pages: Iterable[PageLines]) -> float:
    """The font size most of the running text is set in (weighted by characters); tables and contents lists,
    when they are lines of their own, count only in a document with little running text besides them (an
    action plan that is one long table under its title)."""
    text: Counter[float] = Counter()
    everything: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            if line.kind in ("text", "table", "contents"):
                everything[line.size] += len(line.text)
            if line.kind == "text":
                text[line.size] += len(line.text)
    sizes = text if text.total() >= BODY_TEXT_CHARS else everything
    return sizes.most_common(1)[0][0] if sizes else 10.0


# Gaps after lines that run to their column's right edge needed to measure the line pitch from them alone.
_PITCH_LINES = 3


def _line_pitch(ordered: list[list[list[Line]]], size: float) -> float:
    """Typical distance between baselines of consecutive lines of a body paragraph.

    Measured after lines that run to the right edge of their column (within four font sizes, as
    ``_BlockBuilder._continues`` judges a line short), where the paragraph goes on: after a line that stops short
    the gap is often a paragraph's. A document of short paragraphs, list items and one-line answers has more
    paragraph gaps than line gaps, and their median, taken as the pitch, let a paragraph run on into the next
    whenever its last line was nearly full. Over all gaps when too few lines run to the edge.
    """
    gaps, after_full = [], []
    for runs in ordered:
        for run in runs:
            ends = sorted(ln.x1 for ln in run if ln.kind == "text")
            right = ends[int(len(ends) * 0.9)] if ends else 0.0
            for a, b in zip(run, run[1:], strict=False):
                if abs(a.size - size) < 0.6 and abs(b.size - size) < 0.6 and 0 < b.bottom - a.bottom < 3 * size:
                    gaps.append(b.bottom - a.bottom)
                    if a.x1 >= right - size * 4:
                        after_full.append(b.bottom - a.bottom)
    if len(after_full) >= _PITCH_LINES:
        return statistics.median(after_full)
    return statistics.median(gaps) if gaps else size * 1.2


RUN_IN_LEVEL = 4  # below headings on lines of their own
RUN_IN_WORDS = 8
_TRAILING_NUMBER = re.compile(r"\s+\d{1,3}[a-z]?$")


def _run_in_heading(line: Line) -> str | None:
    """The heading run into the start of a paragraph, or None.

    Its words are bold and the rest of the line is not; it is short, reads like a heading, and is set off
    from the text by a colon, full stop or dash, or by a capital starting the text ("Legal status In the UK,
    ..."). A bold name starting a sentence ("Child A was ...") is not one.
    """
    lead = line.bold_lead
    if not lead or not line.text.startswith(lead):
        return None
    rest = line.text[len(lead):].strip()
    title = lead.rstrip(" :.–—-")
    numbered = _TRAILING_NUMBER.sub("", title)  # "Finding 1", "Recommendation 3b": the number is a label
    if len(rest.split()) < 2 or len(title.split()) > RUN_IN_WORDS or not plausible_heading(normalise(numbered)):
        return None
    if lead[-1] in ":.–—-" or rest[:1].isupper():
        return normalise(title)
    return None


def _pull_quote(block: Block | None) -> bool:
    """Whether a block of text set large reads as a pull quote (see ``_BlockBuilder._resume``)."""
    if block is None or len(block.text.split()) < 3:
        return False
    text = block.text.strip()
    quoted = text[:1] in "“\"‘'" and text[-1] in "”\"’'"
    return block.kind == "paragraph" or quoted


# The end of a quotation: a closing double mark, or a single one after the sentence it closes ("... again.’").
_QUOTATION_END = re.compile(r"(?:[”\"]|[.!?…][’'])[\d\s]*$")
# Who is quoted, as an attribution names them: a relative, the child, an age, a role.
_SPEAKER = re.compile(
    r"\b(?:mother|father|mum|dad|parents?|step-?(?:mother|father|parent)|grand(?:mother|father|parents?)|"
    r"grandma|grandad|nan|aunt|uncle|brother|sister|siblings?|cousin|carers?|foster\s+\w+|partner|family\s+member|"
    r"young\s+person|son|daughter|aged\s+\d+|\d+\s*(?:years?|yrs)|"
    r"practitioner|social\s+worker|teacher|nurse|health\s+visitor|officer|GP|doctor)\b|,\s*\d{1,2}\b",
    re.IGNORECASE)
_ATTRIBUTION_WORDS = 8
_DASH_LEAD = re.compile(r"^[-–—―]\s*\S")


def _attribution(text: str, before: Block | None, box: tuple[int, int] | None) -> bool:
    """Whether a short bold line in body type, read as a heading, is the attribution of the quotation before it
    ("Grandmother of Child Z", "– Child Y's mother", "Child K, aged 14"): reviews quote a family member or the
    child in italics or in a box and name the speaker on the next line in bold.

    The block before must be a quotation: text ending with a closing quotation mark, or a quotation in the
    same box. The line must be short, start with no section number and end with no colon; a label with its
    number ("Finding 3", "Recommendation 1") stays a heading, and so does any heading set larger than body type
    (``_heading_level`` 1 or 2), so "5. Findings" after a section's closing quote is still its heading.

    >>> quote = Block("paragraph", "“Nobody asked me what I wanted.”", 1, 1)
    >>> [_attribution(t, quote, None) for t in ("Grandmother of Child Z", "– Mother", "Child K, aged 14",
    ...                                         "5. Findings", "Finding 3", "What the review found:")]
    [True, True, True, False, False, False]
    >>> _attribution("Child’s father", Block("paragraph", "The family moved.", 1, 1), None)
    False

    Without a dash in front, it must name who spoke (a relative, the child, an age, a role): a heading set in
    bold body type after a section's closing quote ("Analysis", "What happened next") stays a heading.

    >>> [_attribution(t, quote, None) for t in ("Analysis", "What happened next", "Family context",
    ...                                         "The child's daily life", "Young person, 16", "Foster carer")]
    [False, False, False, False, True, True]
    """
    if before is None or before.kind not in ("paragraph", "list_item"):
        return False
    words = text.split()
    if not words or len(words) > _ATTRIBUTION_WORDS or text.rstrip().endswith(":"):
        return False
    if _SECTION_NUMBER.match(words[0]) or (_TRAILING_NUMBER.search(text) and "," not in text):
        return False
    if not _DASH_LEAD.match(text) and not _SPEAKER.search(text):
        return False
    previous = before.text.rstrip()
    quoted_box = box is not None and before.box == box and previous[:1] in "“\"‘'"
    return bool(_QUOTATION_END.search(previous)) or quoted_box or (bool(_DASH_LEAD.match(text)) and before.box == box
                                                                    and box is not None)


class _BlockBuilder:
    """Accumulates lines into blocks, deciding where paragraphs, headings and list items start."""

    def __init__(self, size: float, pitch: float, vocabulary: frozenset[str]) -> None:
        self.size = size
        self.vocabulary = vocabulary
        self.pitch = pitch
        self.blocks: list[Block] = []
        self.footnotes: list[Block] = []
        self._lines: list[Line] = []
        self._kind = "paragraph"
        self._level = 0
        self._run_right = 0.0
        self._run_left = 0.0
        self._release_footnotes = False
        self._new_run = False
        self._item_anchor: float | None = None  # where a list item's lines start after a column or page break
        # A paragraph interrupted by a box (its lines, kind and level), the index of the box's first block,
        # and the box's blocks waiting for the paragraph to end.
        self._suspended: tuple[list[Line], str, int] | None = None
        self._box_start = 0
        self._suspended_by_quote = False  # what interrupted it: a box, or text set large (a pull quote)
        self._deferred: list[Block] = []
        # A box that runs on over a page is one box: (page, box) on the later page -> the box it continues.
        self._same_box: dict[tuple[int, int], tuple[int, int]] = {}
        # The last table block, its table line (the last part read) and its rows: a table that goes on at the
        # top of the next page is joined to it.
        self._table: tuple[Block, Line, list[list[str]]] | None = None

    def _heading_level(self, line: Line) -> int:
        words = len(line.text.split())
        if words > 18 or line.kind != "text":
            return 0
        if line.size >= self.size * 1.35:
            return 1
        if line.size >= self.size * 1.12:
            return 2
        if line.bold and not _ends_sentence(line.text):
            return 3
        return 0

    def start_run(self, run: list[Line]) -> None:
        text_lines = [ln for ln in run if ln.kind == "text"]
        self._run_left = min((ln.x0 for ln in text_lines), default=0.0)
        widths = sorted(ln.x1 for ln in text_lines)
        self._run_right = widths[int(len(widths) * 0.9)] if widths else 0.0
        self._new_run = True

    def _box(self, line: Line) -> tuple[int, int] | None:
        """(page, number) of the box holding ``line``, None outside boxes."""
        if not line.box:
            return None
        key = (line.page, line.box)
        return self._same_box.get(key, key)

    @staticmethod
    def _tile(line: Line) -> tuple[int, int] | None:
        """(page, number) of the big-number tile holding ``line``, None outside tiles."""
        return (line.page, line.tile) if line.tile else None

    def _large(self, line: Line) -> bool:
        """Whether ``line`` is set clearly larger than the body (a heading's size, or a pull quote's)."""
        return line.kind == "text" and self._heading_level(line) in (1, 2)

    def add(self, line: Line, previous: Line | None) -> None:
        new_run, self._new_run = self._new_run, False
        if (self._suspended is not None and self._suspended_by_quote
                and (not self._large(line) or self._box(line) != self._box(self._suspended[0][-1]))):
            # the text after a pull quote (or what it turned out to be): see _resume
            self._resume(line)
        if line.box and previous is not None and previous.box and line.page == previous.page + 1:
            # A page that ends in a box and a page that starts in one: a panel broken over the page.
            self._same_box.setdefault((line.page, line.box), self._box(previous))
        if line.kind in ("table", "contents"):
            self.flush()
            if line.kind == "table" and self._table_goes_on(line, previous):
                return
            block = Block(line.kind, normalise(line.text), line.page, line.page, box=self._box(line))
            self.blocks.append(block)
            if line.kind == "table":
                self._table = (block, line, [[normalise(cell) for cell in row] for row in line.cells])
            return
        if self._lines and self._box(self._lines[-1]) != self._box(line):
            # Text never runs into or out of a box (a "Learning point" panel, a sidebar). A box met in the
            # middle of a sentence interrupts a paragraph that carries on after it: its text is read after
            # that paragraph.
            last = self._lines[-1]
            if (line.box and not last.box and self._suspended is None and self._kind == "paragraph"
                    and not _ends_sentence(last.text)):
                self._suspended = (self._lines, self._kind, self._level)
                self._lines = []
                self._box_start = len(self.blocks)
            else:
                self.flush()
        if self._suspended is not None and not line.box and not self._suspended_by_quote:
            self._resume()
        if self._tile(line) or (self._lines and self._tile(self._lines[-1])):
            # A big-number tile (see _tile_rows): its figure and label are one paragraph, whatever their type, and
            # nothing before or after it runs into it.
            if self._lines and self._tile(self._lines[-1]) != self._tile(line):
                self.flush()
            if self._tile(line):
                if not self._lines:
                    self._kind, self._level = "paragraph", 0
                self._lines.append(line)
                return
        if (self._lines and self._suspended is None and self._kind == "paragraph" and self._large(line)
                and self._box(line) == self._box(self._lines[-1]) and not _ends_sentence(self._lines[-1].text)):
            # Text set large met in the middle of a sentence may be a pull quote set beside a paragraph that
            # carries on in the next column: like a box, it waits for the paragraph (see _resume).
            self._suspended = (self._lines, self._kind, self._level)
            self._lines = []
            self._box_start = len(self.blocks)
            self._suspended_by_quote = True
        level = self._heading_level(line)
        kind = "heading" if level else "paragraph"
        if (kind == "paragraph" and (_BULLET.match(line.text) or _NUMBERED.match(line.text))
                and not self._wrapped_marker(line, previous, new_run)):
            kind = "list_item" if _BULLET.match(line.text) else "paragraph"
            self.flush()
        elif self._lines and not self._continues(line, previous, kind, level, new_run):
            self.flush()
        if not self._lines and kind == "paragraph":
            heading = _run_in_heading(line)
            if heading is not None:  # "Recommendation 1: The partnership should ..." in bold, then regular
                self.blocks.append(Block("heading", heading, line.page, line.page, RUN_IN_LEVEL, box=self._box(line)))
                line.text = line.text[len(line.bold_lead):].strip()
        if not self._lines:
            self._kind, self._level = kind, level
        self._lines.append(line)

    def _table_goes_on(self, line: Line, previous: Line | None) -> bool:
        """Join the table ``line``, first on its page, to the table block ending the page before when it is the
        same table broken over the page (``tables.continues``): one block, without the header row repeated on
        the new page, the row the page broke made whole again (``tables.join_continued``), and a page break
        where the new page's part starts, so each passage keeps its own pages."""
        if self._table is None:
            return False
        block, last, rows = self._table
        # only the page's footnotes may have been read since (they stay after the table)
        index = next((i for i in range(len(self.blocks) - 1, -1, -1)
                      if self.blocks[i] is block or self.blocks[i].kind != "footnote"), -1)
        if (previous is not last or line.page != last.page + 1 or not continues(last, line)
                or self._box(line) != block.box or index < 0 or self.blocks[index] is not block):
            return False
        rows, at = join_continued(rows, [[normalise(cell) for cell in row] for row in line.cells])
        text = table_text(rows)
        breaks = block.page_breaks if at >= len(text) else (*block.page_breaks, (at, line.page))
        self.blocks[index] = dataclasses.replace(block, text=text, page_end=line.page, page_breaks=breaks)
        self._table = (self.blocks[index], line, rows)
        return True

    def _wrapped_marker(self, line: Line, previous: Line | None, new_run: bool) -> bool:
        """Whether a line that starts like a list item is only a sentence wrapped onto a new line.

        "... three-quarters of the children" / "(77 per cent) went home", "... over the age of" / "10 (Smith
        2003)" and "... an exception" / "– one the panel ..." (a dash between clauses) carry on their paragraph
        when the line before ends mid-sentence at the usual line spacing, or runs on over a column or page. A
        real marker is kept when it has a number of its own ("2.", "4.1", "(b)") followed by a capital, or is set
        in a hanging indent, or is a bullet that is not a dash, or is a dash and the block is itself a dash item.
        """
        if not self._lines or self._kind == "heading" or previous is not self._lines[-1]:
            return False
        last = self._lines[-1]
        if _ends_sentence(last.text):
            return False
        gap = line.bottom - last.bottom
        if not new_run and not (0 < gap <= self.pitch * 1.35):
            return False
        if _BULLET.match(line.text):
            dash = line.text[0] in "-–—"
            return dash and not self._lines[0].text.startswith(line.text[0])
        text = line.text
        hanging = line.text_x0 is not None and line.text_x0 - line.x0 >= 2.2 * line.size
        if _WEAK_NUMBER.match(text) and not hanging:
            return True  # a bare number ("10 (Smith") or an unclosed bracket ("(77 per cent)")
        if text[:1] != "(" and ")" in text.split(" ", 1)[0]:
            # "11)" closing a bracket the paragraph opened: "(under" / "11) (Smith 2013)"
            opened = sum(ln.text.count("(") - ln.text.count(")") for ln in self._lines)
            return opened > 0
        return bool(_PARAGRAPH_NUMBER.match(text)) and self._wrapped_number(line, last)

    def _wrapped_number(self, line: Line, last: Line) -> bool:
        """Whether "6. The class teacher ..." after a line that ends mid-sentence ("... moved into Year") is the
        sentence wrapped at a number, not a numbered paragraph.

        It is when the line starts where the paragraph's text wraps (under the text of a numbered paragraph with
        a hanging indent, not where its numbers sit), and the line before runs to the margin: a number after a
        line that stops short starts a paragraph ("1. Agencies should review the plan" / "2. The partnership").
        """
        first = self._lines[0]
        if first.text_x0 is not None and first.text_x0 - first.x0 > 0.5 * self.size:
            if abs(line.x0 - first.text_x0) >= 2:
                return False  # set where the numbers sit
        elif abs(line.x0 - last.x0) >= 2 and abs(line.x0 - self._run_left) >= 2:
            return False
        return last.x1 >= self._run_right - self.size * 4  # a line stopping short of the margin ended its paragraph

    def _continues(self, line: Line, previous: Line | None, kind: str, level: int, new_run: bool) -> bool:
        """Whether ``line`` carries on the block being built; ``new_run``: it opens a new column or page."""
        last = self._lines[-1]
        if self._kind == "heading" and kind == "paragraph" and line.bold == last.bold and last.bold:
            # The last line of a bold heading wrapped over lines may end like a sentence.
            return previous is last and abs(line.size - last.size) < 0.3 and line.bottom - last.bottom < 1.6 * line.size
        if self._kind == "list_item" and kind == "paragraph":
            # A bullet's wrapped lines are not bullets themselves: they carry on the item when they line up
            # with its text (a hanging indent), or when the item runs over a column or page mid-sentence.
            first = self._lines[0]
            anchor = self._item_anchor if self._item_anchor is not None else first.text_x0
            if new_run:
                hanging = first.text_x0 is not None and first.text_x0 - first.x0 > 0.5 * self.size
                at_margin = line.x0 < self._run_left + 0.5 * self.size
                if _ends_sentence(last.text) or (hanging and at_margin and abs(line.x0 - anchor) >= 2
                                                 and not line.text[:1].islower()):
                    # An item with a hanging indent keeps it in the next column or page (where the column
                    # holds nothing else, its lines stay where they were on the page before); a line in
                    # lower case carries on the sentence wherever it starts.
                    return False
                self._item_anchor = line.x0  # its lines line up here in the new column or page
                return True
            gap = line.bottom - last.bottom
            if not -1 <= gap <= self.pitch * 1.35:
                return False
            if anchor is not None and abs(line.x0 - anchor) < 2:
                return True
            # Without a hanging indent an item wraps back under its bullet: a line there in lower case
            # carries on the item's sentence ("... her records did not" / "follow her;").
            return abs(line.x0 - first.x0) < 2 and line.text[:1].islower() and not _ends_sentence(last.text)
        if kind != self._kind or level != self._level:
            return False
        if kind == "heading":
            # A heading wrapped over lines keeps its line spacing; a wider gap starts another heading
            # ("2 FINDINGS" above "Voice of the child"), which becomes the section of what follows.
            return not new_run and previous is last and line.bottom - last.bottom < 1.6 * line.size
        if new_run or previous is not last:
            # A new column or page: the paragraph carries on unless the last line closed a sentence.
            return not _closes(last.text, line.text)
        gap = line.bottom - last.bottom
        if gap > self.pitch * 1.35 or gap < -1:
            return False
        if abs(gap) < 1 and line.x0 >= last.x1 - 1:
            return True  # the rest of the same line, broken where a footnote marker was lifted out
        anchor = self._lines[0].text_x0
        if anchor is not None and abs(line.x0 - anchor) < 2:
            return True  # continuation of a list item or numbered paragraph with a hanging indent
        if (line.x0 > self._run_left + self.size * 0.9 and line.x0 > last.x0 + self.size * 0.9
                and not (line.text[:1].islower() and not _ends_sentence(last.text))):
            return False  # first-line indent starts a new paragraph (a line in lower case carries on a sentence)
        short = last.x1 < self._run_right - self.size * 4
        return not (short and _closes(last.text, line.text))

    def _resume(self, line: Line | None = None) -> None:
        """Back out of a box that interrupted a paragraph: the paragraph carries on, the box waits for it.

        Text set large waits for the paragraph only when the ``line`` after it goes on in lower case (the rest
        of the sentence) and it reads as a pull quote: not a heading (a heading met mid-sentence ends the text
        before it, which really stopped there) and three words or more (not a drop cap, nor a chart's figure),
        or a quotation as a whole ("“...”"). Otherwise it stays where it was read, after the paragraph: the
        large labels and figures of an infographic are set between lines that end like sentences do not.
        """
        self.flush()
        waiting = self.blocks[self._box_start:]
        del self.blocks[self._box_start:]
        lines_kind_level, self._suspended = self._suspended, None
        by_quote, self._suspended_by_quote = self._suspended_by_quote, False
        self._lines, self._kind, self._level = lines_kind_level
        goes_on = line is not None and line.text[:1].islower()
        if by_quote and not (goes_on and _pull_quote(waiting[0] if waiting else None)):
            self.flush()
            self.blocks.extend(waiting)
            return
        self._deferred.extend(waiting)

    def finish(self) -> None:
        """End of the document: flush what is left, the paragraph a box interrupted included."""
        if self._suspended is not None:
            self._resume()
        self.flush()
        self.release_footnotes()

    def flush(self) -> None:
        if not self._lines:
            return
        kept = self._kept_breaks()
        text = self._join(self._lines, kept)
        kind, level, styled_level = self._kind, self._level, 0
        if kind == "heading":
            text = join_spaced_letters(text)  # "S U M M A R Y" set large or bold: its letters make no word
        if kind == "heading" and not plausible_heading(normalise(text)):
            kind, level, styled_level = "paragraph", 0, level
        elif kind == "heading" and level == 3 and _attribution(text, self.blocks[-1] if self.blocks else None,
                                                                self._box(self._lines[0])):
            kind, level = "paragraph", 0  # "Grandmother of Child Z" under her words: part of the quotation
        elif kind == "heading":
            if self._lines[0].badge and len(text.split(None, 1)) == 2:
                text = text.split(None, 1)[1]  # its number drawn in a circle beside it: decoration, like a bullet
            text = strip_heading_marks(text)
        block = Block(kind, text, self._lines[0].page, self._lines[-1].page, level, box=self._box(self._lines[0]),
                      styled_level=styled_level, page_breaks=self._page_breaks(kept) if kind != "heading" else ())
        self.blocks.append(block)
        self._lines = []
        self._item_anchor = None
        if self._deferred and self._suspended is None:
            self.blocks.extend(self._deferred)
            self._deferred = []
        if self._release_footnotes:
            self.release_footnotes()

    def _kept_breaks(self) -> frozenset[int]:
        """The indexes of a paragraph's lines that keep a line of their own in its text (``_broken_on_purpose``):
        a name, a role and an organisation under a report's date, the lines of an address."""
        lines = self._lines
        if self._kind != "paragraph" or len(lines) < 2:
            return frozenset()
        return frozenset(k for k in range(1, len(lines))
                         if _broken_on_purpose(lines[k - 1], lines[k], lines, self.pitch)
                         and join_lines([lines[k - 1].text, lines[k].text]) == " ".join(
                             normalise(ln.text).strip() for ln in lines[k - 1:k + 1]))

    def _join(self, lines: list[Line], kept: frozenset[int]) -> str:
        """The text of a block's first ``lines``: joined as running text, with a line break before each line of
        ``kept`` (as long as the space it stands for, so the lengths of ``_page_breaks`` hold)."""
        groups: list[list[str]] = [[]]
        for k, line in enumerate(lines):
            if k in kept:
                groups.append([])
            groups[-1].append(line.text)
        return "\n".join(join_lines(group, self.vocabulary) for group in groups)

    def _page_breaks(self, kept: frozenset[int]) -> tuple[tuple[int, int], ...]:
        """Where the block's text moves to a later page: the length of the text of the lines before that page
        (joined as the whole block is), and the page. A hyphenated word broken over the pages makes it a
        character or two long, which no passage boundary (between sentences) is near."""
        breaks = []
        for k in range(1, len(self._lines)):
            if self._lines[k].page != self._lines[k - 1].page:
                before = self._join(self._lines[:k], kept)
                breaks.append((len(before) + 1, self._lines[k].page))
        return tuple(breaks)

    def end_page(self) -> None:
        """Footnotes go after the page's text; if a paragraph runs on over the page, after that paragraph."""
        if self._lines and not _ends_sentence(self._lines[-1].text):
            self._release_footnotes = True
        else:
            self.flush()
            self.release_footnotes()

    def release_footnotes(self) -> None:
        self.blocks.extend(self.footnotes)
        self.footnotes = []
        self._release_footnotes = False

    def add_footnote(self, lines: list[Line]) -> None:
        """Footnotes are kept as their own blocks, placed after the paragraph they interrupt."""
        text = join_lines([ln.text for ln in lines], self.vocabulary)
        self.footnotes.append(Block("footnote", text, lines[0].page, lines[-1].page))


# How much room a line's first word needs at the end of the line before, over its width estimated from the
# line's mean character width (with the space before it): letters vary in width, capitals most.
_WORD_ROOM = 1.3


def _column_right(lines: list[Line], line: Line) -> float:
    """The rightmost end of the lines of a block set in the column of ``line`` (on its page, beside it): a
    paragraph that runs on into the next column ends its lines further right there."""
    return max(ln.x1 for ln in lines if ln.page == line.page and ln.x0 < line.x1 and ln.x1 > line.x0)


def _broken_on_purpose(line: Line, following: Line, lines: list[Line], pitch: float) -> bool:
    """Whether the break between two lines of a paragraph (of ``lines``) was made by hand: the next line's first
    word would have fitted on ``line``, within ``_column_right`` (where the paragraph's lines end furthest right
    in its column).

    Text flows line by line, and a line is broken only where its next word does not fit, so such a break is a
    line ended on purpose: the name, role and organisation stacked under a report's date, the lines of an
    address. Read as running text they made one sentence ("Jane Smith Independent Reviewer Northmoor ...").
    Only lines set one under the other at the same left edge, the next starting with a capital letter or a figure
    (not a bracket or a dash, which hand-set lines of running text may start with).

    >>> name = Line("Jane Smith", 72, 125, 500, 511, 11, False, 3)
    >>> role = Line("Independent Reviewer", 72, 177, 515, 526, 11, False, 3)
    >>> org = Line("Fenwick and Dale Safeguarding Children Partnership", 72, 331, 530, 541, 11, False, 3)
    >>> _broken_on_purpose(name, role, [name, role, org], 15), _broken_on_purpose(role, org, [name, role, org], 15)
    (True, True)
    >>> wrapped = Line("The panel heard from the family, the school and the practitioners who", 72, 518, 500, 511, 11,
    ...                False, 3)
    >>> after = Line("Independent reviewers met later.", 72, 240, 515, 526, 11, False, 3)
    >>> _broken_on_purpose(wrapped, after, [wrapped, after], 15)
    False
    """
    gap = following.bottom - line.bottom
    if (line.page != following.page or abs(line.x0 - following.x0) >= 2 or not 0.5 * line.size < gap <= 1.35 * pitch
            or not (following.text[:1].isupper() or following.text[:1].isdigit())):
        return False
    word = following.text.split()[0]
    per_char = (following.x1 - following.x0) / max(1, len(following.text))
    return line.x1 + _WORD_ROOM * per_char * (len(word) + 1) + 0.5 * line.size <= _column_right(lines, line)


def _split_footnotes(runs: list[list[Line]], size: float) -> tuple[list[list[Line]], list[Line]]:
    """A page's runs without its footnotes, and the footnote lines in reading order.

    Footnotes are the small-print lines below the page's lowest line of body-size (or larger) text. On a
    two-column page they sit under both columns: a short one falls inside a column's run, a long one crosses
    the gutter and makes a run of its own, and either way it must not break the text that flows from the
    foot of one column to the head of the next.
    """
    body = [ln.bottom for run in runs for ln in run if ln.kind == "text" and ln.size >= size * 0.9]
    if not body:
        return runs, []
    floor = max(body)
    # (a tile's label in small type under its figure is no footnote)
    notes = [ln for run in runs for ln in run
             if ln.kind == "text" and ln.size < size * 0.9 and ln.top >= floor - 1 and not ln.tile]
    if not notes:
        return runs, []
    ids = {id(ln) for ln in notes}
    kept = [[ln for ln in run if id(ln) not in ids] for run in runs]
    return [run for run in kept if run], notes


def _footnote_groups(lines: list[Line]) -> list[list[Line]]:
    groups: list[list[Line]] = []
    for line in lines:
        if groups and not re.match(r"^(?:\d{1,3}|[*†‡])\s", line.text):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def build_blocks(pages: list[PageLines]) -> list[Block]:
    """All blocks of a document in reading order (headers and footers must already be removed)."""
    vocabulary = document_vocabulary(line.text for page in pages for line in page.lines)
    glossary = None  # the columns of a glossary that ended the page before, which may go on over the page
    for page in pages:
        mark_contents(page, len(pages))
        glossary = merge_unruled_tables(page, glossary)
    # measured once tables and contents lists are lines of their own: a chronology in small type that holds more
    # characters than the running text must not make every one-line paragraph look like a heading
    size = body_size(pages)
    ordered = [order_page(page) for page in pages]
    builder = _BlockBuilder(size, _line_pitch(ordered, size), vocabulary)
    previous: Line | None = None
    for page_runs in ordered:
        runs, page_footnotes = _split_footnotes(page_runs, size)
        for run in runs:
            builder.start_run(run)
            for line in run:
                builder.add(line, previous)
                previous = line
        for group in _footnote_groups(page_footnotes):
            builder.add_footnote(group)
        builder.end_page()
    builder.finish()
    return join_broken_paragraphs(join_drop_caps(demote_label_runs([b for b in builder.blocks if b.text])))


def join_drop_caps(blocks: list[Block]) -> list[Block]:
    """Join a drop cap (a paragraph's first letter set large, read as a block of its own) to its paragraph.

    >>> join_drop_caps([Block("paragraph", "T", 2, 2), Block("paragraph", "he family moved in 2019.", 2, 2)])
    [Block(kind='paragraph', text='The family moved in 2019.', page_start=2, page_end=2, level=0)]
    """
    out: list[Block] = []
    for block in blocks:
        last = out[-1] if out else None
        if (last is not None and last.kind == "paragraph" and len(last.text) == 1 and last.text.isupper()
                and block.kind == "paragraph" and block.text[:1].islower() and block.page_start == last.page_end):
            out[-1] = dataclasses.replace(block, text=last.text + block.text,
                                          page_breaks=shifted(block.page_breaks, len(last.text)))
        else:
            out.append(block)
    return out


# A paragraph of at least this many characters that stops mid-sentence is carried on by a next one opening
# with a bracket: the year of a citation ("Ward et al." / "(2012) found ...") or its source ("families'" /
# "(Fuller 2005, p. 4)."). A shorter one may be a label, whose next paragraph is an aside.
_BRACKET_GOES_ON = 80
# ... but not a list's marker: "(b) share ... ; and" / "(c) seek ..." are items, each a paragraph.
_BRACKETED_MARKER = re.compile(r"\((?:[a-zA-Z]|[ivxlc]{1,6}|\d{1,3})\)\s")


def _goes_on(text: str, following: str) -> bool:
    """Whether a paragraph ``following`` one that ends mid-sentence reads as that sentence going on: it starts
    in lower case, or (after a paragraph of some length) with an opening bracket.

    >>> _goes_on("x" * 80 + " as shown by Ward et al.", "(2012) found that ..."), _goes_on("Key points", "(a) one")
    (True, False)
    >>> _goes_on("(b) share a change of address with the health visitor and the school within five days; and",
    ...          "(c) seek the child's views.")
    False
    """
    return following[:1].islower() or (following[:1] == "(" and len(text.rstrip()) >= _BRACKET_GOES_ON
                                        and not _BRACKETED_MARKER.match(following))


def join_broken_paragraphs(blocks: list[Block]) -> list[Block]:
    """Join a paragraph that starts in lower case (or with a bracket: a citation's year or source, see
    ``_goes_on``) to the paragraph just before it when that one stops mid-sentence.

    Some documents leave a paragraph gap in the middle of a sentence: a page break of the document the PDF was
    made from kept as a blank line, or text set round a picture. Read as two paragraphs, the sentence would be
    split over two passages, and neither half would be tagged, quoted or found as the whole sentence is. Only
    plain paragraphs of the same box (or both outside boxes), on the same or the next page, are joined; a
    paragraph ending in a full stop, colon or the like, or in a hyphen, is left alone.

    >>> blocks = [Block("paragraph", "Teams should play a key role in", 6, 6),
    ...           Block("paragraph", "promoting returns home.", 6, 6), Block("paragraph", "Next point.", 6, 6),
    ...           Block("paragraph", "and a new one.", 7, 7)]
    >>> [(b.text, b.page_start, b.page_end) for b in join_broken_paragraphs(blocks)]
    [('Teams should play a key role in promoting returns home.', 6, 6), ('Next point.', 6, 6), ('and a new one.', 7, 7)]
    """
    out: list[Block] = []
    for block in blocks:
        last = out[-1] if out else None
        if (last is not None and last.kind == block.kind == "paragraph" and last.box == block.box
                and 0 <= block.page_start - last.page_end <= 1 and _goes_on(last.text, block.text)
                and not last.text.rstrip().endswith("-") and not _closes(last.text, block.text)):
            out[-1] = dataclasses.replace(
                last, text=f"{last.text.rstrip()} {block.text.lstrip()}", page_end=block.page_end,
                page_breaks=joined_breaks(last.page_breaks, last.page_end, len(last.text.rstrip()) + 1,
                                          block.page_breaks, block.page_start,
                                          lead=len(block.text) - len(block.text.lstrip())))
        else:
            out.append(block)
    return out


LABEL_RUN = 3  # this many headings of one level in a row, with no text between, are labels


LABEL_WORDS = 12  # text set like a heading but longer than this is a bold paragraph, not a label


def _heading_styled_level(block: Block) -> int:
    """The level of a heading, or of a chart label set like one (``_chart_label``); 0 for other text."""
    if block.kind == "heading":
        return block.level
    return block.styled_level if _chart_label(block) else 0


def demote_label_runs(blocks: list[Block]) -> list[Block]:
    """Turn runs of same-level headings with nothing between them into text: they label a chart or list.

    An infographic or a chart key sets its labels in large or bold type, one per line ("Yorkshire", "West
    Midlands", "East Midlands"). Read as headings, the last label would become the section of every passage
    after it. Sections nest, so two headings in a row ("5. Findings" above "Finding 1: ...") or a title page's
    lines above a larger first heading are left alone. Only a run of ``LABEL_RUN`` or more headings of one
    level, directly followed by text, is read as text; the section stays what it was before the run.

    >>> h = lambda text, level: Block("heading", text, 1, 1, level)
    >>> blocks = [h("Findings", 1), Block("paragraph", "Text.", 1, 1),
    ...           h("London", 2), h("Yorkshire", 2), h("Wales", 2), Block("paragraph", "More text.", 1, 1)]
    >>> [b.kind for b in demote_label_runs(blocks)]
    ['heading', 'paragraph', 'paragraph', 'paragraph', 'paragraph', 'paragraph']

    Labels set like headings that did not read like one ("North-east 6 (50%)", already text) still belong
    to the run, so they do not split it into short runs that pass for headings. A run whose only heading
    is its first is a heading above a chart's figures, and that heading stays:

    >>> label = lambda text: Block("paragraph", text, 1, 1, styled_level=2)
    >>> blocks = [h("North-west", 2), label("North-east 6 (50%)"), h("Yorkshire", 2),
    ...           label("(35%) East of England"), Block("paragraph", "Text.", 1, 1)]
    >>> [b.kind for b in demote_label_runs(blocks)]
    ['paragraph', 'paragraph', 'paragraph', 'paragraph', 'paragraph']
    >>> blocks = [h("Ofsted ratings", 2), label("Good 48%"), label("Inadequate 5%"), Block("paragraph", "Text.", 1, 1)]
    >>> [b.kind for b in demote_label_runs(blocks)]
    ['heading', 'paragraph', 'paragraph', 'paragraph']

    A heading set right after such a label, with no text between, is another of the chart's labels:

    >>> blocks = [label("rates may be high"), h("Don't know", 2), Block("paragraph", "Text.", 1, 1)]
    >>> [b.kind for b in demote_label_runs(blocks)]
    ['paragraph', 'paragraph', 'paragraph']

    A number set apart from its title is not a chart label, and a heading after a run is not part of it:

    >>> blocks = [label("Part 2"), h("Findings", 2), h("Overview", 2), Block("paragraph", "Text.", 1, 1)]
    >>> [b.kind for b in demote_label_runs(blocks)]
    ['paragraph', 'heading', 'heading', 'paragraph']
    >>> blocks = [h("London", 2), h("Yorkshire", 2), h("Wales", 2), label("48%") , Block("paragraph", "T.", 1, 1)]
    >>> [b.kind for b in demote_label_runs(blocks)][:3]
    ['paragraph', 'paragraph', 'paragraph']
    >>> blocks = [h("Part 2", 2), h("Findings", 2), Block("paragraph", "Text.", 1, 1)]
    >>> [b.kind for b in demote_label_runs(blocks)]
    ['heading', 'heading', 'paragraph']

    Nor is a part's number above its title a label of the run, while numbers alone in a row are an axis:

    >>> blocks = [h("Part 2", 2), h("Findings", 2), h("Overview", 2), Block("paragraph", "Text.", 1, 1)]
    >>> [b.kind for b in demote_label_runs(blocks)]
    ['heading', 'heading', 'heading', 'paragraph']
    >>> blocks = [h("Stage 1", 2), h("Stage 2", 2), h("Stage 3", 2), Block("paragraph", "Text.", 1, 1)]
    >>> [b.kind for b in demote_label_runs(blocks)]
    ['paragraph', 'paragraph', 'paragraph', 'paragraph']

    A longer label of the key may be set as plain text between the others; it does not break the run, while
    a sentence does:

    >>> text = lambda words: Block("paragraph", words, 1, 1)
    >>> blocks = [h("Placement breakdown", 2), h("High cost", 2), text("Family patterns (i.e. siblings)"),
    ...           h("Child's wish", 2), h("Don't know", 2), text("Text.")]
    >>> [b.kind for b in demote_label_runs(blocks)]
    ['paragraph', 'paragraph', 'paragraph', 'paragraph', 'paragraph', 'paragraph']
    >>> blocks[2] = text("The family moved.")
    >>> [b.kind for b in demote_label_runs(blocks)]
    ['heading', 'heading', 'paragraph', 'heading', 'heading', 'paragraph']

    A figure with its unit ("6 mths", "50%") set like a heading is a chart's axis or key, and so is a bar's
    label and count set like a heading after another bar's in plain text; a number in a title is not:

    >>> blocks = [h("3 mths", 2), text("Text."), text("Withdrawn too early 24"), h("Inadequate funding 17", 2),
    ...           text("Text."), h("Learning point 17", 2), text("Text."), h("7 minute briefing", 2)]
    >>> [b.kind for b in demote_label_runs(blocks)]
    ['paragraph', 'paragraph', 'paragraph', 'paragraph', 'paragraph', 'heading', 'paragraph', 'heading']

    A chart's labels are all in one box or all outside boxes (tiles of an infographic, each label in its own
    box, are still one run): a briefing's title and subtitle in a coloured band, and the first heading of its
    text below the band, are headings, not labels:

    >>> band = lambda text: Block("heading", text, 1, 1, 1, box=(1, 1))
    >>> blocks = [band("7 Minute Briefing"), band("Child K: what we learnt"), h("1 Background", 1), text("Text.")]
    >>> [b.kind for b in demote_label_runs(blocks)]
    ['heading', 'heading', 'heading', 'paragraph']
    """
    result = list(blocks)
    end = 0
    while end < len(result):
        level = _heading_styled_level(result[end])
        if not level:
            end += 1
            continue
        start, labels = end, 0
        boxed = result[start].box is not None
        while end < len(result):
            if end > start and (result[end].box is not None) != boxed:
                break  # a title in a coloured band, then the first heading of the text: not one chart's labels
            if _heading_styled_level(result[end]) == level:
                labels += not _numbers_title(result, end)
            elif not (labels and _label_between(result, end, level)):
                break
            end += 1
        followed_by_text = end < len(result) and result[end].kind != "heading"
        headings = [i for i in range(start, end) if result[i].kind == "heading"]
        run_of_labels = labels >= LABEL_RUN and followed_by_text and headings != [start]
        for i in headings:
            # inside a chart: a figure or a fragment of a label ("rates may be high") is set just before it
            if (run_of_labels or (i > start and _chart_label(blocks[i - 1])) or _FIGURE_WITH_UNIT.match(blocks[i].text)
                    or (i > 0 and _COUNTED.search(blocks[i].text) and _counted_label(blocks[i - 1]))):
                result[i] = dataclasses.replace(result[i], kind="paragraph", level=0, styled_level=level)
    return result


_SENTENCE_END = re.compile(r"[.!?:;][\"”’')\]]*$")
# A chart's axis or key: a figure and its unit set like a heading ("3 mths", "12 months", "50 %").
_FIGURE_WITH_UNIT = re.compile(r"\d+(?:[.,]\d+)?\s*(?:%|[a-z]+\.?)$")


# A bar of a chart: its label and the count beside it ("Inadequate funding 17").
_COUNTED = re.compile(r"[a-z]\s+\d+$")


def _numbers_title(blocks: list[Block], i: int) -> bool:
    """Whether heading ``i`` is a part's number set over its title ("Part 2" above "Findings"): the heading after
    it has words of its own, so the two are not a chart's labels."""
    following = blocks[i + 1] if i + 1 < len(blocks) else None
    return (blocks[i].kind == "heading" and bool(_NUMBERED_TITLE.match(blocks[i].text)) and following is not None
            and following.kind == "heading" and not _NUMBERED_TITLE.match(following.text))


def _counted_label(block: Block) -> bool:
    """Plain text that is a chart bar's label and count, ending no sentence ("Support withdrawn too early 24")."""
    return (block.kind == "paragraph" and len(block.text.split()) >= 3 and bool(_COUNTED.search(block.text))
            and not _SENTENCE_END.search(block.text.rstrip()))


def _label_between(blocks: list[Block], i: int, level: int) -> bool:
    """Whether block ``i`` is a label the typesetter set as plain text inside a run of labels of ``level``.

    A longer label of a chart's key may be set as body text between its neighbours set like headings: a
    line too short for a paragraph that ends no sentence, with another label of the run right after it.
    """
    block = blocks[i]
    return (block.kind == "paragraph" and not block.styled_level and len(block.text.split()) <= LABEL_WORDS
            and not _SENTENCE_END.search(block.text.rstrip())
            and i + 1 < len(blocks) and _heading_styled_level(blocks[i + 1]) == level)


def _chart_label(block: Block) -> bool:
    """Short text set like a heading that reads as a chart's figure ("Good 48%") or the rest of a broken
    label ("and resources"), rather than a number set apart from its title ("Part 2", "3") or a bold
    paragraph."""
    if block.kind == "heading" or not block.styled_level or len(block.text.split()) > LABEL_WORDS:
        return False
    first = next((ch for ch in block.text if ch.isalnum()), "")
    return "%" in block.text or first.islower()


_HYPHEN_END = re.compile(r"(\w+)-$")
_HYPHENATED_END = re.compile(r"\w-\w+-$")  # a line ending inside a word that has a hyphen already: "15-year-"
# "pre- and post-birth", "full- or part-time": a conjunction and then the other word with a hyphen
_CONJUNCTION = re.compile(r"(and|or|nor|to)(?:\s|$)")


def _suspended(first: str, line: str) -> bool:
    """Whether ``first-`` at a line end is a hyphen left hanging before a conjunction ("pre- and post-birth",
    "full- or part time"), kept with the space after it; not a word broken before its last letters, which the
    conjunction's letters end ("predict-" + "or": "predictor").

    >>> _suspended("pre", "and post-birth"), _suspended("full", "or part time"), _suspended("predict", "or of harm")
    (True, True, False)
    """
    conjunction = _CONJUNCTION.match(line)
    return conjunction is not None and not _frequent(first + conjunction.group(1), _KNOWN)


def join_lines(lines: list[str], vocabulary: frozenset[str] = frozenset()) -> str:
    """Join a block's lines into one string, undoing hyphenation at line ends.

    A line ending in ``word-`` followed by a line starting with a lower-case letter is one word broken in
    two ("assess-" + "ment") or two words joined by a hyphen ("court-" + "based"); :func:`_keep_hyphen`
    decides. "pre-" + "and post-natal" keeps its hyphen and the space. ``vocabulary`` holds the document's
    words (lower case, hyphens kept).

    >>> join_lines(["The plan was ex-", "amined by a court-", "based team, pre-", "and post-birth (Mc-",
    ...             "Donald and Hyde-", "Dryden 2015)."])
    'The plan was examined by a court-based team, pre- and post-birth (McDonald and Hyde-Dryden 2015).'

    Word processors break a line only at a hyphen the text already has, so two words that English would not
    write closed keep it; so do a number after a hyphen and a word broken at its second hyphen:

    >>> join_lines(["no follow-", "up of the trauma-", "informed plan for a 15-year-", "old in 2019-", "20, a re-",
    ...             "referral, COVID-", "19 and Betws-y-", "Coed"])
    'no follow-up of the trauma-informed plan for a 15-year-old in 2019-20, a re-referral, COVID-19 and Betws-y-Coed'
    >>> join_lines(["the strongest predict-", "or of harm, full-", "or part-time"])
    'the strongest predictor of harm, full- or part-time'

    Hyphens of other kinds become "-", and a word broken at a soft hyphen is joined:

    >>> join_lines(["a multi\u2011agency assess\u00ad", "ment"])
    'a multi-agency assessment'

    A piece that opens with closing punctuation (the text layer breaks a line at a raised footnote mark, which is
    dropped) carries on without a space:

    >>> join_lines(["a serious incident notification", ". The rapid review", "(see above", ") was held."])
    'a serious incident notification. The rapid review (see above) was held.'

    A web address broken after "/", "-", "." or "_" is joined as it is, and so is one broken inside a word of
    its path when the next line goes on with the path:

    >>> join_lines(["See www.example.org.uk/working-", "together/section-47 for the procedure."])
    'See www.example.org.uk/working-together/section-47 for the procedure.'
    >>> join_lines(["at www.example.ac.uk/sps/resear", "ch/projects/2016 and in the report"])
    'at www.example.ac.uk/sps/research/projects/2016 and in the report'

    as are the breaks of a references page's long links: inside the site's name, before a file name, and
    inside the words of one:

    >>> print(join_lines(["London: DfE. https://as", "sets.publishing.service.gov.uk/uploads/942454/",
    ...                   "Working_together.pdf", "Brandon, M. (2020)"]))
    London: DfE. https://assets.publishing.service.gov.uk/uploads/942454/Working_together.pdf Brandon, M. (2020)
    >>> print(join_lines(["https://www.example.gov.uk/The_myth_of", "_invisible_men_car", "ers.pdf", "Ofsted"]))
    https://www.example.gov.uk/The_myth_of_invisible_men_carers.pdf Ofsted
    >>> print(join_lines(["https://www.example.gov.uk/working-and-information", "-sharing-project", "and more"]))
    https://www.example.gov.uk/working-and-information-sharing-project and more

    A link that ends at the end of a line is not joined to the words after it, a number among them:

    >>> print(join_lines(["The guidance is at www.example.org.uk", "2.5 million children were referred"]))
    The guidance is at www.example.org.uk 2.5 million children were referred

    >>> print(join_lines(["See https://www.example.gov.uk/guidance", "and the procedures, www.example.org",
    ...                   "Brandon, M."]))
    See https://www.example.gov.uk/guidance and the procedures, www.example.org Brandon, M.
    """
    out = normalise(lines[0]).strip()
    previous = lines[0]
    for raw in lines[1:]:
        line = normalise(raw).strip()
        if not line:
            continue
        soft_break, previous = previous.rstrip().endswith("\u00ad"), raw
        if soft_break:  # a word broken at a soft hyphen, which is not printed inside a line
            out = out + line
            continue
        match = _HYPHEN_END.search(out[-60:])  # only the tail: searching the whole block is quadratic
        token = line.split(" ", 1)[0]
        if _CLOSING_PUNCTUATION.match(line):
            out = out + line  # the rest of a line after a raised footnote mark: "notification" + ". The review"
        elif _URL_BREAK.search(out[-400:]) and (not line[:1].isupper() or _PATH_PART.fullmatch(token)):
            out = out + line  # a web address broken after "/", "-", "." or "_" carries on without a space
        elif _URL_IN_PATH.search(out[-400:]) and _PATH_GOES_ON.match(token):
            out = out + line  # ... or inside a word of its path: ".../sps/resear" + "ch/projects/"
        elif _URL_IN_HOST.search(out[-400:]) and _HOST_GOES_ON.match(token):
            out = out + line  # ... or inside its site's name: "https://as" + "sets.publishing.service.gov.uk/"
        elif match and _suspended(match.group(1), line):
            out = f"{out} {line}"  # "pre- and post-reunification", "full- or part time", "14-year- and 15-year-olds"
        elif match and line[:1].isdigit():
            out = out + line  # "COVID-" + "19", "2019-" + "20": a number after a hyphen is never a new word
        elif match and _HYPHENATED_END.search(out[-60:]) and (line[:1].isupper() or line[:1].islower()):
            # broken at a hyphen the word already has ("15-year-" + "old", "Betws-y-" + "Coed"): kept, unless the
            # rest is no word on its own and the piece before it was broken mid-word ("multi-agen-" + "cy")
            out = out[:-1] + line if _broken_mid_word(match.group(1), token) else out + line
        elif match and line[:1].isupper() and len(match.group(1)) > 1:
            # "Mc-" + "Donald" is one name; "Hyde-" + "Dryden" keeps its hyphen, never a space after it
            joined = match.group(1) + _leading_word(token)
            out = out[:-1] + line if _frequent(joined, _KNOWN) else out + line
        elif match and line[:1].islower():
            if _keep_hyphen(match.group(1), token, vocabulary):
                out = out + line
            else:
                out = out[:-1] + line
        else:
            out = f"{out} {line}"
    if f"{REDACTED} {REDACTED}" in out:  # a redaction over several lines
        out = re.sub(f"{re.escape(REDACTED)}(?: {re.escape(REDACTED)})+", REDACTED, out)
    return out


# Closing punctuation that never opens a line of English: a line starting with it is the rest of the line before.
_CLOSING_PUNCTUATION = re.compile(r"[.,;:!?)\]](?:\s|$)")
_URL_BREAK = re.compile(r"(?:https?://|www\.)\S*[/\-._?=&#]$", re.IGNORECASE)
_URL_IN_PATH = re.compile(r"(?:https?://|www\.)\S*/\S*[a-z0-9]$", re.IGNORECASE)  # an address with a path
# The next line's first word goes on with the path: up to a "/", or a word of a file name ("_men_safe", "ers.pdf"),
# or a path word's own remainder after "_" or "-" ("-sharing-project-final-report").
_PATH_GOES_ON = re.compile(r"[a-z0-9][\w.\-]*/|[A-Za-z0-9]+(?:_[\w.\-]*|\.(?:pdf|html?|aspx?|docx?|xlsx?)\b)"
                           r"|[_\-][A-Za-z0-9][\w.\-/]*")
# After a break at "/", "-", "." or "_", a next line starting with a capital still goes on when its first word
# is plainly part of a path or file name ("Working_together_to_safeguard_children.pdf").
_PATH_PART = re.compile(r"[A-Z][\w.\-]*(?:[_/][\w.\-/]*|\.(?:pdf|html?|aspx?|docx?|xlsx?))")
# Broken inside the site's name: an address whose name does not end yet in a domain ending ("https://as",
# "https://assets.publishi"), followed by the rest of a name that does ("sets.publishing.service.gov.uk/...");
# never a number, a date or a time ("2.5 million", "12.03.2019", "10.30am").
_URL_IN_HOST = re.compile(r"(?:https?://|www\.)(?![\w\-.]*\.(?:uk|com|org|net|gov|scot|wales|ie|eu|int)$)"
                          r"[\w\-.]*[a-z0-9]$", re.IGNORECASE)
_HOST_GOES_ON = re.compile(r"[a-z][\w\-]*(?:\.[a-z][\w\-]*)*\.(?:uk|com|org|net|gov|scot|wales|ie|eu|int)"
                           r"(?:/\S*)?$")
# Prefixes that English writes with a hyphen ("multi-agency", "non-relative"), so a hyphen after them at a
# line end is kept unless the joined word is a common word ("ex-" + "amined", "inter-" + "viewed").
_HYPHEN_PREFIXES = frozenset(
    "multi inter non self well ex anti cross semi long short full part child young face step half mid "
    "re co pre post over under sub out "
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety".split()
)
# Of those, words that make open compounds with another whole word: "long-term", "well-being", "part-time"
# keep the hyphen even though "longterm" or "wellbeing" occur too.
_COMPOUND_WORDS = frozenset("long short full part well self half face cross young".split())
_SHORT_WORDS = frozenset("so no by go up on".split())  # two-letter words that begin a compound ("so-called")
_COMMON = -16.0  # log-probability above which a word counts as a common English word
_KNOWN = -18.0  # ... and above which it counts as a word at all
_COMMON_PART = -12.0  # a word that stands on its own ("based", "term"), not a fragment ("ment", "ly")
# Particles that make a noun of a verb with a hyphen ("follow-up", "roll-out", "drop-in", "sign-off"), which
# English also writes closed, less often, unless the whole is a common word of its own ("without", "upon").
_PARTICLES = frozenset("up in out off on down".split())
_PARTICLE_WORD = -11.5
_VOCABULARY_WORD = re.compile(r"[a-z][a-z'-]*[a-z]")


def document_vocabulary(lines: Iterable[str]) -> frozenset[str]:
    """Lower-case words of a document, hyphenated compounds kept whole (line-end hyphens excluded)."""
    words: set[str] = set()
    for line in lines:
        words.update(_VOCABULARY_WORD.findall(normalise(line).lower().rstrip("-")))
    return frozenset(words)


_WORD_END = re.compile(r"[^\w'-].*$")


def _leading_word(text: str) -> str:
    """``text`` up to its first character that cannot be part of a word ("based," -> "based")."""
    return _WORD_END.sub("", text)


def _frequent(word: str, floor: float) -> bool:
    """Whether English uses ``word`` (any case) with a log-probability above ``floor``."""
    value = log_probability(word)
    return value is not None and value > floor


def _keep_hyphen(first: str, second: str, vocabulary: frozenset[str]) -> bool:
    """Whether ``first-`` at a line end and ``second`` at the next line's start are two words with a hyphen.

    The document decides first: a form it writes elsewhere. Then English (:mod:`pipeline.lexicon`): a
    common word is joined ("ex-" + "amined"), unless it is an open compound of two whole words ("long-" +
    "term"); after a prefix English hyphenates, the hyphen stays, unless the rest is no word on its own and
    the whole is a word ("four-" + "teenth", "seven-" + "teenth"); two common words that make no known word
    together keep it ("court-" + "based", "post-" + "placement"); anything else, such as a name broken at a
    syllable, is joined.
    """
    second = _leading_word(second)
    joined = f"{first}{second}".lower()
    if f"{first}-{second}".lower() in vocabulary:
        return True
    if joined in vocabulary:
        return False
    # English judges the word broken at the line end: the rest of a compound after it does not count
    # ("six-" + "teen-year-old" is judged as "six-" + "teen")
    head, tail = first.lower(), second.lower().split("-")[0]
    joined = head + tail
    tail_is_word = len(tail) >= 4 and _frequent(tail, _COMMON_PART)
    if head in _HYPHEN_PREFIXES:
        if _frequent(joined, _COMMON):
            return head in _COMPOUND_WORDS and tail_is_word
        if _frequent(joined, _KNOWN) and log_probability(tail) is None:
            return False  # "four-" + "teenth": the rest is no word on its own, so the word was broken
        return len(second) > 2
    if tail in _PARTICLES and _frequent(head, _COMMON_PART):
        return not _frequent(joined, _PARTICLE_WORD)
    known = log_probability(joined)
    if known is None:  # no word at all: two words with a hyphen ("trauma-informed"), or a name broken in two
        return _frequent(head, _KNOWN) and _frequent(tail, _KNOWN) and len(head) >= 2 and len(tail) >= 2
    if known > _COMMON:
        return False
    # a rare word of two common ones: "decision-making", "so-called" (of two letters, only words that stand alone:
    # "un-" + "met" is "unmet")
    return (len(head) > 2 or head in _SHORT_WORDS) and _is_word(head) and _is_word(tail)


def _is_word(piece: str) -> bool:
    """Whether a piece of a word broken at a line end is a word on its own ("decision", "up"), not a fragment."""
    return len(piece) >= 2 and _frequent(piece, _COMMON_PART)


def _broken_mid_word(first: str, second: str) -> bool:
    """Whether a word with a hyphen already ("multi-agen-", "seventy-t-") was broken inside its last part ("cy",
    "wo"), not at a hyphen of its own ("15-year-" + "old", "Betws-y-" + "Coed"): the pieces are no words on their
    own, but make a common one.

    >>> _broken_mid_word("agen", "cy"), _broken_mid_word("t", "wo"), _broken_mid_word("ordi", "nated")
    (True, True, True)
    >>> _broken_mid_word("year", "old"), _broken_mid_word("y", "Coed")
    (False, False)
    """
    tail, head = _leading_word(second).lower().split("-")[0], first.lower()
    # "agen" + "cy": the rest is no word, and the whole one; "t" + "wo": neither piece is a word, the whole a common
    # one; "ordi" + "nated" (of "co-ordi-nated"): the rest is no word, the whole a rarer one
    return ((not _is_word(tail) and _frequent(head + tail, _KNOWN))
            or (not _is_word(head) and _frequent(head + tail, _COMMON)))
