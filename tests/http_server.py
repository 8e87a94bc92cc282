"""A real HTTP server on 127.0.0.1 that misbehaves on purpose, for testing the fetcher.

Use it as a context manager::

    with MisbehavingServer(make_pdf("hello")) as server:
        fetcher.fetch(server.url("/flaky"))
        assert server.hits["/flaky"] == 2

Routes (the query string is ignored for routing, so ``/pdf?x=1`` is a distinct URL
for the fetcher but the same route):

========================  =====================================================
``/pdf``, ``/pdf-copy``   200, the PDF (same bytes on both)
``/missing``              404
``/forbidden``            403
``/flaky``                500 on the first request, then 200 with the PDF
``/busy``                 429 with ``Retry-After: 0`` first, then 200
``/unavailable``          always 503
``/slow``                 waits ``slow_seconds`` before answering
``/truncated``            announces 5000 bytes, sends 1200, closes
``/html-as-pdf``          an HTML page labelled ``application/pdf``
``/pdf-as-html``          the PDF labelled ``text/html``
``/text``                 plain text
``/review-page``          a web page about a review linking to one PDF, ``/files/child-d.pdf`` (the PDF)
``/reviews-page``         a web page linking to three PDFs (review, briefing, action plan)
``/reviews-list``         a web page linking to four PDFs: three reviews and a briefing
``/download-page``        a council-style page: the review and its briefing as downloads that do not say PDF
``/downloads/file/7/...`` ``child-d-review``: the PDF (as ``application/octet-stream``); ``child-d-briefing``: 404
``/wrong-download-page``  a page whose one download link (``/downloads/file/8/child-d``) gives a web page
``/briefing-download``    a page whose one download link is a briefing (``/downloads/file/9/child-d-briefing``)
``/shared/child-d.pdf``   a sharing service's link: its preview page (linking to nothing), or the PDF with ``dl=1``
``/dead-link-page``       a web page whose one PDF link is ``/missing``
``/page-to-page``         a web page whose one "PDF" link is ``/html-as-pdf``
``/redirect-chain``       302 -> ``/redirect-chain/2`` -> 301 -> ``/pdf``
``/redirect-loop``        302 -> ``/redirect-loop/b`` -> 302 -> back
``/redirect/N``           N redirects before ``/pdf``
``/etag``                 ETag + Last-Modified; 304 when If-None-Match matches
``/last-modified``        Last-Modified only; 304 when If-Modified-Since is not older
``/huge``                 announces a Content-Length of 10 GB
``/endless``              no Content-Length; streams ``endless_bytes`` then closes
``/concurrency``          sleeps ``concurrency_delay`` then 200 (with an ETag)
========================  =====================================================

Every request's path, headers and User-Agent are recorded, as is the largest number of requests handled
at the same time, each from its arrival until its response starts (``max_in_flight``).
"""

from __future__ import annotations

import datetime
import email.utils
import io
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Child D review</title></head>"
    b"<body><p>Read the review <a href='/pdf'>here</a>.</p></body></html>\n"
)

def _page(body: str) -> bytes:
    head = "<!DOCTYPE html>\n<html><head><title>Case reviews</title></head><body>"
    nav = "<nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='#main'>Skip</a></nav>"
    footer = "<footer><a href='/privacy-notice.pdf'>Privacy notice (PDF, 80 KB)</a></footer>"
    return (head + nav + f"<main id='main'>{body}</main>{footer}</body></html>\n").encode()


REVIEW_PAGE = _page(
    "<h1>Child D</h1><p>The partnership published this review in May 2023.</p>"
    "<p><a href='files/child-d.pdf'><img src='/pdf.png' alt=''></a> "
    "<a href='files/child-d.pdf'>Child D practice review (PDF, 300 KB)</a></p>"
    "<p><a href='mailto:reviews@example.org'>Email us about the PDF</a></p>"
)
REVIEWS_PAGE = _page(
    "<ul><li><a href='/files/child-d.pdf'>Child D: full review</a></li>"
    "<li><a href='/downloads/file/12' title='Child D: 7-minute briefing (PDF)'>Briefing</a></li>"
    "<li><a type='application/pdf' href='/downloads/file/13'>Action plan</a></li></ul>"
)
REVIEWS_LIST = _page(
    "<h1>Published reviews</h1><ul><li><a href='/files/child-a.pdf'>Child A: practice review</a></li>"
    "<li><a href='/downloads/file/22'>Child B (PDF)</a></li>"
    "<li><a href='/files/scr-child-c.pdf'>Serious case review: Child C</a></li>"
    "<li><a href='/files/child-c-7-minute-briefing.pdf'>Child C: learning for practitioners</a></li></ul>"
)
DOWNLOAD_PAGE = _page(
    "<h2>Child D</h2><p><a href='/downloads/file/7/child-d-review'>Child D: serious case review</a> (1.2 MB)</p>"
    "<p><a href='/downloads/file/7/child-d-briefing'>Child D: 7-minute briefing</a></p>"
    "<p><a href='/contact'>Contact us</a></p>"
)
BRIEFING_DOWNLOAD_PAGE = _page("<p><a href='/downloads/file/9/child-d-briefing'>Download the briefing</a></p>")
WRONG_DOWNLOAD_PAGE = _page("<p><a href='/downloads/file/8/child-d'>Download the review</a></p>")
DEAD_LINK_PAGE = _page("<p><a href='/missing'>Download the review (PDF)</a></p>")
PAGE_TO_PAGE = _page("<p><a href='/html-as-pdf'>Review [PDF]</a></p>")
# a link no browser could follow (a broken IPv6 address) beside the review's own
BROKEN_LINK_PAGE = _page("<p><a href='http://[oops/r.pdf'>Summary (PDF)</a> <a href='/files/child-d.pdf'>Review "
                         "(PDF)</a></p>")
LAST_MODIFIED = datetime.datetime(2023, 5, 1, 12, 0, tzinfo=datetime.UTC)


def make_pdf(
    text: str = "Child safeguarding practice review",
    *,
    metadata: dict[str, str] | None = None,
    password: str | None = None,
) -> bytes:
    """Make a one-page PDF with reportlab.

    Parameters
    ----------
    text : str
        Text drawn on the page, one line per line of ``text``.
    metadata : dict, optional
        Exact document information (e.g. ``{"/Title": ..., "/CreationDate": "D:20210601000000Z"}``).
        None leaves reportlab's defaults; ``{}`` strips everything but pypdf's Producer.
    password : str, optional
        Encrypt the PDF with this user password.
    """
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for number, line in enumerate(text.splitlines() or [""]):
        pdf.drawString(72, 720 - 16 * number, line)
    pdf.showPage()
    pdf.save()
    data = buffer.getvalue()
    if metadata is None and password is None:
        return data
    return _rewrite_pdf(data, metadata, password)


def _rewrite_pdf(data: bytes, metadata: dict[str, str] | None, password: str | None) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(data)))
    if metadata is not None:
        writer.add_metadata(metadata)
    if password is not None:
        writer.encrypt(password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]


class MisbehavingServer:
    """ThreadingHTTPServer on an ephemeral loopback port, run in a background thread.

    Parameters
    ----------
    pdf : bytes
        Bytes served as "the PDF".
    slow_seconds : float
        How long ``/slow`` waits (cut short when the server stops).
    concurrency_delay : float
        How long ``/concurrency`` holds each request, so overlaps can be observed.
    endless_bytes : int
        How much ``/endless`` sends.
    """

    def __init__(
        self,
        pdf: bytes,
        *,
        slow_seconds: float = 5.0,
        concurrency_delay: float = 0.2,
        endless_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self.pdf = pdf
        self.slow_seconds = slow_seconds
        self.concurrency_delay = concurrency_delay
        self.endless_bytes = endless_bytes
        self.etag_version = 1  # bump to make /etag serve new bytes with a new ETag
        self.hits: Counter[str] = Counter()
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True  # a stuck handler must not block shutdown
        self._httpd.owner = self  # type: ignore[attr-defined]
        # A short poll interval makes stop() quick (the default 0.5 s adds up over many tests).
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="misbehaving-http",
            daemon=True,
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> MisbehavingServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MisbehavingServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers for tests

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def user_agents(self) -> list[str]:
        return [r.headers.get("user-agent", "") for r in self.requests]

    def requests_to(self, route: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == route]

    def etag_body(self) -> bytes:
        # A trailing PDF comment changes the bytes while keeping it a valid PDF.
        return (
            self.pdf if self.etag_version == 1 else self.pdf + f"\n% version {self.etag_version}\n".encode()
        )

    def _enter(self, route: str, headers: dict[str, str]) -> int:
        with self._lock:
            self.hits[route] += 1
            self.requests.append(RecordedRequest(route, headers))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return self.hits[route]

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, and a body may be delimited by closing.
    protocol_version = "HTTP/1.0"
    server_version = "MisbehavingServer/1.0"

    @property
    def owner(self) -> MisbehavingServer:
        return self.server.owner  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  # signature is the stdlib's
        pass  # keep pytest output clean

    def do_GET(self) -> None:  # noqa: N802  # name required by BaseHTTPRequestHandler
        route = urlsplit(self.path).path
        headers = {k.lower(): v for k, v in self.headers.items()}
        count = self.owner._enter(route, headers)
        self._served = False
        try:
            self._dispatch(route, count, headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout, size cap): that is what some tests want
        finally:
            self._leave_once()

    def _leave_once(self) -> None:
        """The request no longer counts as in flight. Called just before a response is written: once the
        client has it, it may send its next request before this handler has returned, and counting this one
        until then would report an overlap that never happened."""
        if not self._served:
            self._served = True
            self.owner._leave()

    # ------------------------------------------------------------------ routing

    def _dispatch(self, route: str, count: int, headers: dict[str, str]) -> None:
        owner = self.owner
        simple = {
            "/pdf": (200, "application/pdf", owner.pdf),
            "/pdf-copy": (200, "application/pdf", owner.pdf),
            "/missing": (404, "text/html", b"<html><body>Not found</body></html>"),
            "/forbidden": (403, "text/html", b"<html><body>Forbidden</body></html>"),
            "/unavailable": (503, "text/plain", b"down for maintenance"),
            "/html-as-pdf": (200, "application/pdf", HTML_PAGE),
            "/pdf-as-html": (200, "text/html", owner.pdf),
            "/text": (200, "text/plain", b"The review has been withdrawn.\n"),
            "/files/child-d.pdf": (200, "application/pdf", owner.pdf),
            "/review-page": (200, "text/html; charset=utf-8", REVIEW_PAGE),
            # the same page saved by an older site in windows-1252, with a letter outside ASCII
            "/review-page-1252": (200, "text/html", REVIEW_PAGE.decode("utf-8").replace(
                "</body>", "<p>Adolygiad ymarfer plant \u2013 caf\u00e9</p></body>").encode("cp1252")),
            "/reviews-page": (200, "text/html; charset=utf-8", REVIEWS_PAGE),
            "/reviews-list": (200, "text/html; charset=utf-8", REVIEWS_LIST),
            "/download-page": (200, "text/html; charset=utf-8", DOWNLOAD_PAGE),
            "/downloads/file/7/child-d-review": (200, "application/octet-stream", owner.pdf),
            "/wrong-download-page": (200, "text/html; charset=utf-8", WRONG_DOWNLOAD_PAGE),
            "/briefing-download": (200, "text/html; charset=utf-8", BRIEFING_DOWNLOAD_PAGE),
            "/downloads/file/9/child-d-briefing": (200, "application/pdf", owner.pdf),
            "/downloads/file/8/child-d": (200, "text/html; charset=utf-8", REVIEW_PAGE),
            "/dead-link-page": (200, "text/html; charset=utf-8", DEAD_LINK_PAGE),
            "/page-to-page": (200, "text/html; charset=utf-8", PAGE_TO_PAGE),
            "/broken-link-page": (200, "text/html; charset=utf-8", BROKEN_LINK_PAGE),
        }
        if route in simple:
            self._send(*simple[route])
        elif route == "/shared/child-d.pdf":  # as a file-sharing service answers its sharing link
            wants_file = ("dl", "1") in parse_qsl(urlsplit(self.path).query)
            self._send(*((200, "application/pdf", owner.pdf) if wants_file else
                         (200, "text/html; charset=utf-8", _page("<div id='preview'>Sign in to view</div>"))))
        elif route == "/flaky":
            self._send(*((500, "text/plain", b"oops") if count == 1 else (200, "application/pdf", owner.pdf)))
        elif route == "/busy":
            if count == 1:
                self._send(429, "text/plain", b"slow down", {"Retry-After": "0"})
            else:
                self._send(200, "application/pdf", owner.pdf)
        elif route == "/slow":
            owner.stopping.wait(owner.slow_seconds)
            self._send(200, "application/pdf", owner.pdf)
        elif route == "/truncated":
            self._send_raw(
                200, {"Content-Type": "application/pdf", "Content-Length": "5000"}, owner.pdf[:1200]
            )
        elif route == "/huge":
            self._send_raw(
                200, {"Content-Type": "application/pdf", "Content-Length": str(10 * 1024**3)}, b"%PDF-"
            )
        elif route == "/endless":
            self._send_endless()
        elif route == "/bad-location":  # a redirect to an address that is not one
            self._send_raw(302, {"Location": "http://[oops/x.pdf", "Content-Length": "0"}, b"")
        elif route == "/bad-gzip":  # says it is compressed, and is not
            self._send_raw(200, {"Content-Type": "application/pdf", "Content-Encoding": "gzip",
                                 "Content-Length": str(len(owner.pdf))}, owner.pdf)
        elif route == "/trickle":  # a few bytes at a time, never pausing long enough for a read time-out
            self._send_trickle()
        elif route.startswith(("/redirect-chain", "/redirect-loop", "/redirect/")):
            self._redirect(route)
        elif route.startswith("/elsewhere/"):  # sends the browser on to another site: 127.0.0.1 on that port
            port = int(route.rsplit("/", 1)[1])
            self._send(302, "text/plain", b"moved", {"Location": f"http://127.0.0.1:{port}/review.pdf"})
        elif route == "/etag":
            self._conditional(headers, etag=f'"v{owner.etag_version}"', body=owner.etag_body())
        elif route == "/last-modified":
            self._conditional(headers, etag=None, body=owner.pdf)
        elif route == "/concurrency":
            owner.stopping.wait(owner.concurrency_delay)
            self._send(200, "application/pdf", owner.pdf, {"ETag": f'"c{count}"'})
        else:
            self._send(404, "text/plain", b"no such route")

    def _redirect(self, route: str) -> None:
        targets = {
            "/redirect-chain": (302, "/redirect-chain/2"),
            "/redirect-chain/2": (301, "/pdf"),
            "/redirect-loop": (302, "/redirect-loop/b"),
            "/redirect-loop/b": (302, "/redirect-loop"),
        }
        if route.startswith("/redirect/"):
            remaining = int(route.rsplit("/", 1)[1])
            targets[route] = (302, f"/redirect/{remaining - 1}" if remaining > 1 else "/pdf")
        status, location = targets.get(route, (404, ""))
        if status == 404:
            self._send(404, "text/plain", b"no such route")
            return
        self._send(status, "text/plain", b"moved", {"Location": location})

    def _conditional(self, headers: dict[str, str], *, etag: str | None, body: bytes) -> None:
        extra = {"Last-Modified": email.utils.format_datetime(LAST_MODIFIED, usegmt=True)}
        if etag:
            extra["ETag"] = etag
        if etag and headers.get("if-none-match") == etag:
            self._send_raw(304, extra, b"")
            return
        since = headers.get("if-modified-since")
        if not etag and since and email.utils.parsedate_to_datetime(since) >= LAST_MODIFIED:
            self._send_raw(304, extra, b"")
            return
        self._send(200, "application/pdf", body, extra)

    # ------------------------------------------------------------------ writing responses

    def _send(self, status: int, content_type: str, body: bytes, extra: dict[str, str] | None = None) -> None:
        headers = {"Content-Type": content_type, "Content-Length": str(len(body)), **(extra or {})}
        self._send_raw(status, headers, body)

    def _send_raw(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self._leave_once()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def _send_trickle(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(self.owner.pdf)))
        self.end_headers()
        for start in range(0, len(self.owner.pdf), 16):
            if self.owner.stopping.wait(0.05):
                break
            self.wfile.write(self.owner.pdf[start:start + 16])
            self.wfile.flush()
        self.close_connection = True

    def _send_endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.end_headers()
        chunk = b"%PDF-1.4\n" + b"0" * (64 * 1024 - 9)
        sent = 0
        while sent < self.owner.endless_bytes and not self.owner.stopping.is_set():
            self.wfile.write(chunk)
            sent += len(chunk)
        self.close_connection = True
