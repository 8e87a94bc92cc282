"""`casereview serve`: the search pages, through a real HTTP server on 127.0.0.1 over a real DuckDB file.

The server finds what `casereview search` finds, in the same order; escapes everything from the address and
the database; answers bad form values, unknown passages and unknown pages with a page that says what to do;
and never writes to the database.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import pytest
from click.testing import CliRunner

from pipeline.commands.outputs import serve_command
from pipeline.search import search
from pipeline.store import Store
from pipeline.web import make_server
from tests.test_search import CWM_LLWYD, NORTHMOOR, THEME_MODEL, build_corpus


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("web") / "casereview.duckdb")


def _serve(db_path: Path) -> Iterator[str]:
    server = make_server(db_path, port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"  # never reachable from another computer
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def site(db: Path) -> Iterator[str]:
    yield from _serve(db)


def get(url: str, method: str = "GET") -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8"), dict(error.headers)


def page_ids(body: str) -> list[str]:
    """The passage ids the results link to, in order."""
    import re

    return re.findall(r'<li><h3 class="title">.*?href="/passage\?id=([^"&]+)', body, flags=re.S)


def test_the_search_page_offers_the_themes_and_filters_the_database_holds(site: str):
    status, body, headers = get(site + "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in headers["Content-Security-Policy"]  # no scripts, nothing fetched
    assert '<option value="voice_of_child">Voice of the child</option>' in body
    assert '<option value="Wales">Wales</option>' in body and '<option value="CPR">CPR</option>' in body
    assert "4 reviews read, 10 passages" in body
    assert "<ol" not in body  # nothing searched yet
    # each theme the model tagged, to browse: how many passages in how many reviews
    assert ('<a href="/?theme=voice_of_child">Voice of the child</a> <span class="meta">2 passages in 2 reviews'
            in body)
    assert "theme=legal_powers" in body and "1 passage in 1 review" in body


def test_the_browser_finds_what_the_command_line_finds_in_the_same_order(site: str, db: Path):
    status, body, _ = get(site + "/?" + urlencode({"q": "information shared", "limit": "10"}))
    assert status == 200
    expected = [hit.passage_id for hit in search(db, "information shared", limit=10)]
    assert expected and page_ids(body) == expected
    assert "<mark>" in body and "best match first" in body
    assert "Information sharing 92%" in body  # each passage's themes, with the model's probability

    status, body, _ = get(site + "/?" + urlencode({"theme": "voice_of_child", "nation": "Wales"}))
    assert status == 200
    assert page_ids(body) == [hit.passage_id for hit in search(db, None, theme="voice_of_child", nation="Wales")]
    assert "the strongest evidence first" in body
    assert '<option value="Wales" selected>' in body  # the form shows what was asked

    status, body, _ = get(site + "/?" + urlencode({"q": "school", "section": "recommend", "year_from": "2021"}))
    assert page_ids(body) == [hit.passage_id for hit in search(db, "school", section="recommend", year_from=2021)]

    # curly quotes typed around a phrase are not doubled in the heading
    status, body, _ = get(site + "/?" + urlencode({"q": "“information sharing”"}))
    assert "1 passage for “information sharing”, best match first" in body


def test_a_page_that_shows_fewer_passages_than_match_says_so(site: str, db: Path):
    from pipeline.outputs.webpages import FormChoices, SearchForm, search_page

    hits = search(db, "information", limit=2)
    status, body, _ = get(site + "/?" + urlencode({"q": "information", "limit": "10"}))
    assert len(page_ids(body)) == len(search(db, "information", limit=10)) < 10 and "In all" not in body
    choices = FormChoices(themes={}, nations=[], review_types=[])
    shown = search_page(SearchForm(q="information", limit=2), choices, hits, more=True, total=7,
                        total_note="In all, 7 passages in 3 reviews match.")
    assert "<h1>1–2 of 7 passages for “information”" in shown
    assert '<p class="note">In all, 7 passages in 3 reviews match.</p>' in shown
    assert '<a href="/?q=information&amp;limit=2&amp;start=2" rel="next">Next 2 →</a>' in shown
    assert "In all" not in search_page(SearchForm(q="information", limit=2), choices, hits)


def test_the_search_page_is_told_when_more_passages_match(db: Path, monkeypatch: pytest.MonkeyPatch):
    # the demo-sized fixture has fewer matches than the smallest number the form offers: offer 2 for once
    from pipeline import web
    from pipeline.outputs import webpages

    monkeypatch.setattr(webpages, "LIMITS", (2, 10, 20))
    pages = web.Pages(db)
    shown = pages.answer("/?" + urlencode({"q": "information", "limit": "2"})).body.decode("utf-8")
    assert len(page_ids(shown)) == 2
    every = search(db, "information")
    reviews = len({hit.review_id for hit in every})
    assert f"<h1>1–2 of {len(every)} passages for “information”" in shown
    assert f"In all, {len(every)} passages in {reviews} reviews match." in shown and 'rel="next"' in shown


def test_results_come_a_page_at_a_time(db: Path, monkeypatch: pytest.MonkeyPatch):
    import re

    import openpyxl

    from pipeline import web
    from pipeline.outputs import webpages

    monkeypatch.setattr(webpages, "LIMITS", (2, 10, 20))
    pages = web.Pages(db)
    words = "information school police"
    every = [hit.passage_id for hit in search(db, words, limit=100)]
    assert len(every) > 4
    # following "Next" from the first page shows every passage once, in the order of one long list
    seen, url, bodies = [], "/?" + urlencode({"q": words, "limit": "2"}), []
    while url:
        body = pages.answer(url).body.decode("utf-8")
        bodies.append(body)
        seen += page_ids(body)
        link = re.search(r'<a href="([^"]+)" rel="next">', body)
        url = html.unescape(link.group(1)) if link else None
    assert seen == every and len(bodies) == (len(every) + 1) // 2
    second = bodies[1]
    assert f"<h1>3–4 of {len(every)} passages for “{words}”" in second
    assert '<ol class="hits" start="3">' in second
    assert '<a href="/?q=information+school+police&amp;limit=2" rel="prev">← Previous 2</a>' in second
    assert 'rel="next"' not in bodies[-1] and 'rel="prev"' in bodies[-1]
    # a passage opened from the second page leads back to that page
    opened = html.unescape(re.search(r'href="(/passage\?[^"]+)"', second).group(1))
    back = pages.answer(opened).body.decode("utf-8")
    assert '<a href="/?q=information+school+police&amp;limit=2&amp;start=2">← Back to the results</a>' in back
    # ... and so do the passages before and after it, read on from it
    onward = [html.unescape(link) for link in re.findall(r'href="(/passage\?[^"]+)">\(read', back)]
    assert onward and all("back=" in link for link in onward)
    for link in onward:
        assert "← Back to the results</a>" in pages.answer(link).body.decode("utf-8")
    # ... and the passages like it in other reviews
    similar = back.split("Passages like it in other reviews", 1)[-1]
    alike = [html.unescape(link) for link in re.findall(r'<li><a href="(/passage\?[^"]+)">', similar)]
    assert alike and all("back=" in link for link in alike)
    # past the last page: said so, with the way back
    beyond = pages.answer("/?" + urlencode({"q": words, "limit": "2", "start": len(every) + 4}))
    text = beyond.body.decode("utf-8")
    assert f"No more passages for “{words}”" in text and f"All {len(every)} passages that match" in text
    assert "Back to the first page" in text
    # the Excel file of a later page holds that page, ranked as shown
    saved = pages.answer("/results.xlsx?" + urlencode({"q": words, "limit": "2", "start": "2"}))
    book = openpyxl.load_workbook(io.BytesIO(saved.body))
    rows = list(book["Results"].values)
    header = rows[0]
    assert [row[header.index("rank")] for row in rows[1:]] == [3, 4]
    assert [row[header.index("passage_id")] for row in rows[1:]] == every[2:4]
    assert dict(list(book["Provenance"].values)[1:])["first_rank"] == 3


def test_a_passage_opened_from_a_long_search_leads_back_to_the_same_results(site: str):
    # a search pasted from a briefing runs to hundreds of characters; cut like a field of words, the way back
    # lost its filters ("nation=Engla": an error page)
    words = " ".join(["information school police"] + ["child"] * 150)
    status, body, _ = get(f"{site}/?" + urlencode({"q": words, "nation": "England", "year_from": "2016"}))
    assert status == 200, body
    opened = html.unescape(re.search(r'href="(/passage\?[^"]+)"', body).group(1))
    status, passage, _ = get(site + opened)
    back = html.unescape(re.search(r'<a href="([^"]+)">← Back to the results', passage).group(1))
    assert "&nation=England" in back and "&year_from=2016" in back, back
    status, again, _ = get(site + back)
    assert status == 200 and page_ids(again) == page_ids(body)


def test_a_search_cut_to_the_boxs_length_keeps_its_brackets_closed(site: str):
    # cut at 500 characters, the closing bracket went and the search was refused, blaming the person who typed it
    words = "(information OR " + "school " * 90 + ") AND police"
    status, body, _ = get(f"{site}/?" + urlencode({"q": words}))
    assert status == 200 and "opens a bracket without closing it" not in body and page_ids(body), body[-800:]


def test_typed_text_never_brings_control_or_direction_marks_into_a_page(site: str):
    # a NUL in the box of searches, or a right-to-left override that showed the heading reversed
    for url in ("/searches?" + urlencode({"searches": "information\x00school"}),
                "/?" + urlencode({"q": "\u202einformation"})):
        status, body, _ = get(site + url)
        assert status in (200, 400) and "\x00" not in body and "\u202e" not in body, url


def test_words_no_passage_uses_are_named_with_spellings_that_are_used(site: str):
    status, body, _ = get(site + "/?" + urlencode({"q": "informaton"}))
    assert status == 200 and "No passage in the database uses this word" in body
    assert "did you mean &quot;information&quot;?" in body


def test_the_heading_of_the_results_says_what_kept_them_so_a_printed_page_does(site: str):
    status, body, _ = get(site + "/?" + urlencode({"q": "school", "min_score": "0.5", "year_from": "2015"}))
    heading = re.search(r"<h1>(.*?)</h1>", body).group(1)
    assert status == 200 and "for “school”" in heading
    assert ", tagged with some theme at a probability of 0.5 or more" in heading
    assert "in the reviews kept by the filters (years from 2015)" in heading


def test_a_search_that_needs_several_sections_or_phrases_says_so_when_it_finds_nothing(site: str):
    status, body, _ = get(site + "/?" + urlencode({"q": '"seen alone" s999'}))
    assert status == 200 and "No passages found" in body
    assert ("Every passage found must hold &quot;seen alone&quot; and name section 999: put OR between them to find "
            "either") in body


def test_a_quoted_phrase_that_finds_nothing_links_to_its_words_unquoted_and_to_the_theme_it_names(site: str):
    status, body, _ = get(site + "/?" + urlencode({"q": '"information not shared"', "nation": "England"}))
    assert status == 200 and "No passages found" in body
    apart = html.escape("/?" + urlencode({"q": "information AND not AND shared", "nation": "England", "limit": 20}))
    assert f' all its words, apart: <a href="{apart}">' in body
    theme = html.escape("/?" + urlencode({"theme": "information_sharing", "nation": "England", "limit": 20}))
    assert "close to the name of the learning theme Information sharing, which tags " in body
    assert f'passages: <a href="{theme}">' in body


def test_one_review_is_searched_from_its_own_page(site: str):
    # the review page has a search box for that review alone; its results say where they looked and offer the
    # same search of every review
    status, page, _ = get(f"{site}/review?id=northmoor-2021-family-k")
    assert status == 200 and "Search this review" in page
    assert '<input type="hidden" name="review" value="northmoor-2021-family-k">' in page
    status, found, _ = get(f"{site}/?" + urlencode({"q": "information school", "review": "northmoor-2021-family-k"}))
    assert status == 200
    assert set(page_ids(found)) == {"northmoor-2021-family-k-p1", "northmoor-2021-family-k-p3"}
    # the heading names the review by its title, as well as the id the form holds
    assert "in the review &quot;Family K: a child safeguarding practice review&quot; (northmoor-2021-family-k)" in found
    assert '<input name="review" value="northmoor-2021-family-k"' in found  # kept in the form, to be changed
    assert '<a href="/?q=information+school&amp;limit=20">Search every review instead</a>' in found
    assert "/results.xlsx?q=information+school&amp;review=northmoor-2021-family-k" in found
    assert "Only the review" not in get(f"{site}/?q=information")[1]  # a search of every review has no such line
    status, unknown, _ = get(f"{site}/?" + urlencode({"q": "information", "review": "Child Z"}))
    assert status == 400 and "no review has the id &#x27;Child Z&#x27;" in unknown
    assert "The reviews&quot; (at the top of each page)" in unknown and "casereview reviews" not in unknown
    status, unread, _ = get(f"{site}/?" + urlencode({"q": "information", "review": "Child M"}))
    assert status == 400 and "has no text to look in: it was not read (no page has a text layer" in unread
    # each theme's count of passages in the review's table lists them, strongest first, and they are as many
    status, page, _ = get(f"{site}/review?id=northmoor-2019-child-d")
    link = "/?theme=information_sharing&amp;review=northmoor-2019-child-d&amp;limit=10"
    assert f'<a href="{link}">1<span class="visually-hidden"> passage tagged Information sharing' in page
    status, listed, _ = get(site + html.unescape(link))
    assert status == 200 and page_ids(listed) == ["northmoor-2019-child-d-p1"]



def test_a_reviews_page_says_how_far_to_trust_its_probabilities(db: Path, tmp_path: Path):
    from pipeline.settings import PROJECT_ROOT
    from pipeline.themes.model import ThemeModel

    shipped = ThemeModel.check(PROJECT_ROOT / "models" / "themes-v1")  # a model whose real-text figures are known
    copy = tmp_path / "shipped.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE passage_themes SET model_version = ?", [shipped])
    for site in _serve(copy):
        status, page, _ = get(f"{site}/review?id=northmoor-2019-child-d")
        assert status == 200
        assert "About the theme probabilities:" in page  # as beside search results and on a passage's page


def test_one_review_is_listed_in_page_order_from_its_results(site: str, db: Path):
    import openpyxl

    from pipeline import web

    in_order = ["northmoor-2021-family-k-p1", "northmoor-2021-family-k-p2", "northmoor-2021-family-k-p3"]
    asked = {"q": "schools police", "review": "northmoor-2021-family-k"}
    status, best, _ = get(f"{site}/?" + urlencode(asked))
    assert status == 200 and set(page_ids(best)) == set(in_order) and page_ids(best) != in_order
    link = "/?" + urlencode({**asked, "limit": 20, "order": "page"})
    assert f"<a href=\"{html.escape(link)}\">List them in the order of the review's pages</a>" in best
    status, in_pages, _ = get(site + link)
    assert status == 200 and page_ids(in_pages) == in_order and ", in page order</h1>" in in_pages
    assert "List them best first" in in_pages
    # the saved table keeps the order; a later page counts in it; a search of every review is best first
    saved = web.Pages(db).answer("/results.xlsx?" + urlencode({**asked, "order": "page"}))
    rows = list(openpyxl.load_workbook(io.BytesIO(saved.body))["Results"].values)
    assert [row[rows[0].index("passage_id")] for row in rows[1:]] == in_order
    status, second, _ = get(site + "/?" + urlencode({**asked, "order": "page", "limit": 10, "start": 1}))
    assert page_ids(second) == in_order[1:]
    status, everywhere, _ = get(site + "/?" + urlencode({"q": "schools police", "order": "page"}))
    assert ", best match first</h1>" in everywhere and "List them" not in everywhere


def test_a_set_of_searches_is_run_from_its_page(site: str, db: Path):
    import openpyxl

    from pipeline import web
    from pipeline.search import search_with_forms

    status, bare, _ = get(f"{site}/searches")
    assert status == 200 and '<textarea name="searches"' in bare and 'href="/searches">A set of searches' in bare
    typed = 'Sharing: "share information" OR "information sharing"\n# a note\nwishes'
    status, page, _ = get(f"{site}/searches?" + urlencode({"searches": typed, "nation": "England"}))
    assert status == 200
    sharing = search_with_forms(db, '"share information" OR "information sharing"', nation="England",
                                by_review=True)
    link = html.escape("/?" + urlencode({"q": '"share information" OR "information sharing"', "nation": "England"}))
    assert f'<a href="{link}">{sharing.total}</a>' in page  # each count opens the passages it counts
    assert f"{len(sharing.by_review)} of {sharing.reviews_read}</a>" in page
    assert "2 searches, on the" in page and "<th scope=\"row\">wishes</th>" in page
    assert typed in html.unescape(page)  # the form keeps what was typed
    saved = web.Pages(db).answer("/searches.xlsx?" + urlencode({"searches": typed, "nation": "England"}))
    book = openpyxl.load_workbook(io.BytesIO(saved.body))
    assert book.sheetnames[:4] == ["Searches", "By year", "Reviews", "Passages"]
    assert dict(list(book["Provenance"].values)[1:])["searches_file"] == "typed on the web page"
    # a line that cannot be searched is named, and nothing is searched
    status, wrong, _ = get(f"{site}/searches?" + urlencode({"searches": 'wishes\n"seen alone'}))
    assert status == 400 and "line 2: the search" in html.unescape(wrong) and "What each search found" not in wrong
    status, long, _ = get(f"{site}/searches?" + urlencode({"searches": "neglect\n" * 1200}))
    assert status == 400 and "write them in a file and run casereview searches FILE" in long


def test_operators_typed_in_the_search_box_are_explained_on_the_page(site: str):
    # people type what web search engines take: a minus sign leaves a word out and AND requires each word it
    # joins, and the page says what they did
    status, body, _ = get(site + "/?" + urlencode({"q": "information -police"}))
    text = " ".join(html.unescape(body).split())
    assert status == 200 and "Note: passages that use police (in any form) are left out." in text
    assert "northmoor-2019-child-d-p1" in page_ids(body) and "northmoor-2021-family-k-p1" not in page_ids(body)
    status, body, _ = get(site + "/?" + urlencode({"q": "information AND school"}))
    assert "Note: each passage found uses information and school (in any form)." in html.unescape(body)
    assert page_ids(body) == ["northmoor-2019-child-d-p1"]
    status, body, _ = get(site + "/?" + urlencode({"q": "school police"}))
    assert status == 200 and "Note:" not in body and "left out" not in body
    status, body, _ = get(site + "/?" + urlencode({"q": "-police"}))
    assert status == 400 and "only leaves passages out" in html.unescape(body)
    # brackets beside AND hold words any one of which will do; brackets that cannot be read are explained
    status, body, _ = get(site + "/?" + urlencode({"q": '(zebrafish OR "information sharing") AND school'}))
    assert ('Note: each passage found holds (zebrafish or "information sharing") and school; words count in any '
            "form, phrases as written.") in " ".join(html.unescape(body).split())
    assert page_ids(body) == ["northmoor-2019-child-d-p1"]
    status, body, _ = get(site + "/?" + urlencode({"q": "(information OR police AND school"}))
    assert status == 400 and "opens a bracket without closing it" in html.unescape(body)
    # the form says how, under the search box
    form = html.unescape(get(site + "/")[1])
    assert "AND between words to need each of them (brackets hold words any one of which will do" in form
    assert "and a minus sign before a word to leave out the passages that use it" in form


@pytest.mark.parametrize("query, message", [
    ({"q": "school", "year_from": "twenty"}, "From year: &#x27;twenty&#x27; is not a year"),
    ({"q": "school", "min_score": "150"}, "Lowest theme probability: &#x27;150&#x27; is not a probability; give a "
                                          "number from 0 to 1 (0.8) or a percentage (80%)"),
    # "1.5" may be a slip for 0.15 as much as 1.5%, which would list nearly every tag: asked, not guessed
    ({"q": "school", "min_score": "1.5"}, "Lowest theme probability: &#x27;1.5&#x27; could be a slip for a number "
                                          "from 0 to 1 or a percentage without its sign: give a number from 0 to 1 "
                                          "(0.8) or a percentage with its sign (1.5%)"),
    ({"q": "school", "min_score": "2"}, "Lowest theme probability: &#x27;2&#x27; could be a slip for a number "
                                        "from 0 to 1 or a percentage without its sign"),
    ({"theme": "voice of children"}, "unknown theme &#x27;voice of children&#x27;"),
    ({"q": "school", "nation": "Narnia"}, "no review has nation &#x27;Narnia&#x27;"),
    ({"q": '"unbalanced'}, "quote"),
    ({"q": "school", "year_from": "\u00b2"}, "From year: &#x27;\u00b2&#x27; is not a year"),  # a digit to Python
    ({"q": "school", "year_from": "2022", "year_to": "2019"}, "From year 2022 is after To year 2019: swap them"),
])
def test_a_value_that_cannot_be_used_is_explained_on_the_page(site: str, query: dict, message: str):
    status, body, _ = get(site + "/?" + urlencode(query))
    assert status == 400 and 'role="alert"' in body and message in body, body[-1500:]
    assert "<form" in body  # the form again, to correct it


def test_text_from_the_address_is_escaped_and_sql_is_never_spliced(site: str, db: Path):
    attack = "<script>alert(1)</script>\" onmouseover=\"x' ; DROP TABLE passages; --"
    for query in ({"q": attack}, {"q": "school", "area": attack}, {"q": "school", "section": attack}):
        status, body, _ = get(site + "/?" + urlencode(query))
        assert status in (200, 400)
        assert "<script>" not in body and '" onmouseover="' not in body
        assert html.escape(attack, quote=True) in body
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM passages").fetchone()[0] == 10


def test_a_passage_is_shown_in_its_place_with_its_themes_and_passages_like_it(site: str):
    status, body, _ = get(site + "/passage?id=northmoor-2019-child-d-p2")
    assert status == 200
    assert "Child D was not seen alone by her social worker. Her wishes and feelings were never recorded." in body
    assert "Child D: a child safeguarding practice review" in body and "pp. 5" not in body and "p. 5" in body
    assert "section: Findings" in body
    # the passages before and after it in the review, linked
    assert 'href="/passage?id=northmoor-2019-child-d-p1"' in body
    assert 'href="/passage?id=northmoor-2019-child-d-p3"' in body
    # its theme, with the sentence that shows it
    assert "<td>Voice of the child</td><td>88%</td><td>Her wishes and feelings were never recorded.</td>" in body
    assert f"Tagged by the theme model {THEME_MODEL}" in body
    # passages of other reviews with the nearest embeddings
    assert "Passages like it in other reviews" in body and "northmoor-2019-child-d-p1" in body
    assert 'href="/passage?id=cwm-llwyd-2022-child-w-p1"' in body


def test_an_evidence_sentence_scoring_well_below_its_passage_says_what_it_scores_alone(db: Path, tmp_path: Path):
    copy = tmp_path / "low.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE theme_evidence SET score = 0.3 WHERE passage_id = 'northmoor-2019-child-d-p2'")
    for site in _serve(copy):
        status, body, _ = get(site + "/passage?id=northmoor-2019-child-d-p2")
        assert status == 200
        assert ("<td>Voice of the child</td><td>88%</td><td>Her wishes and feelings were never recorded. "
                '<span class="meta">(alone it scores 30%: the theme rests on the whole passage)</span></td>') in body


@pytest.mark.parametrize("path, status, message", [
    ("/passage?id=no-such-passage", 404, "No passage has the id &#x27;no-such-passage&#x27;"),
    ("/passage", 400, "Give a passage id"),
    ("/admin", 404, "There is no page at /admin"),
])
def test_unknown_passages_and_pages_say_where_to_go(site: str, path: str, status: int, message: str):
    got, body, _ = get(site + path)
    assert got == status and message in body and 'href="/"' in body


def test_only_reading_is_answered(site: str):
    assert get(site + "/", method="POST")[0] == 501
    assert get(site + "/", method="DELETE")[0] == 501
    # a link checker's HEAD gets the page's status and headers, with no page
    status, body, headers = get(site + "/?q=school", method="HEAD")
    full = get(site + "/?q=school")
    assert (status, body) == (200, "") and headers["Content-Length"] == full[2]["Content-Length"]
    assert headers["Content-Type"].startswith("text/html") and "Content-Security-Policy" in headers
    assert get(site + "/passage?id=nonesuch", method="HEAD")[:2] == (404, "")
    assert get(site + "/?" + urlencode({"q": "school", "limit": "\u00b2"}))[0] == 200  # an odd number to show: 20


def test_only_requests_addressed_to_this_computer_are_answered(site: str):
    port = site.rsplit(":", 1)[1]
    for host, expected in ((f"localhost:{port}", 200), (f"127.0.0.1:{port}", 200),
                           (f"attacker.example:{port}", 400), ("", 400)):
        request = urllib.request.Request(site + "/", headers={"Host": host})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, body = response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode("utf-8")
        assert status == expected, host
        if expected == 400:
            assert "Wrong address" in body and "passage" not in body.split("Wrong address", 1)[1][:20]


def test_a_theme_given_by_name_stays_chosen_and_a_failed_download_keeps_the_form(site: str):
    status, body, _ = get(site + "/?" + urlencode({"theme": "Voice of the child", "nation": "England"}))
    assert status == 200 and '<option value="voice_of_child" selected>' in body
    status, body, _ = get(site + "/results.xlsx?" + urlencode({"q": "school", "area": "Nowhere"}))
    assert status == 400 and "no review&#x27;s area contains &#x27;Nowhere&#x27;" in body
    assert re.search(r'name="area" [^>]*value="Nowhere"', body)  # the form as it was filled in, to correct it


def test_the_pages_only_read_and_say_so_when_the_database_is_busy(db: Path, tmp_path: Path):
    import hashlib

    from pipeline.search import search_tables_fresh

    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:  # search tables gone, as after a removal whose rebuild failed
        con.execute("DROP SCHEMA IF EXISTS search_index CASCADE")
        assert not search_tables_fresh(con)  # a search from the command line would rebuild them now
    stale = hashlib.sha256(copy.read_bytes()).hexdigest()
    for site in _serve(copy):
        paths = ["/", "/?q=school", "/?theme=voice_of_child", "/reviews", "/review?id=northmoor-2019-child-d",
                 "/passage?id=northmoor-2019-child-d-p2", "/report?area=Northmoor&year=2019",
                 "/findings?containing=finding", "/trends"]
        for path in paths:
            assert get(site + path)[0] in (200, 400), path  # answered, never a crash
        for path in ("/findings.xlsx", "/trends.xlsx"):
            with urllib.request.urlopen(site + path, timeout=30) as response:
                assert response.status == 200 and response.read()[:2] == b"PK", path  # an Excel file
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == stale  # nothing was written
        with duckdb.connect(str(copy)):  # a run writing: pages say so at once, and nothing waits
            for path in ("/?q=school", "/findings?containing=finding", "/trends", "/findings.xlsx?containing=a"):
                started = time.monotonic()
                status, body, headers = get(site + path)
                assert status == 503 and "the database is busy" in body, path
                assert headers.get("Retry-After") == "5" and "IO Error" not in body and "PID" not in body, path
                assert time.monotonic() - started < 5, path


def test_a_database_file_that_is_not_casereviews_and_odd_addresses_are_answered_clearly(tmp_path: Path, site: str):
    # a path written with two slashes is the page it names, not a host
    status, body, _ = get(site + "//reviews")
    assert status == 200 and "The reviews (" in body
    # a NUL typed or pasted into a field is not echoed into the page
    status, body, _ = get(site + "/?q=school%00nurse")
    assert status == 200 and "\x00" not in body
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:  # another program's DuckDB file, put where the database was
        con.execute("CREATE TABLE t (x INTEGER)")
    for there in _serve(other):
        for path in ("/", "/?q=school", "/reviews", "/trends"):
            status, body, _ = get(there + path)
            assert status == 503 and "has no casereview tables: it is not a database casereview made" in body, path


def test_another_site_s_page_cannot_make_the_browser_ask_for_pages_or_frame_them(site: str):
    def asked(mode: str, fetch_site: str = "cross-site", dest: str = "document") -> int:
        request = urllib.request.Request(site + "/searches?searches=neglect", headers={
            "Sec-Fetch-Site": fetch_site, "Sec-Fetch-Mode": mode, "Sec-Fetch-Dest": dest})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert asked("no-cors") == 403 and asked("cors") == 403  # an <img>, a script's fetch
    assert asked("no-cors", "same-site") == 403  # a page served on another port of this computer
    assert asked("navigate", dest="iframe") == 403  # a frame in another site's page
    assert asked("navigate") == 200 and asked("navigate", "same-site") == 200  # a link followed from elsewhere
    assert asked("no-cors", "same-origin") == 200  # the site's own pages
    _, _, headers = get(site + "/")
    assert headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_a_recorded_check_is_quoted_beside_a_theme_search(db: Path, tmp_path: Path):
    copy = tmp_path / "checked.duckdb"
    shutil.copy(db, copy)
    themes = {theme: {"support": 0, "tagged": 0, "precision": None, "recall": None, "f1": None}
              for theme in ("assessment", "information_sharing", "legal_powers")}
    themes["voice_of_child"] = {"support": 12, "tagged": 10, "left_out": 1, "precision": 0.9, "recall": 0.75,
                                "f1": 0.82, "f1_interval": [0.6, 0.95]}
    report = {"items": 40, "themes": themes, "macro_core": {"f1": 0.82, "precision": 0.9, "recall": 0.75,
                                                             "themes": ["voice_of_child"], "of": 4}}
    themes["parental_factors"] = {"support": 0, "tagged": 3, "left_out": 40, "precision": 0.0, "recall": None,
                                  "f1": None}  # no column for it in the sheet
    Store(copy).record_check(THEME_MODEL, "ours.xlsx", "d" * 64, report)
    for site in _serve(copy):
        for theme in ("voice_of_child", "Voice of the child"):  # the select sends ids; an address may hold a name
            status, body, _ = get(site + "/?" + urlencode({"theme": theme}))
            assert status == 200
            assert ("Checked in this database: Voice of the child, on 39 passages labelled by hand for it "
                    "(ours.xlsx; 1 more marked unsure, left out): 12 were marked with it; the model found 75% of "
                    "them, and 90% of the 10 passages it "
                    "tagged with it were marked so.") in body
        status, body, _ = get(site + "/?" + urlencode({"theme": "parental_factors"}))
        assert ("Checked in this database: Parental difficulties was not labelled in ours.xlsx (no column for it, "
                "or every passage marked unsure): the check says nothing about it.") in body


def test_without_a_database_the_page_says_how_to_make_one(tmp_path: Path):
    for site in _serve(tmp_path / "none.duckdb"):
        for path in ("/", "/reviews", "/trends", "/trends.xlsx", "/findings.xlsx", "/results.xlsx?q=school",
                     "/searches.xlsx?searches=school"):
            status, body, _ = get(site + path)
            assert status == 503 and "none.duckdb: no database there" in body and "casereview run" in body, path


def test_the_serve_command_refuses_a_missing_database_and_a_port_in_use(db: Path, tmp_path: Path):
    missing = CliRunner().invoke(serve_command, ["--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 2 and "no database there" in missing.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = CliRunner().invoke(serve_command, ["--db", str(db), "--port", str(port)])
    assert busy.exit_code == 2 and f"cannot listen on port {port}" in busy.output and "--port" in busy.output
    assert "Example" in CliRunner().invoke(serve_command, ["--help"]).output


def test_the_reviews_a_search_finds_passages_in_are_listed_with_how_many(site: str, tmp_path: Path):
    import openpyxl

    status, body, _ = get(f"{site}/?q=information")
    assert status == 200
    assert ('<a href="/?q=information&amp;limit=20&amp;by_review=1">Which reviews: the 3 reviews these passages are '
            "in, with how many each has</a>") in body
    status, listed, _ = get(f"{site}/?q=information&limit=20&by_review=1")
    assert status == 200 and page_ids(listed) == []  # the reviews, not the passages
    assert ("Passages for “information” are in 3 of the 4 reviews read: 3 passages in all. The reviews with the "
            "most come first") in html.unescape(listed)
    # each count opens the same search of that review alone; equal counts come in the order of their ids
    assert re.findall(r'<a href="/\?q=information&amp;review=([^&]+)&amp;limit=20">(\d+)<', listed) == [
        ("cwm-llwyd-2020-child-t", "1"), ("northmoor-2019-child-d", "1"), ("northmoor-2021-family-k", "1")]
    assert '<a href="/?q=information&amp;limit=20">Show the passages instead</a>' in listed
    assert "<h3>By year</h3>" in listed and "<tr><td>2022</td><td>0</td><td>1</td></tr>" in listed
    assert get(f"{site}/?q=information&by_review=1&start=40")[1].count("<h1>Passages for") == 1  # one page, all
    wales = html.unescape(get(f"{site}/?q=information&nation=Wales&by_review=1")[1])
    assert ("Passages for “information” are in 1 of the 2 reviews read that the filters keep (nation Wales): 1 "
            "passage in all.") in wales
    with urllib.request.urlopen(f"{site}/results.xlsx?q=information&by_review=1", timeout=30) as response:
        assert response.headers["Content-Disposition"] == 'attachment; filename="reviews-with-information.xlsx"'
        (tmp_path / "reviews.xlsx").write_bytes(response.read())
    rows = list(openpyxl.load_workbook(tmp_path / "reviews.xlsx")["Reviews"].values)
    assert rows[0][-2:] == ("passages_found", "review_passages") and len(rows) == 4
    # a search of one review has no such link: its passages are all in it
    assert "Which reviews" not in get(f"{site}/?q=information&review=Family+K")[1]


def test_the_results_can_be_saved_as_an_excel_file_with_their_provenance(site: str, db: Path, tmp_path: Path):
    import openpyxl

    query = urlencode({"q": "information shared", "nation": "England"})
    status, body, _ = get(site + "/?" + query)
    assert f'href="/results.xlsx?{html.escape(query)}"' in body
    with urllib.request.urlopen(f"{site}/results.xlsx?{query}", timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == ("application/vnd.openxmlformats-officedocument."
                                                    "spreadsheetml.sheet")
        shown = len(page_ids(body))
        # named for what it holds, so pages saved one after another do not overwrite each other
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="results-information-shared-1-{shown}.xlsx"')
        (tmp_path / "results.xlsx").write_bytes(response.read())
    book = openpyxl.load_workbook(tmp_path / "results.xlsx")
    sheet = book["Results"]
    header = [cell.value for cell in sheet[1]]
    saved = [row[header.index("passage_id")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert saved == [hit.passage_id for hit in search(db, "information shared", nation="England")]
    about = {row[0]: row[1] for row in book["Provenance"].iter_rows(min_row=2, values_only=True)}
    assert about["query"] == "information shared" and about["reviews"] == "nation England"
    status, body, _ = get(site + "/results.xlsx")
    assert status == 400 and "there is nothing to save" in body


def test_several_people_can_search_at_once(site: str):
    from concurrent.futures import ThreadPoolExecutor

    paths = [f"/?q=school+{n}" for n in range(6)] + ["/passage?id=northmoor-2019-child-d-p2"] * 6
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda path: get(site + path)[0], paths))
    assert statuses == [200] * len(paths)


def test_a_partnerships_annual_summary_is_made_from_a_form(site: str):
    status, body, _ = get(site + "/report")
    assert status == 200 and 'action="/report"' in body
    assert f'<option value="{CWM_LLWYD}">{CWM_LLWYD} (2 reviews, 2020–2022)</option>' in body
    status, body, _ = get(site + "/report?" + urlencode({"area": CWM_LLWYD, "year": "2020-2022"}))
    assert status == 200
    assert f"<title>Learning from case reviews: {CWM_LLWYD}, 2020–2022</title>" in body
    assert 'id="themes"' in body and 'id="provenance"' in body  # the page `casereview report` writes
    # each quote leads to its whole passage, which the site serves (the file the command writes has no such links)
    links = re.findall(r'<a href="(/passage\?id=[^"]+)">read the whole passage', body)
    assert links and all(get(site + html.unescape(link))[0] == 200 for link in links[:3])
    for query, message in (({"area": CWM_LLWYD, "year": "2030"}, "has no reviews from 2030"),
                           ({"area": CWM_LLWYD, "year": "last year"}, "is not a year"),
                           ({"year": "2021"}, "choose an area"),
                           ({"area": "Nowhere", "year": "2021"}, "Choose an area from the list on this page.")):
        status, body, _ = get(site + "/report?" + urlencode(query))
        assert status == 400 and message in body and 'action="/report"' in body
    # the partnership's own searches, typed one a line, get a section of their own; a line that cannot be
    # searched is named, and the form keeps what was typed
    typed = "Wishes: wishes\nborder"
    status, body, _ = get(site + "/report?" + urlencode({"area": CWM_LLWYD, "year": "2020-2022", "searches": typed}))
    assert status == 200 and 'id="searches"' in body and "typed on the web page" in body
    assert "<th scope=\"row\">Wishes</th>" in body and "<th scope=\"row\">border</th>" in body
    status, body, _ = get(site + "/report?" + urlencode({"area": CWM_LLWYD, "year": "2020-2022",
                                                         "searches": 'wishes\n"open'}))
    assert status == 400 and "The box of your own searches: line 2: the search" in html.unescape(body)
    assert '<textarea name="searches" rows="3" cols="80">wishes\n&quot;open</textarea>' in body


def test_each_page_has_its_own_title_heading_tables_say_their_columns_and_printing_leaves_out_the_links(site: str):
    # every page's one h1 was the site's name, so a screen reader's list of headings could not tell pages apart;
    # printed results carried the form, the downloads and "Read the whole passage" under every passage
    pages = {"/?q=information": "passages for “information”", "/reviews": "The reviews (6 reviews)",
             "/passage?id=northmoor-2019-child-d-p1": "Child D: a child safeguarding practice review",
             "/review?id=northmoor-2019-child-d": "Child D: a child safeguarding practice review",
             "/?q=information&by_review=1": "Passages for", "/trends": "Learning themes by year",
             "/findings": "Findings", "/searches": "A set of searches", "/report": "Annual summary",
             "/": "Search the case reviews", "/?q=neglect&year_from=20x9": "Search the case reviews",
             "/nope": "No such page", "/passage?id=nope": "No such passage"}
    for path, title in pages.items():
        status, body, _ = get(site + path)
        assert status in (200, 400, 404), path
        assert body.count("<h1") == 1 and title in re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S).group(1), path
        assert "<h1>Case reviews: search the passages</h1>" not in body and '<p class="site">' in body
    _, listed, _ = get(site + "/reviews")
    assert '<thead><tr><th scope="col">Review</th>' in listed
    _, results, _ = get(site + "/?q=information")
    printing = re.search(r"@media print \{(.*?)\n\}", results, re.S).group(1)
    assert "form.search" in printing and ".screen-only" in printing
    assert re.search(r'<p class="screen-only"><a href="/\?[^"]*by_review=1', results)
    assert '<div class="screen-only"><a href="/passage?id=' in results
    assert '<p class="screen-only"><a href="/results.xlsx?' in results or "Save these" not in results
    assert 'action="/" role="search">' in results  # the search form is a landmark, as the review page's is
    _, long, _ = get(site + "/?" + urlencode({"q": "information sharing between the agencies " * 12}))
    title = re.search(r"<title>(.*?)</title>", long).group(1)
    assert len(title) < 120 and title.endswith(" …")  # (the whole paragraph pasted was the tab's title)


def test_a_mistake_in_a_field_marks_that_field_and_puts_the_cursor_there(site: str):
    # the message was above the form, tied to nothing, and the cursor went to the words' box
    status, body, _ = get(site + "/?q=neglect&year_from=20x9")
    assert status == 400 and 'id="form-error"' in body
    assert 'name="year_from" aria-invalid="true" aria-describedby="form-error" autofocus' in body
    assert body.count("autofocus") == 1 and body.count('aria-invalid="true"') == 1
    status, body, _ = get(site + "/?q=neglect&area=safeguarding")
    assert status == 400 and 'name="area" aria-invalid="true"' in body
    status, body, _ = get(site + "/?q=neglect&section=zzzz")
    assert status == 400 and 'name="section" aria-invalid="true"' in body
    status, body, _ = get(site + "/?q=%22open")  # the words themselves: their box keeps the cursor
    assert status == 400 and "aria-invalid" not in body and 'name="q" value="&quot;open" autofocus' in body


def test_a_taxonomy_file_that_cannot_be_read_is_named_not_called_an_unreadable_database(site: str,
                                                                                         broken_taxonomy: Path):
    status, body, _ = get(site + "/reviews")
    assert status == 500 and "The list of learning themes cannot be read" in body
    assert str(broken_taxonomy) in body and "The database cannot be read now" not in body


def test_the_summary_in_the_browser_has_a_main_part_a_way_to_skip_to_it_and_nested_headings(site: str):
    status, body, _ = get(site + "/report?" + urlencode({"area": CWM_LLWYD, "year": "2020-2022"}))
    assert status == 200 and body.count('<main id="main"') == 1 and '<a class="skip" href="#main">' in body
    themes = body[body.index("<h3>The passages behind each theme</h3>"):]
    within = themes[:themes.index("<h2>", 1)] if "<h2>" in themes else themes
    assert "<h4>" in within and within.count("<h3>") == 1  # each theme under "The passages behind each theme"


def test_every_review_is_listed_and_one_can_be_read_whole(site: str):
    status, body, _ = get(site + "/reviews")
    assert status == 200 and "The reviews (6 reviews)" in body
    # newest first; a review that could not be read says so, and why
    assert body.index("cwm-llwyd-2022-child-w") < body.index("cwm-llwyd-2020-child-t")
    assert "needs OCR (no text could be read)" in body and "could not be read" in body
    assert 'href="/review?id=northmoor-2019-child-d"' in body
    # a long list is read a part at a time: one area, one year, or the reviews not read
    assert f'<option value="{CWM_LLWYD}">{CWM_LLWYD} (2)</option>' in body and "only those not read (2)" in body
    status, body, _ = get(site + "/reviews?" + urlencode({"area": CWM_LLWYD.upper()}))
    assert status == 200 and "The reviews (2 reviews: " in body and 'href="/reviews">show every review' in body
    assert "cwm-llwyd-2020-child-t" in body and "northmoor-2019-child-d" not in body
    assert f'<option value="{CWM_LLWYD}" selected>' in body
    _, body, _ = get(site + "/reviews?year=2021&area=")
    assert "northmoor-2021-family-k" in body and "northmoor-2021-child-m" in body and "cwm-llwyd" not in body
    _, body, _ = get(site + "/reviews?unread=1")
    assert "The reviews (2 reviews: not read" in body and "northmoor-2021-child-m" in body
    assert "westhaven-2022-child-r" in body and "northmoor-2019-child-d" not in body
    status, body, _ = get(site + "/reviews?year=%27%3B%20DROP&area=nowhere")  # values no review has: the whole list
    assert status == 400 and "The reviews (6 reviews; not narrowed by the area “nowhere”" in body  # ... says why
    assert "No review has the area “nowhere”: choose one from the list." in html.unescape(body)
    assert "Year: &#x27;&#x27;; DROP&#x27; is not a year; give four figures, e.g. 2019" in body
    _, body, _ = get(site + "/reviews?area=cwm")  # part of one area's name, as a search takes it
    assert f'<option value="{CWM_LLWYD}" selected>' in body and "northmoor-2021" not in body
    _, body, _ = get(site + "/reviews?area=Safeguarding")  # part of several: which to choose
    assert "areas have “Safeguarding” in their names: choose one from the list." in html.unescape(body)
    _, body, _ = get(site + "/reviews?year=2030")  # a year, but no review's
    assert "No review is from “2030”: choose a year from the list." in body
    _, body, _ = get(site + "/reviews?" + urlencode({"area": CWM_LLWYD, "year": "2021"}))  # each has reviews
    assert "The reviews (0 reviews" in body
    assert f"No review of {CWM_LLWYD} from 2021 is in the database; years with reviews for it: 2020, 2022." in body

    status, body, _ = get(site + "/review?id=northmoor-2019-child-d")
    assert status == 200 and "<h1>Child D: a child safeguarding practice review</h1>" in body
    # every passage, in the review's order, under its section, with its page and themes
    texts = ["The referral about bruising was not shared with the GP.",
             "Her wishes and feelings were never recorded.", "Earlier concerns were not weighed."]
    assert [body.index(text) for text in texts] == sorted(body.index(text) for text in texts)
    assert body.count("<h3>Findings</h3>") == 1 and "<h3>Analysis</h3>" in body
    assert 'id="p-northmoor-2019-child-d-p2"' in body and "p. 3–4" in body and "p. 5" in body
    assert '<span class="theme">Voice of the child 88%</span>' in body
    assert "<td>Information sharing</td><td><a " in body and "</a></td><td>92%</td>" in body  # rolled up
    # a passage page leads to its place in the whole review
    _, passage, _ = get(site + "/passage?id=northmoor-2019-child-d-p2")
    assert 'href="/review?id=northmoor-2019-child-d#p-northmoor-2019-child-d-p2"' in passage

    status, body, _ = get(site + "/review?id=northmoor-2021-child-m")
    assert status == 200 and "No text could be read from this review&#x27;s document (it needs OCR)." in body
    status, body, _ = get(site + "/review?id=nobody")
    assert status == 404 and "No review has the id &#x27;nobody&#x27;" in body and 'href="/reviews"' in body


def test_serve_rebuilds_stale_search_tables_once_before_it_answers(db: Path, tmp_path: Path):
    from pipeline.search import prepare_for_reading, search_tables_fresh

    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("DROP SCHEMA IF EXISTS search_index CASCADE")
    prepare_for_reading(copy)  # what `casereview serve` does first
    with duckdb.connect(str(copy), read_only=True) as con:
        assert search_tables_fresh(con)


# --------------------------------------------------------------------------- what the acceptance test found


def _weak_copy(db: Path, tmp_path: Path) -> Path:
    """The corpus with one weak tag: Multi-agency working at 45% on northmoor-2019-child-d-p1 (its only tag in
    that review, so the review's theme rests on it alone)."""
    copy = tmp_path / "weak.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE passage_themes SET score = 0.45 WHERE passage_id = 'northmoor-2019-child-d-p1' "
                    "AND theme = 'multi_agency_working'")
        con.execute("UPDATE review_themes SET max_score = 0.45 WHERE review_id = 'northmoor-2019-child-d' "
                    "AND theme = 'multi_agency_working'")
    return copy


def test_a_weak_tag_is_marked_in_words_on_every_page_as_the_report_marks_it(db: Path, tmp_path: Path):
    from pipeline.outputs.common import WEAK_TAG_WORDS
    from pipeline.outputs.report import WEAK_TAG_NOTE

    assert WEAK_TAG_NOTE.endswith(WEAK_TAG_WORDS)  # one wording, kept in one place
    title = html.escape(WEAK_TAG_WORDS)
    weak_chip = f'<span class="theme weak" title="{title}">Multi-agency working 45% · weak</span>'
    note = "A probability marked “weak” is under 50%: a weak tag, the model is unsure this passage is about the theme."
    for site in _serve(_weak_copy(db, tmp_path)):
        status, body, _ = get(site + "/?" + urlencode({"q": "information sharing"}))
        assert status == 200 and weak_chip in body
        assert '<span class="theme">Information sharing 92%</span>' in body  # a strong tag as before
        assert note in body
        _, body, _ = get(site + "/passage?id=northmoor-2019-child-d-p1")
        assert f'<td>Multi-agency working</td><td title="{title}">45% · weak</td>' in body and note in body
        _, body, _ = get(site + "/review?id=northmoor-2019-child-d")
        assert weak_chip in body and note in body
        # the review's theme rests on that one weak tag, and its row says so
        review = "review=northmoor-2019-child-d&amp;limit=10"
        assert (f'<td>Multi-agency working</td><td><a href="/?theme=multi_agency_working&amp;{review}">1<span '
                'class="visually-hidden"> passage tagged Multi-agency working, strongest first</span></a></td>'
                f'<td title="{title}">45% · weak: only weak tags here</td>' in body)
        assert (f'<td>Information sharing</td><td><a href="/?theme=information_sharing&amp;{review}">1<span '
                'class="visually-hidden"> passage tagged Information sharing, strongest first</span></a></td>'
                "<td>92%</td>" in body)
        _, body, _ = get(site + "/?" + urlencode({"q": "seen alone"}))  # no weak tag shown: no note about them
        assert "weak" not in body.split("</style>", 1)[1]


def test_filters_without_words_or_a_theme_say_what_is_needed_and_offer_the_themes_they_keep(site: str):
    status, body, _ = get(site + "/?" + urlencode({"nation": "Wales", "year_from": "2020"}))
    assert status == 200 and "Give some words or choose a learning theme." in body
    assert ("The filters (years from 2020, nation Wales) only narrow a search; they keep 2 reviews (4 passages).") in (
        html.unescape(body))
    # each theme in those reviews, a click away, with the filters kept
    link = html.escape("/?" + urlencode({"theme": "voice_of_child", "year_from": "2020", "nation": "Wales"}))
    assert f'<a href="{link}">Voice of the child</a> <span class="meta">1 passage in 1 review</span>' in body
    assert "Assessment" not in body.split("Learning themes in the reviews the filters keep", 1)[1]
    _, body, _ = get(site + "/?" + urlencode({"min_score": "80%"}))  # passages with a tag at 0.8 or more
    assert "The filters (theme probability 0.8 or more) only narrow a search; they keep 3 reviews (5 passages)." in (
        html.unescape(body))
    status, body, _ = get(site + "/?" + urlencode({"nation": "Narnia"}))  # checked as a search checks it
    assert status == 400 and "no review has nation &#x27;Narnia&#x27;" in body
    status, body, _ = get(site + "/")
    assert status == 200 and "Give some words" not in body and "Browse by learning theme" in body


def test_a_long_paste_is_cut_at_a_word_and_the_page_says_so(site: str):
    words = "neglect " * 62 + "minority ethnic families were not asked"  # the 500th character is in "minority"
    assert words[496:500] == "mino" and words[496:504] == "minority"
    status, body, _ = get(site + "/?" + urlencode({"q": words}))
    assert status == 200
    assert "Only the first 495 characters of the words were searched: the search box holds up to 500" in body
    assert "mino" not in body.replace("minority", "")  # never a half word, searched or said to be missing
    assert 'maxlength="500"' in body
    status, body, _ = get(site + "/?" + urlencode({"q": "neglect"}))
    assert "Only the first" not in body
    # a long phrase in quotes keeps its words: the phrase is closed where it is cut, not dropped
    phrase = '"' + "the school did not share " * 25 + '"'
    status, body, _ = get(site + "/?" + urlencode({"q": phrase}))
    assert status == 200 and "Only the first 0 characters" not in body
    assert re.search(r'Only the first (4[5-9]\d) characters of the words were searched', body)
    assert 'value="&quot;the school did not share' in body


def test_tables_scroll_in_their_own_box_and_fields_fit_a_narrow_screen(site: str):
    for path in ("/reviews", "/review?id=northmoor-2019-child-d", "/passage?id=northmoor-2019-child-d-p2"):
        status, body, _ = get(site + path)
        assert status == 200 and '<div class="wide"><table>' in body and "<table>" not in body.replace(
            '<div class="wide"><table>', ""), path
    _, body, _ = get(site + "/")
    assert re.search(r"\.wide \{ overflow-x: auto;", body)
    assert re.search(r"form\.search input, form\.search select \{[^}]*max-width: 100%", body)
    assert '<label class="words">Words to look for <input name="q"' in body


def test_a_passage_left_untagged_on_purpose_says_why(tmp_path: Path):
    from tests.test_search import P, corpus_with

    vector = [0.5, 0.5, 0, 0]
    passages = [P("Approach", (1, 1), ["The review used a systems methodology with practitioner conversations."],
                  [], vector),
                P("Findings", (2, 2), ["1 Section 20 allows a local authority to accommodate a child with consent."],
                  [], vector, footnote=True),
                P("Findings", (2, 2), ["Nid oedd ymarferwyr bob amser yn gofyn pwy arall oedd yn byw yn y cartref."],
                  [], vector),
                P("Findings", (3, 3), ["The school did not share its concerns."], [("information_sharing", 0.9, 0)],
                  vector),
                P("Findings", (3, 3), ["Nobody asked the child."], [("voice_of_child", 0.9, 0)], vector),
                P("Findings", (4, 4), ["The plan drifted."], [("planning_support", 0.9, 0)], vector)]
    path, _ = corpus_with(tmp_path / "untagged.duckdb", passages)
    for site in _serve(path):
        _, body, _ = get(site + "/passage?id=northmoor-2023-child-e-p1")
        assert "Not tagged, on purpose: it is under the heading “Approach”, which says how the review was done" in (
            html.unescape(body))
        assert "The theme model tagged no theme here" not in body
        _, body, _ = get(site + "/passage?id=northmoor-2023-child-e-p2")
        assert "Not tagged, on purpose: it is a footnote (small type at the foot of a page)" in body
        _, body, _ = get(site + "/passage?id=northmoor-2023-child-e-p3")
        assert "it is not written in English" in body
        _, body, _ = get(site + "/passage?id=northmoor-2021-family-k-p3")  # an ordinary passage with no tag
        assert "The theme model found no theme in it likely enough to tag" in body
        _, body, _ = get(site + "/review?id=northmoor-2023-child-e")
        assert ("<h3>Approach</h3><p class=\"muted\">This part says how the review was done rather than what it "
                "found: its passages are not tagged with themes, on purpose.</p>") in body
        assert body.count("its passages are not tagged with themes") == 1  # not under Findings
    # a database stored before footnotes were recorded: one that opens as a footnote does is likely one
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE passages SET footnote = NULL")
    for site in _serve(path):
        _, body, _ = get(site + "/passage?id=northmoor-2023-child-e-p2")
        assert "it opens with a note number, as a footnote does, and footnotes" in body


@pytest.mark.parametrize("typed", ["0.5", "50", "50%", " 50 % "])
def test_a_probability_may_be_typed_as_a_percentage(site: str, db: Path, typed: str):
    status, body, _ = get(site + "/?" + urlencode({"q": "information", "min_score": typed}))
    assert status == 200 and ", tagged with some theme at a probability of 0.5 or more" in body
    assert page_ids(body) == [hit.passage_id for hit in search(db, "information", min_score=0.5)]
    assert "Lowest theme probability (0 to 1, or a percentage)" in body and 'name="min_score" value="0.5"' in body


def test_mistakes_in_the_address_are_answered_alike_and_above_the_form(site: str):
    status, body, _ = get(site + "/reviews?year=abc")
    assert status == 400 and "Year: &#x27;abc&#x27; is not a year; give four figures, e.g. 2019" in body
    assert body.index('role="alert"') < body.index("<form")
    status, body, _ = get(site + "/review")
    assert status == 400 and "Which review?" in body and "Give a review id: /review?id=REVIEW_ID" in body
    assert "<title>Error: Which review?</title>" in body
    status, body, _ = get(site + "/?" + urlencode({"q": "school", "area": "zzzz"}))
    assert status == 400 and ("no review&#x27;s area contains &#x27;zzzz&#x27;. The areas in the database are: "
                              f"{CWM_LLWYD}; Northmoor Safeguarding Children Partnership; Westhaven") in body
    assert body.index('role="alert"') < body.index("<form")  # the error first, then the form to correct it
    assert "<title>Error: Search the case reviews: school</title>" in body
    assert "<title>Error: No such page</title>" in get(site + "/admin")[1]
    assert get(site + "/reviews/")[0] == 200 and get(site + "/reviews//x")[0] == 404  # a slash typed at the end
    _, body, _ = get(site + "/?" + urlencode({"theme": "voice_of_child"}))
    assert "<title>Search the case reviews: the theme Voice of the child</title>" in body
    _, body, _ = get(site + "/?" + urlencode({"q": "school"}))
    assert "<title>Search the case reviews: school</title>" in body


def _contrast(one: str, other: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_pages_can_be_used_with_a_keyboard_and_a_screen_reader(site: str):
    status, body, _ = get(site + "/?" + urlencode({"q": "information shared"}))
    assert status == 200 and '<a class="skip" href="#results">Skip to results</a>' in body
    assert body.index('class="skip"') < body.index("<header>") and '<section id="results"' in body
    assert '<main id="main"' in body and body.count("<main") == 1
    # each result is a heading, and its link names the passage for those who hear the links alone
    assert body.count('<h3 class="title">') == len(page_ids(body)) > 1
    assert ('Read the whole passage<span class="visually-hidden"> from Child D: a child safeguarding practice '
            'review, p. 3–4</span>, in its place in the review</a>') in body
    assert '<a class="skip" href="#main">Skip to main content</a>' in get(site + "/")[1]
    # fields' borders stand out from white and from the form's background (WCAG 1.4.11: 3:1); focus is plain
    field = re.search(r"--field: (#[0-9a-f]{6})", body).group(1)
    soft = re.search(r"--soft: (#[0-9a-f]{6})", body).group(1)
    assert _contrast(field, "#ffffff") >= 3 and _contrast(field, soft) >= 3
    assert int(re.search(r":focus-visible \{ outline: (\d)px solid", body).group(1)) >= 2
    # the passage a link points to in the whole review is marked, in words too
    _, review, _ = get(site + "/review?id=northmoor-2019-child-d")
    assert '<div class="read" id="p-northmoor-2019-child-d-p2">' in review
    assert '.read:target > .meta::before { content: "▶ The passage you opened · "' in review
    assert '(passage 2, p. 5)</span></a>' in review  # "this passage" links differ for screen readers
    _, passage, _ = get(site + "/passage?id=northmoor-2019-child-d-p2")
    assert '(read<span class="visually-hidden"> the passage before it</span>)</a>' in passage


def test_a_printed_page_keeps_the_marked_words_and_leaves_out_the_buttons(site: str):
    _, body, _ = get(site + "/?" + urlencode({"q": "information shared"}))
    printed = body.split("@media print {", 1)[1].split("\n}\n", 1)[0]
    assert re.search(r"mark \{[^}]*font-weight: 700; text-decoration: underline;", printed)
    assert re.search(r"nav, \.skip, button[^{]*\{ display: none; \}", printed)


def test_a_word_with_a_hyphen_found_by_its_parts_offers_itself_in_quotes(site: str):
    status, body, _ = get(site + "/?" + urlencode({"q": "multi-agency"}))
    assert status == 200 and len(page_ids(body)) > 1
    link = html.escape("/?" + urlencode({"q": '"multi-agency"', "limit": 20}))
    assert ('<p class="note">A word with a hyphen is searched as its parts, any one of which will do; in double '
            'quotes, &quot;multi-agency&quot; finds the 1 passage holding it whole: '
            f'<a href="{link}">show them</a></p>') in body
    _, body, _ = get(site + "/?" + urlencode({"q": '"multi-agency"'}))
    assert "A word with a hyphen" not in body and len(page_ids(body)) == 1


def test_words_that_name_a_theme_offer_the_theme_beside_the_passages_they_find(site: str):
    status, body, _ = get(site + "/?" + urlencode({"q": "voice of the child", "nation": "Wales"}))
    assert status == 200 and page_ids(body)
    link = html.escape("/?" + urlencode({"theme": "voice_of_child", "nation": "Wales", "limit": 20}))
    assert ('<p class="note">Looking for the learning theme Voice of the child? It tags 1 passage: '
            f'<a href="{link}">show them</a></p>') in body
    _, body, _ = get(site + "/?" + urlencode({"q": "voice of the child", "theme": "voice_of_child"}))
    assert "Looking for the learning theme" not in body  # already asked for
    _, body, _ = get(site + "/?" + urlencode({"q": "school"}))
    assert "Looking for the learning theme" not in body


def test_a_passage_shows_the_headings_it_is_under(db: Path, tmp_path: Path):
    # A passage under "Why this matters" below "Finding 1: ...": its page names the finding too, and the review's
    # page sets out the headings as the review does, each once, at its depth.
    copy = tmp_path / "under.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE passages SET section = 'Why this matters', headings = ['Findings', 'Finding 1: "
                    "Information stayed with one agency', 'Why this matters'] "
                    "WHERE passage_id = 'northmoor-2021-family-k-p1'")
    for site in _serve(copy):
        status, page, _ = get(f"{site}/passage?id=northmoor-2021-family-k-p1")
        assert status == 200
        assert "section: Findings › Finding 1: Information stayed with one agency › Why this matters" in page
        status, review, _ = get(f"{site}/review?id=northmoor-2021-family-k")
        assert status == 200
        headings = re.findall(r"<h([3-5])>([^<]*)</h\1>", review.split("The text, as read")[1])
        assert headings[:3] == [("3", "Findings"), ("4", "Finding 1: Information stayed with one agency"),
                                ("5", "Why this matters")]
        # the next passage, under a heading of its own: that heading alone, at the top depth
        assert headings[3] == ("3", "Family background")


def test_a_review_s_stored_pdf_opens_at_the_passage_s_page(db: Path, tmp_path: Path):
    # The passage page links to the copy of the PDF the store keeps, at the passage's page; the server gives it
    # to the browser's PDF viewer. Without a stored copy (store folder not copied) it says so, and where else to
    # find the document.
    from pipeline.fetch import blob_path
    from pipeline.settings import store_dir_for

    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy), read_only=True) as con:
        sha, page = con.execute("SELECT d.sha256, p.page_start FROM documents d JOIN passages p USING (review_id) "
                                "WHERE p.passage_id = 'northmoor-2021-family-k-p1'").fetchone()
    for site in _serve(copy):
        link = f"/document?id=northmoor-2021-family-k#page={page}"
        # no copy yet: the pages say so instead of offering a link that leads nowhere
        for address in ("/passage?id=northmoor-2021-family-k-p1", "/review?id=northmoor-2021-family-k"):
            _, without, _ = get(site + address)
            assert "Open the PDF" not in without and "is not in the store beside this database" in without
        status, missing, _ = get(f"{site}/document?id=northmoor-2021-family-k")
        assert status == 404 and "is not in the store beside the database" in missing
        # where the file was read from, in full: the manifest's folder is not the reader's to know
        source = re.search(r"Open it from its source instead: (\S+)\.</div>", missing)
        assert source and source.group(1).startswith("/")
        assert source.group(1).endswith("/corpus_manifest/reviews/northmoor-2021-family-k.pdf")
        stored = blob_path(store_dir_for(copy), sha)
        stored.parent.mkdir(parents=True)
        stored.write_bytes(b"%PDF-1.4\n% a stand-in for the review's PDF\n")
        _, passage, _ = get(f"{site}/passage?id=northmoor-2021-family-k-p1")
        assert f'href="{html.escape(link)}">Open the PDF' in passage
        assert "not in the store" not in passage
        status, body, headers = get(f"{site}/document?id=northmoor-2021-family-k")
        assert status == 200 and body.startswith("%PDF-1.4") and headers["Content-Type"] == "application/pdf"
        assert "Content-Security-Policy" not in headers  # the browser's viewer must be allowed to show it
        assert get(f"{site}/document?id=no-such-review")[0] == 404
        assert get(f"{site}/document")[0] == 400


def _with_a_stated_finding(db: Path, copy: Path) -> Path:
    """A copy of the test database in which Family K states a finding in a heading ("Finding 1: ...", over its
    first passage), as v_review_findings lists it."""
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE passages SET section = 'Why this matters', headings = ['Finding 1: Information stayed "
                    "with one agency', 'Why this matters'] WHERE passage_id = 'northmoor-2021-family-k-p1'")
    return copy


def test_a_review_page_lists_the_findings_it_states_and_links_its_recommendations(db: Path, tmp_path: Path):
    # an officer opening a long review goes straight to what it found, and to what it recommends
    for site in _serve(_with_a_stated_finding(db, tmp_path / "contents.duckdb")):
        status, page, _ = get(f"{site}/review?id=northmoor-2021-family-k")
        assert status == 200
        assert ('<h2>Findings this review states (1)</h2><ol><li><a href="#p-northmoor-2021-family-k-p1">Finding 1: '
                'Information stayed with one agency</a> <span class="meta">p. 2</span></li></ol>') in page
        assert '<p><a href="#p-northmoor-2021-family-k-p3">Its recommendations</a> (1 passage, from p. 7)</p>' in page
        assert 'id="p-northmoor-2021-family-k-p1"' in page and 'id="p-northmoor-2021-family-k-p3"' in page
        # the list of reviews finds one by words of its title or id
        status, listed, _ = get(f"{site}/reviews?containing=family+k")
        assert status == 200 and "The reviews (1 review: “family k” in the title or id;" in listed
        assert 'href="/review?id=northmoor-2021-family-k"' in listed and "northmoor-2019-child-d" not in listed
        assert "No review has “Child Z” in its title or id." in get(f"{site}/reviews?containing=Child+Z")[1]
        # a review that states neither has no such list
        other = get(f"{site}/review?id=northmoor-2019-child-d")[1]
        assert "Findings this review states" not in other and "Its recommendations" not in other


def test_the_findings_the_reviews_state_can_be_listed_and_saved(db: Path, tmp_path: Path):
    # A researcher lists the reviews' numbered findings from the browser, as `casereview findings` does: by words
    # in the heading and the review filters, each linked to its passage, and saves them for Excel.
    import openpyxl

    for site in _serve(_with_a_stated_finding(db, tmp_path / "findings.duckdb")):
        status, bare, _ = get(f"{site}/findings")
        assert status == 200 and 'action="/findings"' in bare and "Leave every field empty" in bare
        assert '<a href="/findings">Findings the reviews state</a>' in get(f"{site}/")[1]
        status, listed, _ = get(f"{site}/findings?containing=INFORMATION&nation=England")
        assert status == 200
        said = html.unescape(listed)
        assert '1 finding containing "INFORMATION" stated in the headings of 1 of the' in said
        assert "reviews read (reviews: nation England)" in said
        assert '<a href="/passage?id=northmoor-2021-family-k-p1">Finding 1: Information stayed with one agency</a>' \
            in listed
        assert '<a href="/review?id=northmoor-2021-family-k">' in listed
        assert get(f"{site}/findings?containing=drift")[0] == 200  # none: said, not an error
        status, wrong, _ = get(f"{site}/findings?year_from=abc")
        assert status == 400 and "From year: &#x27;abc&#x27; is not a year" in wrong
        status, wrong, _ = get(f"{site}/findings?area=zzzz")
        assert status == 400 and "no review&#x27;s area contains" in wrong
        request = urllib.request.Request(f"{site}/findings.xlsx?containing=information")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
            sheet = openpyxl.load_workbook(io.BytesIO(response.read()))["Findings"]
        rows = list(sheet.iter_rows(values_only=True))
        assert len(rows) == 2 and "Finding 1: Information stayed with one agency" in rows[1]


def test_themes_by_year_are_shown_counted_either_way_and_saved(site: str):
    # A researcher sees how common each theme is by year in the browser, as `casereview trends` prints it.
    import openpyxl

    status, page, _ = get(f"{site}/trends")
    assert status == 200 and "<caption>Learning themes by year, counted by reviews</caption>" in page
    assert '<th scope="row">Reviews read</th>' in page and '<th scope="col">2019</th>' in page
    assert "A review carries a theme when the theme model" in page
    status, passages, _ = get(f"{site}/trends?measure=passages&nation=England")
    assert status == 200 and "counted by passages" in passages and "Reviews kept by the filters: nation England" in (
        passages)
    assert get(f"{site}/trends?measure=words")[0] == 400
    status, wrong, _ = get(f"{site}/trends?year_from=2030")
    assert status == 400 and "no review is kept by the filters" in wrong
    request = urllib.request.Request(f"{site}/trends.xlsx?measure=passages")
    with urllib.request.urlopen(request, timeout=30) as response:
        book = openpyxl.load_workbook(io.BytesIO(response.read()))
    assert "Provenance" in book.sheetnames


def test_filters_that_keep_no_review_read_are_said_on_the_page(site: str):
    status, page, _ = get(f"{site}/?" + urlencode({"q": "information", "year_from": "2030"}))
    assert status == 200 and "The filters keep none of the reviews read, which are from 2019 to 2022" in page
    _, words, _ = get(f"{site}/?" + urlencode({"q": "zebra", "nation": "Wales"}))
    assert "keep none" not in words and "Try fewer or other words" in words


def test_the_trends_page_says_what_its_counts_leave_out(site: str):
    status, body, _ = get(site + "/trends")
    assert status == 200
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    assert ("2 reviews in the database could not be read, so they are left out of every count (the list of reviews "
            "says why)") in text  # not a command to type: this is a web page
    status, body, _ = get(site + "/trends?min_score=0.5")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    assert status == 200 and "tagged at least one of its passages with a probability of at least 50%" in text
    assert 'name="min_score" value="0.5"' in body and "min_score=0.5" in body  # kept in the form and the download
    assert get(site + "/trends?min_score=2")[0] == 400


def test_the_theme_counts_say_they_include_weak_tags_until_a_lowest_probability_is_given(site: str):
    status, body, _ = get(site + "/")
    assert status == 200 and "The counts include weak tags (under 50%: the model was unsure)" in body
    status, body, _ = get(site + "/?" + urlencode({"nation": "Wales", "min_score": "0.5"}))
    assert status == 200 and "Learning themes in the reviews the filters keep" in body
    assert "The counts include weak tags" not in body


def test_the_summary_in_the_browser_leads_back_to_the_search_and_its_form(site: str, db: Path, tmp_path: Path):
    status, body, _ = get(site + "/report?" + urlencode({"area": "northmoor", "year": "2019-2021"}))
    assert status == 200
    assert '<a href="/">← Search the reviews</a>' in body
    # the form, with what was asked filled in (it led to the same summary, and lost the searches typed)
    assert '<a href="/report?area=northmoor&amp;year=2019-2021&amp;change=1">Another summary (the form)</a>' in body
    assert "casereview status" not in body  # a browser's reader is not at a terminal
    status, form, _ = get(site + "/report?area=northmoor&year=2019-2021&change=1")
    assert status == 200 and 'action="/report"' in form and "Learning from case reviews:" not in form
    assert f'<option value="{NORTHMOOR}" selected>' in form and 'value="2019-2021"' in form
    status, body, _ = get(site + "/report?" + urlencode({"area": "northmoor", "year": "2019-2021",
                                                         "searches": "Wishes: wishes"}))
    link = re.search(r'<a href="([^"]+)">Another summary \(the form\)</a>', body).group(1)
    assert link == "/report?area=northmoor&amp;year=2019-2021&amp;searches=Wishes%3A+wishes&amp;change=1"
    status, form, _ = get(site + html.unescape(link))
    assert status == 200 and ">Wishes: wishes</textarea>" in form
    # the file the command writes has no server to go back to
    out = tmp_path / "r.html"
    from pipeline.cli import main

    assert CliRunner().invoke(main, ["report", "--area", "northmoor", "--year", "2021", "--out", str(out),
                                     "--db", str(db)]).exit_code == 0
    assert "Search the reviews" not in out.read_text(encoding="utf-8")


def test_the_list_of_reviews_says_when_a_choice_matched_no_review_and_was_not_applied(site: str):
    status, body, _ = get(site + "/reviews?year=2030")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    assert "6 reviews; not narrowed by the year “2030”, which no review has" in text
    assert "No review is from “2030”: choose a year from the list." in text
    status, body, _ = get(site + "/reviews?year=2021")
    assert "not narrowed" not in body
