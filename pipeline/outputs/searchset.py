"""A set of searches run together, as a thematic briefing runs its search strings again on the newest reviews:
``casereview searches FILE``.

The file holds one search a line, as it would be typed after ``casereview search``, each with a name before a
colon if wanted (or before a tab: two columns pasted from a spreadsheet, name and search, with or without their
header row; a file ending in .csv, as a spreadsheet saves one, is read as those two columns too); blank lines
and lines starting with "#" are skipped::

    # Briefing on neglect, searches of December 2026
    Neglect at school: (neglect OR "emotional abuse") AND (school OR nursery)
    Seen alone: "seen alone" OR "spoken to alone"
    cuckooing

Every line is read before anything is searched, and a line that cannot be searched is named with what is wrong,
so a file with a mistake searches nothing. Each search runs with the same filters. For each, the result says how
many passages match and in how many of the reviews read; year by year, in how many of that year's reviews; which
reviews; and its best passages. Saved as Excel (a sheet each: Searches, By year, Reviews, Passages) or Markdown,
with where it came from: the file, its checksum, the filters, the database and the models.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import CaseReviewError
from pipeline.files import NotUtf8Error, decode_text
from pipeline.outputs.common import (
    REVIEW_FILTER_KEYS,
    KnownValues,
    counted,
    describe_filters,
    open_database,
    pages_label,
    provenance,
    provenance_lines,
    reviews_kept,
    shorten,
    theme_name,
    theme_names,
)
from pipeline.outputs.search_table import COLUMNS, REVIEW_COLUMNS, XLSX_WIDTHS, results_table, reviews_table
from pipeline.outputs.tables import md_cell, md_text, write_xlsx, writing

MAX_SEARCHES = 100
# "Name: search" (a name of up to 60 characters without quotes, brackets or colons); otherwise the line is the
# search and its own name.
_NAMED = re.compile(r'^(?P<name>[^"():]{1,60}?)\s*:\s+(?P<query>\S.*)$')
_NAME_ALONE = re.compile(r'^(?P<name>[^"():]{1,60}?)\s*:$')  # "At school:" with the search left off
WORDS_NOT_MEANING = ("A search counts passages by their words, not their meaning: read some of each search's "
                     "passages before quoting its counts.")
SAVED_AS = (".xlsx", ".md", ".png", ".svg")
UNSAVED = ("--out {out}: name the file .xlsx (Excel, a sheet for each table), .md (Markdown), or .png or .svg (a "
           "chart of the years): a set of searches makes several tables, which one CSV file cannot hold")
# The header row of two columns pasted from a spreadsheet, skipped.
_HEADER_ROWS = {(name, search) for name in ("name", "search name", "title")
                for search in ("search", "query", "searches", "search string")}
SUMMARY_COLUMNS = ("line", "search", "query", "passages_matching", "reviews_with_passages", "reviews_read", "note")
YEAR_COLUMNS = ("search", "year", "reviews_with_passages", "reviews_read")


@dataclass(frozen=True)
class NamedSearch:
    """One line of a file of searches: its number, its name and the search."""

    line: int
    name: str
    query: str


@dataclass
class SearchOutcome:
    """What one search of the set found: the ``pipeline.search.SearchResult`` (with ``by_review``) and what
    people should be told about how it was read (``note``: operators, words no passage uses)."""

    search: NamedSearch
    result: Any
    note: str


def read_searches(path: Path, *, theme: bool = False) -> list[NamedSearch]:
    """The searches in the file at ``path`` (see the module's docstring), each checked as a search is.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "s.txt").write_text('# mine\\nAt school: neglect AND school\\n\\n"seen alone" OR "spoken to"\\n')
    >>> [(s.line, s.name, s.query) for s in read_searches(folder / "s.txt")]
    [(2, 'At school', 'neglect AND school'), (4, '"seen alone" OR "spoken to"', '"seen alone" OR "spoken to"')]

    Raises
    ------
    CaseReviewError
        If the file cannot be read, holds no searches or more than ``MAX_SEARCHES``, or has lines that cannot
        be searched or names used twice: every such line is named, with what is wrong. ``theme``: the searches
        run within a theme, so one may only leave passages out ("-police": the theme's passages without it).
    """
    try:
        text, _ = decode_text(path.read_bytes())  # Notepad and Excel on Windows may save Windows-1252
    except FileNotFoundError:
        raise CaseReviewError(f"{path}: no such file: give the file that lists the searches, one a line") from None
    except IsADirectoryError:
        raise CaseReviewError(f"{path} is a folder: give the file that lists the searches, one a line") from None
    except NotUtf8Error:
        raise CaseReviewError(f"{path} is not UTF-8 text: save it as plain text (UTF-8), one search a line, "
                              "and run it again") from None
    except OSError as exc:
        raise CaseReviewError(f"{path}: cannot read it ({(exc.strerror or str(exc)).lower()})") from None
    if path.suffix.lower() == ".csv" and _saved_by_a_spreadsheet(text):
        text = csv_as_columns(text)
    return parse_searches(text, str(path), theme=theme)


def _saved_by_a_spreadsheet(text: str) -> bool:
    r"""Whether a .csv file of searches holds a spreadsheet's columns (a name and search header row, or a comma or
    semicolon on every line), not one search a line written by hand and named .csv, whose phrase quotes and
    commas are the searches' own.

    >>> _saved_by_a_spreadsheet('Name,Search\nwishes,wishes'), _saved_by_a_spreadsheet('"seen alone"\nwishes, feelings')
    (True, False)
    """
    import csv

    lines = [line for line in text.splitlines() if not _not_a_row(line)]
    if not lines:
        return False
    delimiter = _delimiter(lines[0])
    header = [cell.strip().casefold() for cell in next(csv.reader([lines[0]], delimiter=delimiter))]
    return tuple(header[:2]) in _HEADER_ROWS or all(delimiter in line for line in lines)


def _not_a_row(line: str) -> bool:
    """A blank line or a note ("# ..."), kept as it is."""
    return not line.strip() or line.lstrip().startswith("#")


def _delimiter(first_row: str) -> str:
    """The CSV's delimiter, by its first row: a semicolon where Excel saves with one (a comma being the decimal
    mark), else a comma."""
    return ";" if ";" in first_row and "," not in first_row else ","


def csv_as_columns(text: str) -> str:
    r"""A searches file saved by a spreadsheet as CSV (name and search, in two columns), as the two columns
    pasted from it read: a tab between them, each line where it was (its number names it in errors). A search
    holding a comma or quotes is in quotes there, with its quotes doubled; a CSV saved with semicolons (as Excel
    does where a comma is the decimal mark) is read too. Read as plain lines, its header row was searched as
    "Name,Search", and each search was named after its whole line.

    >>> csv_as_columns('Name,Search\nFeelings,"wishes, feelings"\nwishes\n# notes, kept\n')
    'Name\tSearch\nFeelings\twishes, feelings\nwishes\n# notes, kept'
    >>> csv_as_columns('Name;Search\nAt school;neglect AND school\n')
    'Name\tSearch\nAt school\tneglect AND school'
    """
    import csv

    lines = text.splitlines()
    delimiter = _delimiter(next((line for line in lines if not _not_a_row(line)), ""))
    out = []
    for line in lines:
        if _not_a_row(line):
            out.append(line)
            continue
        cells = [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter))]
        while len(cells) > 1 and not cells[-1]:  # (empty columns to the right of the table)
            cells.pop()
        out.append("\t".join(cells[:2]) if len(cells) > 1 else (cells[0] if cells else ""))
    return "\n".join(out)


# An option of casereview search written into a line of searches ("--theme voice_of_child", "--year-from=2020").
_OPTION = re.compile(r"(?:^|\s)(--[a-z][a-z-]*)(?=[\s=]|$)")


def parse_searches(text: str, source: str, *, theme: bool = False) -> list[NamedSearch]:
    """The searches in ``text`` (one a line, as ``read_searches`` reads a file); ``source`` names it in errors
    (the file, or "The searches" typed on the web page); ``theme`` as for ``read_searches``.

    Raises
    ------
    CaseReviewError
        As ``read_searches``.
    """
    from pipeline.search_query import parse_query

    searches: list[NamedSearch] = []
    problems: list[str] = []
    named: dict[str, tuple[int, str]] = {}  # name -> its line and search
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "\t" in line:  # two columns pasted from a spreadsheet: the name, then the search
            name, _, query = (part.strip() for part in line.partition("\t"))
            if (name.casefold(), query.casefold()) in _HEADER_ROWS:
                continue
            name, query = (name or query, query or name)
        else:
            match = _NAMED.match(line)
            name, query = (match.group("name").strip(), match.group("query").strip()) if match else (line, line)
            alone = None if match else _NAME_ALONE.match(line)
            if alone:
                problems.append(f"line {number}: the name {alone.group('name').strip()!r} has no search after it: "
                                "write the search after the colon")
                continue
        option = _OPTION.search(query)
        if option:  # "--theme voice_of_child" would be searched as the words "theme", "voice", "of", "child"
            problems.append(f"line {number}: {option.group(1)!r} is an option, not words to search for: options "
                            "are given once for all the searches (casereview searches FILE --theme voice_of_child; "
                            "on the web page, the form's fields)")
            continue
        try:
            parsed = parse_query(query)
        except CaseReviewError as exc:
            problems.append(f"line {number}: {str(exc).rstrip('.')}")
            continue
        if parsed is None:  # nothing but invisible characters (a zero-width space pasted alone): a blank line
            continue
        if not parsed.words and not theme:
            problems.append(f"line {number}: the search {query!r} only leaves passages out: give words to look for "
                            "as well (e.g. \"neglect -police\")")
            continue
        if name.casefold() in named:
            earlier, earlier_query = named[name.casefold()]
            problems.append(f"line {number}: " + (
                f"the search {query!r} is also on line {earlier}: give it once" if query == earlier_query
                else f"the name {name!r} is also on line {earlier}: give each search a name of its own"))
            continue
        named[name.casefold()] = (number, query)
        searches.append(NamedSearch(number, name, query))
    if problems:
        raise CaseReviewError(f"{source}: " + "; ".join(problems) + ". Mend "
                              + ("this line" if len(problems) == 1 else "these lines")
                              + " and run the searches again (nothing was searched).")
    if not searches:
        raise CaseReviewError(f"{source} holds no searches: write one search a line, as you would type it after "
                              "casereview search (a name and a colon before it if you like: \"At school: neglect AND "
                              "school\"); lines starting with # are skipped")
    if len(searches) > MAX_SEARCHES:
        raise CaseReviewError(f"{source} holds {len(searches)} searches; at most {MAX_SEARCHES} run at once: split "
                              + ("them, and run each part on its own" if source.startswith("The ") else "the file"))
    return searches


def run_searches(db_path: Path | str | None, searches: list[NamedSearch], *, limit: int = 20, refresh: bool = True,
                 **filters: Any) -> list[SearchOutcome]:
    """Run each search with the same ``filters`` (as ``pipeline.search.search`` takes them), counting its
    passages in each review; ``limit`` passages of each are kept, best first. ``refresh``: as for
    ``search_with_forms`` (the web pages only read).

    Raises
    ------
    CaseReviewError
        If any search cannot run (each is named by its line, with why), or the filters name what no review has.
    """
    from pipeline.search import check_filters, missing_note, parts_only_note, search_with_forms, theme_hint
    from pipeline.search_query import operator_note

    check_filters(db_path, refresh=refresh, limit=limit, words=True, **filters)  # said once, for all the searches
    con = open_database(db_path, upgrade=False)
    try:  # (and not searched at all when the filters keep no review read)
        reviews_kept(con, KnownValues(con).review_filters(*(filters.get(key) for key in REVIEW_FILTER_KEYS)),
                     "the searches can be run on them")
        names = theme_names(con)
    finally:
        con.close()
    outcomes: list[SearchOutcome] = []
    problems: list[tuple[NamedSearch, str]] = []
    for search in searches:
        try:
            result = search_with_forms(db_path, search.query, by_review=True, limit=limit, refresh=refresh,
                                       **filters)
        except CaseReviewError as exc:
            problems.append((search, str(exc)))
            continue
        hint = theme_hint(result, names)  # a line that is a theme's name ("Voice of the child") counts its words
        theme = (f"Note: {hint[0]}; this line counts the passages using its words, not the theme's tags (the "
                 "themes are counted by casereview trends, and in the annual summary)." if hint else "")
        note = " ".join(part for part in (operator_note(search.query), _any_word_note(search.query, result.also),
                                          missing_note(result.missing, result.numbers_only),
                                          parts_only_note(result), _parts_note(result), theme) if part)
        outcomes.append(SearchOutcome(search, result, note))
    if problems:
        reasons = {reason for _, reason in problems}
        if len(problems) == len(searches) and len(reasons) == 1 and len(searches) > 1:
            raise CaseReviewError(reasons.pop())  # the database (no search index), not the searches
        raise CaseReviewError("; ".join(f"line {search.line} ({search.name}): {reason.rstrip('.')}"
                                        for search, reason in problems)
                              + ". Mend " + ("this line" if len(problems) == 1 else "these lines")
                              + " and run the searches again")
    return outcomes


def _parts_note(result: Any) -> str:
    """For a search whose words with a hyphen found passages by their parts, some of which hold the words whole:
    that, as a sentence, with how many do, since the count is of passages holding any part; "" otherwise.

    >>> from pipeline.search import SearchResult
    >>> _parts_note(SearchResult([], as_phrase=('"multi-agency"', 23)))[:70]
    'Note: A word with a hyphen is searched as its parts, any one of which '
    """
    from pipeline.search import phrase_hint

    hint = phrase_hint(result)
    return f"Note: {hint[0]} (write it so to count only those)." if hint else ""


def _any_word_note(query: str, also: tuple[str, ...]) -> str:
    """For a search of several words that a passage needs only one of (a phrase typed without its quotes, "voice of
    the child"), that, as a sentence: its counts are of passages holding any of them; "" otherwise.

    >>> _any_word_note("voice of the child", ())[:60]
    'Note: a passage needs only one of the words: put AND between'
    >>> _any_word_note('"voice of the child"', ()), _any_word_note("neglect AND school", ())
    ('', '')
    """
    from pipeline.search_query import how_they_match

    how = how_they_match(query, also).strip()
    if not how.startswith("(a passage needs only one"):
        return ""
    return f"Note: {how.removeprefix('(').removesuffix(')')}."


def summary_table(outcomes: list[SearchOutcome]) -> pd.DataFrame:
    """A row per search: its line, name and search, how many passages match, in how many reviews, of how many
    read, and what to know about how it was read."""
    return pd.DataFrame([[o.search.line, o.search.name, o.search.query, o.result.total or 0,
                          len(o.result.by_review or ()), o.result.reviews_read, o.note] for o in outcomes],
                        columns=list(SUMMARY_COLUMNS))


def years_table(outcomes: list[SearchOutcome]) -> pd.DataFrame:
    """A row per search and year: in how many of that year's reviews read the search finds passages."""
    rows = [[o.search.name, year, found, read] for o in outcomes for year, found, read in o.result.by_year]
    return pd.DataFrame(rows, columns=list(YEAR_COLUMNS)).astype({"year": "Int64"})


def found_tables(outcomes: list[SearchOutcome], names: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reviews each search found passages in (most first), and its best passages, each row naming its
    search."""
    reviews = [reviews_table(o.result.by_review or ()).assign(search=o.search.name) for o in outcomes]
    passages = [results_table(o.result.hits, names).assign(search=o.search.name) for o in outcomes]
    return (pd.concat(reviews, ignore_index=True)[["search", *REVIEW_COLUMNS]],
            pd.concat(passages, ignore_index=True)[["search", *COLUMNS]])


def searches_info(db_path: Path | str | None, source: Path | str, text: bytes, outcomes: list[SearchOutcome],
                  limit: int, filters: dict[str, Any]) -> dict[str, Any]:
    """Where a set of searches came from: the database's provenance, the file of searches (``source``: its path,
    or what they were typed in) and the checksum of its ``text``, the filters and how many passages of each
    search were kept."""
    con = open_database(db_path)
    try:
        info = provenance(con, db_path)
    finally:
        con.close()
    return {
        **info,
        "searches_file": str(source.resolve()) if isinstance(source, Path) else source,
        "searches_file_sha256": hashlib.sha256(text).hexdigest(),
        "searches": len(outcomes),
        "reviews": describe_filters(filters) or "all",
        **{key: filters[key] for key in ("theme", "min_score", "section") if filters.get(key) is not None},
        "reviews_read": outcomes[0].result.reviews_read if outcomes else 0,
        "passages_per_search": f"at most {limit} (the counts are of every passage that matches)",
        "counts": WORDS_NOT_MEANING,
        "sorted_by": "each search's passages best match first, after the search's name",
    }


def check_saved_as(out: Path) -> str:
    """``out``'s suffix, in lower case, when a set of searches can be saved as it (``SAVED_AS``).

    Raises
    ------
    CaseReviewError
        If it cannot: a CSV file, say, holds one table only.
    """
    suffix = out.suffix.lower()
    if suffix not in SAVED_AS:
        raise CaseReviewError(UNSAVED.format(out=out))
    return suffix


def save_searches(out: Path, outcomes: list[SearchOutcome], info: dict[str, Any], names: dict[str, str]) -> None:
    """Write the set's results to ``out``: Excel (.xlsx: sheets Searches, By year, Reviews, Passages,
    Provenance), Markdown (.md), or a chart of the years (.png, .svg).

    Raises
    ------
    CaseReviewError
        If ``out`` is not named .xlsx or .md (a CSV file holds one table only), or cannot be written.
    """
    suffix = check_saved_as(out)
    if suffix in (".png", ".svg"):
        chart_searches(out, outcomes, info)
        return
    reviews, passages = found_tables(outcomes, names)
    if suffix == ".md":
        with writing(out):
            out.write_text(searches_markdown(outcomes, info), encoding="utf-8")
        return
    write_xlsx(summary_table(outcomes), info, out, "Searches", {"search": 30, "query": 50, "note": 60},
               ["query", "note"], more_sheets={
                   "By year": (years_table(outcomes), {"search": 30}, ()),
                   "Reviews": (reviews, {"search": 30, **XLSX_WIDTHS}, ()),
                   "Passages": (passages, {"search": 30, **XLSX_WIDTHS}, ("matched", "passage"))})


def years_frame(outcomes: list[SearchOutcome]) -> pd.DataFrame:
    """The searches year by year as ``pipeline.outputs.trends.plot_trends`` draws themes: a row per search
    (``theme_name``: its number and name) and year, with the reviews it finds passages in, the reviews read and
    the share."""
    rows = [{"theme_name": shorten(f"{number}. {o.search.name}", 40), "year": year, "reviews_with_theme": found,
             "reviews_in_year": read, "share_of_reviews": found / read if read else 0.0}
            for number, o in enumerate(outcomes, start=1) for year, found, read in o.result.by_year]
    return pd.DataFrame(rows, columns=["theme_name", "year", "reviews_with_theme", "reviews_in_year",
                                       "share_of_reviews"])


def chart_searches(out: Path, outcomes: list[SearchOutcome], info: dict[str, Any]) -> None:
    """Draw each search's share of the reviews read, year by year, a panel each (PNG or SVG by ``out``'s
    suffix), as ``casereview trends`` draws the themes."""
    from pipeline.outputs.trends import plot_trends

    frame = years_frame(outcomes)
    if frame.empty:
        raise CaseReviewError(f"--out {out}: no review read has a year, so there is nothing to draw by year")
    passages = passages_kept(info)
    plot_trends(frame, info, out, title="Reviews with passages for each search, by year",
                made=f"Searches from {Path(info['searches_file']).name} (SHA-256 {info['searches_file_sha256'][:12]})"
                     + (f", counting {passages}" if passages else ""))


def searches_markdown(outcomes: list[SearchOutcome], info: dict[str, Any]) -> str:
    """The set's results as Markdown: where they came from, a table of the searches, the years, and for each
    search the reviews and passages it found."""
    lines = ["# Searches", ""] + [f"> {line}  " for line in provenance_lines(info)]
    read = info.get("reviews_read", 0)
    kept = "" if info.get("reviews", "all") == "all" else f" that the filters keep ({info['reviews']})"
    passages = passages_kept(info)
    lines += ["", f"{counted(len(outcomes), 'search', 'searches')} (from {Path(info['searches_file']).name}, SHA-256 "
                  f"{info['searches_file_sha256'][:12]}), on the {counted(read, 'review')} read{kept}"
                  + (f"; {passages}" if passages else "") + ". " + WORDS_NOT_MEANING, ""]
    lines += ["| # | Search | What was searched | Passages | Reviews | Note |",
              "| ---: | --- | --- | ---: | ---: | --- |"]
    for number, o in enumerate(outcomes, start=1):
        cells = [number, o.search.name, f"`{o.search.query}`", o.result.total or 0,
                 f"{len(o.result.by_review or ())} of {o.result.reviews_read}", o.note]
        lines.append("| " + " | ".join(md_cell(cell) for cell in cells) + " |")
    lines += ["", "## By year", "", "Year by year, the reviews read, and how many of them each search finds passages "
              "in.", ""]
    lines += by_year_lines(outcomes, markdown=True)
    for number, o in enumerate(outcomes, start=1):
        lines += ["", f"## {number}. {md_text(o.search.name)}", ""]
        if o.search.name != o.search.query:
            lines += [f"Searched: `{o.search.query}`", ""]
        if not o.result.by_review:
            lines.append("No passages found.")
            continue
        lines += ["| Review | Year | Passages found | Of the review's | Review id |",
                  "| --- | ---: | ---: | ---: | --- |"]
        for review in o.result.by_review:
            cells = [review.title, review.year, review.passages_found, review.review_passages, f"`{review.review_id}`"]
            lines.append("| " + " | ".join(md_cell(cell) for cell in cells) + " |")
        shown = len(o.result.hits)
        lines += ["", f"The best {counted(shown, 'passage')} of {o.result.total or 0}:" if o.result.more
                  else f"The {counted(shown, 'passage')}:", "",
                  "| # | Review | Year | Page | Matched | Passage id |", "| ---: | --- | ---: | --- | --- | --- |"]
        for rank, hit in enumerate(o.result.hits, start=1):
            page = pages_label(hit.page_start, hit.page_end, hit.printed_start, hit.printed_end).removeprefix("p. ")
            cells = [rank, hit.title, hit.year, page, hit.snippet_text, f"`{hit.passage_id}`"]
            lines.append("| " + " | ".join(md_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def by_year_grid(outcomes: list[SearchOutcome]) -> tuple[list[int], list[int], list[list[int]]]:
    """The years of the reviews read, how many were read each year, and for each search how many of them it
    finds passages in, year by year."""
    years: dict[int, int] = {}
    for o in outcomes:
        years |= {year: read for year, _, read in o.result.by_year}
    order = sorted(years)
    found = [{year: count for year, count, _ in o.result.by_year} for o in outcomes]
    return order, [years[year] for year in order], [[f.get(year, 0) for year in order] for f in found]


def by_year_lines(outcomes: list[SearchOutcome], *, markdown: bool = False) -> list[str]:
    """A row per search (by its number), how many reviews it finds passages in year by year, under the reviews
    read each year: as a Markdown table (the searches named), or aligned text for a terminal.

    >>> from pipeline.search import SearchResult
    >>> found = SearchResult([], by_year=((2021, 1, 4), (2022, 0, 3)), reviews_read=7)
    >>> print("\\n".join(by_year_lines([SearchOutcome(NamedSearch(1, "a", "a"), found, "")] * 2)))
    search  2021  2022
      read     4     3
         1     1     0
         2     1     0
    """
    years, read, rows = by_year_grid(outcomes)
    if markdown:
        lines = ["| Search | " + " | ".join(map(str, years)) + " |", "| --- | " + " | ".join("---:" for _ in years)
                 + " |", "| Reviews read | " + " | ".join(map(str, read)) + " |"]
        return lines + [f"| {number}. {md_cell(o.search.name)} | " + " | ".join(map(str, row)) + " |"
                        for number, (o, row) in enumerate(zip(outcomes, rows, strict=True), start=1)]
    lines = ["search" + "".join(f"{year:>6}" for year in years), "  read" + "".join(f"{n:>6}" for n in read)]
    return lines + [f"{number:>6}" + "".join(f"{n:>6}" for n in row) for number, row in enumerate(rows, start=1)]


def passages_kept(options: dict[str, Any]) -> str:
    """What the passage options (``theme``, ``min_score``, ``section``) of a set of searches keep, for people;
    "" when none is given.

    >>> print(passages_kept({"theme": "voice_of_child", "min_score": 0.9, "section": "findings"}))
    only passages tagged Voice of the child at a probability of 0.9 or more, under a heading containing 'findings'
    >>> passages_kept({"min_score": 0.8}), passages_kept({})
    ('only passages tagged with some theme at a probability of 0.8 or more', '')
    """
    theme, min_score, section = (options.get(key) for key in ("theme", "min_score", "section"))
    parts = []
    if theme is not None or min_score is not None:
        parts.append("tagged " + (theme_name(theme, theme_names()) if theme is not None else "with some theme")
                     + (f" at a probability of {min_score:g} or more" if min_score is not None else ""))
    if section is not None:
        parts.append(f"under a heading containing {' '.join(section.split())!r}")
    return "only passages " + ", ".join(parts) if parts else ""


def searches_text(outcomes: list[SearchOutcome], path: Path, within: str, passages: str = "") -> str:
    """The set's results for a terminal: each search with its counts, then the years (``within``: the review
    filters, described; ``passages``: what the passage options keep, ``passages_kept``)."""
    read = outcomes[0].result.reviews_read if outcomes else 0
    kept = f" that the filters keep ({within})" if within else ""
    lines = [f"{counted(len(outcomes), 'search', 'searches')} from {path}, on the {counted(read, 'review')} "
             f"read{kept}" + (f"; {passages}" if passages else "") + ":", ""]
    for number, o in enumerate(outcomes, start=1):
        label = o.search.name if o.search.name == o.search.query else f"{o.search.name}: {o.search.query}"
        found = o.result.total or 0
        lines.append(f"{number:>3}. {label}")
        lines.append(f"     {counted(found, 'passage')} in {len(o.result.by_review or ())} of the "
                     f"{counted(read, 'review')}" if found else "     no passages found")
        if o.note:
            lines.append(f"     {o.note}")
    lines += ["", WORDS_NOT_MEANING]
    lines += ["", "Year by year, the reviews read, and how many of them each search (by its number) finds passages in:"]
    lines += ["  " + line for line in by_year_lines(outcomes)]
    return "\n".join(lines)
