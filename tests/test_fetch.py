"""Fetcher tests against a real misbehaving HTTP server on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import datetime
import hashlib
import json
import socket
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline import __version__, sharelinks
from pipeline.errors import ExtractError, FetchError
from pipeline.extract import extract_pdf
from pipeline.fetch import FetchedDocument, Fetcher, describe_document_problem, sniff_kind
from pipeline.filekinds import describe_non_pdf
from pipeline.landing import PdfLink, choose_review, pdf_links
from pipeline.sharelinks import direct_download, sharing_service
from tests.http_server import HTML_PAGE, MisbehavingServer, make_pdf

# Short limits keep the whole file fast; the behaviour under test does not depend on them.
# Quick retries; a time-out long enough that a loaded machine never turns a prompt answer into a time-out and a
# retry (at 0.5 s, a 404 was once fetched twice while the rest of the suite read scans on both cores). The tests
# of time-outs set their own.
FAST = {"timeout": 5.0, "retries": 2, "backoff": 0.01}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy set in the developer's environment would intercept loopback requests.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def pdf_bytes() -> bytes:
    return make_pdf("Serious case review: Child D")


@pytest.fixture
def server(pdf_bytes: bytes):
    with MisbehavingServer(pdf_bytes, slow_seconds=5.0, endless_bytes=1024 * 1024) as srv:
        yield srv


@pytest.fixture
def fetcher(tmp_path: Path):
    with Fetcher(tmp_path / "store", **FAST) as f:
        yield f


def blob_files(store: Path) -> list[Path]:
    return [p for p in (store / "blobs").rglob("*") if p.is_file()]


def fetch_error(fetcher: Fetcher, source: str, **kwargs) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(source, **kwargs)
    return info.value


# ---------------------------------------------------------------------- plain success


def test_pdf_is_stored_under_its_sha256(fetcher: Fetcher, server: MisbehavingServer, pdf_bytes: bytes):
    doc = fetcher.fetch(server.url("/pdf"))
    sha = hashlib.sha256(pdf_bytes).hexdigest()
    assert isinstance(doc, FetchedDocument)
    assert doc.sha256 == sha
    assert doc.path == fetcher.store_dir / "blobs" / sha[:2] / sha
    assert doc.path.read_bytes() == pdf_bytes
    assert (doc.size, doc.kind, doc.from_cache) == (len(pdf_bytes), "pdf", False)
    assert doc.final_url == server.url("/pdf")
    assert [(a.attempt, a.status_code, a.error) for a in doc.attempts] == [(1, 200, None)]
    assert doc.attempts[0].at.tzinfo == datetime.UTC
    assert not list((fetcher.store_dir / "tmp").iterdir()), "temporary files must be cleaned up"


def test_user_agent_is_sent_on_every_request(fetcher: Fetcher, server: MisbehavingServer):
    fetcher.fetch(server.url("/redirect-chain"))
    fetcher.fetch(server.url("/flaky"))
    assert len(server.user_agents) == 5
    assert set(server.user_agents) == {fetcher.user_agent}
    assert fetcher.user_agent.startswith(f"casereview/{__version__} (+https://")


# ---------------------------------------------------------------------- status codes and retries


def test_404_is_tried_once_and_explained(fetcher: Fetcher, server: MisbehavingServer):
    url = server.url("/missing")
    err = fetch_error(fetcher, url)
    assert server.hits["/missing"] == 1
    message = str(err)
    assert url in message and "HTTP 404 Not Found" in message and "source column" in message
    assert [(a.attempt, a.status_code) for a in err.attempts] == [(1, 404)]


def test_403_is_not_retried_and_suggests_a_browser_download(fetcher: Fetcher, server: MisbehavingServer):
    err = fetch_error(fetcher, server.url("/forbidden"))
    assert server.hits["/forbidden"] == 1
    assert "HTTP 403 Forbidden" in str(err) and "browser" in str(err)


def test_500_then_200_succeeds_on_the_second_attempt(fetcher: Fetcher, server: MisbehavingServer):
    doc = fetcher.fetch(server.url("/flaky"))
    assert server.hits["/flaky"] == 2
    assert [(a.attempt, a.status_code) for a in doc.attempts] == [(1, 500), (2, 200)]
    assert "HTTP 500" in doc.attempts[0].error
    assert doc.kind == "pdf"


def test_429_is_retried(fetcher: Fetcher, server: MisbehavingServer):
    doc = fetcher.fetch(server.url("/busy"))
    assert server.hits["/busy"] == 2
    assert [a.status_code for a in doc.attempts] == [429, 200]


def test_persistent_503_gives_up_after_all_retries(fetcher: Fetcher, server: MisbehavingServer):
    err = fetch_error(fetcher, server.url("/unavailable"))
    assert server.hits["/unavailable"] == 3  # first try + retries=2
    assert len(err.attempts) == 3
    assert "HTTP 503 Service Unavailable (tried 3 times)" in str(err)
    assert "try again later" in str(err)


def test_backoff_grows_between_retries(tmp_path: Path, server: MisbehavingServer):
    with Fetcher(tmp_path, timeout=0.5, retries=2, backoff=0.1) as f:
        err = fetch_error(f, server.url("/unavailable"))
    starts = [a.at for a in err.attempts]
    gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:], strict=False)]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2


def test_timeout_is_retried_then_reported(tmp_path: Path, server: MisbehavingServer):
    with Fetcher(tmp_path, timeout=0.3, retries=1, backoff=0.01) as f:
        started = time.monotonic()
        err = fetch_error(f, server.url("/slow"))
    assert time.monotonic() - started < 2.5
    assert server.hits["/slow"] == 2
    assert "timed out after 0.3 s (tried 2 times)" in str(err)


def test_connection_refused_is_retried(fetcher: Fetcher):
    with socket.socket() as sock:  # grab a free port, then close it so nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    err = fetch_error(fetcher, f"http://127.0.0.1:{port}/review.pdf")
    assert len(err.attempts) == 3
    assert "connection failed" in str(err) and f"127.0.0.1:{port}" in str(err)


def _closed_port() -> int:
    with socket.socket() as sock:  # grab a free port, then close it so nothing listens there
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_site_that_cannot_be_reached_is_tried_once_for_its_other_links(tmp_path: Path, server: MisbehavingServer):
    # a run of 200 reviews from one site that is down must not wait out every retry of every link
    port = _closed_port()
    with Fetcher(tmp_path / "store", timeout=5.0, retries=2, backoff=0.2) as fetcher:
        first = fetch_error(fetcher, f"http://127.0.0.1:{port}/a.pdf")
        assert len(first.attempts) == 3 and "(tried 3 times)" in str(first)
        started = time.monotonic()
        later = [fetch_error(fetcher, f"http://127.0.0.1:{port}/{name}.pdf") for name in "bcd"]
        assert time.monotonic() - started < 0.5  # no pauses between tries
        for err in later:
            assert len(err.attempts) == 1
            assert (f"(tried once: 127.0.0.1:{port} could not be reached earlier in this run either, so it was "
                    "not tried again and again)") in str(err)
        assert fetcher.fetch(server.url("/pdf")).sha256  # another site is fetched as usual


def test_a_link_that_leads_to_a_site_that_is_down_names_that_site(fetcher: Fetcher, server: MisbehavingServer):
    port = _closed_port()
    err = fetch_error(fetcher, server.url(f"/elsewhere/{port}"))
    assert "connection failed" in str(err)
    assert f"at http://127.0.0.1:{port}/review.pdf, where the link leads" in str(err)
    # the site that is down is the one remembered, not the one that sent the browser there
    assert fetcher.fetch(server.url("/pdf")).sha256


def test_truncated_body_is_retried_then_fails_clearly(fetcher: Fetcher, server: MisbehavingServer):
    err = fetch_error(fetcher, server.url("/truncated"))
    assert server.hits["/truncated"] == 3
    assert "response truncated: 1200 of 5000 bytes" in str(err)
    assert not blob_files(fetcher.store_dir)
    assert not list((fetcher.store_dir / "tmp").iterdir())


# ---------------------------------------------------------------------- size cap


def test_content_length_over_the_cap_is_refused_up_front(fetcher: Fetcher, server: MisbehavingServer):
    err = fetch_error(fetcher, server.url("/huge"))
    assert server.hits["/huge"] == 1
    assert "larger than the 200 MB limit (10 GB)" in str(err)


def test_body_over_the_cap_without_content_length_is_aborted(tmp_path: Path, server: MisbehavingServer):
    with Fetcher(tmp_path, max_bytes=64 * 1024, **FAST) as f:
        err = fetch_error(f, server.url("/endless"))
    assert server.hits["/endless"] == 1
    assert "larger than the 64 KB limit" in str(err)
    assert not blob_files(tmp_path)
    assert not list((tmp_path / "tmp").iterdir())


# ---------------------------------------------------------------------- redirects


def test_redirect_chain_is_followed_and_final_url_recorded(fetcher: Fetcher, server: MisbehavingServer):
    doc = fetcher.fetch(server.url("/redirect-chain"))
    assert doc.final_url == server.url("/pdf")
    assert doc.kind == "pdf"
    assert (server.hits["/redirect-chain"], server.hits["/redirect-chain/2"], server.hits["/pdf"]) == (
        1,
        1,
        1,
    )
    assert doc.attempts[0].url == server.url("/pdf")


def test_redirect_loop_fails_without_retrying(fetcher: Fetcher, server: MisbehavingServer):
    err = fetch_error(fetcher, server.url("/redirect-loop"))
    assert "redirect loop" in str(err)
    assert server.hits["/redirect-loop"] == 1 and len(err.attempts) == 1


def test_five_redirects_are_allowed_six_are_not(fetcher: Fetcher, server: MisbehavingServer):
    assert fetcher.fetch(server.url("/redirect/5")).final_url == server.url("/pdf")
    err = fetch_error(fetcher, server.url("/redirect/6"))
    assert "too many redirects (more than 5)" in str(err)


# ---------------------------------------------------------------------- content sniffing


def test_html_labelled_as_pdf_is_reported_as_html(fetcher: Fetcher, server: MisbehavingServer):
    doc = fetcher.fetch(server.url("/html-as-pdf"))
    assert doc.kind == "html"
    assert doc.path.read_bytes() == HTML_PAGE
    assert describe_document_problem(doc).startswith("the source returned an HTML page, not a PDF")


def test_pdf_labelled_as_html_is_reported_as_pdf(fetcher: Fetcher, server: MisbehavingServer):
    doc = fetcher.fetch(server.url("/pdf-as-html"))
    assert doc.kind == "pdf"
    assert describe_document_problem(doc) is None


# ---------------------------------------------------------------------- web pages about a review


def test_web_page_linking_to_one_pdf_gives_that_pdf(fetcher: Fetcher, server: MisbehavingServer, pdf_bytes: bytes):
    page = server.url("/review-page")
    doc = fetcher.fetch(page)
    assert doc.kind == "pdf" and doc.path.read_bytes() == pdf_bytes
    assert doc.source == page and doc.via_page == page
    assert doc.final_url == server.url("/files/child-d.pdf")
    assert [(a.attempt, a.url, a.status_code) for a in doc.attempts] == [
        (1, page, 200), (2, server.url("/files/child-d.pdf"), 200)]
    assert server.hits["/files/child-d.pdf"] == 1  # the icon and the words link to the same file: fetched once
    assert server.hits["/news"] == 0


def test_a_web_page_not_in_utf8_is_still_read_as_a_page(fetcher: Fetcher, server: MisbehavingServer,
                                                         pdf_bytes: bytes):
    doc = fetcher.fetch(server.url("/review-page-1252"))
    assert doc.kind == "pdf" and doc.path.read_bytes() == pdf_bytes
    assert doc.final_url == server.url("/files/child-d.pdf")


def test_checksum_is_of_the_pdf_behind_the_page(fetcher: Fetcher, server: MisbehavingServer, pdf_bytes: bytes):
    doc = fetcher.fetch(server.url("/review-page"), expected_sha256=hashlib.sha256(pdf_bytes).hexdigest())
    assert doc.kind == "pdf"


def test_web_page_linking_to_a_review_and_its_briefing_reads_the_review(fetcher: Fetcher, server: MisbehavingServer,
                                                                         pdf_bytes: bytes):
    """A review's page that also offers a briefing and an action plan gives the review, and names the others."""
    doc = fetcher.fetch(server.url("/reviews-page"))
    assert doc.kind == "pdf" and doc.path.read_bytes() == pdf_bytes
    assert doc.via_page == server.url("/reviews-page") and doc.final_url == server.url("/files/child-d.pdf")
    assert doc.set_aside == (f'a briefing: "Briefing" {server.url("/downloads/file/12")}',
                             f'an action plan or response: "Action plan" {server.url("/downloads/file/13")}')
    assert server.hits["/downloads/file/12"] == server.hits["/downloads/file/13"] == 0  # only the review is fetched


def test_web_page_offering_the_review_as_a_download_that_does_not_say_pdf(fetcher: Fetcher,
                                                                          server: MisbehavingServer, pdf_bytes: bytes):
    """A council site's page: no link says PDF, but its download links do, once fetched; the review is told
    from its briefing by the links' words, and only the review is fetched."""
    doc = fetcher.fetch(server.url("/download-page"))
    assert doc.kind == "pdf" and doc.path.read_bytes() == pdf_bytes
    assert doc.final_url == server.url("/downloads/file/7/child-d-review")
    briefing = server.url("/downloads/file/7/child-d-briefing")
    assert doc.set_aside == (f'a briefing: "Child D: 7-minute briefing" {briefing}',)
    assert server.hits["/downloads/file/7/child-d-briefing"] == 0


def test_a_download_link_that_gives_no_pdf_is_named(fetcher: Fetcher, server: MisbehavingServer):
    err = fetch_error(fetcher, server.url("/wrong-download-page"))
    assert (f"Could not fetch {server.url('/wrong-download-page')}: the source is a web page with no link marked "
            f'as a PDF; its download link "Download the review" {server.url("/downloads/file/8/child-d")} gave a '
            "web page, not a PDF") in str(err)
    assert "find the review PDF" in str(err)
    assert [a.url for a in err.attempts] == [server.url(path) for path in ("/wrong-download-page",
                                                                           "/downloads/file/8/child-d")]


def test_a_lone_download_that_is_not_the_review_is_not_taken(fetcher: Fetcher, server: MisbehavingServer):
    """A page whose one unmarked download is its briefing: the briefing is not stored as the review."""
    err = fetch_error(fetcher, server.url("/briefing-download"))
    assert (f"Could not fetch {server.url('/briefing-download')}: the source is a web page that has no link marked as "
            "a PDF, and its one download link does not say it is the review (\"Download the briefing\" "
            f"{server.url('/downloads/file/9/child-d-briefing')})") in str(err)
    assert server.hits["/downloads/file/9/child-d-briefing"] == 0


def test_web_page_linking_to_several_reviews_lists_them(fetcher: Fetcher, server: MisbehavingServer):
    err = fetch_error(fetcher, server.url("/reviews-list"))
    message = str(err)
    assert f"Could not fetch {server.url('/reviews-list')}: the source is a web page that links to 4 PDFs" in message
    for text, path in [("Child A: practice review", "/files/child-a.pdf"), ("Child B (PDF)", "/downloads/file/22"),
                       ("Serious case review: Child C", "/files/scr-child-c.pdf"),
                       ("Child C: learning for practitioners", "/files/child-c-7-minute-briefing.pdf")]:
        assert f'"{text}" {server.url(path)}' in message
    assert "find which PDF is the review itself" in message
    assert not any(server.hits[path] for path in ("/files/child-a.pdf", "/downloads/file/22",
                                                  "/files/scr-child-c.pdf"))  # none is guessed


def test_dead_pdf_link_on_a_page_names_both(fetcher: Fetcher, server: MisbehavingServer):
    err = fetch_error(fetcher, server.url("/dead-link-page"))
    message = str(err)
    assert message.startswith(f"Could not fetch {server.url('/dead-link-page')}: it is a web page")
    assert f"Could not fetch {server.url('/missing')}: HTTP 404" in message
    assert [(a.attempt, a.status_code) for a in err.attempts] == [(1, 200), (2, 404)]


def test_pdf_link_that_gives_another_page_is_reported_as_html(fetcher: Fetcher, server: MisbehavingServer):
    doc = fetcher.fetch(server.url("/page-to-page"))
    assert doc.kind == "html" and doc.via_page == server.url("/page-to-page")
    assert doc.path.read_bytes() == HTML_PAGE  # one step only: its link is not followed
    assert server.hits["/pdf"] == 0


def test_page_without_pdf_links_stays_a_page(fetcher: Fetcher, server: MisbehavingServer):
    doc = fetcher.fetch(server.url("/html-as-pdf"))  # links to /pdf with the word "here": not a PDF link
    assert doc.kind == "html" and doc.via_page is None
    assert server.hits["/pdf"] == 0


@pytest.mark.parametrize(
    ("html", "links"),
    [
        ('<a href="a.pdf">A</a> <a href="/b.PDF?x=1#p2">B</a>', [("https://s.org/r/a.pdf", "A"),
                                                                  ("https://s.org/b.PDF?x=1", "B")]),
        ('<base href="https://cdn.org/d/"><a href="a.pdf">A</a>', [("https://cdn.org/d/a.pdf", "A")]),
        ('<a href="/file/9" title="Download the review (PDF)"></a>', [("https://s.org/file/9",
                                                                       "Download the review (PDF)")]),
        ('<a href="/file/9"><img alt="PDF"> Review</a>', [("https://s.org/file/9", "PDF Review")]),
        ('<a href="/file/9">Review</a> <a href="/doc.docx">Word version</a>', []),
        ('<a href="mailto:a@b.org">PDF</a> <a href="page.pdf#x">self</a>', []),
        ('<meta http-equiv="Refresh" content="0;URL=\'/moved\'"><a href="a.pdf">A</a>', [("https://s.org/moved",
                                                                                            "")]),
        ('<a href="a.pdf">A &amp; B', [("https://s.org/r/a.pdf", "A & B")]),
        # a PDF shown in the page, or in a PDF viewer, is a link to it
        ('<iframe src="/docs/child-d.pdf" title="Child D"></iframe>', [("https://s.org/docs/child-d.pdf", "Child D")]),
        ('<embed type="application/pdf" src="/view/123"><object data="/docs/x.html"></object>',
         [("https://s.org/view/123", "")]),
        ('<iframe src="/pdfjs/web/viewer.html?file=%2Fdocs%2Fchild-d.pdf"></iframe>',
         [("https://s.org/docs/child-d.pdf", "")]),
        ('<a href="/viewer.html?file=files/Child%20D.pdf">Read the review</a>',
         [("https://s.org/files/Child%20D.pdf", "Read the review")]),
        ('<iframe src="https://video.example/embed/1" title="PDF guide video"></iframe>', []),
        # the parts every page of the site shares are not the review's
        ('<header><a href="/logo.pdf">Logo</a></header><nav><ul><li><a href="/menu.pdf">Menu</a></ul></nav>'
         '<p><a href="a.pdf">A</a></p><footer><p><a href="/privacy.pdf">Privacy (PDF)</a></footer>',
         [("https://s.org/r/a.pdf", "A")]),
    ],
)
def test_pdf_links_on_a_page(html: str, links: list[tuple[str, str]]):
    base = "https://s.org/r/page.pdf" if "self" in html else "https://s.org/r/page"
    found = [(link.url, link.text) for link in pdf_links(html, base)]  # the page itself is never a link
    assert found == links


def test_plain_text_response(fetcher: Fetcher, server: MisbehavingServer):
    assert fetcher.fetch(server.url("/text")).kind == "text"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf"),
        (b"\r\n\xef\xbb\xbfjunk before the header %PDF-1.4\n", "pdf"),
        (b" " * 1000 + b"%PDF-1.4", "pdf"),
        (b"x" * 1024 + b"%PDF-1.4", "text"),  # beyond the first 1024 bytes
        (b"\xef\xbb\xbf  <!DOCTYPE HTML PUBLIC>", "html"),
        (b"\n<html lang='en'><head>", "html"),
        (b"PK\x03\x04\x14\x00\x06\x00", "zip"),
        (b"PK\x03\x04\x14\x00\x00\x00\x00\x00review.pdf%PDF-1.7\n", "zip"),  # a PDF stored in a ZIP, uncompressed
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image"),
        (b"Access denied. Contact the webmaster.", "text"),
        (b"\x00\x01\x02\x03binary", "unknown"),
        (b"", "unknown"),
    ],
)
def test_sniff_kind(head: bytes, kind: str):
    assert sniff_kind(head) == kind


def _zip(path: Path, parts: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def test_an_outlook_message_is_told_apart_from_an_older_office_file(tmp_path: Path):
    message = tmp_path / "Child D review.msg"
    message.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    assert describe_non_pdf(message).startswith("the file is an Outlook message (.msg), not a PDF: open it, save the "
                                                "review PDF attached to it")


@pytest.mark.parametrize(("make", "local", "expected"), [
    (lambda p: _zip(p, {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"}), True,
     "the file is a Word document (.docx), not a PDF: open it, save it as a PDF"),
    (lambda p: _zip(p, {"ppt/presentation.xml": "<p/>"}), True, "the file is a PowerPoint presentation (.pptx)"),
    (lambda p: _zip(p, {"xl/workbook.xml": "<w/>"}), False, "the source returned an Excel workbook (.xlsx), not a "
                                                            "PDF: download it, open it, save it as a PDF next to the "
                                                            "manifest (File > Save As"),
    (lambda p: _zip(p, {"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}), True,
     "the file is an OpenDocument text (.odt), not a PDF"),
    (lambda p: _zip(p, {"reviews/child-d.pdf": "%PDF-1.4", "reviews/briefing.pdf": "%PDF-1.4"}), True,
     "the file is a ZIP archive (it holds 2 PDFs, e.g. child-d.pdf), not a PDF: unzip it"),
    (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)), True,
     "the file is an older Word, Excel or PowerPoint file (.doc, .xls or .ppt), not a PDF: open it, save it"),
    (lambda p: p.write_bytes(b"{\\rtf1\\ansi Serious case review}"), False,
     "the source returned a Rich Text document (.rtf), not a PDF"),
    (lambda p: p.write_bytes(b"Access denied."), False, "the source returned plain text, not a PDF (it may be an "
                                                         "error message from the web site"),
    (lambda p: p.write_bytes(b"Notes on Child D."), True, "the file is plain text, not a PDF: casereview reads"),
    (lambda p: p.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(100)), True,
     "the file is an image, not a PDF: find the full review document"),
    (lambda p: p.write_bytes(b"<html><body>Child D</body></html>"), True, "the file is a web page (saved from a "
                                                                          "browser), not a PDF"),
    (lambda p: p.write_bytes(b"\x00\x01\x02binary"), False,
     "the source returned not a PDF, nor a kind of file casereview can name"),
    (lambda p: p.write_bytes(b""), True, "the file is empty: download the review again"),
])
def test_a_file_that_is_not_a_pdf_is_named_for_what_it_is_with_what_to_do(tmp_path: Path, make, local: bool,
                                                                           expected: str):
    path = tmp_path / "child-d.pdf"  # named as a PDF, as such files often are: the bytes decide
    make(path)
    assert describe_non_pdf(path, local=local).startswith(expected)
    document = FetchedDocument("child-d.pdf", path, "0" * 64, path.stat().st_size, sniff_kind(path.read_bytes()),
                               False, [], None if local else "https://example.org/child-d.pdf")
    assert describe_document_problem(document).startswith(expected)
    with pytest.raises(ExtractError) as raised:  # `casereview extract` too, which reads files on disk
        extract_pdf(path)
    assert str(raised.value) == f"child-d.pdf: {describe_non_pdf(path, local=True)}"


# ---------------------------------------------------------------------- checksums and the store


def test_expected_sha256_match(fetcher: Fetcher, server: MisbehavingServer, pdf_bytes: bytes):
    sha = hashlib.sha256(pdf_bytes).hexdigest()
    assert fetcher.fetch(server.url("/pdf"), expected_sha256=sha.upper()).sha256 == sha


def test_expected_sha256_mismatch_is_explained(fetcher: Fetcher, server: MisbehavingServer):
    err = fetch_error(fetcher, server.url("/pdf"), expected_sha256="0" * 64)
    message = str(err)
    assert "the manifest checksum does not match the downloaded bytes" in message
    assert "may have been replaced" in message and "sha256" in message
    assert len(err.attempts) == 1


def test_a_local_file_that_does_not_match_its_checksum_is_called_a_file(fetcher: Fetcher, tmp_path: Path,
                                                                       pdf_bytes: bytes):
    (tmp_path / "child-d.pdf").write_bytes(pdf_bytes)
    message = str(fetch_error(fetcher, "child-d.pdf", base_dir=tmp_path, expected_sha256="0" * 64))
    assert "the manifest checksum does not match the file (manifest sha256 000" in message
    assert "downloaded" not in message


def test_same_bytes_from_two_urls_are_stored_once(fetcher: Fetcher, server: MisbehavingServer):
    first = fetcher.fetch(server.url("/pdf"))
    second = fetcher.fetch(server.url("/pdf-copy"))
    third = fetcher.fetch(server.url("/pdf-as-html"))
    assert first.path == second.path == third.path
    assert len(blob_files(fetcher.store_dir)) == 1


# ---------------------------------------------------------------------- conditional requests


def test_etag_gives_304_and_reuses_the_blob(tmp_path: Path, server: MisbehavingServer):
    url = server.url("/etag")
    with Fetcher(tmp_path, **FAST) as f:
        first = f.fetch(url)
        second = f.fetch(url)
    assert (first.from_cache, second.from_cache) == (False, True)
    assert second.path == first.path and second.sha256 == first.sha256 and second.kind == "pdf"
    assert second.attempts[0].status_code == 304
    sent = server.requests_to("/etag")
    assert "if-none-match" not in sent[0].headers
    assert sent[1].headers["if-none-match"] == '"v1"'
    assert sent[1].headers["if-modified-since"]
    # The validators survive a restart: a new Fetcher on the same store asks conditionally too.
    with Fetcher(tmp_path, **FAST) as f:
        assert f.fetch(url).from_cache
    cache = json.loads((tmp_path / "http_cache.json").read_text())
    assert cache[url]["etag"] == '"v1"' and cache[url]["sha256"] == first.sha256


def test_changed_document_is_downloaded_again(fetcher: Fetcher, server: MisbehavingServer):
    url = server.url("/etag")
    first = fetcher.fetch(url)
    server.etag_version = 2
    second = fetcher.fetch(url)
    assert not second.from_cache and second.sha256 != first.sha256
    assert fetcher.fetch(url).from_cache
    assert server.requests_to("/etag")[-1].headers["if-none-match"] == '"v2"'


def test_last_modified_gives_304(fetcher: Fetcher, server: MisbehavingServer):
    url = server.url("/last-modified")
    assert not fetcher.fetch(url).from_cache
    again = fetcher.fetch(url)
    assert again.from_cache and again.kind == "pdf"
    assert "if-none-match" not in server.requests_to("/last-modified")[1].headers


def test_missing_blob_means_an_unconditional_download(fetcher: Fetcher, server: MisbehavingServer):
    url = server.url("/etag")
    first = fetcher.fetch(url)
    first.path.unlink()
    again = fetcher.fetch(url)
    assert not again.from_cache and again.path.read_bytes()
    assert "if-none-match" not in server.requests_to("/etag")[1].headers


def test_damaged_cache_file_is_ignored(tmp_path: Path, server: MisbehavingServer):
    (tmp_path / "http_cache.json").write_text("{not json")
    with Fetcher(tmp_path, **FAST) as f:
        assert f.fetch(server.url("/etag")).kind == "pdf"
    assert json.loads((tmp_path / "http_cache.json").read_text())


# ---------------------------------------------------------------------- concurrency


def test_per_host_limit_is_respected_across_threads(tmp_path: Path, server: MisbehavingServer):
    with Fetcher(tmp_path, per_host_limit=2, **FAST) as f, ThreadPoolExecutor(max_workers=8) as pool:
        urls = [server.url(f"/concurrency?n={i}") for i in range(8)]
        docs = list(pool.map(f.fetch, urls))
    assert server.hits["/concurrency"] == 8
    assert server.max_in_flight == 2  # never more than the limit, and the limit was actually used
    assert len({d.path for d in docs}) == 1
    # Every thread's ETag was saved: the cache file was updated safely from all threads.
    cache = json.loads((tmp_path / "http_cache.json").read_text())
    assert set(cache) == set(urls)


def test_per_host_limit_of_one_serialises(tmp_path: Path, server: MisbehavingServer):
    server.concurrency_delay = 0.05
    with Fetcher(tmp_path, per_host_limit=1, **FAST) as f:
        threads = [
            threading.Thread(target=f.fetch, args=(server.url(f"/concurrency?n={i}"),)) for i in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert server.hits["/concurrency"] == 4 and server.max_in_flight == 1


# ---------------------------------------------------------------------- local files and schemes


def test_local_file_is_copied_into_the_store(fetcher: Fetcher, tmp_path: Path, pdf_bytes: bytes):
    folder = tmp_path / "reviews"
    (folder / "2021").mkdir(parents=True)
    (folder / "2021" / "child-d.pdf").write_bytes(pdf_bytes)
    first = fetcher.fetch("2021/child-d.pdf", base_dir=folder)
    assert first.kind == "pdf" and not first.from_cache and first.final_url is None
    assert first.path.read_bytes() == pdf_bytes
    assert first.path.is_relative_to(fetcher.store_dir / "blobs")
    second = fetcher.fetch("2021/child-d.pdf", base_dir=folder, expected_sha256=first.sha256)
    assert second.from_cache and second.path == first.path


def _saved_page(body: str, saved_from: str | None = None) -> bytes:
    mark = f"<!-- saved from url=({len(saved_from):04d}){saved_from} -->\n" if saved_from else ""
    return (f"{mark}<html><head><title>Child D | Northmoor SCP</title></head><body><nav><a href='/privacy.pdf'>"
            f"Privacy notice (PDF)</a></nav><main>{body}</main></body></html>").encode()


@pytest.mark.parametrize(("body", "saved_from", "expected"), [
    # a browser's saved page names the address it came from: its relative links can be followed from there
    ("<a href='files/child-d.pdf'>Download the review (PDF, 1.2 MB)</a>", "https://northmoor.example/reviews/d",
     "It links to one PDF, \"Download the review (PDF, 1.2 MB)\" https://northmoor.example/reviews/files/child-d.pdf:"
     " put that address in the source column"),
    ("<a href='https://a.example/d-summary.pdf'>Summary</a> <a href='https://a.example/d-full.pdf'>Full review</a>",
     None, "It links to 2 PDFs; the review is \"Full review\" https://a.example/d-full.pdf (the others are "
           "published beside it, a summary: \"Summary\" https://a.example/d-summary.pdf): put that address in"),
    ("<a href='https://a.example/d.pdf'>Child D review</a> <a href='https://a.example/e.pdf'>Child E review</a>",
     None, "It links to 2 PDFs: \"Child D review\" https://a.example/d.pdf; \"Child E review\" "
           "https://a.example/e.pdf. Find which one is the review itself"),
    ("<a href='/downloads/file/7/child-d-review'>Child D review</a> (PDF, 1 MB)", "https://council.example/r/d",
     "It has no link marked as a PDF; its download links are \"Child D review\" "
     "https://council.example/downloads/file/7/child-d-review. Open the review's one in a browser"),
    ("<a href='/reviews/child-d'>Child D (PDF)</a>", None,  # a relative link with nowhere to resolve it from
     "Open the review's page in a browser, download the PDF itself"),
])
def test_a_saved_web_page_given_as_a_review_says_which_pdfs_it_links_to(
        fetcher: Fetcher, tmp_path: Path, body: str, saved_from: str | None, expected: str):
    (tmp_path / "child-d.pdf").write_bytes(_saved_page(body, saved_from))
    document = fetcher.fetch("child-d.pdf", base_dir=tmp_path)
    assert document.kind == "html" and document.final_url is None
    problem = describe_document_problem(document)
    assert problem.startswith("the file is a web page (saved from a browser), not a PDF. ")
    assert expected in problem and "privacy" not in problem.lower()


def _links(*pairs: str) -> list[PdfLink]:
    return [PdfLink(f"https://partnership.example/{path}", text) 
            for path, text in zip(pairs[::2], pairs[1::2], strict=True)]


@pytest.mark.parametrize(("links", "review", "others"), [
    # an older serious case review: the overview report with its executive summary
    (_links("scr/child-k-overview-report.pdf", "Overview report", "scr/child-k-exec-summary.pdf",
            "Executive summary"), "Overview report", ["a summary"]),
    # the words are only in the file names ("Download (PDF)" twice)
    (_links("docs/LCSPR_Child_M_final.pdf", "Download (PDF, 2 MB)",
            "docs/Child_M_7_Minute_Briefing.pdf", "Download (PDF, 300 KB)"), "Download (PDF, 2 MB)", ["a briefing"]),
    # a Welsh partnership: the review in English and Welsh, with a partnership response
    (_links("cpr/child-t.pdf", "Child Practice Review: Child T", "cpr/child-t-cy.pdf",
            "Adolygiad Ymarfer Plant: Plentyn T (Cymraeg)", "cpr/response.pdf", "Partnership response"),
     "Child Practice Review: Child T", ["a Welsh version", "an action plan or response"]),
    (_links("r.pdf", "Child P: the review", "easy.pdf", "Easy read version", "ap.pdf", "Action plan",
            "tor.pdf", "Terms of reference"), "Child P: the review",
     ["a leaflet or presentation", "an action plan or response", "an appendix or other document"]),
    # a Welsh version marked only "(Welsh)"; "Welsh Government" guidance is not one
    (_links("a.pdf", "Child Practice Review CYSUR 2/2019 (English)", "b.pdf", "Child Practice Review CYSUR 2/2019 "
            "(Welsh)"), "Child Practice Review CYSUR 2/2019 (English)", ["a Welsh version"]),
    (_links("a.pdf", "Child Practice Review: Child R", "b.pdf", "Welsh Government guidance on reviews"), None, []),
    # a repository's file names written joined up
    (_links("files/2019ChildAOverviewReport.pdf", "", "files/2019ChildAExecSummary.pdf", "",
            "files/ChildA7MinuteBriefing.pdf", ""), "", ["a summary", "a briefing"]),
    # two reviews, or none that says it is one: the person chooses
    (_links("a.pdf", "Child A review", "b.pdf", "Child B review", "b-brief.pdf", "Child B briefing"), None, []),
    (_links("files/1234", "Download (PDF)", "files/1235", "Learning briefing (PDF)"), None, []),
    (_links("a.pdf", "Learning briefing", "b.pdf", "Executive summary"), None, []),
])
def test_the_review_is_chosen_among_documents_published_beside_it(links, review, others):
    chosen, aside = choose_review(links)
    assert (chosen.text if chosen else None) == review
    assert chosen is None or chosen == links[0]
    assert [kind for _, kind in aside] == others
    assert chosen is None or {chosen, *(link for link, _ in aside)} == set(links)


@pytest.mark.parametrize(("url", "direct", "service"), [
    ("https://drive.google.com/file/d/1AbCdEfGhIjK_lm-N/view?usp=sharing",
     "https://drive.google.com/uc?export=download&id=1AbCdEfGhIjK_lm-N", "Google Drive"),
    ("https://drive.google.com/open?id=1AbCdEfGhIjK_lm-N",
     "https://drive.google.com/uc?export=download&id=1AbCdEfGhIjK_lm-N", "Google Drive"),
    ("https://drive.google.com/uc?export=download&id=1AbCdEfGhIjK_lm-N", None, "Google Drive"),  # already direct
    ("https://drive.google.com/drive/folders/1AbCdEfGhIjK_lm-N", None, "Google Drive"),  # a folder: no one file
    ("https://www.dropbox.com/s/abc123/Child%20D.pdf?dl=0",
     "https://www.dropbox.com/s/abc123/Child%20D.pdf?dl=1", "Dropbox"),
    ("https://www.dropbox.com/scl/fi/x7y/child-d.pdf?rlkey=k3", "https://www.dropbox.com/scl/fi/x7y/child-d.pdf?rlkey=k3&dl=1",
     "Dropbox"),
    ("https://www.dropbox.com/s/abc123/child-d.pdf?dl=1", None, "Dropbox"),
    ("https://northmoor.sharepoint.com/:b:/s/Safeguarding/EaBc123?e=xyz", None, "SharePoint"),
    ("https://1drv.ms/b/s!AbC123", None, "OneDrive"),
    ("https://app.box.com/s/abc123", None, "Box"),
    ("https://www.northmoor.gov.uk/downloads/file/7/child-d", None, None),
    ("https://notdropbox.com/s/child-d.pdf?dl=0", None, None),  # only the service's own hosts
])
def test_sharing_links_are_recognised(url: str, direct: str | None, service: str | None):
    assert direct_download(url) == direct
    assert sharing_service(url) == service


def test_a_dropbox_sharing_link_fetches_the_file(fetcher: Fetcher, server: MisbehavingServer, pdf_bytes: bytes,
                                                 monkeypatch: pytest.MonkeyPatch):
    """The test server stands in for the service: its host is made Dropbox's for this test."""
    monkeypatch.setattr(sharelinks, "_SERVICES", (("127.0.0.1", "Dropbox"),))
    shared = server.url("/shared/child-d.pdf") + "?dl=0"
    doc = fetcher.fetch(shared)
    assert doc.kind == "pdf" and doc.path.read_bytes() == pdf_bytes
    assert doc.source == shared and doc.final_url == server.url("/shared/child-d.pdf") + "?dl=1"
    assert [a.url for a in doc.attempts] == [server.url("/shared/child-d.pdf") + "?dl=1"]


def test_a_dropbox_link_whose_download_fails_names_both(fetcher: Fetcher, server: MisbehavingServer,
                                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sharelinks, "_SERVICES", (("127.0.0.1", "Dropbox"),))
    shared = server.url("/missing") + "?dl=0"
    err = fetch_error(fetcher, shared)
    assert str(err).startswith(f"Could not fetch {shared}: it is a Dropbox sharing link, and the address that "
                               f"downloads its file failed. Could not fetch {server.url('/missing')}?dl=1: HTTP 404")
    assert err.source == shared and [a.status_code for a in err.attempts] == [404]


def test_a_sharing_page_that_is_not_the_file_says_so(fetcher: Fetcher, server: MisbehavingServer,
                                                     monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sharelinks, "_SERVICES", (("127.0.0.1", "SharePoint"),))
    shared = server.url("/shared/child-d.pdf")
    message = str(fetch_error(fetcher, shared))
    assert message == (f"Could not fetch {shared}: the link opens a SharePoint page that shows the file (and may "
                       "ask to sign in), not the PDF itself. Open the link, download the PDF and put its file name "
                       "in the source column, or a link from SharePoint that downloads the file itself.")


def test_a_sharing_page_that_cannot_be_reached_also_says_it_would_not_give_the_pdf(
        fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch):
    # offline, or the service is down: the error says so, and that the link would not have given the PDF anyway
    monkeypatch.setattr(sharelinks, "_SERVICES", (("127.0.0.1", "SharePoint"),))
    shared = f"http://127.0.0.1:{_closed_port()}/shared/child-d.pdf"
    message = str(fetch_error(fetcher, shared))
    assert message.startswith(f"Could not fetch {shared}: connection failed")
    assert message.endswith("Besides, the link opens a SharePoint page that shows the file (and may ask to sign in), "
                            "not the PDF itself: open the link, download the PDF and put its file name in the source "
                            "column, or a link from SharePoint that downloads the file itself.")


def test_missing_local_file_names_the_path(fetcher: Fetcher, tmp_path: Path):
    err = fetch_error(fetcher, "reviews/nowhere.pdf", base_dir=tmp_path)
    assert str(tmp_path / "reviews" / "nowhere.pdf") in str(err)
    assert "source column" in str(err)
    assert len(err.attempts) == 1
    # a file of nearly that name (another case, spaces for hyphens) is named, as manifest check names it
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "Thornley Child P.PDF").write_bytes(b"%PDF-1.4")
    err = fetch_error(fetcher, "reviews/thornley-child-p.pdf", base_dir=tmp_path)
    assert "Its folder has Thornley Child P.PDF: if that is it, put that name in the source column." in str(err)


def test_a_web_address_written_without_https_is_named(fetcher: Fetcher, tmp_path: Path):
    err = fetch_error(fetcher, "www.northmoor.gov.uk/reviews/child-d.pdf", base_dir=tmp_path)
    assert str(err).endswith("It looks like a web address without https:// in front: write "
                             "https://www.northmoor.gov.uk/reviews/child-d.pdf in the source column.")


def test_local_folder_is_rejected(fetcher: Fetcher, tmp_path: Path):
    (tmp_path / "reviews").mkdir()
    assert "is a folder" in str(fetch_error(fetcher, "reviews", base_dir=tmp_path))


def test_a_download_that_trickles_in_is_stopped_at_the_time_limit(tmp_path: Path, server: MisbehavingServer):
    # The server sends 16 bytes every 0.05 s, never pausing long enough for the read time-out.
    with Fetcher(tmp_path / "store", max_seconds=0.3, backoff=0.0) as slow:
        err = fetch_error(slow, server.url("/trickle"))
    assert "the download was stopped after 0.3 seconds (" in str(err)
    assert "the server is sending very slowly" in str(err)
    assert "download the PDF in a browser" in str(err)
    assert server.hits["/trickle"] == 1  # not retried: it would only be as slow again
    assert not list((tmp_path / "store" / "tmp").glob("*.part"))  # nothing half-written is left
    with Fetcher(tmp_path / "store2", max_seconds=60) as patient:  # with time enough, the same download works
        assert patient.fetch(server.url("/trickle")).kind == "pdf"


def test_a_stopped_run_gives_up_a_download_under_way_at_once(tmp_path: Path, server: MisbehavingServer):
    # a trickling download would hold a stopped run's process (and its database) for up to max_seconds
    from pipeline.errors import RunStopped

    with Fetcher(tmp_path / "store", max_seconds=600) as fetcher:
        outcome: list[BaseException] = []

        def download() -> None:
            try:
                fetcher.fetch(server.url("/trickle"))
            except BaseException as exc:  # noqa: BLE001 - what the download ended with is the point
                outcome.append(exc)

        worker = threading.Thread(target=download)
        worker.start()
        time.sleep(0.3)
        stopped = time.monotonic()
        fetcher.stop()
        worker.join(timeout=10)
        assert not worker.is_alive() and time.monotonic() - stopped < 2
        assert len(outcome) == 1 and isinstance(outcome[0], RunStopped)  # neither a failure nor retried
        assert server.hits["/trickle"] == 1
        with pytest.raises(RunStopped):  # and no new download starts
            fetcher.fetch(server.url("/pdf"))
    assert not list((tmp_path / "store" / "tmp").glob("*.part"))


def test_a_fetcher_left_by_an_exception_stops_its_downloads(tmp_path: Path):
    fetcher = Fetcher(tmp_path / "store")
    with pytest.raises(KeyboardInterrupt), fetcher:
        raise KeyboardInterrupt
    assert fetcher._stopping.is_set()
    with Fetcher(tmp_path / "store") as calm:
        pass
    assert not calm._stopping.is_set()


def test_a_redirect_or_a_link_to_an_address_that_is_none_fails_that_review_only(fetcher: Fetcher,
                                                                                server: MisbehavingServer):
    err = fetch_error(fetcher, server.url("/bad-location"))
    assert "the site redirects to 'http://[oops/x.pdf', which is not a valid web address" in str(err)
    assert server.hits["/bad-location"] == 1  # the same answer each time: not retried
    # on a web page, such a link is passed over and the review's own PDF taken
    doc = fetcher.fetch(server.url("/broken-link-page"))
    assert doc.kind == "pdf" and doc.final_url == server.url("/files/child-d.pdf")


def test_a_file_said_to_be_compressed_that_is_not_is_a_site_problem_not_retried(fetcher: Fetcher,
                                                                                  server: MisbehavingServer):
    err = fetch_error(fetcher, server.url("/bad-gzip"))
    assert "the site sent the file compressed in a way that cannot be undone" in str(err)
    assert "Try again later" not in str(err) and server.hits["/bad-gzip"] == 1


def test_local_sources_that_are_not_plain_files_fail_with_what_they_are(fetcher: Fetcher, tmp_path: Path,
                                                                        pdf_bytes: bytes):
    import os
    import unicodedata

    (tmp_path / "loop.pdf").symlink_to(tmp_path / "loop.pdf")
    os.mkfifo(tmp_path / "pipe.pdf")  # reading it would wait for ever
    assert "is a symbolic link that leads round in a loop" in str(fetch_error(fetcher, "loop.pdf", base_dir=tmp_path))
    assert "is not a file but a named pipe" in str(fetch_error(fetcher, "pipe.pdf", base_dir=tmp_path))
    too_long = str(fetch_error(fetcher, "a" * 300 + ".pdf", base_dir=tmp_path))
    assert "(its name is too long for this system)" in too_long and "shorter names" in too_long
    # a name whose accent is written as a letter and a combining mark (macOS, ZIP files) finds the file
    (tmp_path / unicodedata.normalize("NFC", "café review.pdf")).write_bytes(pdf_bytes)
    assert fetcher.fetch(unicodedata.normalize("NFD", "café review.pdf"), base_dir=tmp_path).kind == "pdf"
    # a store that cannot be written stops the run (every review would fail alike), not this review alone
    (tmp_path / "store" / "tmp").rename(tmp_path / "store" / "tmp-gone")
    (tmp_path / "store" / "tmp").write_text("a file where the store's folder should be")
    with pytest.raises(OSError):
        fetcher.fetch(unicodedata.normalize("NFC", "café review.pdf"), base_dir=tmp_path)


def test_part_files_left_by_a_stopped_run_are_removed_and_fresh_ones_kept(tmp_path: Path):
    import os

    tmp = tmp_path / "store" / "tmp"
    tmp.mkdir(parents=True)
    abandoned, fresh = tmp / "old.part", tmp / "new.part"  # a run killed mid-download; one downloading now
    abandoned.write_bytes(b"%PDF-" + b"0" * 1000)
    fresh.write_bytes(b"%PDF-")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(abandoned, (two_hours_ago, two_hours_ago))
    with Fetcher(tmp_path / "store"):
        pass
    assert not abandoned.exists() and fresh.exists()


def test_copies_nothing_uses_are_swept_once_unused_for_a_day(tmp_path: Path):
    import os

    from pipeline.fetch import UNUSED_COPY_AGE_S, blob_path, sweep_unused_copies

    store = tmp_path / "store"
    folder = tmp_path / "corpus"
    folder.mkdir()
    shas = {}
    with Fetcher(store) as fetcher:
        for name in ("kept", "cached", "old", "fresh", "reused"):
            (folder / f"{name}.pdf").write_bytes(b"%PDF-1.4 " + name.encode() * 100)
            shas[name] = fetcher.fetch(f"{name}.pdf", base_dir=folder).sha256
    (store / "http_cache.json").write_text(json.dumps({"https://example.org/r.pdf": {"sha256": shas["cached"]}}))
    long_ago = time.time() - UNUSED_COPY_AGE_S - 60
    for name in ("kept", "cached", "old", "reused"):
        os.utime(blob_path(store, shas[name]), (long_ago, long_ago))
    with Fetcher(store) as fetcher:  # fetching the same bytes again marks their copy as used now
        assert fetcher.fetch("reused.pdf", base_dir=folder).from_cache
    assert sweep_unused_copies(store, {shas["kept"]}) == (1, len(b"%PDF-1.4 " + b"old" * 100))
    left = {name for name, sha in shas.items() if blob_path(store, sha).exists()}
    assert left == {"kept", "cached", "fresh", "reused"}
    assert sweep_unused_copies(tmp_path / "no-store", set()) == (0, 0)


def test_local_file_over_the_cap(tmp_path: Path):
    (tmp_path / "big.pdf").write_bytes(b"%PDF-" + b"0" * 5000)
    with Fetcher(tmp_path / "store", max_bytes=1024) as f:
        assert "larger than the 1 KB limit" in str(fetch_error(f, "big.pdf", base_dir=tmp_path))


@pytest.mark.parametrize(
    "source", ["ftp://example.org/review.pdf", "file:///etc/passwd", "javascript:alert(1)"]
)
def test_unsupported_schemes_are_refused(fetcher: Fetcher, source: str):
    assert "is not supported" in str(fetch_error(fetcher, source))
