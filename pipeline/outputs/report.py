"""An annual summary for a safeguarding partnership: one self-contained HTML page for one area and year.

The page has no external resources and needs no JavaScript: styles are inline (with print rules), the chart
is inline SVG. It holds the provenance (models, run, manifest checksum, date), the reviews in scope, each
learning theme's share of the area's reviews and passages next to the whole database's (a theme resting on
few passages or only on unsure tags marked as thin evidence), each theme's most probable quotes with page
citations, the topics found (when topic tables exist) and the limits of what the page can say. An area or
year without reviews is an error that names the nearest areas and years.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb

from pipeline.errors import CaseReviewError
from pipeline.outputs.common import (
    OCR_NOTE,
    READ_BY_LABEL,
    WEAK_TAG_WORDS,
    SeveralAreas,
    area_folded,
    area_key,
    closest,
    counted,
    has_table,
    one_area,
    open_database,
    pages_label,
    percent,
    printed_pages_sql,
    probability_text,
    provenance,
    quote_alone,
    read_by_line,
    read_by_ocr_sql,
    reviews_list_hint,
    section_trail,
    shorten,
    shown_time,
    theme_names,
    theme_note,
    weak_tag,
)
from pipeline.outputs.tables import writing

QUOTES_PER_THEME = 3
TOPICS_SHOWN = 10


class ReportScopeError(CaseReviewError):
    """The area or year asked for has no reviews; the message suggests the nearest ones."""


@dataclass
class ReportResult:
    """What ``write_report`` wrote: the file, the area (as stored) and year, and counts for a summary line."""

    path: Path
    area: str
    year: str  # as shown: "2021", or "2019–2023" for a span of years
    reviews: int
    reviews_read: int
    themes_present: int
    thin_themes: tuple[str, ...] = ()  # names of the themes present on thin evidence (see ``thin_evidence``)


def _same_area(column: str) -> str:
    """SQL: the review's area (``column``) is the report's, however it is written ("&" or "and", either quote
    marks, any case): ``$area_key`` is the area's ``area_key``. One partnership entered both ways in a manifest
    is one area."""
    return f"{area_folded(column)} = $area_key"


_AREAS = "SELECT DISTINCT area FROM reviews WHERE area IS NOT NULL ORDER BY area"
_YEARS_OF_AREA = f"SELECT DISTINCT year FROM reviews WHERE {_same_area('area')} AND year IS NOT NULL ORDER BY year"
_SCOPE_REVIEWS = f"""
SELECT review_id, title, review_type, nation, year, published, source, status, error, pages, passages, themes
FROM v_review_summary
WHERE {_same_area("area")} AND year BETWEEN $year_from AND $year_to
ORDER BY year, title, review_id"""
# Per theme: reviews and passages carrying it in the area's year and in the whole database. Denominators
# count reviews whose text was read (they have passages).
_THEME_COUNTS = f"""
WITH scope AS (SELECT review_id FROM reviews WHERE {_same_area("area")} AND year BETWEEN $year_from AND $year_to),
tags AS (SELECT review_id, theme, count(*) AS passages FROM passage_themes GROUP BY review_id, theme)
SELECT theme,
       count(*) FILTER (WHERE review_id IN (SELECT review_id FROM scope)) AS area_reviews,
       coalesce(sum(passages) FILTER (WHERE review_id IN (SELECT review_id FROM scope)), 0) AS area_passages,
       count(*) AS all_reviews,
       sum(passages) AS all_passages,
       max(max_model) AS model_version
FROM tags
LEFT JOIN (SELECT review_id AS rid, theme AS th, max(model_version) AS max_model FROM review_themes
           GROUP BY review_id, theme) m ON m.rid = tags.review_id AND m.th = tags.theme
GROUP BY theme"""
_TOTALS = f"""
WITH read AS (SELECT p.review_id, count(*) AS passages FROM passages p GROUP BY p.review_id)
SELECT count(*) FILTER (WHERE {_same_area("r.area")} AND r.year BETWEEN $year_from AND $year_to) AS area_reviews,
       coalesce(sum(read.passages) FILTER (WHERE {_same_area("r.area")} AND r.year BETWEEN $year_from AND $year_to), 0)
           AS area_passages,
       count(*) AS all_reviews,
       coalesce(sum(read.passages), 0) AS all_passages,
       min(r.year) AS first_year,
       max(r.year) AS last_year
FROM read JOIN reviews r ON r.review_id = read.review_id"""
_QUOTES = f"""
SELECT theme, title, review_id, passage_id, page_start, page_end, section, score, model_version, evidence,
       evidence_score, text,
       {read_by_ocr_sql("v")} AS ocr, {printed_pages_sql("v")},
       (SELECT p.headings FROM passages p WHERE p.passage_id = v.passage_id) AS headings
FROM v_theme_evidence v
WHERE {_same_area("area")} AND year BETWEEN $year_from AND $year_to
QUALIFY row_number() OVER (PARTITION BY theme ORDER BY score DESC, review_id, passage_id) <= {QUOTES_PER_THEME}
ORDER BY theme, score DESC"""
# Topics of the newest topic model (tables from migration 004; older layouts without model_version also work).
_TOPICS_VERSIONED = f"""
WITH current_model AS (
    SELECT $model_version AS model_version
)
SELECT t.topic_id, t.label, t.terms, t.model_version, count(DISTINCT pt.passage_id) AS passages,
       avg(pt.probability) AS mean_probability
FROM passage_topics pt
JOIN current_model c ON c.model_version = pt.model_version
JOIN topics t ON t.topic_id = pt.topic_id AND t.model_version = pt.model_version
JOIN passages p ON p.passage_id = pt.passage_id
JOIN reviews r ON r.review_id = p.review_id
WHERE {_same_area("r.area")} AND r.year BETWEEN $year_from AND $year_to AND t.topic_id <> -1
GROUP BY t.topic_id, t.label, t.terms, t.model_version
ORDER BY passages DESC, t.topic_id
LIMIT {TOPICS_SHOWN}"""
_TOPICS_PLAIN = f"""
SELECT t.topic_id, t.label, t.terms, t.model_version, count(DISTINCT pt.passage_id) AS passages,
       avg(pt.probability) AS mean_probability
FROM passage_topics pt
JOIN topics t ON t.topic_id = pt.topic_id
JOIN passages p ON p.passage_id = pt.passage_id
JOIN reviews r ON r.review_id = p.review_id
WHERE {_same_area("r.area")} AND r.year BETWEEN $year_from AND $year_to AND t.topic_id <> -1
GROUP BY t.topic_id, t.label, t.terms, t.model_version
ORDER BY passages DESC, t.topic_id
LIMIT {TOPICS_SHOWN}"""
# Pages of each review in scope that were read by OCR (no usable text layer): their words may be misread.
_OCR_PAGES = f"""
SELECT g.review_id, count(*) AS pages
FROM pages g JOIN reviews r ON r.review_id = g.review_id
WHERE {_same_area("r.area")} AND r.year BETWEEN $year_from AND $year_to AND g.ocr
GROUP BY g.review_id"""
# The passages of each review in scope under a heading that names its recommendations ("Recommendations",
# "7. Recommendations", "Learning and recommendations"), in the review's order.
RECOMMENDATIONS_PER_REVIEW = 20
_RECOMMENDATIONS = f"""
SELECT v.*, {read_by_ocr_sql("v")} AS ocr, {printed_pages_sql("v")}
FROM v_review_recommendations v
WHERE {_same_area("v.area")} AND v.year BETWEEN $year_from AND $year_to
QUALIFY row_number() OVER (PARTITION BY v.review_id ORDER BY v.seq) <= {RECOMMENDATIONS_PER_REVIEW}
ORDER BY v.year, v.review_id, v.seq"""
# The findings each review states in its headings (migration 009), with the page each starts on.
_FINDINGS = f"""
WITH f AS (
    SELECT *, page AS page_start, page AS page_end FROM v_review_findings
    WHERE {_same_area("area")} AND year BETWEEN $year_from AND $year_to
)
SELECT f.*, {printed_pages_sql("f")} FROM f ORDER BY f.year, f.review_id, f.seq"""
_COUNT_PASSAGE_TOPICS = "SELECT count(*) FROM passage_topics"
_HAS_COLUMN = """
SELECT count(*) > 0 FROM information_schema.columns
WHERE table_schema = 'main' AND table_name = $1 AND column_name = $2"""
_NEWEST_TOPIC_MODEL = "SELECT model_version FROM topic_models ORDER BY fitted_at DESC, model_version DESC LIMIT 1"
_LATEST_PASSAGE_TOPIC_MODEL = "SELECT max(model_version) FROM passage_topics"
# Documents that could not be read and have no text from an earlier reading either (kept when a changed copy
# fails): they are out of every figure.
_UNREAD_ELSEWHERE = """
SELECT count(*) FROM documents d
WHERE d.status IN ('failed', 'needs_ocr')
  AND NOT EXISTS (SELECT 1 FROM passages p WHERE p.review_id = d.review_id)"""


# --------------------------------------------------------------------------- scope


def find_area(con: duckdb.DuckDBPyConnection, area: str, db_path: Path | str | None = None,
              on_page: bool = False) -> str:
    """The stored area name for what a person typed: exact (any case), else the only area containing it. An
    error names the areas to choose from: the list of the form (``on_page``), else those of ``db_path``.

    Raises
    ------
    ReportScopeError
        If no area matches (the closest names are suggested) or several do (they are listed).
    """
    areas = [row[0] for row in con.execute(_AREAS).fetchall()]
    try:
        named = one_area(area, areas)  # any case, either quotes, "&" or "and"
    except SeveralAreas as several:
        raise ReportScopeError(
            f"'{area}' matches several areas: {'; '.join(several.areas)}. "
            + ("Choose one from the list." if on_page else "Give more of the name, in quotes.")
        ) from None
    if named is not None:
        return named
    if not area_key(area):
        raise ReportScopeError("--area is empty: give the name of the partnership or local authority (part of "
                               f"the name is enough), e.g. --area \"Northmoor\". "
                               f"{_area_list_hint(areas, db_path, on_page)}")
    suggestions = closest(area, areas)
    hint = (f"Closest area names: {'; '.join(suggestions)}." if suggestions
            else _area_list_hint(areas, db_path, on_page))
    raise ReportScopeError(f"there are no reviews for the area '{area}'. {hint}")


AREAS_LISTED = 30  # an error names every area of a database with at most this many


def _area_list_hint(areas: list[str], db_path: Path | str | None = None, on_page: bool = False) -> str:
    """Where to see the areas: the form's list (``on_page``), else the areas themselves when there are up to
    ``AREAS_LISTED``, else the web page listing the reviews of ``db_path``.

    >>> _area_list_hint(["Ardmuir", "Northmoor"]), _area_list_hint(["Northmoor"], on_page=True)
    ('The areas in the database are: Ardmuir; Northmoor.', 'Choose an area from the list on this page.')
    """
    if not areas:
        return "The database has no reviews yet."
    if on_page:
        return "Choose an area from the list on this page."
    if len(areas) <= AREAS_LISTED:
        return f"The areas in the database are: {'; '.join(areas)}."
    return f"The database has {len(areas)} areas: each review's is shown in {reviews_list_hint(db_path)}."


_YEARS = re.compile(r"\s*(\d{4})\s*(?:(?:-|–|—|to)\s*(\d{4})\s*)?", re.IGNORECASE)


_FINANCIAL_YEAR = re.compile(r"\s*(\d{4})\s*[-/–]\s*(\d{2})\s*")  # 2023-24, 2023/24


def parse_years(text: str, label: str = "") -> int | tuple[int, int]:
    """A year as people type it: "2021", or a span "2019-2023" (also "2019–2023", "2019 to 2023").

    >>> parse_years("2021"), parse_years("2019 to 2023")
    (2021, (2019, 2023))

    Raises
    ------
    CaseReviewError
        For anything else, naming it after ``label`` (e.g. "--year ").
    """
    match = _YEARS.fullmatch(text)
    financial = _FINANCIAL_YEAR.fullmatch(text)
    if not match and financial:
        first = int(financial.group(1))
        raise CaseReviewError(
            f"{label}{text!r} reads as a financial year, but reviews are counted by the year in the manifest's year "
            f"column, not by financial year: give {first}-{first + 1} for the reviews of both years, or one of them")
    if not match:
        raise CaseReviewError(f"{label}{text!r} is not a year: give one (2021) or a span of years (2019-2023)")
    first, last = match.groups()
    from pipeline.outputs.common import check_years

    for year in (first, last):  # (a span given last year first is put in order later)
        if year is not None:
            check_years(int(year), None)
    return int(first) if last is None else (int(first), int(last))


def year_span(year: int | tuple[int, int]) -> tuple[int, int]:
    """(first, last) year of a report: one year, or a span of years (first before last).

    >>> year_span(2021), year_span((2019, 2023))
    ((2021, 2021), (2019, 2023))
    """
    first, last = (year, year) if isinstance(year, int) else year
    if first > last:
        raise CaseReviewError(f"the years {first}-{last} run backwards: give the earlier year first ({last}-{first})")
    return first, last


def span_label(first: int, last: int) -> str:
    """'2021', or '2019–2023' for a span of years."""
    return str(first) if first == last else f"{first}–{last}"


def check_year(con: duckdb.DuckDBPyConnection, area: str, year: int | tuple[int, int]) -> None:
    """Raise ``ReportScopeError`` naming the years that do have reviews when ``area`` has none in ``year`` (one
    year, or a (first, last) span)."""
    first, last = year_span(year)
    years = [row[0] for row in con.execute(_YEARS_OF_AREA, {"area_key": area_key(area)}).fetchall()]
    if any(first <= y <= last for y in years):
        return
    gap = min((min(abs(y - first), abs(y - last)) for y in years), default=None)
    nearest = [y for y in years if min(abs(y - first), abs(y - last)) == gap]
    listing = ", ".join(map(str, years)) or "none"
    hint = (f" The nearest is {nearest[0]}." if len(nearest) == 1
            else f" The nearest are {' and '.join(map(str, nearest))}." if nearest else "")
    raise ReportScopeError(
        f"{area} has no reviews from {span_label(first, last)}. Years with reviews for {area}: {listing}.{hint}"
    )


# --------------------------------------------------------------------------- gathering


def gather(con: duckdb.DuckDBPyConnection, db_path: Path | str | None, area: str,
           year: int | tuple[int, int]) -> dict[str, Any]:
    """Everything the report shows, for an area name as stored and a year (or a (first, last) span of years)
    that has reviews. ``year`` in the result is the years as shown ("2021", "2019–2023")."""
    first, last = year_span(year)
    params = {"area_key": area_key(area), "year_from": first, "year_to": last}
    names = theme_names(con)
    reviews = _dicts(con, _SCOPE_REVIEWS, params)
    ocr_pages = dict(con.execute(_OCR_PAGES, params).fetchall())
    for review in reviews:
        review["ocr_pages"] = ocr_pages.get(review["review_id"], 0)
    totals = _dicts(con, _TOTALS, params)[0]
    counts = {row["theme"]: row for row in _dicts(con, _THEME_COUNTS, params)}
    themes = []
    for theme_id in [*names, *[t for t in counts if t not in names]]:
        row = counts.get(theme_id, {})
        themes.append({
            "id": theme_id,
            "name": names.get(theme_id, theme_id),
            "area_reviews": row.get("area_reviews", 0),
            "area_passages": int(row.get("area_passages", 0) or 0),
            "all_reviews": row.get("all_reviews", 0),
            "all_passages": int(row.get("all_passages", 0) or 0),
            "area_review_share": _share(row.get("area_reviews", 0), totals["area_reviews"]),
            "area_passage_share": _share(row.get("area_passages", 0), totals["area_passages"]),
            "all_review_share": _share(row.get("all_reviews", 0), totals["all_reviews"]),
            "all_passage_share": _share(row.get("all_passages", 0), totals["all_passages"]),
        })
    quotes: dict[str, list[dict[str, Any]]] = {}
    for quote in _dicts(con, _QUOTES, params):
        quotes.setdefault(quote["theme"], []).append(quote)
    return {
        "area": area,
        "year": span_label(first, last),
        "year_span": (first, last),
        "several_years": first != last,
        "provenance": provenance(con, db_path),
        "reviews": reviews,
        "totals": totals,
        "themes": themes,
        "quotes": quotes,
        "topics": _topics(con, params),
        "recommendations": _dicts(con, _RECOMMENDATIONS, params),
        "findings": _dicts(con, _FINDINGS, params),
        "unread_elsewhere": con.execute(_UNREAD_ELSEWHERE).fetchone()[0],
    }


def _topics(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> dict[str, Any]:
    """Topics of the area's passages: {'available': bool, 'rows': [...], 'note': str}."""
    missing = {"available": False, "rows": [], "note": "No topic model has been run on this database yet "
               "(`casereview topics fit` finds the topics of all its passages; then make this report again)."}
    if not (has_table(con, "topics") and has_table(con, "passage_topics")):
        return missing
    try:
        if not con.execute(_COUNT_PASSAGE_TOPICS).fetchone()[0]:
            return missing
        if con.execute(_HAS_COLUMN, ["passage_topics", "model_version"]).fetchone()[0]:
            newest = con.execute(_NEWEST_TOPIC_MODEL).fetchone() if has_table(con, "topic_models") else None
            newest = newest or con.execute(_LATEST_PASSAGE_TOPIC_MODEL).fetchone()
            rows = _dicts(con, _TOPICS_VERSIONED, {**params, "model_version": newest[0]})
        else:
            rows = _dicts(con, _TOPICS_PLAIN, params)
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0]
        return {"available": False, "rows": [], "note": f"The topic tables could not be read ({first_line})."}
    return {"available": True, "rows": rows, "note": ""}


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | list[Any]) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _share(part: Any, whole: Any) -> float | None:
    return float(part or 0) / float(whole) if whole else None


# --------------------------------------------------------------------------- writing


def build_report(db_path: Path | str | None, area: str, year: int | tuple[int, int], upgrade: bool = True,
                 on_page: bool = False, searches: Sequence[Any] = (), searches_from: str = "",
                 form_url: str = "/report") -> tuple[str, dict[str, Any]]:
    """The report's HTML and the data behind it (``upgrade``: see ``open_database``; ``on_page``: asked on the
    web page's form, whose list of areas an unknown area's error points to, and ``form_url`` goes back to, with
    what was asked filled in; ``searches``: the partnership's own
    searches, ``pipeline.outputs.searchset.NamedSearch``, each counted in the area's reviews and in all;
    ``searches_from``: where they came from, for the page to say).

    Raises
    ------
    ReportScopeError
        If the area or the year has no reviews (with the nearest areas or years).
    """
    con = open_database(db_path, upgrade=upgrade)
    try:
        stored_area = find_area(con, area, db_path, on_page)
        check_year(con, stored_area, year)
        data = gather(con, db_path, stored_area, year)
    finally:
        con.close()
    first, last = year_span(year)
    data.update(on_page=on_page, asked_area=area, asked_year=str(first) if first == last else f"{first}-{last}",
                form_url=form_url)
    if searches:
        data["searches"] = searched_in_area(db_path, list(searches), data, refresh=upgrade)
        data["searches_from"] = searches_from
    return render(data), data


SEARCH_QUOTES = 2  # passages quoted for each of a partnership's own searches


def searched_in_area(db_path: Path | str | None, searches: list[Any], data: dict[str, Any],
                     refresh: bool = True) -> list[dict[str, Any]]:
    """Each search (``NamedSearch``) in the area's reviews of the report's years, and in all reviews read: the
    passages and reviews that match in each, and the area's best passages (``SEARCH_QUOTES``).

    Raises
    ------
    CaseReviewError
        If a search cannot run (named by its line).
    """
    from pipeline.outputs.searchset import run_searches

    first, last = data["year_span"]
    ids = {review["review_id"] for review in data["reviews"]}
    # the area filter keeps areas whose name contains this one's: only the area's own reviews are counted
    here = run_searches(db_path, searches, limit=50, refresh=refresh, area=data["area"], year_from=first,
                        year_to=last)
    everywhere = run_searches(db_path, searches, limit=1, refresh=refresh)
    rows = []
    for local, overall in zip(here, everywhere, strict=True):
        found = [review for review in local.result.by_review if review.review_id in ids]
        rows.append({
            "name": local.search.name, "query": local.search.query, "note": local.note,
            "area_passages": sum(review.passages_found for review in found), "area_reviews": len(found),
            "all_passages": overall.result.total or 0, "all_reviews": len(overall.result.by_review),
            "all_read": overall.result.reviews_read,
            "quotes": [hit for hit in local.result.hits if hit.review_id in ids][:SEARCH_QUOTES],
        })
    return rows


def write_report(db_path: Path | str | None, area: str, year: int | tuple[int, int], out: Path,
                 searches: Sequence[Any] = (), searches_from: str = "") -> ReportResult:
    """Write the summary for ``area`` and ``year`` (or a (first, last) span of years) to ``out`` (an .html file),
    with a section on the partnership's own ``searches`` (``NamedSearch``, as ``read_searches`` reads a file;
    ``searches_from``: the file and its checksum) when given.

    Parameters
    ----------
    db_path : Path, str or None
        The database (None: the default one).
    area : str
        The area: its full name, or any part of it that names only one area (any case).
    year : int or (int, int)
        Year of the reviews, or the first and last years of a span (a partnership with few reviews a year
        may summarise several).
    out : Path
        The HTML file to write; nothing is written when the area or year has no reviews.

    Returns
    -------
    ReportResult

    Raises
    ------
    CaseReviewError
        If ``out`` does not end in .html/.htm, or (``ReportScopeError``) the area or year has no reviews.
    """
    if out.suffix.lower() not in (".html", ".htm"):
        raise CaseReviewError(f"the report is a web page: give a file name ending in .html (got '{out.name}'); "
                              "for a PDF, open the page in a web browser and print it or save it as PDF")
    page, data = build_report(db_path, area, year, searches=searches, searches_from=searches_from)
    with writing(out):
        out.write_text(page, encoding="utf-8")
    thin = _thin_notes(data)
    return ReportResult(
        path=out, area=data["area"], year=data["year"], reviews=len(data["reviews"]),
        reviews_read=int(data["totals"]["area_reviews"]),
        themes_present=sum(1 for theme in data["themes"] if theme["area_reviews"]),
        thin_themes=tuple(theme["name"] for theme in data["themes"] if thin.get(theme["id"])),
    )


# --------------------------------------------------------------------------- HTML

_CSS = """
:root { --ink: #1d1d1f; --muted: #5a5a60; --line: #d0d0d6; --area: #1f5f8b; --all: #b9c7d3; --warn: #8a4b00; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Arial, Helvetica, sans-serif; color: var(--ink); line-height: 1.5;
       max-width: 62rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.8rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid var(--area); padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 1.1rem; margin: 1.2rem 0 .3rem; }
h4 { font-size: 1.05rem; margin: 1.1rem 0 .3rem; }
.lede, .muted, .cite { color: var(--muted); }
.provenance { border: 1px solid var(--line); border-left: 6px solid var(--area); background: #f6f8fa;
              padding: .8rem 1rem; margin: 1rem 0; }
.provenance dl { display: grid; grid-template-columns: 12rem 1fr; gap: .2rem .8rem; margin: 0; }
.provenance dt { font-weight: 600; }
.provenance dd { margin: 0; overflow-wrap: anywhere; }
.warning { color: var(--warn); font-weight: 600; margin: .6rem 0 0; }
.thin { color: var(--warn); }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: .95rem; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef1f4; }
td.num, th.num { text-align: right; white-space: nowrap; }
.status-ok { color: #1b6e2d; } .status-failed, .status-needs_ocr, .status-not_processed { color: var(--warn); }
blockquote { margin: .4rem 0 .1rem; padding: .3rem .8rem; border-left: 4px solid var(--all); background: #fafafa; }
ol.quotes { padding-left: 1.4rem; }
ol.quotes li { margin-bottom: .6rem; }
figure { margin: 1rem 0; }
figcaption { color: var(--muted); font-size: .9rem; }
caption { caption-side: top; text-align: left; color: var(--muted); font-size: .9rem; padding-bottom: .25rem; }
.chart text { font-family: inherit; font-size: 12px; fill: var(--ink); }
.chart { max-width: 100%; height: auto; }
.wide { overflow-x: auto; max-width: 100%; }
@media (max-width: 40rem) {
  body { padding: 1rem; }
  .provenance dl { grid-template-columns: 1fr; }
}
.empty { font-style: italic; color: var(--muted); }
footer { margin-top: 2.5rem; font-size: .85rem; color: var(--muted); border-top: 1px solid var(--line); }
nav.way-out { margin-bottom: 1rem; }
.skip { position: absolute; left: -999rem; }
.skip:focus { position: static; display: inline-block; margin-bottom: .5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%);
                   white-space: nowrap; }
@media print {
  nav.way-out, .to-passage, .skip { display: none; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; }
  article, figure, tr, blockquote, .provenance { break-inside: avoid; }
  .provenance { background: none; }
  th { background: none; }
  .wide { overflow: visible; }
}
"""


# Above the summary in the browser (``on_page``; the file `casereview report` writes has no server to go back to):
# the way back to the search and to the summary's form, left out when printed.
_WAY_OUT = ('<nav class="way-out"><a href="/">← Search the reviews</a> · '
            '<a href="{form}">Another summary (the form)</a></nav>')


def render(data: dict[str, Any]) -> str:
    """The report as one HTML document (no scripts, no external resources)."""
    area, year = data["area"], data["year"]
    title = f"Learning from case reviews: {area}, {year}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        *(['<a class="skip" href="#main">Skip to main content</a>',
            _WAY_OUT.format(form=_e(data.get("form_url") or "/report"))] if data.get("on_page") else []),
        "<header>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="lede">What the case reviews of {_e(area)} from {year} say, by learning theme, set against all '
        f"{data['totals']['all_reviews']} reviews read in the database"
        f"{_years(data['totals'])} (this area's own among them: the database holds the reviews its manifests "
        "listed, not every review published).</p>",
        _warning(data["provenance"]),
        "</header>",
        '<main id="main" tabindex="-1">',
        _reviews_section(data["reviews"], data["several_years"]),
        _themes_section(data),
        _searches_section(data) if data.get("searches") else "",
        _findings_section(data["findings"], data["reviews"]),
        _recommendations_section(data["recommendations"], data["reviews"]),
        _topics_section(data["topics"], read=int(data["totals"]["area_reviews"])),
        _limits_section(data),
        _provenance_section(data["provenance"]),
        "</main>",
        f'<footer><p>Made by casereview version {_e(data["provenance"]["casereview_version"])} on '
        f"{_e(shown_time(data['provenance']['generated_at']))} from {_e(data['provenance']['database'])}.</p></footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _years(totals: dict[str, Any]) -> str:
    first, last = totals.get("first_year"), totals.get("last_year")
    if first is None:
        return ""
    return f" ({first}–{last})" if first != last else f" ({first})"


def _provenance_section(info: dict[str, Any]) -> str:
    rows = [
        ("Theme model", ", ".join(info["theme_models"]) or "none (no themes tagged)"),
        ("Embedding model", ", ".join(info["embedding_models"]) or "none"),
        ("Latest finished run", info["run_id"] or "no finished run"),
        ("Latest run finished", info["run_finished_at"] or "–"),
        ("Manifest", info["manifest"] or "unknown"),
        ("Manifest SHA-256", info["manifest_sha256"] or "unknown"),
        *([(READ_BY_LABEL, read_by_line(info["reviews_read_by"]).removeprefix(f"{READ_BY_LABEL}: "))]
          if info.get("reviews_read_by") else []),
        ("Generated", shown_time(info["generated_at"])),
        ("Database", info["database"]),
    ]
    items = "".join(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in rows)
    return (
        '<section id="provenance" class="provenance">'
        "<h2>About this report</h2>"
        "<p>What it was made from, to make it again or to check it: the models, the run and the manifest.</p>"
        f"<dl>{items}</dl>"
        "</section>"
    )


def _warning(info: dict[str, Any]) -> str:
    """What every reader must know before the content: the text was found by a program, and how far its theme
    tags held on real text; where it came from is at the end (``_provenance_section``)."""
    return (
        '<p class="warning">Generated automatically — check quotes against the source before publishing. '
        "Theme tags are model predictions, shown with the model's probability."
        + (f" {_e(info['real_text_note'])}" if info.get("real_text_note") else "")
        + (f" {_e(info['checked_on_labelled_passages'])}" if info.get("checked_on_labelled_passages") else "")
        + ' What the report was made from is <a href="#provenance">at the end</a>.</p>'
    )


def _reviews_section(reviews: list[dict[str, Any]], several_years: bool = False) -> str:
    rows = []
    for review in reviews:
        status = review["status"]
        label = {"ok": "read", "needs_ocr": "needs OCR (scanned or unreadable text)", "failed": "could not be read",
                 "not_processed": "not processed yet"}.get(status, status)
        if _read_before(review):
            label = "newest copy could not be read: the copy read before is used"
        if status == "ok" and review["ocr_pages"]:
            label += f" ({_pages(review['ocr_pages'])} by OCR)"
        rows.append(
            "<tr>"
            f"<td>{_e(review['title'])}<br><span class=\"muted\">{_e(review['review_id'])}</span></td>"
            f"<td>{_e(review['review_type'])}</td>"
            f'<td class="num">{_e(review["year"])}</td>'
            f'<td class="num">{_e(review["pages"] if review["pages"] is not None else "–")}</td>'
            f'<td class="num">{_e(review["passages"])}</td>'
            f'<td class="status-{_e(status)}">{_e(label)}</td>'
            "</tr>"
        )
    return (
        '<section id="reviews">'
        f"<h2>Reviews in scope ({len(reviews)})</h2>"
        '<div class="wide">'
        f"<table><caption>The reviews of this area and {'these years' if several_years else 'year'}, "
        "and whether each could be read</caption>"
        f"{_head('Title', 'Type', '#Year', '#Pages', '#Passages', 'Status')}"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        "</section>"
    )


def _themes_section(data: dict[str, Any]) -> str:
    totals, themes = data["totals"], data["themes"]
    area = data["area"]
    if not totals["area_reviews"]:
        return (
            '<section id="themes"><h2>Learning themes</h2>'
            '<p class="empty">None of the reviews in scope could be read, so no themes can be shown. '
            "See the limits below.</p></section>"
        )
    thin = _thin_notes(data)
    rows = "".join(
        "<tr>"
        f"<td>{_e(t['name'])}"
        + (f'<br><span class="thin">{_e(thin[t["id"]])}</span>' if thin.get(t["id"]) else "")
        + "</td>"
        f'<td class="num">{t["area_reviews"]} of {totals["area_reviews"]}</td>'
        f'<td class="num">{percent(t["area_review_share"])}</td>'
        f'<td class="num">{percent(t["all_review_share"])}</td>'
        f'<td class="num">{percent(t["area_passage_share"], 1)}</td>'
        f'<td class="num">{percent(t["all_passage_share"], 1)}</td>'
        "</tr>"
        for t in themes
    )
    checks = data["provenance"].get("theme_checks") or {}
    articles = "".join(_theme_article(t, data["quotes"].get(t["id"], []), totals, checks.get(t["id"]), thin[t["id"]],
                                      bool(data.get("on_page")))
                       for t in themes if t["area_reviews"])
    articles = articles or '<p class="empty">The theme model tagged no passage of these reviews.</p>'
    measure = "passages" if saturated_reviews(themes, totals["area_reviews"]) else "reviews"
    return (
        '<section id="themes">'
        "<h2>Learning themes</h2>"
        f"<p>A review carries a theme when the theme model tagged at least one of its passages. "
        f"{_e(area)}, {data['year']}: {counted(totals['area_reviews'], 'review')} read, "
        f"{counted(totals['area_passages'], 'passage')}. "
        f"All reviews: {totals['all_reviews']} read, {totals['all_passages']} passages.</p>"
        f"<figure>{bar_chart(themes, area, data['year'], {t for t, note in thin.items() if note}, measure)}"
        f"<figcaption>{CHART_TITLES[measure]}: {_e(area)} {data['year']} (dark) and all reviews "
        "in the database (light)."
        + (f" {THIN_MARK} thin evidence here: read its passages below before counting it." if any(thin.values())
           else "")
        + (f" {_e(SATURATED_NOTE)}" if measure == "passages" else "")
        + "</figcaption></figure>"
        '<div class="wide"><table><caption>Each learning theme: reviews and passages here, against all reviews'
        "</caption>"
        + _head("Theme", "#Reviews here", "#Share here", "#Share, all reviews", "#Share of passages here",
                "#Share of passages, all reviews") +
        f"<tbody>{rows}</tbody></table></div>"
        "<h3>The passages behind each theme</h3>"
        f'<p class="muted">For each theme, its {QUOTES_PER_THEME} most probable passages here. {THIN_RULE}</p>'
        f"{articles}"
        "</section>"
    )


# A theme resting on fewer passages than THIN_PASSAGES here, or on none the model rates SURE_TAG or more, is marked
# as thin evidence wherever it is counted (table, chart, its quotes): one passage, or a tag near a coin toss, can
# make a review "carry" a theme, and such a tag should be read before it is counted.
THIN_PASSAGES = 3
SURE_TAG = 0.7
THIN_MARK = "*"
THIN_RULE = (f"A theme resting on fewer than {THIN_PASSAGES} passages here, or only on tags under "
             f"{SURE_TAG:.0%} probability, is marked thin evidence: read its passages before counting it.")


SATURATED_NOTE = ("Nearly every review here carries nearly every theme, because one tagged passage is enough, "
                  "so the chart shows shares of passages, which tell the themes apart; the table below has both.")
# What the chart shows, by measure: the share of reviews carrying a theme, or (when nearly every review here carries
# nearly every theme: ``saturated_reviews``) the share of passages tagged with it.
CHART_TITLES = {"reviews": "Share of reviews carrying each theme",
                "passages": "Share of passages tagged with each theme"}
_CHART_KEYS = {"reviews": ("area_review_share", "all_review_share"),
               "passages": ("area_passage_share", "all_passage_share")}


def saturated_reviews(themes: list[dict[str, Any]], reviews: int) -> bool:
    """Whether the area's shares of reviews say little: with more than one review read, at least
    ``SATURATED_CELLS`` of the themes are carried by ``SATURATED`` or more of them (as ``trends`` says of years).

    >>> saturated_reviews([{"area_review_share": 1.0}] * 6 + [{"area_review_share": 0.5}], 4)
    True
    >>> saturated_reviews([{"area_review_share": 1.0}] * 7, 1), saturated_reviews([{"area_review_share": 0.5}] * 7, 4)
    (False, False)
    """
    from pipeline.outputs.trends import SATURATED, SATURATED_CELLS

    shares = [theme["area_review_share"] or 0 for theme in themes]
    return reviews > 1 and bool(shares) and sum(share >= SATURATED for share in shares) / len(shares) >= (
        SATURATED_CELLS)


def _thin_notes(data: dict[str, Any]) -> dict[str, str]:
    """``thin_evidence`` for each theme present in the area (by id)."""
    return {t["id"]: thin_evidence(t, data["quotes"].get(t["id"], [])) for t in data["themes"] if t["area_reviews"]}


def thin_evidence(theme: dict[str, Any], quotes: list[dict[str, Any]]) -> str:
    """What makes a theme's evidence here thin (its passages, its best probability, and what to do), or "" when
    it rests on ``THIN_PASSAGES`` passages or more and one of them reaches ``SURE_TAG``. ``quotes`` are its
    most probable passages here, best first.

    >>> thin_evidence({"area_passages": 1}, [{"score": 0.51}])
    'thin evidence: 1 passage, probability 51%: read it before counting it'
    >>> thin_evidence({"area_passages": 6}, [{"score": 0.64}, {"score": 0.6}])
    'thin evidence: 6 passages, the best at probability 64%: read them before counting it'
    >>> thin_evidence({"area_passages": 6}, [{"score": 0.93}])
    ''
    """
    passages = int(theme["area_passages"])
    best = max((quote["score"] for quote in quotes), default=None)
    if not passages or (passages >= THIN_PASSAGES and best is not None and best >= SURE_TAG):
        return ""
    if passages == 1:
        said = f"1 passage, probability {probability_text(best)}: read it"
    else:
        said = f"{passages} passages, the best at probability {probability_text(best)}: read them"
    return f"thin evidence: {said} before counting it"


# A quote whose tag is weak (common.weak_tag) says so: the best a theme has in an area can be a tag the model
# itself rates nearer a coin toss than a likely reading.
WEAK_TAG_NOTE = f" · {WEAK_TAG_WORDS}"


def _theme_article(theme: dict[str, Any], quotes: list[dict[str, Any]], totals: dict[str, Any],
                   local_check: str | None = None, thin: str = "", on_page: bool = False) -> str:
    items = []
    for quote in quotes:
        text = quote["evidence"] or _cut(quote["text"])
        where = [quote["title"], pages_label(quote["page_start"], quote["page_end"], quote["printed_start"],
                                             quote["printed_end"])]
        if quote["section"]:
            where.append(f"section “{section_trail(quote['headings'], quote['section'])}”")
        ocr = f" · {OCR_NOTE}" if quote["ocr"] else ""
        weak = WEAK_TAG_NOTE if weak_tag(quote["score"]) else ""
        # the probability is the passage's; the quote is its best sentence, which may score less on its own
        alone = quote_alone(quote["score"], quote["evidence_score"]) if quote["evidence"] else ""
        probability = (f"probability {probability_text(quote['score'])} for the passage; the quoted sentence: {alone}"
                       if alone else f"probability {probability_text(quote['score'])}")
        items.append(
            f"<li><blockquote>{_e(text)}</blockquote>"
            f'<p class="cite">{_e(" · ".join(where))} · {_e(probability)} '
            f"(model {_e(quote['model_version'])}){_e(weak)}{_e(ocr)}"
            f"{_passage_link(quote['passage_id'], quote['title'], where[1]) if on_page else ''}</p></li>"
        )
    check = theme_note([quote["model_version"] for quote in quotes], theme["id"], theme["name"]) if quotes else None
    return (
        f'<article class="theme" id="theme-{_e(theme["id"])}">'
        f"<h4>{_e(theme['name'])}{f' {THIN_MARK}' if thin else ''}</h4>"  # (under "The passages behind each theme")
        + (f'<p class="thin">{_e(thin[:1].upper() + thin[1:])}.</p>' if thin else "")
        + f'<p class="muted">{theme["area_reviews"]} of {counted(totals["area_reviews"], "review")} here '
        f"({percent(theme['area_review_share'])}) against {percent(theme['all_review_share'])} of all reviews; "
        f"{counted(theme['area_passages'], 'passage')}.</p>"
        + (f'<p class="muted">How far to trust these tags: {_e(check)}</p>' if check else "")
        + (f'<p class="muted">Checked in this database: {_e(local_check)}</p>' if local_check and quotes else "")
        + f"<ol class=\"quotes\">{''.join(items)}</ol>"
        "</article>"
    )


def _passage_link(passage_id: str, title: str | None, pages: str) -> str:
    """A link from a quote of the summary in the browser to its whole passage, in its place in the review (the
    file ``casereview report`` writes has no server to link to), named for those who hear the links alone.

    >>> _passage_link("k-p1", "Family K", "p. 2")
    '<span class="to-passage"> · <a href="/passage?id=k-p1">read the whole passage<span class="visually-hidden"> \
from Family K, p. 2</span></a></span>'
    """
    return (f'<span class="to-passage"> · <a href="/passage?{_e(urlencode({"id": passage_id}))}">read the whole '
            f'passage<span class="visually-hidden"> from {_e(title or "")}, {_e(pages)}</span></a></span>')


def _cut(text: str, width: int = 320) -> str:
    return shorten(text, width)


def bar_chart(themes: list[dict[str, Any]], area: str, year: int, thin: set[str] | frozenset[str] = frozenset(),
              measure: str = "reviews") -> str:
    """An inline SVG chart: for each theme, the area's share of reviews (``measure`` "reviews") or of passages
    ("passages") and the whole database's; the names of the themes in ``thin`` (ids) carry ``THIN_MARK``.
    Shares of reviews run to 100%; shares of passages (a few per cent each) to ``chart_top`` of them, named at the
    end of the scale, so that they can be told apart.

    >>> svg = bar_chart([{"id": "a", "name": "Assessment", "area_passage_share": 0.12, "all_passage_share": 0.08}],
    ...                 "Northmoor", 2021, measure="passages")
    >>> "Share of passages tagged with each theme" in svg, ">20%</text>" in svg, 'width="228.0"' in svg
    (True, True, True)
    """
    area_key, all_key = _CHART_KEYS[measure]
    top = 1.0 if measure == "reviews" else chart_top([theme[key] for theme in themes for key in (area_key, all_key)])
    digits = 0 if measure == "reviews" else 1  # as the table below the chart has them
    label_w, bar_w, value_w, row_h, top_y = 200, 380, 60, 40, 30
    width = label_w + bar_w + value_w
    height = top_y + row_h * len(themes) + 24
    title = CHART_TITLES[measure]
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{title}">',
        f"<title>{title}: {_e(area)}, {year}, and all reviews</title>",
        f'<rect x="{label_w}" y="6" width="12" height="12" fill="#1f5f8b"/>',
        f'<text x="{label_w + 18}" y="16">This area, {year}</text>',
        f'<rect x="{label_w + 280}" y="6" width="12" height="12" fill="#b9c7d3" stroke="#5a5a60"/>',
        f'<text x="{label_w + 298}" y="16">All reviews</text>',
    ]
    for index, theme in enumerate(themes):
        y = top_y + index * row_h
        name = _short(theme["name"], 28) + (f" {THIN_MARK}" if theme["id"] in thin else "")
        parts.append(f'<text x="{label_w - 8}" y="{y + 20}" text-anchor="end">{_e(name)}</text>')
        # the light bars are outlined: light blue alone is 1.7:1 against the page, under the 3:1 a shape needs
        for offset, key, colour in ((2, area_key, '"#1f5f8b"'), (18, all_key, '"#b9c7d3" stroke="#5a5a60"')):
            length = (theme[key] or 0.0) / top * bar_w
            parts.append(
                f'<rect x="{label_w}" y="{y + offset}" width="{max(length, 0.5):.1f}" height="14" '
                f'fill={colour}/>'
            )
            parts.append(
                f'<text x="{label_w + length + 6:.1f}" y="{y + offset + 12}">{percent(theme[key], digits)}'
                "</text>"
            )
    axis_y = height - 22
    parts.append(f'<line x1="{label_w}" y1="{top_y - 4}" x2="{label_w}" y2="{axis_y}" stroke="#5a5a60"/>')
    parts.append(f'<line x1="{label_w}" y1="{axis_y}" x2="{label_w + bar_w}" y2="{axis_y}" stroke="#5a5a60"/>')
    parts.append(f'<line x1="{label_w + bar_w}" y1="{top_y - 4}" x2="{label_w + bar_w}" y2="{axis_y}" '
                 'stroke="#d0d0d4" stroke-dasharray="3 3"/>')
    parts.append(f'<text x="{label_w}" y="{axis_y + 15}" text-anchor="middle">0%</text>')
    parts.append(f'<text x="{label_w + bar_w}" y="{axis_y + 15}" text-anchor="middle">{top:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)


# The ends a chart's scale may have: the smallest that holds every share is used.
CHART_TOPS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)


def chart_top(shares: list[float | None]) -> float:
    """The end of a chart's scale: the smallest of ``CHART_TOPS`` that holds every share.

    >>> chart_top([0.12, 0.08]), chart_top([0.262, None]), chart_top([1.0, 0.4]), chart_top([])
    (0.2, 0.3, 1.0, 0.05)
    """
    largest = max((share or 0.0 for share in shares), default=0.0)
    return next(top for top in CHART_TOPS if largest <= top + 1e-9) if largest <= 1 else 1.0


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _read_before(review: dict[str, Any]) -> bool:
    """Whether the review's newest document could not be read but the text of an earlier copy is kept (and so
    counted and quoted)."""
    return review["status"] != "ok" and bool(review["passages"])


def _by_review(items: list[dict[str, Any]], reviews: list[dict[str, Any]]
               ) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """A section's items grouped by review, and the titles of the reviews with text that have none."""
    by_review: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_review.setdefault(item["review_id"], []).append(item)
    return by_review, [r["title"] for r in reviews if r["passages"] and r["review_id"] not in by_review]


def _when_none(none_found: str, reviews: list[dict[str, Any]]) -> str:
    """What a section says when it lists nothing: ``none_found`` when some review in scope has text, else that
    no review could be read."""
    if any(r["passages"] for r in reviews):
        return f"<p>{none_found}</p>"
    return ("<p>No review in scope could be read, so there is nothing to show here (see Limits below).</p>"
            if reviews else "")


def _searches_section(data: dict[str, Any]) -> str:
    """The partnership's own searches: for each, the passages and reviews that match here against all reviews
    read, and the best passages here with their pages."""
    read = int(data["totals"]["area_reviews"])
    rows, articles = [], []
    for number, search in enumerate(data["searches"], start=1):
        rows.append(
            f'<tr><td class="num">{number}</td><th scope="row">{_e(search["name"])}</th>'
            f'<td><code>{_e(search["query"])}</code></td>'
            f'<td class="num">{search["area_reviews"]} of {read}</td><td class="num">{search["area_passages"]}</td>'
            f'<td class="num">{search["all_reviews"]} of {search["all_read"]}</td></tr>')
        # the section is said, as a search may match a passage by the words of its heading
        quotes = "".join(
            f'<li><blockquote>{_e(_cut(hit.text))}</blockquote><p class="cite">{_e(hit.title)} · '
            f"{_e(pages_label(hit.page_start, hit.page_end, hit.printed_start, hit.printed_end))}"
            + (f" · section “{_e(section_trail(hit.headings, hit.section))}”" if hit.section else "")
            + (_passage_link(hit.passage_id, hit.title, pages_label(hit.page_start, hit.page_end, hit.printed_start,
                                                                   hit.printed_end)) if data.get("on_page") else "")
            + "</p></li>"
            for hit in search["quotes"])
        articles.append(f'<article><h3>{number}. {_e(search["name"])}</h3>'
                        + (f'<p class="muted">{_e(search["note"])}</p>' if search.get("note") else "")
                        + (f'<ol class="quotes">{quotes}</ol>' if quotes
                           else "<p>No passage of these reviews matches it.</p>") + "</article>")
    return (
        '<section id="searches">'
        "<h2>Your searches</h2>"
        '<p class="muted">The searches given with the report (<code>casereview report --searches FILE</code>'
        + (f"; {_e(data['searches_from'])}" if data.get("searches_from") else "") + "), each "
        "run as casereview search runs it: how many of this area's reviews read have a passage that matches, and "
        "how many passages, set against all reviews read in the database; then the best matches here, with "
        "pages. A search counts words, not meaning: read the passages before counting them.</p>"
        + ('<div class="wide"><table><caption>What each search found</caption><thead><tr><th scope="col">#</th>'
                      '<th scope="col">Search</th><th scope="col">What was searched</th>'
                      '<th scope="col" class="num">Reviews here</th><th scope="col" class="num">Passages here</th>'
                      '<th scope="col" class="num">Reviews in all</th></tr></thead><tbody>'
                      + "".join(rows) + "</tbody></table></div>")
        + "".join(articles) + "</section>")


def _findings_section(findings: list[dict[str, Any]], reviews: list[dict[str, Any]]) -> str:
    """The findings each review states in its headings ("Finding 1: ..."), with the page each starts on."""
    by_review, without = _by_review(findings, reviews)
    articles = []
    for items in by_review.values():
        rows = "".join(
            f"<li>{_e(item['finding'])} <span class=\"cite\">· "
            f"{_e(pages_label(item['page_start'], item['page_end'], item['printed_start'], item['printed_end']))}"
            "</span></li>" for item in items)
        articles.append(f'<article class="findings"><h3>{_e(items[0]["title"])} ({items[0]["year"]})</h3>'
                        f"<ol>{rows}</ol></article>")
    return (
        '<section id="findings">'
        "<h2>Findings</h2>"
        '<p class="muted">The findings the reviews state in their own headings ("Finding 1: …", "Learning point '
        '2: …", or the subheadings of a chapter of findings such as "Practice and organisational learning"), in '
        "each review's order, with the page each starts on. A review that does not state its findings in its "
        "headings is not listed here; its themes and recommendations are above and below.</p>"
        + ("".join(articles) or _when_none("None of these reviews states its findings in its headings."
                                           if len(reviews) > 1 else "This review does not state its findings in its "
                                           "headings.", reviews))
        + (f"<p class=\"muted\">No finding headings were found in: {_e('; '.join(without))}.</p>"
           if without and by_review else "")
        + "</section>"
    )


def _recommendations_section(passages: list[dict[str, Any]], reviews: list[dict[str, Any]]) -> str:
    """What each review recommended, as written under its recommendations heading, with pages to cite."""
    by_review, without = _by_review(passages, reviews)
    articles = []
    for items in by_review.values():
        rows = []
        for item in items:
            where = pages_label(item["page_start"], item["page_end"], item["printed_start"], item["printed_end"])
            ocr = f" · {OCR_NOTE}" if item["ocr"] else ""
            rows.append(f"<li><p>{_e(item['text'])}</p><p class=\"cite\">{_e(where)}{_e(ocr)}</p></li>")
        more = (f'<p class="muted">The first {RECOMMENDATIONS_PER_REVIEW} passages of the section are shown; '
                "the review has more.</p>" if len(items) == RECOMMENDATIONS_PER_REVIEW else "")
        articles.append(f'<article class="recommendations"><h3>{_e(items[0]["title"])} ({items[0]["year"]})</h3>'
                        f"<ol class=\"quotes\">{''.join(rows)}</ol>{more}</article>")
    missing = (f"<p class=\"muted\">No heading naming recommendations was found in: {_e('; '.join(without))}. "
               "Such a review may set them out elsewhere (in its findings, or in a separate document).</p>"
               if without else "")
    return (
        '<section id="recommendations">'
        "<h2>Recommendations</h2>"
        '<p class="muted">What each review recommended, as written under its heading for recommendations '
        "(the passages of any section whose heading has the word, or is a Welsh child practice review's "
        "\"Improving systems and practice\" or a rapid review's \"Actions agreed\"), in the review's order, with "
        "pages to cite. "
        "They are the reviews' own words, not the theme model's.</p>"
        + ("".join(articles) or _when_none("None of these reviews has a heading naming recommendations."
                                           if len(reviews) > 1 else "This review has no heading naming "
                                           "recommendations.", reviews))
        + (missing if by_review else "")
        + "</section>"
    )


def _topics_section(topics: dict[str, Any], read: int = 1) -> str:
    if not topics["available"]:
        return f'<section id="topics"><h2>Topics</h2><p class="empty">{_e(topics["note"])}</p></section>'
    if not topics["rows"]:
        said = ("No review in scope could be read, so there is nothing to show here (see Limits below)."
                if not read else "The topic model placed none of these reviews' passages in a topic.")
        return f'<section id="topics"><h2>Topics</h2><p class="empty">{_e(said)}</p></section>'
    rows = "".join(
        "<tr>"
        f"<td>{_e(row['label'])}</td>"
        f"<td>{_e(_terms(row['terms']))}</td>"
        f'<td class="num">{row["passages"]}</td>'
        f'<td class="num">{_closeness(row["mean_probability"])}</td>'
        "</tr>"
        for row in topics["rows"]
    )
    models = sorted({str(row["model_version"]) for row in topics["rows"] if row["model_version"]})
    return (
        '<section id="topics"><h2>Topics</h2>'
        f"<p>Topics found by the topic model ({_e(', '.join(models) or 'unknown')}) among the passages of these "
        "reviews, the most frequent first. Topics are groups of passages that use similar words; their labels "
        "are made from those words, not written by a person. Closeness is how near, on average, the passages lie "
        "to the topic's centre (1 is as near as can be); it is not a probability, and not a measure of how "
        "sure anything is.</p>"
        "<div class=\"wide\"><table><caption>Topics among these reviews' passages</caption>"
        f"{_head('Topic', 'Typical words', '#Passages', '#Closeness')}<tbody>{rows}</tbody></table></div>"
        "</section>"
    )


def _closeness(value: float | None) -> str:
    """A topic's mean closeness (cosine similarity of its passages to its centre) as the report shows it.

    >>> _closeness(0.7634), _closeness(None)
    ('0.76', '–')
    """
    return "–" if value is None else f"{value:.2f}"


def _head(*columns: str) -> str:
    """A table's header row; a column named with a leading "#" holds numbers (set right-aligned)."""
    cells = "".join(f'<th scope="col" class="num">{_e(c[1:])}</th>' if c.startswith("#")
                    else f'<th scope="col">{_e(c)}</th>' for c in columns)
    return f"<thead><tr>{cells}</tr></thead>"


def _pages(count: int) -> str:
    return f"{count} page{'' if count == 1 else 's'}"


def _terms(terms: Any) -> str:
    if isinstance(terms, list | tuple):
        return ", ".join(str(term) for term in terms[:10])
    return "" if terms is None else str(terms)


def _limits_section(data: dict[str, Any]) -> str:
    unread = [r for r in data["reviews"] if r["status"] != "ok" and not r["passages"]]
    earlier = [r for r in data["reviews"] if _read_before(r)]
    items = [
        "Theme tags are predictions of a statistical model, each with the model's probability; they are not "
        "findings of the reviews. A tag can be wrong, and a theme can be present without being tagged.",
        "Shares compare few reviews: with one or two reviews in a year, one review changes a share by 50 "
        "percentage points or more.",
        "Quotes are the model's evidence sentences; read them in context in the review before quoting them.",
        "Findings and recommendations are found by their headings (headings that number a finding or stand under "
        "a chapter of findings; headings with the "
        "word \u201crecommendation\u201d, or a Welsh child practice review\u2019s \u201cImproving systems and "
        "practice\u201d): a review that states them only in running text, or in a separate action "
        "plan, shows none, and text set under such a heading by mistake is shown with them.",
    ]
    scanned = [r for r in data["reviews"] if r["status"] == "ok" and r["ocr_pages"]]
    if scanned:
        listed = "; ".join(f"{r['title']}: {_pages(r['ocr_pages'])}" for r in scanned)
        items.append(
            f"Some pages had no usable text layer (scans, or text stored as pictures or shapes) and were read by "
            f"optical character recognition (OCR): {listed}. Words on those pages may be misread; their quotes are "
            "marked, so check them against the PDF."
        )
    if unread:
        listed = "".join(
            f"<li>{_e(r['title'])} ({_e(r['review_id'])}): {_e(r['status'])}"
            f"{' — ' + _e(r['error']) if r['error'] else ''}</li>" for r in unread
        )
        unread_html = (f"<p>{'These reviews' if len(unread) > 1 else 'This review'} in scope could not be read, so "
                       f"nothing from {'them' if len(unread) > 1 else 'it'} is counted or quoted:</p><ul>{listed}</ul>")
    elif not earlier:
        unread_html = "<p>Every review in scope was read.</p>"
    else:
        unread_html = ""
    if earlier:
        listed = "".join(
            f"<li>{_e(r['title'])} ({_e(r['review_id'])}){' — ' + _e(r['error']) if r['error'] else ''}</li>"
            for r in earlier
        )
        unread_html += (
            "<p>The newest copy of these reviews could not be read, so this summary counts and quotes the copy "
            "read before it; if the review has changed since, the figures here are for the earlier version. "
            f"Mend the newest copy and run again to bring them up to date:</p><ul>{listed}</ul>")
    others = data["unread_elsewhere"] - len([r for r in unread if r["status"] in ("failed", "needs_ocr")])
    if others > 0:
        unread_html += (f"<p>{counted(others, 'other review')} in the database could not be read; they are left "
                        "out of the 'all reviews' figures ("
                        + ("the list of reviews, at the top of the search page, says why" if data.get("on_page")
                           else "the command casereview status lists them") + ").</p>")
    return (
        '<section id="limits"><h2>Limits</h2>'
        f"<ul>{''.join(f'<li>{_e(item)}</li>' for item in items)}</ul>"
        f"{unread_html}</section>"
    )
