"""``casereview serve``: a small web server on this computer (127.0.0.1 only) to search the reviews in a browser.

Two pages, both plain HTML from :mod:`pipeline.outputs.webpages`:

- ``/`` with the search form; ``/?q=...&theme=...&nation=...`` searches exactly as ``casereview search`` does
  (same words, filters, ranking and limits: :func:`pipeline.search.search_with_forms`);
- ``/passage?id=PASSAGE_ID``: one passage in its place (review, page, section, the passages before and after),
  its themes with their evidence sentences, and the passages most like it in other reviews.

Every request opens the database read-only and closes it before answering, so a ``casereview run`` can write
between two searches (during a run's writes a search says the database is busy). Only GET is answered. The
server listens on the loopback address only: other computers cannot reach it, and nothing is sent anywhere.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from pipeline.errors import CaseReviewError
from pipeline.outputs import webpages

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MAX_FIELD = 500  # characters of one form field that are read: a search is words, not a document


class BadRequest(CaseReviewError):
    """A form value that cannot be used (a year that is not a number): shown on the page, status 400, with the
    form as it was filled in (``form``)."""

    def __init__(self, message: str, form: webpages.SearchForm) -> None:
        super().__init__(message)
        self.form = form


def read_form(query: str) -> webpages.SearchForm:
    """The search form from a URL's query string, checked: years must be numbers, a probability from 0 to 1
    (the search itself checks the rest, as for ``casereview search``); an unknown number to show gives 20.

    >>> read_form("q=seen+alone&year_from=2019&limit=50").year_from
    '2019'
    >>> read_form("limit=7").limit
    20
    """
    fields = {key: values[-1][:MAX_FIELD].strip() for key, values in parse_qs(query).items() if values}
    form = webpages.SearchForm(**{key: fields.get(key, "") for key in (
        "q", "theme", "min_score", "year_from", "year_to", "nation", "review_type", "area", "section")})
    for key, label in (("year_from", "From year"), ("year_to", "To year")):
        value = getattr(form, key)
        if value and not value.isdigit():
            raise BadRequest(f"{label}: '{value}' is not a year; give four figures, e.g. 2019", form)
    if form.min_score:
        try:
            score = float(form.min_score)
        except ValueError:
            score = -1.0
        if not 0 <= score <= 1:
            raise BadRequest(f"Lowest theme probability: '{form.min_score}' is not a number from 0 to 1, "
                             "e.g. 0.8", form)
    limit = fields.get("limit", "")
    form.limit = int(limit) if limit.isdigit() and int(limit) in webpages.LIMITS else 20
    return form


class Pages:
    """Answers a path and query string with (status, HTML), reading the database ``db_path`` for each one."""

    def __init__(self, db_path: Path | None) -> None:
        self.db_path = db_path

    def answer(self, target: str) -> tuple[HTTPStatus, str]:
        parts = urlsplit(target)
        routes: dict[str, Callable[[str], tuple[HTTPStatus, str]]] = {
            "/": self.search, "/index.html": self.search, "/passage": self.passage}
        route = routes.get(parts.path)
        if route is None:
            return HTTPStatus.NOT_FOUND, webpages.message_page(
                "No such page", f"There is no page at {parts.path}: the search is at / and passages at "
                                "/passage?id=PASSAGE_ID.")
        try:
            return route(parts.query)
        except CaseReviewError as exc:  # no database, a busy one: say so, as the command line does
            return HTTPStatus.SERVICE_UNAVAILABLE, webpages.message_page("The database cannot be read now", str(exc))

    def _open(self):
        from pipeline.outputs.common import open_database, theme_names

        con = open_database(self.db_path)
        return con, theme_names(con)

    def search(self, query: str) -> tuple[HTTPStatus, str]:
        from pipeline.search import missing_note, search_with_forms

        try:
            form = read_form(query)
        except BadRequest as exc:
            return HTTPStatus.BAD_REQUEST, self._search_page(exc.form, error=str(exc))
        if not form.asked:
            return HTTPStatus.OK, self._search_page(form)
        options = {key: getattr(form, key) or None for key in webpages.FILTERS}
        for key in ("year_from", "year_to"):
            options[key] = int(options[key]) if options[key] else None
        try:
            result = search_with_forms(self.db_path, form.q or None, theme=form.theme or None,
                                       min_score=float(form.min_score) if form.min_score else None,
                                       limit=form.limit, **options)
        except CaseReviewError as exc:
            return HTTPStatus.BAD_REQUEST, self._search_page(form, error=str(exc))
        return HTTPStatus.OK, self._search_page(form, result.hits, also=result.also,
                                                missing_note=missing_note(result.missing))

    def _search_page(self, form: webpages.SearchForm, hits=(), **shown) -> str:
        """The search page, with the form's choices and the notes on the hits read in one visit to the database."""
        con, names = self._open()
        try:
            choices = webpages.form_choices(con, names)
            notes = webpages.search_notes(hits, form.theme or None, con, names) if hits else []
        finally:
            con.close()
        return webpages.search_page(form, choices, hits, notes=notes, **shown)

    def passage(self, query: str) -> tuple[HTTPStatus, str]:
        from pipeline.search import similar

        passage_id = (parse_qs(query).get("id") or [""])[-1].strip()[:MAX_FIELD]
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
            notes = webpages.search_notes([_Tagged(view)], None, con, names)
        finally:
            con.close()
        try:
            like, note = similar(self.db_path, passage_id, limit=5, other_reviews=True), ""
        except CaseReviewError as exc:
            like, note = [], str(exc)
        return HTTPStatus.OK, webpages.passage_page(view, names, like, note, notes)


class _Tagged:
    """A passage view seen as a search hit, for the notes about its theme probabilities."""

    def __init__(self, view: webpages.PassageView) -> None:
        self.themes = {theme: score for theme, score, _ in view.themes}
        self.theme_model = view.themes[0][2] if view.themes else None


class _Handler(BaseHTTPRequestHandler):
    pages: Pages  # set on the subclass made by make_server
    quiet = False
    server_version = "casereview"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        try:
            status, body = self.pages.answer(self.path)
        except Exception:  # a bug: answer, and leave the traceback in the terminal
            log.exception("error answering %s", self.path)
            status, body = HTTPStatus.INTERNAL_SERVER_ERROR, webpages.message_page(
                "Something went wrong", "The page could not be made; the terminal running `casereview serve` "
                                        "shows why.")
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(data)

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
