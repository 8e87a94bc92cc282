"""``casereview serve``: a small web server on this computer (127.0.0.1 only) to search the reviews in a browser.

Pages of plain HTML from :mod:`pipeline.outputs.webpages` (and :mod:`pipeline.outputs.report`):

- ``/`` with the search form; ``/?q=...&theme=...&nation=...`` searches exactly as ``casereview search`` does
  (same words, filters, ranking and limits: :func:`pipeline.search.search_with_forms`);
- ``/passage?id=PASSAGE_ID``: one passage in its place (review, page, section, the passages before and after),
  its themes with their evidence sentences, and the passages most like it in other reviews;
- ``/results.xlsx?...`` (linked from the results): the same search saved as an Excel file, with what was
  searched and where it came from, as ``casereview search --out FILE.xlsx`` writes it;
- ``/reviews``: every review, with whether it was read (and why not) and its commonest themes, and
  ``/review?id=REVIEW_ID``: one review's whole text as read, passage by passage, with pages, sections and themes;
- ``/report`` with a form, and ``/report?area=...&year=...``: a partnership's annual summary, the page
  ``casereview report`` writes (self-contained, ready to print);
- ``/findings`` (and ``/findings.xlsx``): the findings the reviews number in their headings, as ``casereview
  findings`` lists them; ``/trends`` (and ``/trends.xlsx``): the learning themes by year, as ``casereview
  trends`` shows them;
- ``/document?id=REVIEW_ID``: the copy of the review's document that the store beside the database keeps,
  found by its checksum, for the browser's PDF viewer (``#page=N`` opens a page).

Before it starts, ``casereview serve`` upgrades the database and rebuilds a stale search index once
(:func:`pipeline.search.prepare_for_reading`); after that every request only reads: it opens the database
read-only, never waits for a writer, and closes it before answering, so a ``casereview run`` can write between
two searches (while it writes, a page says the database is busy, status 503). Only GET is answered. The server
listens on the loopback address only, and answers only requests addressed to 127.0.0.1 or localhost (a web
page elsewhere cannot reach it through a name of its own); nothing is sent anywhere.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import duckdb

from pipeline.errors import CaseReviewError, DatabaseBusy
from pipeline.files import controls_as_spaces
from pipeline.outputs import webpages
from pipeline.outputs.common import KnownValues, ambiguous_number, read_probability, tag_notes
from pipeline.search import MAX_OFFSET
from pipeline.themes.errors import ThemeError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MAX_SEARCHES_TEXT = 8_000  # characters of the searches typed on the searches page (a file takes more)
MAX_FIELD = webpages.MAX_FIELD  # characters of one form field that are read: a search is words, not a document
_YEAR = re.compile(r"[0-9]{4}")
_NUMBER = re.compile(r"[0-9]{1,9}")
# The command line's option names in the search's messages, as the form labels them
_FIELD_NAMES = {"--year-from": "From year", "--year-to": "To year", "--min-score": "Lowest theme probability",
                "--section": "Heading contains", "--nation": "Nation", "--review-type": "Review type",
                "--area": "Area", "--theme": "Learning theme", "--limit": "Show"}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A review's stored document: its checksum names the copy in the store (documents), and its source as listed
_DOCUMENT = "SELECT source FROM reviews WHERE review_id = $1"


@dataclass
class Response:
    """What the server sends: status, body, its content type and any other headers."""

    status: HTTPStatus
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def _html(status: HTTPStatus, page: str) -> Response:
    return Response(status, page.encode("utf-8"))


class BadRequest(CaseReviewError):
    """A form value that cannot be used (a year that is not a number): shown on the page, status 400, with the
    form as it was filled in (``form``)."""

    def __init__(self, message: str, form: webpages.SearchForm) -> None:
        super().__init__(message)
        self.form = form


def _fields(query: str) -> dict[str, str]:
    """A query string's fields (the last value of each, trimmed, at most ``MAX_FIELD`` characters, cut at the end
    of a word: see ``_cut_field``).

    >>> _fields("q=seen+alone&id=+p1+&q=school&area=North%00moor")
    {'q': 'school', 'id': 'p1', 'area': 'North moor'}
    """
    return {key: _cut_field(controls_as_spaces(values[-1]).strip()) for key, values in parse_qs(query).items()
            if values}


MAX_BACK = 4000  # characters of the way back to a search's results (its query string, escaped) that are kept


def _back(query: str) -> str:
    """The query string of the search a passage was opened from (its field "back"), whole: cut like a field of
    words, its filters would be lost or broken; one over ``MAX_BACK`` characters gives no way back.

    >>> from urllib.parse import quote
    >>> _back("id=p1&back=" + quote("q=" + "child " * 100 + "&nation=England")).endswith("nation=England")
    True
    >>> _back("id=p1&back=" + "x" * 5000), _back("id=p1")
    ('', '')
    """
    values = parse_qs(query).get("back") or [""]
    back = controls_as_spaces(values[-1]).strip()
    return back if len(back) <= MAX_BACK else ""


def _cut_field(value: str, most: int = MAX_FIELD) -> str:
    """``value`` when it has at most ``most`` characters; else its start, cut after the last whole word that fits
    (a pasted paragraph is searched for its words, not for the half of one it ends in), with a phrase the cut
    leaves open closed where it was cut (an unbalanced quote cannot be searched; its words are kept), and so
    are brackets, after an AND, OR or NOT the cut leaves with nothing to join is dropped.

    >>> _cut_field("not seen alone by a social worker", 20), _cut_field("abc", 2)
    ('not seen alone by a', 'ab')
    >>> _cut_field('school "not seen alone" nurse', 18)
    'school "not seen"'
    >>> _cut_field('"' + "the school did not share " * 30 + '"', 60)
    '"the school did not share the school did not share the"'
    >>> _cut_field("(neglect OR school OR nurse OR police) AND home", 28)
    '(neglect OR school OR nurse)'
    """
    from pipeline.search_query import straight_quotes

    if len(value) <= most:
        return value
    cut = value[:most]
    if not value[most].isspace():
        space = cut.rfind(" ")
        cut = cut[:space] if space > most // 2 else cut
    cut = cut.strip()
    if straight_quotes(cut).count('"') % 2:
        if straight_quotes(cut).endswith('"'):
            return cut[:-1].rstrip()
        if len(cut) >= most:  # room for the closing quote: the last word goes
            cut = cut[:cut.rfind(" ")].rstrip() if " " in cut else cut[:-1]
        cut += '"'
    return _close_brackets(cut, most)


def _close_brackets(cut: str, most: int) -> str:
    """A search cut short (``_cut_field``) with its last open bracket closed, and without an AND, OR or NOT at its
    end that the cut left with nothing to join: "(neglect OR school OR" is "(neglect OR school)".

    >>> _close_brackets("school (neglect OR", 30), _close_brackets("school AND (", 30), _close_brackets("a (b c", 6)
    ('school (neglect)', 'school', 'a (b)')
    >>> _cut_field('(neglect OR "not seen alone by anyone at all") AND home visit', 22)
    '(neglect)'
    """
    def still_open(text: str) -> bool:
        from pipeline.search_query import straight_quotes

        outside = re.sub(r'"[^"]*"', "", straight_quotes(text))
        return outside.rfind("(") > outside.rfind(")")

    def ends_open(text: str) -> bool:
        return bool(re.search(r"(?:^|\s)(?:AND|OR|NOT|-)$", text)) or text.endswith("(")

    def quote_open(text: str) -> bool:
        return straight_quotes(text).count('"') % 2 == 1

    from pipeline.search_query import straight_quotes

    while cut and (ends_open(cut) or quote_open(cut) or (still_open(cut) and len(cut) >= most)):
        cut = cut[:cut.rfind(" ")].rstrip() if " " in cut else ""  # (a phrase cut open goes whole)
    return cut + ")" if still_open(cut) else cut


def read_form(query: str) -> webpages.SearchForm:
    """The search form from a URL's query string, checked: years must be numbers, a probability from 0 to 1 or a
    percentage (``read_probability``; the search itself checks the rest, as for ``casereview search``). Words
    longer than ``MAX_FIELD`` characters are cut at the end of a word, and the form says so (``cut``). The number
    to show is one the form offers: another number gives the nearest offered below it (the smallest above it when
    none is), anything else 20.

    >>> read_form("q=seen+alone&year_from=2019&limit=50").year_from
    '2019'
    >>> [read_form(f"limit={n}").limit for n in ("7", "60", "100000", "abc")]
    [10, 50, 200, 20]

    ``start`` (a later page of results: how many passages of the ranking come before it) is a whole number up
    to ``MAX_OFFSET``; anything else starts at the beginning.

    >>> [read_form(f"start={n}").start for n in ("40", "-5", "x", "99999")]
    [40, 0, 0, 10000]
    """
    fields = _fields(query)
    form = webpages.SearchForm(**{key: fields.get(key, "") for key in (
        "q", "theme", "min_score", *webpages.FILTERS)})
    form.by_review = fields.get("by_review") == "1"  # every review found, on one page: no later pages
    # one review's passages as it is read (the order of other searches is best first)
    form.page_order = fields.get("order") == "page" and bool(form.review.strip()) and not form.by_review
    form.cut = len(parse_qs(query).get("q", [""])[-1].strip()) > MAX_FIELD
    for key, label in (("year_from", "From year"), ("year_to", "To year")):
        message = year_error(label, getattr(form, key))
        if message:
            raise BadRequest(message, form)
    if form.min_score:
        score = read_probability(form.min_score)
        if score is None and ambiguous_number(form.min_score):
            raise BadRequest(f"Lowest theme probability: '{form.min_score}' could be a slip for a number from 0 to 1 "
                             "or a percentage without its sign: give a number from 0 to 1 (0.8) or a percentage with "
                             f"its sign ({form.min_score.strip()}%)", form)
        if score is None:
            raise BadRequest(f"Lowest theme probability: '{form.min_score}' is not a probability; give a number from "
                             "0 to 1 (0.8) or a percentage (80%)", form)
        form.min_score = f"{score:g}"
    limit = fields.get("limit", "")
    if _NUMBER.fullmatch(limit):
        offered = [n for n in webpages.LIMITS if n <= int(limit)]
        form.limit = offered[-1] if offered else webpages.LIMITS[0]
    else:
        form.limit = 20
    start = fields.get("start", "")
    form.start = min(int(start), MAX_OFFSET) if _NUMBER.fullmatch(start) and not form.by_review else 0
    return form


def year_error(label: str, value: str) -> str:
    """What is wrong with a year typed in the field ``label`` ("" when it is empty or four figures).

    >>> year_error("Year", "abc"), year_error("Year", "2019"), year_error("Year", "")
    ("Year: 'abc' is not a year; give four figures, e.g. 2019", '', '')
    """
    if value and not _YEAR.fullmatch(value):
        return f"{label}: '{value}' is not a year; give four figures, e.g. 2019"
    return ""


def _results_file_name(form: webpages.SearchForm, rows: int) -> str:
    """A name for a saved page of results that says what it holds, so pages saved one after another do not
    overwrite each other: the words or theme searched, and which passages.

    >>> _results_file_name(webpages.SearchForm(q='"seen alone" s47', start=20, limit=20), 20)
    'results-seen-alone-s47-21-40.xlsx'
    >>> _results_file_name(webpages.SearchForm(theme="voice_of_child"), 7)
    'results-voice_of_child-1-7.xlsx'
    >>> _results_file_name(webpages.SearchForm(q="neglect", by_review=True), 20)
    'reviews-with-neglect.xlsx'
    """
    asked = re.sub(r"[^A-Za-z0-9_]+", "-", form.q or form.theme).strip("-")[:60] or "search"
    if form.by_review:  # the reviews the passages are in, all of them
        return f"reviews-with-{asked}.xlsx"
    return f"results-{asked}-{form.start + 1}-{form.start + max(rows, 1)}.xlsx"


def _has_casereview_tables(db_path: Path | None) -> bool:
    """Whether the database at ``db_path`` holds casereview's own tables (reviews, runs); True when it cannot be
    told (then the error that asked is not put down to the file)."""
    from pipeline.outputs.common import resolve_db
    from pipeline.query import read_only_connection

    try:
        con = read_only_connection(resolve_db(db_path))  # (as the pages open it: DuckDB refuses two configurations)
    except (duckdb.Error, CaseReviewError):
        return True
    try:
        return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
                           "AND table_name IN ('reviews', 'runs')").fetchone()[0] == 2
    finally:
        con.close()


# The manifest the last run to record a review read it from (its full path, or as typed before migration 020).
_LISTED_IN = """
SELECT coalesce(r.manifest_path, r.manifest) FROM run_reviews rr JOIN runs r USING (run_id)
WHERE rr.review_id = $1 ORDER BY r.started_at DESC LIMIT 1"""


class Pages:
    """Answers a path and query string with (status, HTML), reading the database ``db_path`` for each one."""

    def __init__(self, db_path: Path | None) -> None:
        self.db_path = db_path

    def answer(self, target: str) -> Response:
        """The response to a GET of ``target`` (a path with its query string)."""
        parts = urlsplit("/" + target.lstrip("/"))  # ("//reviews" would be read as a host named "reviews")
        routes: dict[str, Callable[[str], Response | tuple[HTTPStatus, str]]] = {
            "/": self.search, "/index.html": self.search, "/passage": self.passage, "/results.xlsx": self.results,
            "/report": self.report, "/reviews": self.reviews, "/review": self.review, "/document": self.document,
            "/findings": self.findings, "/findings.xlsx": self.findings_table, "/trends": self.trends,
            "/trends.xlsx": self.trends_table, "/searches": self.searches, "/searches.xlsx": self.searches_table}
        route = routes.get(parts.path) or routes.get(parts.path.rstrip("/") or "/")  # "/reviews/" as "/reviews"
        if route is None:
            return _html(HTTPStatus.NOT_FOUND, webpages.message_page(
                "No such page", f"There is no page at {parts.path}: the search is at / and passages at "
                                "/passage?id=PASSAGE_ID."))
        try:
            answer = route(parts.query)
        except ThemeError as exc:  # the taxonomy file, not the database: a mistake to mend, not a moment to wait
            return _html(HTTPStatus.INTERNAL_SERVER_ERROR, webpages.message_page(
                "The list of learning themes cannot be read",
                f"{exc}. Mend the file (or put back the one casereview came with), then reload this page."))
        except CaseReviewError as exc:  # no database, a busy one: say so, as the command line does
            unavailable = _html(HTTPStatus.SERVICE_UNAVAILABLE,
                                webpages.message_page("The database cannot be read now", str(exc)))
            if isinstance(exc, DatabaseBusy):
                unavailable.headers["Retry-After"] = "5"
            return unavailable
        except duckdb.CatalogException:  # a DuckDB file without casereview's tables put in its place?
            if _has_casereview_tables(self.db_path):
                raise  # a missing view or a bug: the terminal shows the traceback
            return _html(HTTPStatus.SERVICE_UNAVAILABLE, webpages.message_page(
                "The database cannot be read now",
                f"{self.db_path or 'The database'} has no casereview tables: it is not a database casereview made "
                "(another program's DuckDB file?). Stop this server and start it with --db naming the database "
                "a casereview run wrote."))
        return answer if isinstance(answer, Response) else _html(*answer)

    def _check_readable(self) -> None:
        """Raise what every page says (503) when there is no database, or it is busy: a download checks this
        first, so that it is not said as a form error (400)."""
        self._open()[0].close()

    def _open(self):
        from pipeline.outputs.common import open_database, theme_names

        con = open_database(self.db_path, upgrade=False)
        return con, theme_names(con)

    def search(self, query: str) -> tuple[HTTPStatus, str]:
        from pipeline.search import missing_note, nothing_kept_note, parts_only_note, total_note, unindexed_note
        from pipeline.search_query import operator_note

        try:
            form = read_form(query)
        except BadRequest as exc:
            return HTTPStatus.BAD_REQUEST, self._search_page(exc.form, error=str(exc))
        if not form.asked:
            return self._filters_alone(form)
        try:
            result = self._search(form)
        except DatabaseBusy:
            raise
        except CaseReviewError as exc:
            return HTTPStatus.BAD_REQUEST, self._search_page(form, error=_as_form(str(exc)))
        notes = " ".join(note for note in (operator_note(form.q), missing_note(result.missing, result.numbers_only),
                                           parts_only_note(result), unindexed_note(result.unindexed)) if note)
        return HTTPStatus.OK, self._search_page(form, result.hits, also=result.also, more=result.more,
                                                total=result.total, total_note=total_note(result, form.q),
                                                without_words=result.without_words,
                                                without_quotes=result.without_quotes, like_theme=result.like_theme,
                                                missing_note=notes, query=query, total_reviews=result.total_reviews,
                                                by_review=result.by_review, reviews_read=result.reviews_read,
                                                by_year=result.by_year, nothing_kept=nothing_kept_note(result),
                                                review=result.review, as_phrase=result.as_phrase,
                                                words_apart=result.words_apart)

    def _filters_alone(self, form: webpages.SearchForm) -> tuple[HTTPStatus, str]:
        """The search page for a form with nothing to search for: the first page, or, when filters are given
        without words or a theme (which only narrow a search), what they keep and the themes in it to choose
        from; a filter no review has is explained as a search explains it."""
        if not any(getattr(form, key) for key in (*webpages.FILTERS, "min_score")):
            return HTTPStatus.OK, self._search_page(form)
        con, _ = self._open()
        try:
            kept = webpages.filters_keep(con, form, float(form.min_score) if form.min_score else None)
        except CaseReviewError as exc:
            return HTTPStatus.BAD_REQUEST, self._search_page(form, error=_as_form(str(exc)))
        finally:
            con.close()
        return HTTPStatus.OK, self._search_page(form, kept=kept)

    def _search(self, form: webpages.SearchForm):
        """``search_with_forms`` with the form's words, theme and filters (as ``casereview search`` takes them),
        reading only. A theme given by its name ("Voice of the child") becomes its id, so the form shows it."""
        from pipeline.outputs.common import resolve_theme
        from pipeline.search import search_with_forms

        if form.theme:
            try:
                form.theme = resolve_theme(None, form.theme)
            except CaseReviewError:
                pass  # the search names the themes there are
        return search_with_forms(self.db_path, form.q or None, refresh=False, by_review=form.by_review,
                                 **self._options(form))

    @staticmethod
    def _options(form: webpages.SearchForm) -> dict:
        options = {key: getattr(form, key) or None for key in webpages.FILTERS}
        for key in ("year_from", "year_to"):
            options[key] = int(options[key]) if options[key] else None
        return {**options, "theme": form.theme or None, "limit": form.limit, "offset": form.start,
                "min_score": float(form.min_score) if form.min_score else None,
                **({"page_order": True} if form.page_order else {})}

    def results(self, query: str) -> Response | tuple[HTTPStatus, str]:
        """The search's results as an Excel file (as ``casereview search --out FILE.xlsx`` writes it)."""
        from pipeline.outputs.search_table import save_results

        try:
            form = read_form(query)
        except BadRequest as exc:
            return HTTPStatus.BAD_REQUEST, self._search_page(exc.form, error=str(exc))
        try:
            if not form.asked:
                raise CaseReviewError("there is nothing to save: search for some words or a theme first")
            result = self._search(form)
        except DatabaseBusy:
            raise
        except CaseReviewError as exc:
            return HTTPStatus.BAD_REQUEST, self._search_page(form, error=_as_form(str(exc)))
        return _excel(lambda out: save_results(self.db_path, result, out,
                                               searched={"query": form.q or None, **self._options(form)}),
                      _results_file_name(form, len(result.hits)))

    def _search_page(self, form: webpages.SearchForm, hits=(), query: str = "", **shown) -> str:
        """The search page, with the form's choices and the notes on the hits read in one visit to the database."""
        con, names = self._open()
        try:
            choices = webpages.form_choices(con, names)
            models = [hit.theme_model for hit in hits if hit.themes and hit.theme_model]
            notes = tag_notes(models, form.theme or None, names, con) if hits else []
        finally:
            con.close()
        download = "/results.xlsx?" + query if hits else ""
        return webpages.search_page(form, choices, hits, notes=notes, download=download, **shown)

    def reviews(self, query: str) -> tuple[HTTPStatus, str]:
        """Every review in the database, with whether it was read; ?containing= (words of the title or id), ?area=,
        ?year= and ?unread=1 narrow the list.
        A year that is not a number is refused as the search refuses it (400), above the whole list."""
        fields = _fields(query)
        error = year_error("Year", fields.get("year", ""))
        con, names = self._open()
        try:
            return (HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK,
                    webpages.reviews_page(con, names, fields.get("area", ""), "" if error else fields.get("year", ""),
                                          fields.get("unread", "") == "1", error=error,
                                          containing=fields.get("containing", "")))
        finally:
            con.close()

    def review(self, query: str) -> tuple[HTTPStatus, str]:
        """One review's whole text as read, passage by passage, with pages and themes."""
        review_id = _fields(query).get("id", "")
        if not review_id:
            return HTTPStatus.BAD_REQUEST, webpages.message_page(
                "Which review?", "Give a review id: /review?id=REVIEW_ID (the list of reviews, at /reviews, links to "
                                 "each).")
        con, names = self._open()
        try:
            page = webpages.review_page(con, review_id, names)
        finally:
            con.close()
        if page is None:
            return HTTPStatus.NOT_FOUND, webpages.message_page(
                "No such review", f"No review has the id '{review_id}': the list of reviews is at /reviews.")
        return HTTPStatus.OK, page

    def _filters(self, query: str, *names: str) -> tuple[dict[str, str], dict[str, Any], str]:
        """The fields ``names`` of a query string (tidied), the review filters among them as ``stated_findings``
        and ``theme_trends`` take them, and what is wrong with a year ("" when nothing is)."""
        given = _fields(query)
        fields = {name: given.get(name, "").strip() for name in names}
        error = year_error("From year", fields["year_from"]) or year_error("To year", fields["year_to"])
        filters = {"year_from": int(fields["year_from"]) if fields["year_from"] and not error else None,
                   "year_to": int(fields["year_to"]) if fields["year_to"] and not error else None,
                   "nation": fields["nation"] or None, "area": fields["area"] or None}
        return fields, filters, error

    def _nations(self) -> list[str]:
        """The nations the database's reviews are from, for a form's choice."""
        con, _ = self._open()
        try:
            return KnownValues(con).distinct("nation")
        finally:
            con.close()

    def _findings(self, query: str) -> tuple[dict[str, str], list, dict | None, str]:
        """The findings form's fields, and the findings they keep with what the list covers, or what is wrong
        with a field (the list is then None)."""
        from pipeline.outputs.findings import stated_findings

        fields, filters, error = self._filters(query, "containing", "year_from", "year_to", "nation", "area")
        if error:
            return fields, [], None, error
        try:
            rows, about = stated_findings(self.db_path, containing=fields["containing"] or None, **filters,
                                          upgrade=False)
        except DatabaseBusy:
            raise
        except CaseReviewError as exc:
            return fields, [], None, _as_form(str(exc))
        return fields, rows, about, ""

    def findings(self, query: str) -> tuple[HTTPStatus, str]:
        """The findings the reviews state in their headings (``casereview findings``), with a form to narrow
        them; the bare page explains the list and shows the form only."""
        fields, rows, about, error = self._findings(query) if query.strip() else ({}, [], None, "")
        return (HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK,
                webpages.findings_page(fields, self._nations(), rows, about, error))

    def findings_table(self, query: str) -> Response | tuple[HTTPStatus, str]:
        """The findings the form keeps as an Excel file (as ``casereview findings --out FILE.xlsx`` writes it)."""
        from pipeline.outputs.findings import write_findings_table

        self._check_readable()
        fields, rows, about, error = self._findings(query)
        if error or about is None:
            return HTTPStatus.BAD_REQUEST, webpages.message_page("Cannot save the findings", error)
        return _excel(lambda out: write_findings_table(rows, about, out), "findings.xlsx")

    def _searches(self, query: str) -> tuple[dict[str, str], list, str]:
        """The searches form's fields (``searches``: the lines typed, whole), and what each search found, or what
        is wrong with the form (the list is then empty)."""
        from pipeline.outputs.searchset import parse_searches, run_searches

        fields, filters, error = self._filters(query, "year_from", "year_to", "nation", "area")
        typed = controls_as_spaces(parse_qs(query).get("searches", [""])[-1])
        fields["searches"] = typed[:MAX_SEARCHES_TEXT]
        if error or not typed.strip():
            return fields, [], error
        if len(typed) > MAX_SEARCHES_TEXT:
            return fields, [], (f"The searches: at most {MAX_SEARCHES_TEXT:,} characters can be run here; for more, "
                                "write them in a file and run casereview searches FILE in the terminal")
        try:
            searches = parse_searches(typed, "The searches box")
            return fields, run_searches(self.db_path, searches, refresh=False, **filters), ""
        except DatabaseBusy:
            raise
        except CaseReviewError as exc:
            return fields, [], _as_form(str(exc))

    def searches(self, query: str) -> tuple[HTTPStatus, str]:
        """A set of searches typed one a line (``casereview searches``): for each, the passages and reviews that
        match, and year by year the reviews; the bare page explains it and shows the form only."""
        fields, outcomes, error = self._searches(query)
        return (HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK,
                webpages.searches_page(fields, self._nations(), outcomes, error))

    def searches_table(self, query: str) -> Response | tuple[HTTPStatus, str]:
        """The set of searches as an Excel file (as ``casereview searches FILE --out FILE.xlsx`` writes it)."""
        from pipeline.outputs.common import theme_names
        from pipeline.outputs.searchset import save_searches, searches_info

        self._check_readable()
        fields, outcomes, error = self._searches(query)
        if error or not outcomes:
            return HTTPStatus.BAD_REQUEST, webpages.message_page("Cannot save the searches",
                                                                 error or "Type some searches first, one a line.")
        filters = {key: fields[key] or None for key in ("year_from", "year_to", "nation", "area")}
        info = searches_info(self.db_path, "typed on the web page", fields["searches"].encode("utf-8"), outcomes,
                             20, filters)
        return _excel(lambda out: save_searches(out, outcomes, info, theme_names()), "searches.xlsx")

    def _trends(self, query: str) -> tuple[dict[str, str], Any, dict | None, str]:
        """The trends form's fields, and the table they ask for with its provenance, or what is wrong with a
        field (the table is then None)."""
        from pipeline.outputs.trends import MEASURES, theme_trends

        fields, filters, error = self._filters(query, "measure", "year_from", "year_to", "nation", "area",
                                               "min_score")
        if fields["measure"] and fields["measure"] not in MEASURES:
            return fields, None, None, f"Count: '{fields['measure']}' is not a choice; count {' or '.join(MEASURES)}"
        min_score = read_probability(fields["min_score"]) if fields["min_score"] else None
        if fields["min_score"] and min_score is None:
            error = error or (f"Lowest theme probability: '{fields['min_score']}' is not a probability, or could be "
                              "read two ways: give a number from 0 to 1 (0.5) or a percentage with its sign (50%)")
        if error:
            return fields, None, None, error
        try:
            frame, info = theme_trends(self.db_path, **filters, min_score=min_score, upgrade=False)
        except DatabaseBusy:
            raise
        except CaseReviewError as exc:
            return fields, None, None, _as_form(str(exc))
        return fields, frame, info, ""

    def trends(self, query: str) -> tuple[HTTPStatus, str]:
        """How common each learning theme is, year by year (``casereview trends``), with a form to narrow it."""
        fields, frame, info, error = self._trends(query)
        return (HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK,
                webpages.trends_page(fields, self._nations(), frame, info, error))

    def trends_table(self, query: str) -> Response | tuple[HTTPStatus, str]:
        """The trends as an Excel file, both counts (as ``casereview trends --out FILE.xlsx`` writes it)."""
        from pipeline.outputs.trends import write_trends_table

        self._check_readable()

        fields, frame, info, error = self._trends(query)
        if error or frame is None:
            return HTTPStatus.BAD_REQUEST, webpages.message_page("Cannot save the table", error)
        return _excel(lambda out: write_trends_table(frame, info, out, fields["measure"] or "reviews"),
                      "trends.xlsx")

    def document(self, query: str) -> Response | tuple[HTTPStatus, str]:
        """The copy of a review's document that the store beside the database keeps (the one that was read), for
        the browser to show: a PDF opens in its viewer, at the page the address names (``#page=4``)."""
        from pipeline.outputs.common import stored_copy

        review_id = _fields(query).get("id", "")
        if not review_id:
            return HTTPStatus.BAD_REQUEST, webpages.message_page(
                "Which review?", "Give a review id: /document?id=REVIEW_ID (each review's page links to it).")
        con, _ = self._open()
        try:
            row = con.execute(_DOCUMENT, [review_id]).fetchone()
            path = stored_copy(con, review_id) if row is not None else None
            listed_in = con.execute(_LISTED_IN, [review_id]).fetchone() if row is not None and path is None else None
        finally:
            con.close()
        if row is None:
            return HTTPStatus.NOT_FOUND, webpages.message_page(
                "No such review", f"No review has the id '{review_id}': the list of reviews is at /reviews.")
        source = row[0]
        if source and listed_in and not re.match(r"(?i)https?://", source):
            # a path relative to the folder of the manifest that listed it, which the page's reader cannot know
            source = str(Path(listed_in[0]).parent / source)
        if path is None:
            where = f" Open it from its source instead: {source}." if source else ""
            return HTTPStatus.NOT_FOUND, webpages.message_page(
                "No stored copy", f"The document of '{review_id}' is not in the store beside the database (it was "
                                  "never read, or the store folder was removed or not copied with the database)."
                                  + where)
        data = path.read_bytes()
        if data.startswith(b"%PDF"):
            return Response(HTTPStatus.OK, data, "application/pdf",
                            {"Content-Disposition": f'inline; filename="{review_id}.pdf"'})
        return Response(HTTPStatus.OK, data, "application/octet-stream",
                        {"Content-Disposition": f'attachment; filename="{review_id}"'})

    def report(self, query: str) -> tuple[HTTPStatus, str]:
        """The annual summary for an area and year (the page ``casereview report`` writes), or its form."""
        from pipeline.outputs.report import build_report, parse_years
        from pipeline.outputs.searchset import parse_searches

        fields = _fields(query)
        area, year = fields.get("area", ""), fields.get("year", "")
        whole = controls_as_spaces(parse_qs(query).get("searches", [""])[-1])
        typed = whole[:MAX_SEARCHES_TEXT]
        error = ""
        if (area or year) and "change" not in fields:  # (change: the form again, with what was asked filled in)
            try:
                if len(whole) > MAX_SEARCHES_TEXT:  # (cut, the last search would be run as a part of itself)
                    raise CaseReviewError(f"The box of your own searches: at most {MAX_SEARCHES_TEXT:,} characters "
                                          "can be run here; for more, write them in a file and run casereview "
                                          "report --searches FILE in the terminal")
                if not area:
                    raise CaseReviewError("choose an area")
                if not year:
                    raise CaseReviewError("give a year (2021) or a span of years (2019-2023)")
                searches = parse_searches(typed, "The box of your own searches") if typed.strip() else []
                form_url = "/report?" + urlencode({"area": area, "year": year, **({"searches": typed} if typed else {}),
                                                   "change": "1"})
                return HTTPStatus.OK, build_report(self.db_path, area, parse_years(year, "year "), upgrade=False,
                                                     on_page=True, searches=searches,
                                                     searches_from="typed on the web page", form_url=form_url)[0]
            except DatabaseBusy:
                raise
            except CaseReviewError as exc:
                error = str(exc)
        con, _ = self._open()
        try:
            return (HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK,
                    webpages.report_form_page(con, area, year, error, typed))
        finally:
            con.close()

    def passage(self, query: str) -> tuple[HTTPStatus, str]:
        from pipeline.search import similar

        fields = _fields(query)
        passage_id = fields.get("id", "")
        if not passage_id:
            return HTTPStatus.BAD_REQUEST, webpages.message_page(
                "Which passage?", "Give a passage id: /passage?id=PASSAGE_ID (search results link to them).")
        con, names = self._open()
        try:
            view = webpages.passage_view(con, passage_id)
            if view is None:
                return HTTPStatus.NOT_FOUND, webpages.message_page(
                    "No such passage", f"No passage has the id '{passage_id}': the review may have been removed "
                                       "or read again since the link was made. Search for it again.")
            notes = tag_notes([version for _, _, version in view.themes], None, names)
        finally:
            con.close()
        try:
            like, note = similar(self.db_path, passage_id, limit=5, other_reviews=True, upgrade=False), ""
        except DatabaseBusy:
            raise
        except CaseReviewError as exc:
            like, note = [], str(exc)
        back = _back(query)
        return HTTPStatus.OK, webpages.passage_page(view, names, like, note, notes, back=back)


def _excel(write: Callable[[Path], object], name: str) -> Response:
    """An Excel file for the browser to save as ``name``: ``write`` writes it to the path it is given (a
    temporary file, as the commands' ``--out FILE.xlsx`` would)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "table.xlsx"
        write(out)
        data = out.read_bytes()
    return Response(HTTPStatus.OK, data, XLSX, {"Content-Disposition": f'attachment; filename="{name}"'})


# Where the terminal's messages point to its own commands, the web page points to its own pages.
_TERMINAL_HINTS = (
    (re.compile(r"`casereview reviews[^`]*`, or the list \"The reviews\" \(at the top of each page\) of the web "
                r"page that `casereview serve[^`]*` opens"), "the list \"The reviews\" (at the top of each page)"),
    (re.compile(r"Passage ids are shown by `casereview search[^`]*`"), "Passage ids are shown on each passage's page"),
)


def _as_form(message: str) -> str:
    r"""A search's message with the command line's option names as the form labels them, and the web page's lists
    named where the terminal's commands were.

    >>> print(_as_form("no review has the id 'zzz'. Each review's id is shown in `casereview reviews`, or the list "
    ...                "\"The reviews\" (at the top of each page) of the web page that `casereview serve` opens."))
    no review has the id 'zzz'. Each review's id is shown in the list "The reviews" (at the top of each page).
    """
    for option, label in _FIELD_NAMES.items():
        message = message.replace(option, label)
    for pattern, instead in _TERMINAL_HINTS:
        message = pattern.sub(instead, message)
    return message


# Pages are made one at a time (connections are still opened and closed per request, and sending them goes on in
# parallel): DuckDB 1.5's Python client can crash the process when several threads query at once, each on its own
# connection (duckdb/duckdb-python#435); a test of six people searching at once crashed the server so, once.
_ONE_AT_A_TIME = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    pages: Pages  # set on the subclass made by make_server
    quiet = False
    server_version = "casereview"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self._respond(body=True)

    def do_HEAD(self) -> None:  # noqa: N802 (link checkers and some browsers ask for the headers alone)
        self._respond(body=False)

    def _respond(self, body: bool) -> None:
        """Answer the request; ``body``: send the page itself too (GET), or only its headers (HEAD)."""
        try:
            if not self._addressed_here():
                response = _html(HTTPStatus.BAD_REQUEST, webpages.message_page(
                    "Wrong address", "Open this page as http://127.0.0.1 or http://localhost with the port that "
                                     "`casereview serve` printed."))
            elif self._sent_by_another_site():
                response = _html(HTTPStatus.FORBIDDEN, webpages.message_page(
                    "Not from another site", "Another web site's page asked this server for something; only pages "
                                             "opened in the browser are answered."))
            else:
                with _ONE_AT_A_TIME:
                    response = self.pages.answer(self.path)
        except Exception:  # a bug: answer, and leave the traceback in the terminal
            log.exception("error answering %s", self.path)
            response = _html(HTTPStatus.INTERNAL_SERVER_ERROR, webpages.message_page(
                "Something went wrong", "The page could not be made; the terminal running `casereview serve` "
                                        "shows why."))
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.content_type.startswith("text/html"):  # a PDF is left to the browser's own viewer
            self.send_header("Content-Security-Policy",
                             "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
            self.send_header("X-Frame-Options", "DENY")  # (for browsers older than frame-ancestors)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if body:
            self.wfile.write(response.body)

    def _addressed_here(self) -> bool:
        """Whether the request names this server as 127.0.0.1 or localhost (a page on another site that has
        pointed a name of its own at 127.0.0.1 sends that name, and is refused)."""
        host = (self.headers.get("Host") or "").strip().lower()
        port = self.server.server_address[1]
        return host in {f"127.0.0.1:{port}", f"localhost:{port}"} or (
            port == 80 and host in {"127.0.0.1", "localhost"})

    def _sent_by_another_site(self) -> bool:
        """Whether a page of another web site (another port of this computer too) made the browser send this
        request by itself: an image, a script, a fetch, or a frame (``Sec-Fetch-Site`` other than same-origin or
        none, unless it is a navigation of the whole window), which could keep the server busy or start a
        download unseen. Following a link to it from elsewhere is answered; so is a request from a program that
        sends no such header."""
        site = (self.headers.get("Sec-Fetch-Site") or "").lower()
        if site in ("", "same-origin", "none"):
            return False
        navigation = (self.headers.get("Sec-Fetch-Mode") or "").lower() == "navigate"
        return not (navigation and (self.headers.get("Sec-Fetch-Dest") or "document").lower() == "document")

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's name)
        if not self.quiet:
            sys.stderr.write(f"{self.log_date_time_string()} {format % args}\n")


def make_server(db_path: Path | None, port: int = DEFAULT_PORT, host: str = HOST,
                quiet: bool = False) -> ThreadingHTTPServer:
    """A server for the database ``db_path`` on ``host``:``port`` (port 0: any free port); call
    ``serve_forever()`` on it, and ``shutdown()`` from another thread to stop it. Each request is logged to
    standard error unless ``quiet``."""
    handler = type("Handler", (_Handler,), {"pages": Pages(db_path), "quiet": quiet})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
