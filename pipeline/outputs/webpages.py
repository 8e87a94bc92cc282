"""The pages of ``casereview serve``: search the reviews in a web browser, and read a passage in its place.

Plain HTML with inline styles and no scripts, written from the same search and database queries as the
command line (``pipeline.search``), so the browser and ``casereview search`` find the same passages in the
same order. Everything taken from the database or the address is escaped. Each page carries the same honesty
notes as the command line: what a theme probability means on real text, how the model did on the theme
searched for, and the check recorded in the database (``casereview evaluate --record``), when there is one.
"""

from __future__ import annotations

import html
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import duckdb

from pipeline.outputs.common import (
    IN_SECTION_SQL,
    OCR_NOTE,
    REVIEW_FILTER_KEYS,
    REVIEW_FILTERS,
    TITLE_CONTAINS_SQL,
    WEAK_TAG_WORDS,
    KnownValues,
    SeveralAreas,
    areas_containing,
    check_section,
    counted,
    describe_filters,
    kept_by,
    one_area,
    pages_label,
    printed_pages_sql,
    probability_text,
    quote_alone,
    read_by_ocr_sql,
    section_trail,
    shorten,
    status_words,
    stored_copy,
    tag_notes,
    tagged_clause,
    wanted_text,
    weak_tag,
)
from pipeline.search import MAX_OFFSET, SearchResult, no_hits_hints, phrase_hint, theme_hint
from pipeline.search_query import all_required, quoted_search

LIMITS = (10, 20, 50, 100, 200)
FILTERS = (*REVIEW_FILTER_KEYS, "section")
MAX_FIELD = 500  # characters of one form field that are read: a search is words, not a document
# Said under the tags wherever a weak one is shown (the annual report marks its weak quotes with the same words).
WEAK_NOTE = f"A probability marked “weak” is {WEAK_TAG_WORDS}. Read such a passage before counting it."

_CSS = """
:root { --ink: #1d1d1f; --muted: #5a5a60; --line: #d0d0d6; --accent: #1f5f8b; --soft: #eef3f7; --warn: #8a4b00;
        --field: #6b7280; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Arial, Helvetica, sans-serif; color: var(--ink); line-height: 1.5;
       max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; overflow-wrap: break-word; }
header a { color: inherit; text-decoration: none; }
.site { font-size: 1.5rem; font-weight: 700; margin: .3rem 0; }
h1 { font-size: 1.3rem; margin: 1.5rem 0 .4rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .4rem; }
.muted, .meta { color: var(--muted); }
.meta { overflow-wrap: anywhere; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
[tabindex="-1"]:focus { outline: none; }
.skip { position: absolute; left: -999rem; }
.skip:focus { position: static; display: inline-block; margin-bottom: .5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%);
                   white-space: nowrap; }
form.search { background: var(--soft); border: 1px solid var(--line); padding: .8rem 1rem; border-radius: 6px; }
form.search .row { display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: end; margin-bottom: .5rem; }
form.search label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted);
                    max-width: 100%; min-width: 0; }
form.search input, form.search select { font: inherit; padding: .3rem .4rem; border: 1px solid var(--field);
                                        border-radius: 4px; color: var(--ink); background: white; max-width: 100%; }
form.search textarea { font: inherit; padding: .3rem .4rem; border: 1px solid var(--field); border-radius: 4px;
                       color: var(--ink); background: white; max-width: 100%; }
form.search label.words { flex: 1 1 18rem; max-width: 32rem; }
form.search input[name=q], form.search textarea { width: 100%; }
form.search label.lines { flex: 1 1 100%; max-width: 48rem; }
form.search input.year { width: 6rem; }
button { font: inherit; padding: .35rem 1.1rem; background: var(--accent); color: white; border: 0;
         border-radius: 4px; cursor: pointer; }
ol.hits { padding-left: 1.4rem; }
ol.hits li { margin: 0 0 1.1rem; }
.title { font-weight: 600; font-size: 1rem; margin: 0; }
blockquote { margin: .3rem 0; padding: .3rem .8rem; border-left: 4px solid #b9c7d3; background: #fafafa; }
mark { background: #ffe58a; padding: 0 .1em; }
.themes { font-size: .9rem; }
.theme { display: inline-block; border: 1px solid var(--line); border-radius: 999px; padding: 0 .55rem;
         margin: .1rem .25rem .1rem 0; background: white; }
.theme.weak, .weak { border-style: dashed; border-color: var(--field); color: var(--muted); }
.note { color: var(--warn); }
.pages a { font-weight: 600; }
.error { border: 1px solid var(--warn); border-left: 6px solid var(--warn); background: #fff8ef;
         padding: .6rem 1rem; margin: 1rem 0; }
.about { border-top: 1px solid var(--line); margin-top: 2rem; padding-top: .6rem; font-size: .9rem; }
.passage { font-size: 1.05rem; background: white; border-left-color: var(--accent); }
.context { color: var(--muted); font-size: .95rem; }
.wide { overflow-x: auto; max-width: 100%; }
td.num { white-space: nowrap; text-align: right; }
table { border-collapse: collapse; margin: .4rem 0; font-size: .95rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .6rem; text-align: left; vertical-align: top; }
.read:target { background: #fff6d6; outline: 3px solid #b38600; outline-offset: 4px; }
.read:target > .meta::before { content: "▶ The passage you opened · "; font-weight: 600; color: var(--ink); }
@media print {
  nav, .skip, button, form.search, .pages, .screen-only, .context a, .read .meta a { display: none; }
  body { max-width: none; padding: 0; }
  a { color: inherit; }
  mark { background: none; color: inherit; font-weight: 700; text-decoration: underline; }
  .wide { overflow: visible; }
  form.search { border: 1px solid #999; background: none; }
}
"""

_PASSAGE = f"""
SELECT p.passage_id, p.review_id, p.seq, p.text, p.page_start, p.page_end, p.section, p.headings, p.footnote,
       r.title, r.area, r.year, r.nation, r.review_type, r.source,
       {read_by_ocr_sql("p")} AS ocr, {printed_pages_sql("p")}
FROM passages p JOIN reviews r USING (review_id)
WHERE p.passage_id = $1"""
_PASSAGE_THEMES = "SELECT theme, score, model_version FROM passage_themes WHERE passage_id = $1 ORDER BY score DESC"
_PASSAGE_EVIDENCE = "SELECT theme, text, score FROM theme_evidence WHERE passage_id = $1 ORDER BY theme, rank"
_NEIGHBOURS = """
SELECT passage_id, seq, text, page_start, page_end, section FROM passages
WHERE review_id = $1 AND seq IN ($2 - 1, $2 + 1) ORDER BY seq"""
_COUNTS = "SELECT (SELECT count(DISTINCT review_id) FROM passages), (SELECT count(*) FROM passages)"
_THEME_COUNTS = """
SELECT theme, count(*) AS passages, count(DISTINCT review_id) AS reviews FROM passage_themes
GROUP BY theme ORDER BY theme"""


@dataclass
class SearchForm:
    """What was asked, as typed (strings, so the form shows them back), and its checked values."""

    q: str = ""
    theme: str = ""
    min_score: str = ""
    year_from: str = ""
    year_to: str = ""
    nation: str = ""
    review_type: str = ""
    area: str = ""
    review: str = ""  # one review: its id (or words of its title), as the review page's search box sends it
    section: str = ""
    limit: int = 20
    start: int = 0  # passages of the ranking left out before this page (a later page of results)
    by_review: bool = False  # list the reviews the passages are in, with how many each has, not the passages
    page_order: bool = False  # one review's passages in the order of its pages (order=page), not best first
    cut: bool = False  # the words were longer than MAX_FIELD: ``q`` holds their start, cut at a word's end

    @property
    def asked(self) -> bool:
        """Whether there is anything to search for (words or a theme)."""
        return bool(self.q.strip() or self.theme)

    def url(self, start: int) -> str:
        """The address of this search's page of results that starts after ``start`` passages.

        >>> SearchForm(q="seen alone", nation="Wales", limit=10).url(10)
        '/?q=seen+alone&nation=Wales&limit=10&start=10'
        """
        fields = {key: getattr(self, key) for key in ("q", "theme", "min_score", *FILTERS) if getattr(self, key)}
        return "/?" + urlencode({**fields, "limit": self.limit, **({"start": start} if start else {}),
                                 **({"by_review": 1} if self.by_review else {}),
                                 **({"order": "page"} if self.page_order else {})})


@dataclass
class FormChoices:
    """The values the form offers: themes (id -> name), nations and review types, and what the database holds."""

    themes: Mapping[str, str]
    nations: Sequence[str]
    review_types: Sequence[str]
    reviews: int = 0
    passages: int = 0
    tagged: dict[str, tuple[int, int]] = field(default_factory=dict)  # theme -> (passages, reviews)


def form_choices(con: duckdb.DuckDBPyConnection, themes: Mapping[str, str]) -> FormChoices:
    """The choices for the search form, read from the database."""
    known = KnownValues(con)
    reviews, passages = con.execute(_COUNTS).fetchone()
    tagged = {theme: (count, in_reviews) for theme, count, in_reviews in con.execute(_THEME_COUNTS).fetchall()}
    return FormChoices(themes, known.distinct("nation"), known.distinct("review_type"), reviews, passages, tagged)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _page(title: str, body: str, *, error: bool = False, results: bool = False) -> str:
    """A whole page: ``title`` (after "Error: " for a page that says what went wrong), the header with the links
    to every page, and ``body`` as its main part. A link for keyboard and screen-reader users, first on the page,
    skips to the results (``results``: the body has an element with the id ``results``) or to the main part."""
    skip = ('<a class="skip" href="#results">Skip to results</a>' if results
            else '<a class="skip" href="#main">Skip to main content</a>')
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{'Error: ' if error else ''}{_e(title)}</title><style>{_CSS}</style></head><body>{skip}"
            '<header><p class="site"><a href="/">Case reviews: search the passages</a></p>'
            '<nav class="muted" aria-label="Pages"><a href="/">Search</a> · <a href="/reviews">The reviews</a> · '
            '<a href="/findings">Findings the reviews state</a> · <a href="/trends">Themes by year</a> · '
            '<a href="/searches">A set of searches</a> · '
            '<a href="/report">Annual summary for a partnership</a></nav></header>'
            f'<main id="main" tabindex="-1">{_first_heading_as_title(body)}</main></body></html>\n')


def _first_heading_as_title(body: str) -> str:
    """The page's own subject, its first heading, as its one top-level heading (the site's name above it was
    the h1 of every page, so a screen reader's list of headings could not tell one page from another); the
    headings after it stay under it.

    >>> _first_heading_as_title('<p>x</p><h2 class="t">The reviews</h2><h2>Themes</h2>')
    '<p>x</p><h1 class="t">The reviews</h1><h2>Themes</h2>'
    """
    return re.sub(r"<h2(\b[^>]*)>(.*?)</h2>", r"<h1\1>\2</h1>", body, count=1, flags=re.S)


def _head(*columns: str) -> str:
    """A table's row of column headings, marked as such for screen readers.

    >>> _head("Year", "Reviews read")
    '<thead><tr><th scope="col">Year</th><th scope="col">Reviews read</th></tr></thead>'
    """
    return "<thead><tr>" + "".join(f'<th scope="col">{_e(column)}</th>' for column in columns) + "</tr></thead>"


def _wide(table: str) -> str:
    """A table in a box of its own that scrolls sideways on a narrow screen, so that the page itself does not."""
    return f'<div class="wide">{table}</div>'


def _options(values: Mapping[str, str] | Sequence[str], chosen: str, blank: str) -> str:
    pairs = values.items() if isinstance(values, Mapping) else ((value, value) for value in values)
    items = [f'<option value="">{_e(blank)}</option>']
    for value, label in pairs:
        selected = " selected" if value.lower() == chosen.lower() and chosen else ""
        items.append(f'<option value="{_e(value)}"{selected}>{_e(label)}</option>')
    return "".join(items)


# Which field of the search form an error is about, by how its message begins (the web's messages name a field
# by its label, "From year: ...", the filters' checks by what it holds, "no review has nation ...").
_FIELD_OF_ERROR = (
    (re.compile(r"^From year\b"), "year_from"), (re.compile(r"^To year\b"), "year_to"),
    (re.compile(r"^Lowest theme probability\b"), "min_score"),
    (re.compile(r"^(Heading contains\b|no passage is under a heading containing\b)"), "section"),
    (re.compile(r"^no review has nation\b"), "nation"), (re.compile(r"^no review has review type\b"), "review_type"),
    (re.compile(r"^(no review's area contains|'[^']*' matches several areas)"), "area"),
    (re.compile(r"^unknown theme\b"), "theme"),
)


def _marked_invalid(form_html: str, error: str) -> str:
    """The search form with the field an error is about marked for screen readers (``aria-invalid``, tied to the
    message) and given the cursor instead of the words' box; as it was when the error names no field.

    >>> html_ = '<input name="q" value="" autofocus><input class="year" name="year_from" value="20x9">'
    >>> _marked_invalid(html_, "From year: '20x9' is not a year")
    '<input name="q" value=""><input class="year" name="year_from" aria-invalid="true" aria-describedby="form-error" \
autofocus value="20x9">'
    """
    field = next((name for pattern, name in _FIELD_OF_ERROR if pattern.search(error or "")), None)
    marked = f'name="{field}"'
    if field is None or marked not in form_html:
        return form_html
    form_html = form_html.replace(" autofocus", "", 1)  # (the words' box had it)
    return form_html.replace(marked, f'{marked} aria-invalid="true" aria-describedby="form-error" autofocus', 1)


def search_form(form: SearchForm, choices: FormChoices) -> str:
    """The search form, filled in with what was asked."""
    limits = "".join(f'<option value="{n}"{" selected" if n == form.limit else ""}>{n}</option>' for n in LIMITS)
    return (
        '<form class="search" method="get" action="/" role="search">'
        '<div class="row">'
        f'<label class="words">Words to look for <input name="q" value="{_e(form.q)}" autofocus '
        f'maxlength="{MAX_FIELD}" placeholder="e.g. not seen alone, or &quot;professional curiosity&quot;"></label>'
        f'<label>Learning theme <select name="theme">{_options(choices.themes, form.theme, "any theme")}'
        "</select></label>"
        "<button type=\"submit\">Search</button></div>"
        '<div class="row">'
        f'<label>Nation <select name="nation">{_options(choices.nations, form.nation, "any")}</select></label>'
        f'<label>Review type <select name="review_type">{_options(choices.review_types, form.review_type, "any")}'
        "</select></label>"
        f'<label>Area <input name="area" value="{_e(form.area)}" maxlength="{MAX_FIELD}" '
        'placeholder="part of its name will do"></label>'
        f'<label>From year <input class="year" name="year_from" value="{_e(form.year_from)}" '
        'inputmode="numeric"></label>'
        f'<label>To year <input class="year" name="year_to" value="{_e(form.year_to)}" inputmode="numeric"></label>'
        f'<label>Heading contains <input name="section" value="{_e(form.section)}" maxlength="{MAX_FIELD}" '
        'placeholder="e.g. recommendations"></label>'
        f'<label>Lowest theme probability (0 to 1, or a percentage) <input class="year" name="min_score" '
        f'value="{_e(form.min_score)}" maxlength="10" placeholder="0.8 or 80%"></label>'
        f'<label>Show <select name="limit">{limits}</select></label>'
        "</div>"
        + _one_review(form)
        + f'<p class="muted">{counted(choices.reviews, "review")} read, {counted(choices.passages, "passage")}. '
        "Words are matched in all their forms (sharing, shared); put a phrase in double quotes to find it as "
        "written, AND between words to need each of them (brackets hold words any one of which will do: "
        "(neglect OR abuse) AND school), and a minus sign before a word to leave out the passages that use it "
        "(neglect AND school -police). "
        "A theme alone lists its strongest passages.</p>"
        "</form>"
    )


def _one_review(form: SearchForm) -> str:
    """The search form's line for a search of one review (sent by the review page's search box): the review,
    which can be changed, and a link to the same search of every review. Nothing when no review is chosen."""
    if not form.review:
        return ""
    every = replace(form, review="", start=0, page_order=False, cut=False).url(0)
    return ('<div class="row">'
            f'<label>Only the review (its id, or words of its title) <input name="review" value="{_e(form.review)}" '
            f'maxlength="{MAX_FIELD}"></label>'
            f'<a href="{_e(every)}">Search every review instead</a></div>')


def review_search_form(review_id: str) -> str:
    """The review page's search box: words to look for in this review only (the search page, with ``review``)."""
    return ('<form class="search" method="get" action="/" role="search"><div class="row">'
            f'<input type="hidden" name="review" value="{_e(review_id)}">'
            f'<label class="words">Search this review <input name="q" maxlength="{MAX_FIELD}" '
            'placeholder="e.g. health visitor, or &quot;not seen alone&quot;"></label>'
            '<button type="submit">Search</button></div></form>')


def _where(get, section_html: str = "") -> str:
    """'Area · 2021 · England · CSPR · p. 4 · section: Findings' for a hit or a passage row (``section_html``:
    the section already made HTML, with the words searched for marked)."""
    pages = pages_label(get("page_start"), get("page_end"), get("printed_start"), get("printed_end"))
    parts = [_e(part) for part in (get("area"), get("year"), get("nation"), get("review_type"), pages)
             if part not in (None, "")]
    if get("section"):
        parts.append(f"section: {section_html or _e(section_trail(get('headings'), get('section')))}")
    return " · ".join(parts)


def _theme_chips(themes: Mapping[str, float], names: Mapping[str, str]) -> str:
    """A passage's themes with their probabilities, strongest first; a weak tag says so in words (``_probability``).

    Between two, a separator only a screen reader or a copy shows ("Voice of the child 97%; Assessment 45%").

    >>> print(_theme_chips({"assessment": 0.45, "voice_of_child": 0.97}, {"assessment": "Assessment"}))
    <span class="theme">voice_of_child 97%</span><span class="visually-hidden">; </span><span class="theme weak" \
title="under 50%: a weak tag, the model is unsure this passage is about the theme">Assessment 45% · weak</span>
    """
    ordered = sorted(themes.items(), key=lambda item: -item[1])
    return '<span class="visually-hidden">; </span>'.join(
        f'<span class="theme{" weak" if weak_tag(score) else ""}"{_weak_title(score)}>'
        f"{_e(names.get(theme, theme))} {_probability(score)}</span>" for theme, score in ordered)


def _weak_title(score: float | None) -> str:
    """A ``title`` attribute that says what a weak tag is (shown on hovering over it), for a weak tag's element."""
    return f' title="{_e(WEAK_TAG_WORDS)}"' if weak_tag(score) else ""


def _probability(score: float | None) -> str:
    """A tag's probability as HTML, with the word "weak" after it when it is under ``WEAK_TAG`` (in words, not
    by colour alone, and as the annual report marks it).

    >>> _probability(0.97), _probability(0.45)
    ('97%', '45% · weak')
    """
    return _e(probability_text(score)) + (" · weak" if weak_tag(score) else "")


def _has_weak(scores) -> bool:
    return any(weak_tag(score) for score in scores)


def search_page(form: SearchForm, choices: FormChoices, hits: Sequence[Any] = (), *, also: Sequence[str] = (),
                missing_note: str = "", error: str = "", notes: Sequence[str] = (), download: str = "",
                more: bool = False, total: int | None = None, total_note: str = "",
                without_words: int | None = None, without_quotes: int | None = None,
                like_theme: tuple[str, int] | None = None, kept: Kept | None = None,
                total_reviews: int | None = None, by_review: Sequence[Any] | None = None,
                reviews_read: int | None = None, by_year: Sequence[tuple[int, int, int]] = (),
                nothing_kept: str = "", review: tuple[str, str | None] | None = None,
                as_phrase: tuple[str, int] | None = None, words_apart: tuple[str, int] | None = None) -> str:
    """The search page: the error (if any), the form, then the passages found (or nothing yet), then the notes.
    ``more``: more passages match than ``hits``; ``total`` of them, as ``total_note`` says. When nothing is
    found, ``without_quotes``, ``words_apart`` and ``like_theme`` (as in ``SearchResult``) give searches to try,
    as links; when
    passages are found by words that name a theme, ``like_theme`` offers the theme. ``kept``: what filters given
    without words or a theme keep (they only narrow a search). ``total_reviews``: the reviews the passages are in;
    ``by_review``, ``reviews_read`` and ``by_year`` (as in ``SearchResult``): the reviews, listed instead of the
    passages when the form asks for them review by review; ``nothing_kept``: that the filters keep no review read
    (``nothing_kept_note``); ``review``: (id, title) of the one review the form names, to say which;
    ``as_phrase``: the search with its words with a hyphen quoted, and what it finds (as in ``SearchResult``)."""
    # the page's own heading (its one h1: see _page) where no heading of results follows the form
    titled = error or not (form.asked or kept is not None)
    parts = ['<h2 class="visually-hidden">Search the case reviews</h2>' if titled else "",
             f'<div class="error" role="alert" id="form-error"><strong>Could not search:</strong> {_e(error)}</div>'
             if error else "", _marked_invalid(search_form(form, choices), error)]
    if form.cut:
        parts.append(f'<p class="note" role="status">Only the first {len(form.q)} characters of the words were '
                     f"searched: the search box holds up to {MAX_FIELD}, so the rest was left out. Search for the "
                     "words that matter most, or a phrase of them in double quotes.</p>")
    results = False  # an error is said above the form, with nothing below it
    if not error and not form.asked and kept is not None:
        parts.append(f'<section id="results" tabindex="-1">{_filters_alone(form, choices, kept)}</section>')
        results = True
    elif not error and not form.asked and choices.tagged:
        parts.append(_browse_themes(form, choices, choices.tagged, "Browse by learning theme"))
    elif not error and form.asked:
        found = _found(form, choices.themes, hits, also=also, missing_note=missing_note, download=download,
                       more=more, total=total, total_note=total_note, without_words=without_words,
                       without_quotes=without_quotes, like_theme=like_theme, total_reviews=total_reviews,
                       by_review=by_review, reviews_read=reviews_read, by_year=by_year, nothing_kept=nothing_kept,
                       review=review, as_phrase=as_phrase, words_apart=words_apart)
        parts.append(f'<section id="results" tabindex="-1">{found}</section>')
        results = True
    if _has_weak(score for hit in hits for score in hit.themes.values()):
        notes = [*notes, WEAK_NOTE]
    parts.append(_notes(notes))
    return _page(_search_title(form, choices.themes), "".join(parts), error=bool(error), results=results)


TITLE_WORDS = 80  # characters of the words searched that a page's title (a browser tab, a bookmark) shows


def _search_title(form: SearchForm, names: Mapping[str, str]) -> str:
    """The search page's title (what a browser's tab, history and bookmarks show): what was searched.

    >>> _search_title(SearchForm(theme="assessment"), {"assessment": "Assessment"})
    'Search the case reviews: the theme Assessment'
    >>> _search_title(SearchForm(q="drift", theme="assessment"), {})
    'Search the case reviews: drift, tagged assessment'
    """
    words = shorten(form.q.strip(), TITLE_WORDS)  # (a pasted paragraph made a title of hundreds of characters)
    theme = names.get(form.theme, form.theme)
    asked = (f"{words}, tagged {theme}" if words and theme else words or (f"the theme {theme}" if theme else ""))
    return "Search the case reviews" + (f": {asked}" if asked else "")


def _browse_themes(form: SearchForm, choices: FormChoices, tagged: Mapping[str, tuple[int, int]],
                   heading: str) -> str:
    """The learning themes as links to their strongest passages (with the form's filters), each with how many
    passages in how many reviews it tags (``tagged``: theme -> (passages, reviews))."""
    filters = {key: value for key, value in (("min_score", form.min_score),
                                             *((key, getattr(form, key)) for key in FILTERS)) if value}
    items = "".join(
        f'<li><a href="/?{_e(urlencode({"theme": theme, **filters}))}">{_e(name)}</a> '
        f'<span class="meta">{counted(tagged[theme][0], "passage")} in {counted(tagged[theme][1], "review")}'
        "</span></li>"
        for theme, name in choices.themes.items() if theme in tagged)
    weak = ("" if form.min_score else
            " The counts include weak tags (under 50%: the model was unsure); with 0.5 as the lowest theme "
            "probability they count only the stronger ones.")
    return (f'<h2>{_e(heading)}</h2><ul>{items}</ul>'
            '<p class="muted">Each theme lists its passages with the highest probability first. A tag is the '
            f"model's reading of a passage, not a finding: read the passage before relying on it.{_e(weak)}</p>")


@dataclass
class Kept:
    """What the filters of a search kept, given without words or a theme: reviews and passages, and each theme's
    passages and reviews among them (theme -> (passages, reviews))."""

    reviews: int
    passages: int
    themes: dict[str, tuple[int, int]]


_KEPT = f"""
SELECT count(DISTINCT p.review_id), count(*) FROM passages p JOIN reviews r ON r.review_id = p.review_id
WHERE {REVIEW_FILTERS} AND ($section IS NULL OR {IN_SECTION_SQL.format(alias="p")})
  AND ($min_score IS NULL OR EXISTS (SELECT 1 FROM passage_themes t WHERE t.passage_id = p.passage_id
                                     AND t.score >= $min_score))"""
_KEPT_THEMES = f"""
SELECT t.theme, count(*), count(DISTINCT t.review_id) FROM passage_themes t
JOIN passages p ON p.passage_id = t.passage_id JOIN reviews r ON r.review_id = t.review_id
WHERE {REVIEW_FILTERS} AND ($section IS NULL OR {IN_SECTION_SQL.format(alias="p")})
  AND ($min_score IS NULL OR t.score >= $min_score)
GROUP BY t.theme"""


def filters_keep(con: duckdb.DuckDBPyConnection, form: SearchForm, min_score: float | None) -> Kept:
    """What the form's filters keep, checked as a search checks them (a nation no review has, a heading no passage
    is under: ``CaseReviewError``, with the message a search gives)."""
    params = KnownValues(con).review_filters(
        int(form.year_from) if form.year_from else None, int(form.year_to) if form.year_to else None,
        form.nation or None, form.review_type or None, form.area or None, form.review or None)
    params["section"] = check_section(con, form.section or None)
    params["min_score"] = min_score
    reviews, passages = con.execute(_KEPT, params).fetchone()
    themes = {theme: (count, in_reviews) for theme, count, in_reviews in con.execute(_KEPT_THEMES, params).fetchall()}
    return Kept(reviews, passages, themes)


def _filters_alone(form: SearchForm, choices: FormChoices, kept: Kept) -> str:
    """What filters given without words or a theme do: they only narrow a search. Their reviews' themes, as links
    that keep the filters, are the search they most likely meant."""
    said = ", ".join(part for part in (
        describe_filters(_typed_filters(form)),
        f"heading containing “{' '.join(form.section.split())}”" if form.section.strip() else "",
        f"theme probability {form.min_score} or more" if form.min_score else "") if part)
    told = (f'<div class="error" role="status"><strong>Give some words or choose a learning theme.</strong> '
            f"The filters ({_e(said)}) only narrow a search; they keep {counted(kept.reviews, 'review')} "
            f"({counted(kept.passages, 'passage')}). Type words to look for above, or choose a theme below to see "
            "its passages in these reviews.</div>")
    if not kept.themes:
        return told + '<p class="muted">No passage they keep is tagged with a learning theme.</p>'
    return told + _browse_themes(form, choices, kept.themes, "Learning themes in the reviews the filters keep")


def _found(form: SearchForm, names: Mapping[str, str], hits: Sequence[Any], *, also: Sequence[str],
           missing_note: str, download: str, more: bool, total: int | None, total_note: str,
           without_words: int | None, without_quotes: int | None, like_theme: tuple[str, int] | None,
           total_reviews: int | None = None, by_review: Sequence[Any] | None = None,
           reviews_read: int | None = None, by_year: Sequence[tuple[int, int, int]] = (),
           nothing_kept: str = "", review: tuple[str, str | None] | None = None,
           as_phrase: tuple[str, int] | None = None, words_apart: tuple[str, int] | None = None) -> str:
    """The passages a search found, under a heading that says what was searched (or the reviews they are in,
    ``by_review``); or why none were. ``review``: (id, title) of the one review the form names."""
    what = (quoted_search(form.q.strip(), ("“", "”")) if form.q.strip()
            else f"the theme {names.get(form.theme, form.theme)}")
    if also:
        what += " (also searched as " + ", ".join(f"“{other}”" for other in also) + ")"
    if form.by_review and by_review is not None and hits:  # the reviews the filters keep are said with the count
        return "".join([f'<p class="note">{_e(missing_note)}</p>' if missing_note else "",
                        _reviews_found(form, what + _asked_filters(form, names, reviews=False), by_review,
                                       reviews_read or 0, total or 0, download, by_year, review)])
    what += _asked_filters(form, names, review=review)
    parts = [f'<p class="note">{_e(missing_note)}</p>' if missing_note else ""]
    start = form.start
    if not hits and start and total:
        parts.append(f'<h2>No more passages for {_e(what)}</h2><p>'
                     + f"All {counted(total, 'passage')} that match are on the earlier pages. "
                     + f'<a href="{_e(form.url(0))}">Back to the first page</a></p>')
        return "".join(parts)
    if not hits:
        needed = all_required(form.q)
        kept = (f"{counted(without_words, 'passage')} {'is' if without_words == 1 else 'are'} tagged with the "
                "theme and kept by the filters, but none of them holds these words. " if without_words
                else f"{needed[:1].upper()}{needed[1:]}. " if needed else "")
        if nothing_kept:
            parts.append(f"<h2>No passages found for {_e(what)}</h2><p>{_e(nothing_kept[:1].upper())}"
                         f"{_e(nothing_kept[1:])}: choose other filters.</p>")
            return "".join(parts)
        parts.append(f'<h2>No passages found for {_e(what)}</h2><p>{_e(kept)}Try fewer '
                     "or other words, another theme, or wider filters.</p>")
        found = SearchResult([], without_quotes=without_quotes, like_theme=like_theme, words_apart=words_apart)
        for hint, changes in no_hits_hints(form.q, found, names):
            parts.append(_hint_link(form, hint, changes))
        return "".join(parts)
    kind = ("in page order" if form.page_order
            else "the strongest evidence first (theme probability)" if hits[0].score_kind != "bm25"
            else "best match first")
    span = f"{start + 1}–{start + len(hits)}" if len(hits) > 1 else str(start + 1)
    shown = (f"{span} of {counted(total or start + len(hits), 'passage')}" if start or more
             else counted(len(hits), "passage"))
    parts.append(f'<h2>{shown} for {_e(what)}, {kind}</h2>')
    if total_reviews and total_reviews > 1 and not form.review:
        by_reviews = replace(form, by_review=True, start=0, cut=False).url(0)
        parts.append(f'<p class="screen-only"><a href="{_e(by_reviews)}">Which reviews: the '
                     f'{counted(total_reviews, "review")} '
                     f"{'this passage is' if total == 1 else 'these passages are'} in, with how many each has</a>"
                     "</p>")
    if form.review:  # one review: as it is read, or best first
        other = replace(form, page_order=not form.page_order, start=0, cut=False).url(0)
        parts.append(f'<p class="screen-only"><a href="{_e(other)}">'
                     + ("List them best first" if form.page_order else "List them in the order of the review's pages")
                     + "</a></p>")
    hint = theme_hint(SearchResult([], like_theme=like_theme), names)
    if hint:
        parts.append(_hint_link(form, *hint))
    whole = phrase_hint(SearchResult([], as_phrase=as_phrase))
    if whole:
        parts.append(_hint_link(form, *whole))
    if more:
        parts.append(f'<p class="note">{_e(total_note or "More passages match than these.")}</p>')
    if more or start:
        parts.append(_page_links(form, len(hits), more))
    if download:
        these = ((f"these {counted(len(hits), 'passage')} ({span})" if len(hits) > 1 else f"this passage ({span})")
                 if start or more else "these results")
        parts.append(f'<p class="screen-only"><a href="{_e(download)}">Save {these} as an Excel file</a> '
                     '(with what was '
                     "searched, and where the results came from)</p>")
    parts.append(f'<ol class="hits" start="{start + 1}">' if start else '<ol class="hits">')
    parts += [_hit_item(form, hit, names) for hit in hits]
    parts.append("</ol>")
    if more or start:
        parts.append(_page_links(form, len(hits), more))
    return "".join(parts)


def _reviews_found(form: SearchForm, what: str, found: Sequence[Any], read: int, total: int, download: str,
                   by_year: Sequence[tuple[int, int, int]] = (), review: tuple[str, str | None] | None = None) -> str:
    """The reviews a search found passages in (``pipeline.search.ReviewFound``), the most first, out of the
    ``read`` reviews the filters keep: each with a link to its page and one to its passages found (the same
    search of that review alone); then, ``by_year``, how many of each year's reviews read have such passages."""
    within = describe_filters(_typed_filters(form, review))
    kept = f" that the filters keep ({within})" if within else ""
    rows = []
    for review in found:
        title = review.title or review.review_id
        passages = replace(form, review=review.review_id, by_review=False, start=0, cut=False).url(0)
        rows.append(
            f'<tr><td><a href="{_e("/review?" + urlencode({"id": review.review_id}))}">{_e(title)}</a><br>'
            f'<span class="meta">id: {_e(review.review_id)}</span></td><td>{_e(review.area)}</td>'
            f"<td>{_e(review.year)}</td>"
            f'<td><a href="{_e(passages)}">{review.passages_found}<span class="visually-hidden"> '
            f"{'passage' if review.passages_found == 1 else 'passages'} found in {_e(title)}</span></a></td>"
            f"<td>{review.review_passages}</td></tr>")
    back = replace(form, by_review=False, start=0, cut=False).url(0)
    years = "".join(f"<tr><td>{year}</td><td>{with_them}</td><td>{of_read}</td></tr>"
                    for year, with_them, of_read in by_year)
    return (f"<h2>Passages for {_e(what)} are in {len(found)} of the {counted(read, 'review')} read{_e(kept)}: "
            f"{counted(total, 'passage')} in all. The reviews with the most come first</h2>"
            f'<p class="screen-only"><a href="{_e(back)}">Show the passages instead</a>'
            + (f' · <a href="{_e(download)}">Save this table as an Excel file</a> (with what was searched, and '
               "where it came from)" if download else "") + "</p>"
            + _wide(f"<table>{_head('Review', 'Area', 'Year', 'Passages found', 'Of the review’s passages')}"
                    f"{''.join(rows)}</table>")
            + ("<h3>By year</h3>" + _wide(f"<table>{_head('Year', 'Reviews with such passages', 'Reviews read')}"
                                          f"{years}</table>") if years else ""))


def _hint_link(form: SearchForm, hint: str, changes: Mapping[str, str]) -> str:
    """A hint with a link to the search it suggests: this one, changed as ``changes`` say, from its first page."""
    link = replace(form, **changes, start=0, cut=False).url(0)
    return f'<p class="note">{_e(hint)}: <a href="{_e(link)}">show them</a></p>'


def _hit_item(form: SearchForm, hit: Any, names: Mapping[str, str]) -> str:
    """One passage found: its review's title as a heading (screen readers move from one to the next), where it
    is, the words found in it, its themes, and a link to it that names it for those who hear the links alone."""
    link = "/passage?" + urlencode({"id": hit.passage_id, "back": form.url(form.start).removeprefix("/?")})
    ocr = f'<div class="note">{_e(OCR_NOTE)}</div>' if hit.ocr else ""
    chips = _theme_chips(hit.themes, names)
    section = hit.render_section("<mark>", "</mark>", escape=_e) if hit.section else ""
    title = hit.title or hit.review_id
    pages = pages_label(hit.page_start, hit.page_end, hit.printed_start, hit.printed_end)
    return ("<li>"
            f'<h3 class="title">{_e(title)}</h3>'
            f'<div class="meta">{_where(lambda key, hit=hit: getattr(hit, key), section)}</div>'
            f"<blockquote>{hit.snippet_html}</blockquote>{ocr}"
            + (f'<div class="themes">Themes: {chips}</div>' if chips else "")
            + f'<div class="screen-only"><a href="{_e(link)}">Read the whole passage'
            f'<span class="visually-hidden"> from {_e(title)}, '
            f"{_e(pages)}</span>, in its place in the review</a></div>"
            "</li>")


def _asked_filters(form: SearchForm, names: Mapping[str, str], reviews: bool = True,
                   review: tuple[str, str | None] | None = None) -> str:
    """What a search kept besides its words, for its heading, so that a printed page says it too (as the command
    line does); without the reviews the filters keep when not ``reviews``; the one review named by its title and
    id when ``review`` gives them.

    >>> form = SearchForm(q="neglect", min_score="0.8", nation="England", year_from="2016", section="findings")
    >>> said = _asked_filters(form, {})
    >>> said.startswith(", tagged with some theme at a probability of 0.8 or more, under a heading containing “find")
    True
    >>> said.endswith(", in the reviews kept by the filters (years from 2016, nation England)")
    True
    >>> theme = SearchForm(theme="assessment")
    >>> _asked_filters(theme, {}), _asked_filters(replace(theme, q="drift"), {"assessment": "Assessment"})
    ('', ', tagged Assessment')
    """
    said = tagged_clause(names.get(form.theme, form.theme) or None,
                         float(form.min_score) if form.min_score.strip() else None, bool(form.q.strip()))
    if form.section.strip():
        said += f", under a heading containing “{' '.join(form.section.split())}”"
    within = kept_by(_typed_filters(form, review)) if reviews else ""
    return said + (f",{within}" if within else "")


def _typed_filters(form: SearchForm, review: tuple[str, str | None] | None = None) -> dict[str, Any]:
    """The form's review filters as typed (None when empty), the review as (id, title) when ``review`` gives it.

    >>> _typed_filters(SearchForm(nation=" Wales ", review="child w"), ("holmbrook-2025-child-w", "Child W"))["review"]
    ('holmbrook-2025-child-w', 'Child W')
    """
    typed = {key: (getattr(form, key).strip() or None) for key in REVIEW_FILTER_KEYS}
    return {**typed, "review": review} if review is not None and typed["review"] is not None else typed


def _page_links(form: SearchForm, shown: int, more: bool) -> str:
    """Links to the page of results before this one and the page after it (where there is one)."""
    links = []
    if form.start:
        links.append(f'<a href="{_e(form.url(max(0, form.start - form.limit)))}" rel="prev">'
                     f"← Previous {form.limit}</a>")
    if more and form.start + shown <= MAX_OFFSET:
        links.append(f'<a href="{_e(form.url(form.start + shown))}" rel="next">Next {form.limit} →</a>')
    elif more:
        links.append(f'<span class="muted">Pages go no further than the first {MAX_OFFSET:,} passages or so: add '
                     "words or filters to narrow the search</span>")
    return f'<p class="pages">{" · ".join(links)}</p>'


def _notes(notes: Sequence[str]) -> str:
    shown = "".join(f"<p>{_e(note)}</p>" for note in notes if note)
    return f'<section class="about">{shown}</section>' if shown else ""


def _evidence_cell(sentences: list[tuple[str, float | None]], passage_score: float) -> str:
    """A theme's evidence sentences for the passage page, each with what it scores on its own where that is well
    below the passage's probability (``quote_alone``), as reports and exports say it.

    >>> _evidence_cell([("Nobody asked her.", 0.62), ("She was seen.", None)], 0.97)
    'Nobody asked her. <span class="meta">(alone it scores 62%)</span><br>She was seen.'
    >>> _evidence_cell([], 0.9)
    '–'
    """
    shown = []
    for text, score in sentences:
        alone = quote_alone(passage_score, score)
        shown.append(_e(text) + (f' <span class="meta">({_e(alone)})</span>' if alone else ""))
    return "<br>".join(shown) or "–"


@dataclass
class PassageView:
    """One passage, where it sits in its review, its themes with their evidence, and what is around it."""

    row: dict[str, Any]
    themes: list[tuple[str, float, str]]
    evidence: dict[str, list[tuple[str, float | None]]]  # theme -> its sentences, best first, with their own scores
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    untagged: str = ""  # for a passage with no theme: why (``untagged_reason``)
    stored: bool = True  # whether the store beside the database has the review's document, to open


def passage_view(con: duckdb.DuckDBPyConnection, passage_id: str) -> PassageView | None:
    """The passage ``passage_id`` with what the page shows about it; None when there is no such passage."""
    cursor = con.execute(_PASSAGE, [passage_id])
    found = cursor.fetchone()
    if found is None:
        return None
    row = dict(zip([column[0] for column in cursor.description], found, strict=True))
    themes = [tuple(item) for item in con.execute(_PASSAGE_THEMES, [passage_id]).fetchall()]
    evidence: dict[str, list[tuple[str, float | None]]] = {}
    for theme, text, score in con.execute(_PASSAGE_EVIDENCE, [passage_id]).fetchall():
        evidence.setdefault(theme, []).append((text, score))
    cursor = con.execute(_NEIGHBOURS, [row["review_id"], row["seq"]])
    columns = [column[0] for column in cursor.description]
    around = {item["seq"]: item for item in (dict(zip(columns, values, strict=True)) for values in cursor.fetchall())}
    untagged = "" if themes else untagged_reason(con, row["review_id"], row["section"], row["text"],
                                                 row["footnote"])
    return PassageView(row, themes, evidence, around.get(row["seq"] - 1), around.get(row["seq"] + 1), untagged,
                       stored_copy(con, row["review_id"]) is not None)


_SECTION_SHARE = """
SELECT count(*) FILTER (WHERE section = $2), count(*),
       (SELECT d.theme_model FROM documents d WHERE d.review_id = $1),
       (SELECT count(*) FROM passage_themes t WHERE t.review_id = $1)
FROM passages WHERE review_id = $1"""


def method_section(section: str | None, under: int, passages: int) -> bool:
    """Whether the ``under`` passages of a review's ``passages`` that sit under ``section`` are left untagged
    because the heading says how the review was done (``pipeline.themes.sections``: a recognised heading, over
    at most ``MAX_SHARE`` of the review).

    >>> method_section("Approach", 3, 40), method_section("Approach", 30, 40), method_section("Findings", 3, 40)
    (True, False, False)
    """
    from pipeline.themes.sections import MAX_SHARE, is_untagged_section

    return is_untagged_section(section) and under <= MAX_SHARE * passages


def untagged_reason(con: duckdb.DuckDBPyConnection, review_id: str, section: str | None, text: str,
                    footnote: bool | None = None) -> str:
    """Why a passage has no theme, for people: the pipeline leaves some passages untagged on purpose (under a
    heading about how the review was done, footnotes, text in another language; ``untagged_passages`` in
    ``pipeline.themes.sections``), and a review read without the theme model has none. ``footnote``:
    ``passages.footnote``; where it was not recorded (None: stored by an earlier version), a passage that opens as
    a footnote does is said to be likely one."""
    from pipeline.segment import opens_as_note, other_language  # as the pipeline tells footnotes and Welsh apart

    under, passages, model, tags = con.execute(_SECTION_SHARE, [review_id, section]).fetchone()
    if method_section(section, under, passages):
        return (f"Not tagged, on purpose: it is under the heading “{section}”, which says how the review was done "
                "rather than what it found. Passages under such headings (method, approach, terms of reference, "
                "scope, acknowledgements, glossary and the like) are never tagged with themes; they are still "
                "searched.")
    if model is None and not tags:
        return ("Not tagged: this review was read without the theme model, so none of its passages has a theme. "
                "A new `casereview run` with the theme model tags them.")
    if other_language(text):
        return ("Not tagged, on purpose: it is not written in English (the Welsh half of a bilingual review, say), "
                "and the theme model reads English only. It is still searched.")
    if footnote:
        return ("Not tagged, on purpose: it is a footnote (small type at the foot of a page), and footnotes (which "
                "cite sources, define terms or count answers) are never tagged with themes; they are still "
                "searched.")
    if footnote is None and opens_as_note(text):
        return ("It may not be tagged on purpose: it opens with a note number, as a footnote does, and footnotes "
                "(which cite sources, define terms or count answers) are never tagged with themes; they are still "
                "searched. If it is not a footnote, the theme model found no theme in it likely enough to tag.")
    return ("The theme model found no theme in it likely enough to tag (or found it to be about how the review was "
            "done rather than what it found).")


def _source(review_id: str, source: str | None, page: int | None, stored: bool = True) -> str:
    """Where a review's document came from (a link when it is a web address), and a link to the copy the store
    keeps, opened at ``page`` of the PDF (None: no text was read from it, so there may be no copy), or, when the
    store has no copy (``stored`` False), that it has none."""
    parts = []
    if source:
        shown = (f'<a href="{_e(source)}" rel="noreferrer">{_e(source)}</a>'
                 if source.lower().startswith(("https://", "http://")) else _e(source))
        parts.append(f"Source: {shown}")
    if page and stored:
        address = f"/document?{urlencode({'id': review_id})}#page={page}"
        parts.append(f'<a href="{_e(address)}">Open the PDF{f" at page {page}" if page > 1 else ""}</a> '
                     "(the copy that was read)")
    elif page:
        parts.append("The copy of the PDF that was read is not in the store beside this database (its folder was "
                     "removed, or not copied with the database)" + (": open it from its source, at page "
                                                                    f"{page}" if source else ""))
    return f'<p class="meta">{" · ".join(parts)}</p>' if parts else ""


def passage_page(view: PassageView, names: Mapping[str, str], similar: Sequence[Any] = (),
                 similar_note: str = "", notes: Sequence[str] = (), back: str = "") -> str:
    """A passage in its place: the review, page and section; the passages before and after; its themes with
    the sentences that show them; the passages most like it in other reviews. ``back``: the query string of the
    search page it was opened from, for a link back to those results."""
    row = view.row
    get = row.get
    parts = [f'<p class="screen-only"><a href="/?{_e(back)}">← Back to the results</a></p>' if back else "",
             f'<h2>{_e(get("title") or get("review_id"))}</h2>',
             f'<p class="meta">{_where(get)} · review id {_e(get("review_id"))} · passage id '
             f'{_e(get("passage_id"))}</p>',
             '<p class="screen-only"><a href="/review?'
             f'{_e(urlencode({"id": get("review_id")}))}#p-{_e(get("passage_id"))}">Read it in '
             "the whole review</a></p>"]
    parts.append(_source(get("review_id"), get("source"), get("page_start"), view.stored))
    kept_back = {"back": back} if back else {}  # reading on, the way back to the results stays
    if view.before:
        parts.append(f'<p class="context">Before it: {_e(_cut(view.before["text"]))} '
                     f'<a href="/passage?{_e(urlencode({"id": view.before["passage_id"], **kept_back}))}">(read'
                     '<span class="visually-hidden"> the passage before it</span>)</a></p>')
    parts.append(f'<blockquote class="passage">{_e(get("text"))}</blockquote>')
    if get("ocr"):
        parts.append(f'<p class="note">{_e(OCR_NOTE)}</p>')
    if view.after:
        parts.append(f'<p class="context">After it: {_e(_cut(view.after["text"]))} '
                     f'<a href="/passage?{_e(urlencode({"id": view.after["passage_id"], **kept_back}))}">(read'
                     '<span class="visually-hidden"> the passage after it</span>)</a></p>')
    if view.themes:
        rows = "".join(
            f"<tr><td>{_e(names.get(theme, theme))}</td><td{_weak_title(score)}>{_probability(score)}</td>"
            f"<td>{_evidence_cell(view.evidence.get(theme, []), score)}</td></tr>"
            for theme, score, _ in view.themes)
        model = ", ".join(sorted({version for _, _, version in view.themes}))
        head = _head("Theme", "Probability", "Sentence that shows it")
        parts.append("<h2>Learning themes</h2>" + _wide(f"<table>{head}{rows}</table>")
                     + f'<p class="muted">Tagged by the theme model {_e(model)}.</p>')
        if _has_weak(score for _, score, _ in view.themes):
            notes = [*notes, WEAK_NOTE]
    else:
        parts.append(f'<h2>Learning themes</h2><p class="muted">No theme. {_e(view.untagged)}</p>')
    if similar:
        items = "".join(
            f'<li><a href="/passage?{_e(urlencode({"id": hit.passage_id, **kept_back}))}">'
            f"{_e(hit.title or hit.review_id)}</a> "
            f'<span class="meta">({_where(lambda key, hit=hit: getattr(hit, key, None))}; similarity '
            f"{hit.similarity:.2f})</span><blockquote>{_e(hit.snippet or _cut(hit.text or ''))}</blockquote></li>"
            for hit in similar)
        parts.append(f"<h2>Passages like it in other reviews</h2><ol>{items}</ol>"
                     '<p class="muted">Found by the meaning of the words (sentence embeddings), not by the same '
                     "words; similarity is not a probability.</p>")
    elif similar_note:
        parts.append(f'<h2>Passages like it in other reviews</h2><p class="muted">{_e(similar_note)}</p>')
    parts.append(_notes(notes))
    return _page(f"{get('title') or get('review_id')}, {pages_label(get('page_start'), get('page_end'))}",
                 "".join(parts))


_REVIEWS = f"""
SELECT review_id, title, area, nation, review_type, year, status, error, pages, passages, themes
FROM v_review_summary r
WHERE ($area IS NULL OR area = $area) AND ($year IS NULL OR year = $year) AND (NOT $unread OR status <> 'ok')
  AND {TITLE_CONTAINS_SQL}
ORDER BY year DESC NULLS LAST, area, title, review_id"""
_REVIEW_CHOICES = """
SELECT 'area' AS kind, area AS value, count(*) AS n FROM v_review_summary WHERE area IS NOT NULL GROUP BY area
UNION ALL
SELECT 'year', CAST(year AS VARCHAR), count(*) FROM v_review_summary WHERE year IS NOT NULL GROUP BY year
UNION ALL
SELECT 'unread', NULL, count(*) FROM v_review_summary WHERE status <> 'ok'"""
_REVIEW = "SELECT * FROM v_review_summary WHERE review_id = $1"
_REVIEW_PASSAGES = f"""
SELECT p.passage_id, p.seq, p.text, p.page_start, p.page_end, p.section, {read_by_ocr_sql("p")} AS ocr,
       {printed_pages_sql("p")},
       (SELECT list({{'theme': t.theme, 'score': t.score}} ORDER BY t.score DESC) FROM passage_themes t
        WHERE t.passage_id = p.passage_id) AS themes, p.headings
FROM passages p WHERE p.review_id = $1 ORDER BY p.seq"""
_REVIEW_THEMES = """
SELECT theme, passages_tagged, max_score FROM review_themes WHERE review_id = $1
ORDER BY passages_tagged DESC, theme"""
# The findings a review states in its headings (v_review_findings), and the passages under its recommendations
# heading (v_review_recommendations), each with the page it starts on: the review page's list of contents.
_REVIEW_FINDINGS = f"""
WITH f AS (SELECT *, page AS page_start, page AS page_end FROM v_review_findings WHERE review_id = $1)
SELECT f.finding, f.passage_id, f.page_start, f.page_end, {printed_pages_sql("f")} FROM f ORDER BY f.seq"""
_REVIEW_RECOMMENDATIONS = f"""
SELECT count(*) OVER () AS passages, v.passage_id, v.page_start, v.page_end, {printed_pages_sql("v")}
FROM v_review_recommendations v WHERE v.review_id = $1 ORDER BY v.seq LIMIT 1"""
_NOT_READ = {
    "failed": "This review's document could not be read",
    "needs_ocr": "No text could be read from this review's document (it needs OCR)",
    "not_processed": "This review has not been read yet (run `casereview run` with its manifest)",
}


def reviews_page(con: duckdb.DuckDBPyConnection, names: Mapping[str, str], area: str = "", year: str = "",
                 unread: bool = False, error: str = "", containing: str = "") -> str:
    """Every review in the database, newest first, with whether it was read and its commonest themes; or those
    of one area, one year, those not read, or those whose title or id holds ``containing`` ("Child H"; a list of
    hundreds is read a part at a time). ``error``: a value that cannot be used (a year that is not a number),
    said above the form; the list is then of every review."""
    choices = con.execute(_REVIEW_CHOICES).fetchall()
    areas = {value: f"{value} ({n})" for kind, value, n in sorted(choices, key=lambda c: str(c[1]))
             if kind == "area"}
    years = {value: f"{value} ({n})" for kind, value, n in sorted(choices, key=lambda c: str(c[1]), reverse=True)
             if kind == "year"}
    not_read = next((n for kind, _, n in choices if kind == "unread"), 0)
    asked_area, asked_year = area.strip(), year.strip()
    # the area as chosen from the list, or typed in part ("Northmoor"), as the search takes it, when one area has it
    containing_it = areas_containing(asked_area, list(areas))
    area = (next((a for a in areas if a.lower() == asked_area.lower()), "")
            or (containing_it[0] if len(containing_it) == 1 else "")) if asked_area else ""
    year = asked_year if asked_year in years else ""
    notes = []
    if asked_area and not area:
        notes.append(f"No review has the area “{asked_area}”: choose one from the list." if not containing_it else
                     f"{len(containing_it)} areas have “{asked_area}” in their names: choose one from the list.")
    if asked_year and not year:
        notes.append(f"No review is from “{asked_year}”: choose a year from the list.")
    containing = wanted_text(containing) or ""
    rows = con.execute(_REVIEWS, {"area": area or None, "year": int(year) if year else None,
                                  "unread": unread, "containing": containing or None}).fetchall()
    if not rows and containing:
        notes.append(f"No review{' kept by the other choices' if area or year or unread else ''} has “{containing}” "
                     "in its title or id.")
    elif not rows and (area or year):
        within = sorted(years) if not area else sorted(
            {row[5] for row in con.execute(_REVIEWS, {"area": area, "year": None, "unread": False,
                                                      "containing": None}).fetchall()
             if row[5] is not None})
        notes.append(f"No {'unread ' if unread else ''}review {'of ' + area + ' ' if area else ''}"
                     f"{'from ' + year + ' ' if year else ''}is in the database"
                     + (f"; years with reviews{' for it' if area else ''}: {', '.join(map(str, within))}."
                        if year and within else "."))
    items = []
    for review_id, title, its_area, nation, kind, its_year, status, why, pages, passages, themes in rows:
        link = "/review?" + urlencode({"id": review_id})
        state = status_words(status, passages)
        detail = (f"{counted(pages or 0, 'page')}, {counted(passages, 'passage')}" if status == "ok"
                  else _e(why or ""))
        shown = ", ".join(names.get(theme, theme) for theme in (themes or [])[:4])
        items.append(
            f'<tr><td><a href="{_e(link)}">{_e(title or review_id)}</a><br><span class="meta">id: {_e(review_id)}'
            f'</span></td><td>{_e(its_area)}</td>'
            f"<td>{_e(its_year)}</td><td>{_e(nation)}</td><td>{_e(kind)}</td><td>{_e(state)}"
            + (f'<br><span class="meta">{detail}</span>' if detail else "") + f"</td><td>{_e(shown)}</td></tr>")
    narrowed = [part for part in (f"“{containing}” in the title or id" if containing else "", area, year,
                                  "not read" if unread else "") if part]
    form = (
        '<form class="search" method="get" action="/reviews"><div class="row">'
        f'<label>Title or id contains <input name="containing" value="{_e(containing)}" maxlength="{MAX_FIELD}" '
        'placeholder="e.g. Child H"></label>'
        f'<label>Area <select name="area">{_options(areas, area, "every area")}</select></label>'
        f'<label>Year <select name="year">{_options(years, year, "every year")}</select></label>'
        f'<label><input type="checkbox" name="unread" value="1"{" checked" if unread else ""}> only those not '
        f"read ({not_read})</label>"
        '<button type="submit">Show</button></div></form>')
    alert = f'<div class="error" role="alert"><strong>Could not narrow the list:</strong> {_e(error)}</div>'
    # a choice that matches no review is not applied: the heading says so, or it would read as if it were
    unused = [*([f"area “{asked_area}”"] if asked_area and not area else []),
              *([f"year “{asked_year}”"] if asked_year and not year else [])]
    body = (f"<h2>The reviews ({counted(len(rows), 'review')}"
            + (f": {_e(', '.join(narrowed))}; <a href=\"/reviews\">show every review</a>" if narrowed else "")
            + (f"; not narrowed by the {_e(' or the '.join(unused))}, which no review has" if unused else "")
            + f")</h2>{alert if error else ''}{form}"
            + "".join(f'<p class="note">{_e(note)}</p>' for note in notes)
            + _wide(f"<table>{_head('Review', 'Area', 'Year', 'Nation', 'Type', 'Read?', 'Commonest themes')}"
                    f"{''.join(items)}</table>")
            + '<p class="muted">Newest first. A review that could not be read says why; the commands casereview '
            "reviews and casereview status, in a terminal, say the same.</p>")
    return _page("The reviews", body, error=bool(error))


def review_page(con: duckdb.DuckDBPyConnection, review_id: str, names: Mapping[str, str]) -> str | None:
    """One review as the pipeline read it: its details, its themes, and every passage in order, each with its
    page, section and themes (an anchor ``#p-PASSAGE_ID`` for each); None when there is no such review."""
    cursor = con.execute(_REVIEW, [review_id])
    found = cursor.fetchone()
    if found is None:
        return None
    review = dict(zip([column[0] for column in cursor.description], found, strict=True))
    parts = [f"<h2>{_e(review['title'] or review_id)}</h2>",
             '<p class="meta">' + " · ".join(_e(part) for part in (
                 review["area"], review["year"], review["nation"], review["review_type"],
                 f"review id {review_id}") if part not in (None, "")) + "</p>"]
    parts.append(_source(review_id, review.get("source"), 1 if review.get("passages") else None,
                         stored_copy(con, review_id) is not None))
    if review.get("passages"):
        parts.append(review_search_form(review_id))
    if review["status"] != "ok":
        said = _NOT_READ.get(review["status"], f"This review's status is {review['status']}")
        kept = (" The text below is from an earlier reading of it." if review["status"] == "failed" and
                review.get("passages") else "")
        parts.append(f'<div class="error"><strong>{_e(said)}.</strong> {_e(review.get("error") or "")}{_e(kept)}'
                     "</div>")
    themes = con.execute(_REVIEW_THEMES, [review_id]).fetchall()
    if themes:
        parts.append(_review_themes(review_id, themes, names))
    parts.append(_what_it_found(con, review_id))
    passages = con.execute(_REVIEW_PASSAGES, [review_id]).fetchall()
    weak = _has_weak(tag["score"] for *_, tags, _above in passages for tag in tags or [])
    if passages:
        parts.append(f"<h2>The text, as read ({counted(len(passages), 'passage')})</h2>")
        sizes = Counter(heading for _, _, _, _, _, heading, *_ in passages)
        section = object()
        shown: list[str] = []  # the headings above the passage last shown, outermost first
        for passage_id, seq, text, start, end, heading, ocr, printed_start, printed_end, tags, above in passages:
            chain = list(above) if above else [heading] if heading else []
            if chain != shown:  # the headings not shown yet, each at its depth (h3 the outermost)
                same = len(os.path.commonprefix([chain, shown]))
                parts.extend(f"<h{min(3 + depth, 5)}>{_e(title)}</h{min(3 + depth, 5)}>"
                             for depth, title in enumerate(chain[same:], start=same))
                shown = chain
            if heading != section:
                section = heading
                if method_section(heading, sizes[heading], len(passages)):
                    parts.append('<p class="muted">This part says how the review was done rather than what it found: '
                                 "its passages are not tagged with themes, on purpose.</p>")
            chips = _theme_chips({tag["theme"]: tag["score"] for tag in tags or []}, names)
            pages = pages_label(start, end, printed_start, printed_end)
            parts.append(
                f'<div class="read" id="p-{_e(passage_id)}"><p class="meta">{_e(pages)}'
                + (f" · {_e(OCR_NOTE)}" if ocr else "")
                + f' · <a href="/passage?{_e(urlencode({"id": passage_id}))}">this passage'
                f'<span class="visually-hidden"> (passage {seq}, {_e(pages)})</span></a></p>'
                f"<p>{_e(text)}</p>" + (f'<div class="themes">{chips}</div>' if chips else "") + "</div>")
    # how far to trust the probabilities shown, as beside search results and on a passage's page
    models = [row[0] for row in con.execute(_REVIEW_MODELS, [review_id]).fetchall()]
    notes = tag_notes(models, None, names) if themes else []
    if weak or any(weak_tag(best) for _, _, best in themes):
        notes.append(WEAK_NOTE)
    if notes:
        parts.append(_notes(notes))
    return _page(review["title"] or review_id, "".join(parts))


_REVIEW_MODELS = "SELECT DISTINCT model_version FROM passage_themes WHERE review_id = ? ORDER BY 1"


def _what_it_found(con: duckdb.DuckDBPyConnection, review_id: str) -> str:
    """The findings the review states in its headings, each a link to its place in the text below, with its
    page, and a link to its recommendations; "" when it states neither (most reviews state their findings)."""
    findings = con.execute(_REVIEW_FINDINGS, [review_id]).fetchall()
    first = con.execute(_REVIEW_RECOMMENDATIONS, [review_id]).fetchone()
    if not findings and first is None:
        return ""
    parts = []
    if findings:
        items = "".join(f'<li><a href="#p-{_e(passage_id)}">{_e(finding)}</a> <span class="meta">'
                        f"{_e(pages_label(start, end, printed_start, printed_end))}</span></li>"
                        for finding, passage_id, start, end, printed_start, printed_end in findings)
        parts.append(f"<h2>Findings this review states ({len(findings)})</h2><ol>{items}</ol>")
    if first is not None:
        count, passage_id, start, end, printed_start, printed_end = first
        parts.append(f'<p><a href="#p-{_e(passage_id)}">Its recommendations</a> ({counted(count, "passage")}, '
                     f"from {_e(pages_label(start, end, printed_start, printed_end))})</p>")
    return "".join(parts)


def _review_themes(review_id: str, themes: Sequence[tuple[str, int, float]], names: Mapping[str, str]) -> str:
    """A review's themes, rolled up: how many of its passages each tags (a link to them, strongest first: the
    search page's listing of the theme in this review), and the highest probability among them; a theme whose
    highest is a weak tag rests only on weak tags, and says so."""
    def listed(theme: str, count: int) -> str:
        link = SearchForm(theme=theme, review=review_id, limit=next((n for n in LIMITS if n >= count), LIMITS[-1]))
        return (f'<a href="{_e(link.url(0))}">{count}<span class="visually-hidden"> '
                f"{'passage' if count == 1 else 'passages'} tagged {_e(names.get(theme, theme))}, strongest first"
                "</span></a>")

    rows = "".join(f"<tr><td>{_e(names.get(theme, theme))}</td><td>{listed(theme, count)}</td>"
                   f"<td{_weak_title(best)}>{_probability(best)}"
                   + (": only weak tags here" if weak_tag(best) else "") + "</td></tr>"
                   for theme, count, best in themes)
    return ("<h2>Learning themes in this review</h2>"
            + _wide(f"<table>{_head('Theme', 'Passages', 'Highest probability')}{rows}</table>"))


_AREA_YEARS = """
SELECT area, min(year), max(year), count(*) FROM reviews WHERE area IS NOT NULL AND year IS NOT NULL
GROUP BY area ORDER BY area"""


def report_form_page(con: duckdb.DuckDBPyConnection, area: str = "", year: str = "", error: str = "",
                     searches: str = "") -> str:
    """The form for a partnership's annual summary: the area (from those the reviews have), the year(s), and the
    partnership's own searches, if any (one a line)."""
    areas = [(name, first, last, count) for name, first, last, count in con.execute(_AREA_YEARS).fetchall()]
    try:  # the area as chosen, or typed in part ("northmoor") where that names one area
        area = one_area(area, [name for name, *_ in areas]) or area
    except SeveralAreas:
        pass
    options = "".join(
        f'<option value="{_e(name)}"{" selected" if name == area else ""}>{_e(name)} ({counted(count, "review")}, '
        f"{first if first == last else f'{first}–{last}'})</option>" for name, first, last, count in areas)
    alert = f'<div class="error" role="alert"><strong>No summary:</strong> {_e(error)}</div>' if error else ""
    body = (
        "<h2>Annual summary for a safeguarding partnership</h2>"
        f"{alert}"
        '<form class="search" method="get" action="/report"><div class="row">'
        f'<label>Area <select name="area"><option value="">choose an area</option>{options}</select></label>'
        f'<label>Year, or years <input class="year" name="year" value="{_e(year)}" placeholder="2021"></label>'
        '<button type="submit">Make the summary</button></div>'
        '<div class="row"><label class="lines">Your own searches, if any: one a line, as typed in the search box, '
        "with a name and a colon before each if you like (the summary says what each finds in the area's "
        f'reviews) <textarea name="searches" rows="3" cols="80">{_e(searches)}</textarea></label></div>'
        '<p class="muted">The summary opens as a page of its own, ready to print or save as PDF from the browser: '
        "the reviews in scope, how often each learning theme appears against all reviews, each theme's most "
        "probable quotes with their pages (a theme resting on few passages or unsure tags marked as thin "
        "evidence), the reviews' own findings and recommendations, and what it cannot say. A span of "
        "years (2019-2023) suits an area with few reviews a year. The same page as "
        "<code>casereview report --area AREA --year YEAR --out FILE.html</code> (with "
        "<code>--searches FILE</code> for your own searches).</p></form>"
    )
    return _page("Annual summary for a safeguarding partnership", body, error=bool(error))


def findings_page(fields: Mapping[str, str], nations: Sequence[str], rows: Sequence[Mapping[str, Any]] = (),
                  about: Mapping[str, Any] | None = None, error: str = "") -> str:
    """The findings the reviews state in their headings ("Finding 2: ...", as ``casereview findings``
    lists them), review by review, each linked to its first passage and page; ``fields``: the form as filled in
    (containing, year_from, year_to, nation, area); ``about``: what the list covers (None: nothing listed, as
    after an ``error``, which is said above the form)."""
    from pipeline.outputs.findings import ONLY_HEADINGS, summary_line

    def value(name: str) -> str:
        return _e(fields.get(name, ""))

    alert = f'<div class="error" role="alert"><strong>Cannot list them:</strong> {_e(error)}</div>' if error else ""
    form = (
        '<form class="search" method="get" action="/findings"><div class="row">'
        f'<label class="words">Heading contains <input name="containing" value="{value("containing")}" '
        'maxlength="200" placeholder="information"></label></div><div class="row">'
        + _review_fields(fields, nations) +
        '<button type="submit">List the findings</button></div></form>')
    parts = ["<h2>Findings the reviews state</h2>", alert, form]
    if about is not None:
        download = "/findings.xlsx?" + urlencode({k: v for k, v in fields.items() if v}) if rows else ""
        parts.append(f'<section id="results" tabindex="-1"><p>{_e(summary_line(list(rows), dict(about)))} '
                     f"{_e(ONLY_HEADINGS)}"
                     + (f' <a href="{_e(download)}">Save them as a table (Excel)</a>' if download else "") + "</p>")
        current, items = None, []
        for row in rows:
            if row["review_id"] != current:
                if items:
                    parts.append(f"<ul>{''.join(items)}</ul>")
                current, items = row["review_id"], []
                review = f"/review?{urlencode({'id': row['review_id']})}"
                meta = " · ".join(_e(v) for v in (row["area"], row["year"], row["nation"], row["review_type"])
                                  if v not in (None, ""))
                parts.append(f'<h3><a href="{_e(review)}">{_e(row["title"] or row["review_id"])}</a></h3>'
                             f'<p class="meta">{meta}</p>')
            page = pages_label(row["page_start"], row["page_end"], row["printed_start"], row["printed_end"])
            link = f"/passage?{urlencode({'id': row['passage_id']})}"
            items.append(f'<li><a href="{_e(link)}">{_e(row["finding"])}</a> <span class="meta">({_e(page)})</span>'
                         "</li>")
        if items:
            parts.append(f"<ul>{''.join(items)}</ul>")
        parts.append("</section>")
    else:
        parts.append('<p class="muted">Most reviews state their findings in headings, numbered ("Finding 2: '
                     'Information held by one agency did not reach the others", "Learning point 1: ...") or set '
                     'under a chapter of findings ("Practice and organisational learning"). This lists them across '
                     "the reviews, in each review's own words, with the page each starts on: a table for a thematic "
                     "briefing. Leave every field empty to list them all. The same list as "
                     "<code>casereview findings</code>.</p>")
    return _page("Findings the reviews state", "".join(parts), error=bool(error), results=about is not None)


def _review_fields(fields: Mapping[str, str], nations: Sequence[str]) -> str:
    """A form's review filters, filled in from ``fields``: from year, to year, nation and area."""
    def value(name: str) -> str:
        return _e(fields.get(name, ""))

    return (f'<label>From year <input class="year" name="year_from" value="{value("year_from")}" maxlength="4">'
            f'</label><label>To year <input class="year" name="year_to" value="{value("year_to")}" maxlength="4">'
            f'</label><label>Nation <select name="nation">{_options(nations, fields.get("nation", ""), "any")}'
            f'</select></label><label>Area <input name="area" value="{value("area")}" maxlength="200" '
            'placeholder="part of its name will do">'
            "</label>")


def trends_page(fields: Mapping[str, str], nations: Sequence[str], frame: Any = None,
                info: Mapping[str, Any] | None = None, error: str = "") -> str:
    """How common each learning theme is, year by year (as ``casereview trends`` prints it): a row per theme, a
    column per year, counted by reviews or by passages (``fields["measure"]``), with the notes that say how far
    the shares can be trusted; ``frame`` and ``info``: ``theme_trends``'s (None after an ``error``, which is
    said above the form)."""
    from pipeline.outputs.trends import MEASURES, definition, trend_notes, trend_table

    measure = fields.get("measure") or "reviews"
    alert = f'<div class="error" role="alert"><strong>No table:</strong> {_e(error)}</div>' if error else ""
    measures = {"reviews": "reviews (one tagged passage is enough)", "passages": "passages (how much of the text)"}
    form = (
        '<form class="search" method="get" action="/trends"><div class="row">'
        '<label>Count <select name="measure">' + "".join(
            f'<option value="{_e(m)}"{" selected" if m == measure else ""}>{_e(measures[m])}</option>'
            for m in MEASURES) + "</select></label>"
        + _review_fields(fields, nations)
        + '<label>Lowest theme probability <input class="year" name="min_score" '
        f'value="{_e(fields.get("min_score", ""))}" placeholder="0.5"></label>'
        '<button type="submit">Show the table</button></div></form>')
    parts = ["<h2>Learning themes by year</h2>", alert, form]
    if frame is not None and info is not None:
        unit = "reviews" if measure == "reviews" else "passages"
        header, rows = trend_table(frame, measure)
        head = "".join(f'<th scope="col">{_e(cell)}</th>' for cell in header)
        body = "".join("<tr>" + f'<th scope="row">{_e(row[0])}</th>' + "".join(
            f'<td class="num">{_e(cell)}</td>' for cell in row[1:]) + "</tr>" for row in rows)
        kept = info.get("reviews", "all")
        download = "/trends.xlsx?" + urlencode({k: v for k, v in fields.items() if v})
        parts.append(
            f'<section id="results" tabindex="-1"><p>{_e(unit.capitalize())} carrying each theme, by year: number '
            f"of {_e(unit)} (share of the {_e(unit)} read that year)."
            + (f" Reviews kept by the filters: {_e(kept)}." if kept != "all" else "")
            + f" {_e(definition(dict(info), measure))}</p>"
            + _wide(f"<table><caption>Learning themes by year, counted by {_e(unit)}</caption><thead><tr>{head}"
                    f"</tr></thead><tbody>{body}</tbody></table>")
            + "".join(f'<p class="note">{_e(note)}</p>' for note in trend_notes(
                frame, measure, "counting passages", info=dict(info),
                min_score_option="0.5 as the lowest theme probability", status_hint="the list of reviews"))
            + f'<p><a href="{_e(download)}">Save the table (Excel, both counts)</a></p></section>')
        notes = tag_notes(list(info.get("theme_models") or []), None, {})
        if notes:
            parts.append(_notes(notes))
    return _page("Learning themes by year", "".join(parts), error=bool(error), results=frame is not None)


_SEARCHES_EXAMPLE = """Neglect at school: (neglect OR "emotional abuse") AND (school OR nursery)
Seen alone: "seen alone" OR "spoken to alone"
cuckooing"""


def searches_page(fields: Mapping[str, str], nations: Sequence[str], outcomes: Sequence[Any] = (),
                  error: str = "") -> str:
    """A set of searches typed one a line (as ``casereview searches`` runs a file of them): for each, the
    passages and reviews that match (each a link to them) and year by year in how many reviews; ``fields``: the
    form as filled in (searches, year_from, year_to, nation, area); ``outcomes``: what each search found (none
    after an ``error``, which is said above the form)."""
    from pipeline.outputs.searchset import WORDS_NOT_MEANING, by_year_grid

    alert = f'<div class="error" role="alert"><strong>Not searched:</strong> {_e(error)}</div>' if error else ""
    form = (
        '<form class="search" method="get" action="/searches">'
        '<div class="row"><label class="lines">The searches, one a line, each as you would type it in the search '
        "box, with a name and a colon before it if you like "
        f'<textarea name="searches" rows="8" cols="80" placeholder="{_e(_SEARCHES_EXAMPLE)}">'
        f'{_e(fields.get("searches", ""))}</textarea></label></div><div class="row">'
        + _review_fields(fields, nations) +
        '<button type="submit">Run the searches</button></div></form>'
        '<p class="muted">For a briefing you update: run the same searches on each new batch of reviews, and save '
        "the counts, the reviews and the best passages of each as one Excel file. Every line is checked before "
        "any is searched. Lines starting with # are skipped; two columns copied from a spreadsheet (a name, then "
        "the search) paste as they are.</p>")
    parts = ["<h2>A set of searches</h2>", alert, form]
    if outcomes:
        filters = {key: fields[key] for key in ("year_from", "year_to", "nation", "area") if fields.get(key)}
        read = outcomes[0].result.reviews_read
        rows = []
        for number, o in enumerate(outcomes, start=1):
            found = o.result.total or 0
            passages = "/?" + urlencode({"q": o.search.query, **filters})
            reviews = "/?" + urlencode({"q": o.search.query, **filters, "by_review": 1})
            rows.append(
                f'<tr><td class="num">{number}</td><th scope="row">{_e(o.search.name)}</th>'
                f"<td><code>{_e(o.search.query)}</code></td>"
                + (f'<td class="num"><a href="{_e(passages)}">{found}</a></td>'
                   f'<td class="num"><a href="{_e(reviews)}">{len(o.result.by_review)} of {read}</a></td>'
                   if found else f'<td class="num">0</td><td class="num">0 of {read}</td>')
                + f"<td>{_e(o.note)}</td></tr>")
        download = "/searches.xlsx?" + urlencode({**filters, "searches": fields.get("searches", "")})
        years, read_then, counts = by_year_grid(list(outcomes))
        head = '<th scope="col">Search</th>' + "".join(f'<th scope="col">{year}</th>' for year in years)
        body = "".join(f'<tr><th scope="row">{_e(label)}</th>' + "".join(f'<td class="num">{n}</td>' for n in row)
                       + "</tr>" for label, row in [("Reviews read", read_then),
                                                    *((f"{i}. {o.search.name}", c) for i, (o, c)
                                                      in enumerate(zip(outcomes, counts, strict=True), start=1))])
        kept = " that the filters keep" if filters else ""
        parts.append(
            f'<section id="results" tabindex="-1"><p>{counted(len(outcomes), "search", "searches")}, on the '
            f"{counted(read, 'review')} read{kept}. Each count opens the passages, or the reviews they are in. "
            f'<a href="{_e(download)}">Save them as an Excel file</a> (the searches, the years, the reviews each '
            f"found and its best 20 passages, with where they came from). {_e(WORDS_NOT_MEANING)}</p>"
            + _wide('<table><caption>What each search found</caption><thead><tr><th scope="col">#</th>'
                    '<th scope="col">Search</th><th scope="col">What was searched</th><th scope="col">Passages</th>'
                    '<th scope="col">Reviews</th><th scope="col">Note</th></tr></thead><tbody>'
                    + "".join(rows) + "</tbody></table>")
            + "<p>Year by year: the reviews read, and how many of them each search finds passages in.</p>"
            + _wide(f"<table><caption>Reviews with passages, by year</caption><thead><tr>{head}</tr></thead>"
                    f"<tbody>{body}</tbody></table>") + "</section>")
    return _page("A set of searches", "".join(parts), error=bool(error), results=bool(outcomes))


def message_page(title: str, message: str) -> str:
    """A page that says what went wrong (a passage that is not there, an address that is not a page); its title
    says it is an error, for the browser's tab and history and for screen readers.

    >>> message_page("No such page", "There is none.").split("<title>")[1][:27]
    'Error: No such page</title>'
    """
    stop = "" if title.endswith(("?", "!", ".")) else "."
    return _page(title, f'<h2 class="visually-hidden">{_e(title)}</h2>'  # (the page's one h1: see _page)
                        f'<div class="error" role="alert"><strong>{_e(title)}{stop}</strong> {_e(message)}</div>'
                        '<p><a href="/">Back to the search</a></p>', error=True)


def _cut(text: str, limit: int = 240) -> str:
    return shorten(text, limit)
