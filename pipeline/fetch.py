"""Download (or copy) review documents into a content-addressed store.

A ``Fetcher`` turns a manifest ``source`` (http(s) URL or local path) into a blob
under ``store_dir/blobs/ab/abcdef...`` named by its sha256, so the same bytes are
kept once however many sources serve them. Downloads are streamed with a size cap,
retried with exponential back-off on transient failures, limited per host, and
made conditional (ETag / Last-Modified) so unchanged documents are not downloaded
again. A link to a web page about a review that links to one PDF gives that PDF
(``pipeline.landing`` finds the links). Every failure raises ``FetchError`` naming
the source, what happened and what to do. This module does not import Prefect:
flows call it.
"""

from __future__ import annotations

import datetime
import email.utils
import errno
import hashlib
import http
import json
import os
import re
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from pipeline import __version__
from pipeline.errors import FetchError, RunStopped, duration_text
from pipeline.filekinds import describe_non_pdf, sniff_kind, what_it_is
from pipeline.files import atomic_write, closest_file, same_file_any_accents
from pipeline.landing import PdfLink, choose_review, page_links
from pipeline.manifest import web_address_meant
from pipeline.sharelinks import direct_download, opens_a_page, sharing_page_problem, sharing_service

DEFAULT_USER_AGENT = (
    f"casereview/{__version__} (+https://github.com/casereview/casereview; case-review text mining)"
)
MAX_REDIRECTS = 5
# Cap on a server's Retry-After so one unfriendly header cannot stall a whole run.
MAX_RETRY_AFTER_S = 60.0
_CHUNK = 64 * 1024
_REDIRECT_CODES = {301, 302, 303, 307, 308}
_CACHE_FILE = "http_cache.json"
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
MAX_PAGE_BYTES = 5 * 1024 * 1024  # of a web page read for its PDF links
_LISTED_LINKS = 5


@dataclass
class FetchAttempt:
    """One try at fetching a source.

    Attributes
    ----------
    url : str
        URL requested last in this attempt (after any redirects), or the local path.
    attempt : int
        1 for the first try, 2 for the first retry, ...
    status_code : int or None
        HTTP status of the last response, None when there was none.
    error : str or None
        What went wrong, None when the attempt succeeded.
    elapsed_s : float
        Seconds the attempt took.
    at : datetime.datetime
        When the attempt started (UTC).
    """

    url: str
    attempt: int
    status_code: int | None
    error: str | None
    elapsed_s: float
    at: datetime.datetime


@dataclass
class FetchedDocument:
    """A document stored in the content-addressed store.

    Attributes
    ----------
    source : str
        The manifest source it came from.
    path : Path
        The stored blob (do not modify it).
    sha256 : str
        Hex sha256 of the bytes.
    size : int
        Size in bytes.
    kind : str
        What the bytes are, sniffed from their content: one of ``pipeline.filekinds.KINDS``.
    from_cache : bool
        True when a 304 Not Modified (or an unchanged local file) reused the stored blob.
    attempts : list of FetchAttempt
        Every try made.
    final_url : str or None
        URL the document was finally served from (after redirects); None for local files.
    via_page : str or None
        When the source is a web page about the review that links to its PDF, and that PDF was fetched
        instead: the page's URL. None otherwise.
    set_aside : tuple of str
        When that page also links to documents published beside the review (a briefing, an action plan),
        each of them described for a person ("a briefing: \"Learning briefing\" https://..."); else empty.
    """

    source: str
    path: Path
    sha256: str
    size: int
    kind: str
    from_cache: bool
    attempts: list[FetchAttempt]
    final_url: str | None = None
    via_page: str | None = None
    set_aside: tuple[str, ...] = ()


def describe_document_problem(document: FetchedDocument) -> str | None:
    """For a person: why a fetched document is not a review PDF, and what to do (None for a PDF).

    What the file is comes from ``pipeline.filekinds.describe_non_pdf`` (a Word document, a ZIP archive...).
    A local file that is a web page (a review's page saved from the browser, often under the PDF's name) is
    told apart from a link that gave one, and the PDFs it links to are named: the address to put in the
    manifest is often among them.
    """
    if document.kind == "pdf":
        return None
    if document.kind != "html" or document.final_url is not None:
        return describe_non_pdf(document.path, document.kind, local=document.final_url is None)
    links, downloads = _links_on_page(document.path, None)
    saved = "the file is a web page (saved from a browser), not a PDF"
    if len(links) == 1:
        return (f"{saved}. It links to one PDF, {_describe_link(links[0])}: put that address in the source "
                "column, or download the PDF and put its file name there")
    review, others = choose_review(links) if len(links) > 1 else (None, [])
    if review is not None:
        beside = "; ".join(_set_aside(others))
        return (f"{saved}. It links to {len(links)} PDFs; the review is {_describe_link(review)} (the others are "
                f"published beside it, {beside}): put that address in the source column, or download the PDF "
                "and put its file name there")
    if links:
        return (f"{saved}. It links to {len(links)} PDFs: {_listed(links)}. Find which one is the review itself "
                "and put its address in the source column")
    if downloads:
        return (f"{saved}. It has no link marked as a PDF; its download links are {_listed(downloads)}. Open the "
                "review's one in a browser, save the PDF it gives and put its file name in the source column")
    return (f"{saved}. Open the review's page in a browser, download the PDF itself (a link or button "
            "saying PDF or Download) and put its file name in the source column")


class _Failure(Exception):
    """One failed attempt (internal); ``retry`` says whether trying again may help."""

    def __init__(self, what: str, advice: str, *, retry: bool, status: int | None = None, url: str = "",
                 unreachable: bool = False):
        super().__init__(what)
        self.what = what
        self.advice = advice
        self.retry = retry
        self.status = status
        self.url = url
        self.unreachable = unreachable  # no connection could be made to the site (refused, or no such name)
        self.retry_after: float | None = None


@dataclass
class _Download:
    """Result of one successful HTTP attempt (internal)."""

    final_url: str
    status: int
    sha256: str | None = None
    size: int = 0
    tmp_path: Path | None = None
    validators: dict[str, str] = field(default_factory=dict)


class Fetcher:
    """Fetch manifest sources into a content-addressed store; safe to share between threads.

    Parameters
    ----------
    store_dir : Path
        Folder for blobs (``blobs/ab/<sha256>``) and the conditional-request cache.
    timeout : float
        Seconds allowed to connect and between received chunks.
    max_bytes : int
        Largest document accepted.
    max_seconds : float
        Longest one download may take (default 15 minutes): a server that sends a few bytes at a time, never
        pausing long enough for ``timeout``, would otherwise hold a worker for hours. Not retried.
    retries : int
        Extra tries after the first one for transient failures (5xx, 429, time-outs,
        dropped connections, truncated bodies); other 4xx are never retried.
    backoff : float
        Seconds before the first retry; doubled for each further retry.
    per_host_limit : int
        Most simultaneous requests to one host, across all threads using this Fetcher.
    user_agent : str
        Sent with every request, so site owners can see who is downloading.
    """

    def __init__(
        self,
        store_dir: Path,
        *,
        timeout: float = 30.0,
        max_bytes: int = 200 * 1024 * 1024,
        max_seconds: float = 900.0,
        retries: int = 3,
        backoff: float = 0.5,
        per_host_limit: int = 2,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        self.store_dir = Path(store_dir)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds
        self.retries = max(0, retries)
        self.backoff = backoff
        self.per_host_limit = max(1, per_host_limit)
        self.user_agent = user_agent
        self._blobs = self.store_dir / "blobs"
        self._tmp = self.store_dir / "tmp"
        self._cache_path = self.store_dir / _CACHE_FILE
        self._lock = threading.Lock()
        self._host_slots: dict[str, threading.BoundedSemaphore] = {}
        # Sites no connection could be made to on any try, this run: their other links are tried once, not
        # retried with pauses (a site that is down would otherwise cost each of its reviews seconds of waiting).
        self._unreachable: set[str] = set()
        self._cache: dict[str, dict[str, str]] | None = None
        self._client: httpx.Client | None = None
        # Set when the run is stopped: downloads and copies under way give up at their next chunk (RunStopped),
        # instead of holding the stopped run's process (and its database) for up to max_seconds.
        self._stopping = threading.Event()
        self._remove_abandoned_parts()

    def _remove_abandoned_parts(self) -> None:
        """Delete the part-files of downloads and copies that a stopped run left behind (a run killed
        mid-download leaves its ``.part``, up to ``max_bytes``, for good). Only files untouched for twice the
        time limit of a download, and at least an hour, go: another run using the same store may be writing
        the newer ones."""
        cutoff = time.time() - max(3600.0, 2 * self.max_seconds)
        try:
            parts = list(self._tmp.glob("*.part"))
        except OSError:
            return
        for part in parts:
            try:
                if part.stat().st_mtime < cutoff:
                    part.unlink()
            except OSError:
                continue

    # ------------------------------------------------------------------ public

    def fetch(
        self, source: str, *, base_dir: Path | None = None, expected_sha256: str | None = None
    ) -> FetchedDocument:
        """Fetch one source into the store.

        Parameters
        ----------
        source : str
            http(s) URL, or a local path (relative paths are resolved against ``base_dir``).
        base_dir : Path, optional
            Folder local paths are relative to (the manifest's folder); default: current folder.
        expected_sha256 : str, optional
            Checksum from the manifest; a mismatch raises ``FetchError``.

        Returns
        -------
        FetchedDocument
            The stored document. A non-PDF is returned, not rejected: check ``kind``
            (``describe_document_problem`` explains it to users). When a URL gives a web page that links to
            exactly one PDF, or to one review and documents published beside it (a briefing, an action plan:
            ``pipeline.landing.choose_review``), that PDF is fetched and returned (its ``via_page`` is the
            page, its ``set_aside`` the other documents). A page with no PDF link is searched the same way for
            download links that do not say their kind (``pipeline.landing.download_links``).
            A Google Drive or Dropbox sharing link is fetched from the address that gives the file itself
            (``pipeline.sharelinks``).

        Raises
        ------
        FetchError
            When the source cannot be fetched, is too large, or does not match
            ``expected_sha256``; or is a web page linking to several PDFs of which none is clearly the
            review (the error lists them), or a file-sharing service's page (SharePoint, OneDrive...).
            The tries made are in its ``attempts`` attribute.
        """
        source = source.strip()
        scheme = _SCHEME_RE.match(source)
        if scheme and scheme.group(1).lower() in ("http", "https"):
            direct = direct_download(source)  # a Google Drive or Dropbox sharing link: the file's own address
            if direct:
                try:
                    doc = replace(self._fetch_url(direct), source=source)
                except FetchError as exc:
                    raise _restated(exc, source, f"Could not fetch {source}: it is a {sharing_service(source)} "
                                                 f"sharing link, and the address that downloads its file failed. "
                                                 f"{exc}") from None
            else:
                try:
                    doc = self._fetch_url(source)
                except FetchError as exc:
                    if not opens_a_page(source):
                        raise
                    # it would not have given the PDF even had it been reached: say what would
                    what, advice = sharing_page_problem(sharing_service(source))
                    raise _restated(exc, source, f"{exc} Besides, {what}: {advice[0].lower()}{advice[1:]}") from None
            if doc.kind == "html":
                service = sharing_service(doc.final_url or source) or sharing_service(source)
                if service:  # a sharing service's page (or its sign-in): no PDF link on it to follow
                    raise _error(source, *sharing_page_problem(service), doc.attempts)
                doc = self._through_page(source, doc)
        elif scheme:  # needs 2+ letters, so a Windows drive such as C: is still a local path
            raise _error(
                source,
                f"the '{scheme.group(1)}:' scheme is not supported",
                "Use an http:// or https:// link, or a file path relative to the manifest's folder.",
                [],
            )
        else:
            doc = self._fetch_local(source, base_dir)
        self._check_sha256(doc, expected_sha256)
        return doc

    def stop(self) -> None:
        """Give up the downloads and copies under way (each raises ``RunStopped`` at its next chunk, or once a
        silent server's time-out passes) and start no more: the run was stopped."""
        self._stopping.set()

    def close(self) -> None:
        """Close the HTTP connections (the Fetcher can still be used; it reconnects)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:  # left by Ctrl+C, a SIGTERM or an error: the run is stopping
            self.stop()
        self.close()

    # ------------------------------------------------------------------ local files

    def _fetch_local(self, source: str, base_dir: Path | None) -> FetchedDocument:
        started, at = time.monotonic(), _now()
        path = Path(source).expanduser()
        if not path.is_absolute():
            path = Path(base_dir or Path.cwd()) / path
        try:
            path = same_file_any_accents(path.resolve())
        except (RuntimeError, OSError):  # Path.resolve: "Symlink loop from ..."; a name too long to resolve
            path = Path(os.path.abspath(path))  # (opening it says which)
        try:
            sha, size, tmp = self._copy_to_tmp(path)
        except FileNotFoundError:
            attempt = FetchAttempt(str(path), 1, None, "file not found", time.monotonic() - started, at)
            meant = web_address_meant(source)
            near = None if meant else closest_file(path)
            raise _error(
                source,
                f"file not found: {path}",
                f"It looks like a web address without https:// in front: write {meant} in the source column."
                if meant else f"Its folder has {near}: if that is it, put that name in the source column."
                if near else "Check the manifest's source column (local paths are relative to the manifest's "
                "folder) and that the file is there.",
                [attempt],
            ) from None
        except _Failure as failure:
            attempt = FetchAttempt(str(path), 1, None, failure.what, time.monotonic() - started, at)
            raise _error(source, failure.what, failure.advice, [attempt]) from None
        blob, existed = self._store_blob(tmp, sha)
        attempt = FetchAttempt(str(path), 1, None, None, time.monotonic() - started, at)
        return self._document(source, blob, sha, size, from_cache=existed, attempts=[attempt])

    def _copy_to_tmp(self, path: Path) -> tuple[str, int, Path]:
        """Copy the local file at ``path`` into the store's temporary folder (as ``_spool``). What keeps the file
        from being opened is a ``_Failure`` of that review; what keeps the store from being written (a full disk)
        is raised as it is, for it would stop every review."""
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise
        except OSError as exc:  # a link that leads round in a loop, a name too long, a file where a folder is
            raise _Failure(*_cannot_open(path, exc), retry=False) from None
        if stat.S_ISDIR(mode):
            raise _Failure(
                f"{path} is a folder, not a file",
                "Put the path of the review PDF in the source column.",
                retry=False,
            )
        if not stat.S_ISREG(mode):  # a named pipe or a device: reading it could wait for ever
            raise _Failure(
                f"{path} is not a file but a {'named pipe' if stat.S_ISFIFO(mode) else 'device or socket'}",
                "Put the path of the review PDF itself in the source column.",
                retry=False,
            )
        try:
            fh = path.open("rb")
        except PermissionError:
            raise _Failure(
                f"permission denied reading {path}", "Check you are allowed to open the file.", retry=False
            ) from None
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise _Failure(*_cannot_open(path, exc), retry=False) from None
        with fh:
            return self._spool(iter(lambda: fh.read(_CHUNK), b""), str(path))

    # ------------------------------------------------------------------ HTTP

    def _fetch_url(self, url: str) -> FetchedDocument:
        attempts: list[FetchAttempt] = []
        failure: _Failure | None = None
        host = _host(url)
        known_down = host in self._unreachable
        for number in range(1, (1 if known_down else self.retries + 1) + 1):
            if failure is not None and self._stopping.wait(self._delay(number, failure)):
                raise RunStopped(url)
            if self._stopping.is_set():
                raise RunStopped(url)
            started, at = time.monotonic(), _now()
            try:
                download = self._attempt(url)
            except _Failure as exc:
                failure = exc
                attempts.append(
                    FetchAttempt(exc.url or url, number, exc.status, exc.what, time.monotonic() - started, at)
                )
                if not exc.retry:
                    break
                continue
            attempts.append(
                FetchAttempt(
                    download.final_url, number, download.status, None, time.monotonic() - started, at
                )
            )
            self._unreachable.discard(host)
            return self._finish(url, download, attempts)
        assert failure is not None
        what = failure.what
        if failure.url and _host(failure.url) != host:  # a link that sends the browser on to another site
            what += f" at {failure.url}, where the link leads"
        if failure.unreachable and known_down:
            what += (f" (tried once: {host} could not be reached earlier in this run either, so it was not "
                     "tried again and again)")
        elif failure.retry and len(attempts) > 1:
            what += f" (tried {len(attempts)} times)"
        if failure.unreachable and failure.url and _host(failure.url) == host:
            self._unreachable.add(host)
        raise _error(url, what, failure.advice, attempts)

    def _through_page(self, source: str, page: FetchedDocument) -> FetchedDocument:
        """The PDF a web page links to, when it links to exactly one, or to one review beside documents
        published with it; else the page itself (no PDF link), or an error listing the links."""
        page_url = page.final_url or source
        links, downloads = _links_on_page(page.path, page_url)
        unmarked = not links  # then only downloads that do not say their kind, if any
        if unmarked:
            links = downloads
        if not links:
            return page
        # A download that does not say its kind is taken only when its words say it is the review, even alone
        link, others = choose_review(links) if len(links) > 1 or unmarked else (links[0], [])
        if link is None:
            if not unmarked:
                what = f"links to {len(links)} PDFs, not a PDF"
            elif len(links) == 1:
                what = "has no link marked as a PDF, and its one download link does not say it is the review"
            else:
                what = f"has no link marked as a PDF, and none of its {len(links)} download links is plainly the review"
            raise _error(
                source,
                f"the source is a web page that {what} ({_listed(links)})",
                "Open the page, find which PDF is the review itself and put its link in the manifest's "
                "source column.",
                page.attempts,
            )
        try:
            doc = self._fetch_url(link.url)
        except FetchError as exc:
            err = FetchError(f"Could not fetch {source}: it is a web page, and the PDF it links to failed. {exc}")
            err.attempts = page.attempts + _after(page.attempts, exc.attempts)  # type: ignore[attr-defined]
            err.source = source  # type: ignore[attr-defined]
            raise err from None
        if unmarked and doc.kind != "pdf":
            # a guess that gave something else: the page stays what the source gave, and the error says both
            raise _error(
                source,
                f"the source is a web page with no link marked as a PDF; its download link {_describe_link(link)} "
                f"gave {what_it_is(doc.path) or 'no PDF'}, not a PDF",
                "Open the page, find the review PDF and put its link in the manifest's source column (a review "
                "published only in another form: download it and save it as a PDF).",
                page.attempts + _after(page.attempts, doc.attempts),
            )
        return replace(doc, source=source, attempts=page.attempts + _after(page.attempts, doc.attempts),
                       via_page=page_url, set_aside=_set_aside(others))

    def _delay(self, number: int, failure: _Failure) -> float:
        delay = self.backoff * 2 ** (number - 2)
        if failure.retry_after is not None:
            delay = max(delay, min(failure.retry_after, MAX_RETRY_AFTER_S))
        return delay

    def _finish(self, url: str, download: _Download, attempts: list[FetchAttempt]) -> FetchedDocument:
        if download.tmp_path is None:  # 304 Not Modified: _attempt checked the blob is still stored
            sha = self._cache_entry(url)["sha256"]
            blob = self._blob_path(sha)
            _mark_used(blob)
            return self._document(url, blob, sha, blob.stat().st_size, True, attempts, download.final_url)
        assert download.sha256 is not None
        blob, _ = self._store_blob(download.tmp_path, download.sha256)
        self._remember(url, download)
        return self._document(url, blob, download.sha256, download.size, False, attempts, download.final_url)

    def _attempt(self, url: str) -> _Download:
        """Make one try, following up to MAX_REDIRECTS redirects by hand so each hop's host is limited."""
        conditional = self._conditional_headers(url)
        current, seen = url, [url]
        while True:
            download = self._request(current, conditional)
            if download.status == 304 and not self._conditional_headers(url):
                # The stored copy vanished after we asked (store cleaned by hand?): ask again plainly.
                conditional = {}
                continue
            if download.status not in _REDIRECT_CODES:
                return download
            target = download.validators["location"]
            if target in seen:
                raise _Failure(
                    f"redirect loop ({' -> '.join(seen + [target])})",
                    "The web site keeps sending the request round in a circle: open the link in a browser, "
                    "find the PDF's address and put it in the manifest.",
                    retry=False,
                    status=download.status,
                    url=current,
                )
            if len(seen) > MAX_REDIRECTS:
                raise _Failure(
                    f"too many redirects (more than {MAX_REDIRECTS})",
                    "Open the link in a browser, copy the PDF's final address and put it in the manifest.",
                    retry=False,
                    status=download.status,
                    url=current,
                )
            seen.append(target)
            current = target

    def _request(self, url: str, conditional: dict[str, str]) -> _Download:
        with self._host_slot(_host(url)):
            try:
                with self._http().stream("GET", url, headers=conditional) as response:
                    return self._handle_response(url, response, bool(conditional))
            except httpx.TimeoutException:
                raise _Failure(
                    f"timed out after {self.timeout:g} s",
                    "The web site is slow or not answering: try again later, or download the PDF in a "
                    "browser and put its file name in the source column.",
                    retry=True,
                    url=url,
                ) from None
            except (httpx.ConnectError, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
                raise _Failure(
                    f"connection failed ({_short(exc)})",
                    "Check the address and your internet connection, then try again.",
                    retry=True,
                    url=url,
                    unreachable=isinstance(exc, httpx.ConnectError),
                ) from None
            except httpx.DecodingError as exc:  # the same answer, decoded the same way, each time: not retried
                raise _Failure(
                    f"the site sent the file compressed in a way that cannot be undone ({_short(exc)}): its web "
                    "server is set up wrongly",
                    "Download the PDF in a browser and put its file name in the source column, or tell the site's "
                    "owner.",
                    retry=False,
                    url=url,
                ) from None
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise _Failure(
                    f"not a valid web address ({_short(exc)})",
                    "Correct the link in the manifest's source column.",
                    retry=False,
                    url=url,
                ) from None
            except httpx.HTTPError as exc:
                raise _Failure(
                    f"download failed ({type(exc).__name__}: {_short(exc)})",
                    "Try again later; if it keeps failing, download the PDF in a browser.",
                    retry=True,
                    url=url,
                ) from None

    def _handle_response(self, url: str, response: httpx.Response, conditional: bool) -> _Download:
        status = response.status_code
        if status in _REDIRECT_CODES and "location" in response.headers:
            try:
                target = urljoin(url, response.headers["location"])
                urlsplit(target)  # (checks what urljoin may pass on unchecked)
            except ValueError:
                raise _Failure(
                    f"the site redirects to {response.headers['location']!r}, which is not a valid web address",
                    "The web site is sending the request nowhere: open the link in a browser, find the PDF's "
                    "address and put it in the manifest, or download the PDF and put its file name there.",
                    retry=False,
                    status=status,
                    url=url,
                ) from None
            return _Download(final_url=url, status=status, validators={"location": target})
        if status == 304 and conditional:
            return _Download(final_url=url, status=status)
        if not 200 <= status < 300 or status == 204:
            raise _status_failure(url, response)
        return self._receive_body(url, response)

    def _receive_body(self, url: str, response: httpx.Response) -> _Download:
        declared = _content_length(response)
        if declared is not None and declared > self.max_bytes:
            raise self._too_large(url, declared)
        try:
            sha, size, tmp = self._spool(response.iter_bytes(), url, deadline=time.monotonic() + self.max_seconds)
        except httpx.RemoteProtocolError:
            # The server closed the connection before sending everything it announced.
            raise self._truncated(url, response.num_bytes_downloaded, declared) from None
        identity = response.headers.get("content-encoding", "identity").lower() in ("", "identity")
        if declared is not None and identity and size != declared:
            tmp.unlink(missing_ok=True)
            raise self._truncated(url, size, declared)
        return _Download(
            final_url=url,
            status=response.status_code,
            sha256=sha,
            size=size,
            tmp_path=tmp,
            validators=_validators(response),
        )

    def _truncated(self, url: str, received: int, declared: int | None) -> _Failure:
        of = f" of {declared}" if declared is not None else ""
        return _Failure(
            f"response truncated: {received}{of} bytes",
            "The connection dropped part-way: try again later.",
            retry=True,
            status=200,
            url=url,
        )

    def _too_large(self, url: str, size: int | None) -> _Failure:
        got = f" ({_mb(size)})" if size is not None else ""
        return _Failure(
            f"larger than the {_mb(self.max_bytes)} limit{got}",
            "Check the link really is the review document; if it is, download it in a browser and put its "
            "file name in the source column.",
            retry=False,
            status=200,
            url=url,
        )

    def _too_slow(self, url: str, received: int) -> _Failure:
        return _Failure(
            f"the download was stopped after {duration_text(self.max_seconds)} ({_mb(received)} received): the server "
            "is sending very slowly",
            "Try again later, or download the PDF in a browser and put its file name in the source column.",
            retry=False,
            status=200,
            url=url,
        )

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=httpx.Timeout(self.timeout),
                    follow_redirects=False,  # followed by hand: see _attempt
                    headers={"User-Agent": self.user_agent},
                )
            return self._client

    def _host_slot(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            slot = self._host_slots.get(host)
            if slot is None:
                slot = self._host_slots[host] = threading.BoundedSemaphore(self.per_host_limit)
            return slot

    # ------------------------------------------------------------------ conditional-request cache

    def _load_cache(self) -> dict[str, dict[str, str]]:
        if self._cache is None:
            self._cache = _read_cache(self._cache_path)
        return self._cache

    def _cache_entry(self, url: str) -> dict[str, str]:
        with self._lock:
            return dict(self._load_cache().get(url, {}))

    def _conditional_headers(self, url: str) -> dict[str, str]:
        entry = self._cache_entry(url)
        # Only ask "has it changed?" when we still hold the bytes a 304 would point to.
        if not entry.get("sha256") or not self._blob_path(entry["sha256"]).is_file():
            return {}
        headers = {}
        if entry.get("etag"):
            headers["If-None-Match"] = entry["etag"]
        if entry.get("last_modified"):
            headers["If-Modified-Since"] = entry["last_modified"]
        return headers

    def _remember(self, url: str, download: _Download) -> None:
        entry = {"sha256": download.sha256 or "", "final_url": download.final_url, **download.validators}
        with self._lock:
            cache = self._load_cache()
            if download.validators:
                cache[url] = entry
            elif cache.pop(url, None) is None:
                return
            atomic_write(
                self._cache_path, json.dumps(cache, indent=1, sort_keys=True).encode(), self.store_dir
            )

    # ------------------------------------------------------------------ content-addressed store

    def _spool(self, chunks: Iterator[bytes], label: str, deadline: float | None = None) -> tuple[str, int, Path]:
        """Write chunks to a temp file in the store, hashing and enforcing max_bytes (and, for a download, the
        ``deadline`` on ``time.monotonic()``) on the way."""
        self._tmp.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, name = tempfile.mkstemp(dir=self._tmp, suffix=".part")
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    if self._stopping.is_set():
                        raise RunStopped(label)
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise self._too_large(label, None)
                    digest.update(chunk)
                    out.write(chunk)
                    if deadline is not None and time.monotonic() > deadline:
                        raise self._too_slow(label, size)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return digest.hexdigest(), size, tmp

    def _blob_path(self, sha: str) -> Path:
        return blob_path(self.store_dir, sha)

    def _store_blob(self, tmp: Path, sha: str) -> tuple[Path, bool]:
        """Move a spooled file into place; return (blob path, whether those bytes were already stored)."""
        blob = self._blob_path(sha)
        if blob.is_file():
            tmp.unlink(missing_ok=True)
            _mark_used(blob)
            return blob, True
        blob.parent.mkdir(parents=True, exist_ok=True)
        # Same directory tree (same filesystem), so the rename is atomic: readers never see half a blob.
        os.replace(tmp, blob)
        return blob, False

    def _document(
        self,
        source: str,
        blob: Path,
        sha: str,
        size: int,
        from_cache: bool,
        attempts: list[FetchAttempt],
        final_url: str | None = None,
    ) -> FetchedDocument:
        with blob.open("rb") as fh:
            kind = sniff_kind(fh.read(1024))
        return FetchedDocument(source, blob, sha, size, kind, from_cache, attempts, final_url)

    def _check_sha256(self, doc: FetchedDocument, expected: str | None) -> None:
        if expected and expected.strip().lower() != doc.sha256:
            web = any(a.status_code is not None for a in doc.attempts)  # a local file's copy has no HTTP status
            raise _error(
                doc.source,
                f"the manifest checksum does not match {'the downloaded bytes' if web else 'the file'} "
                f"(manifest sha256 {expected.strip()}, {'downloaded' if web else 'the file'} {doc.sha256})",
                "The document may have been replaced: check it, then update the sha256 column "
                "(or empty it to accept the new document).",
                doc.attempts,
            )


# ---------------------------------------------------------------------- helpers


def _cannot_open(path: Path, exc: OSError) -> tuple[str, str]:
    """(what, advice) for a local file the system would not open, by why."""
    if exc.errno == errno.ELOOP:
        return (f"{path} is a symbolic link that leads round in a loop to itself",
                "Put the path of the review PDF itself in the source column.")
    if exc.errno == errno.ENAMETOOLONG:
        return (f"cannot open {path} (its name is too long for this system)",
                "Give the file, or its folders, shorter names, and put the new path in the source column.")
    return (f"cannot open {path} ({(exc.strerror or str(exc)).lower()})",
            "Check the file's name and folders in the source column, and that the file can be opened.")


def _mark_used(blob: Path) -> None:
    """Record that a fetch used this copy now (its modification time), so ``sweep_unused_copies`` keeps it."""
    try:
        os.utime(blob)
    except OSError:
        pass


def blob_path(store_dir: Path, sha: str) -> Path:
    """Where the store keeps the bytes with this SHA-256 (hex)."""
    return Path(store_dir) / "blobs" / sha[:2] / sha


_CHECKSUM = re.compile(r"[0-9a-f]{64}")  # how the store names a copy: its SHA-256 in hex
UNUSED_COPY_AGE_S = 24 * 3600  # a copy nothing refers to is deleted once it has not been used for this long


def sweep_unused_copies(store_dir: Path, keep: set[str], older_than_s: float = UNUSED_COPY_AGE_S
                        ) -> tuple[int, int]:
    """Delete the store's copies that neither ``keep`` (the checksums of the documents the database was read
    from) nor the conditional-request cache refers to, and that no fetch has used for ``older_than_s``
    seconds: earlier versions of PDFs that have changed since, and web pages no longer followed. Return how
    many copies were deleted and their bytes.

    A fetch marks a copy as used (its modification time) whenever it stores or reuses it, so a copy another
    run, reading the same database at the same time, has just fetched and not yet recorded is kept."""
    blobs = Path(store_dir) / "blobs"
    if not blobs.is_dir():
        return 0, 0
    keep = keep | _cached_checksums(Path(store_dir))
    cutoff = time.time() - older_than_s
    deleted = size = 0
    for path in blobs.glob("??/*"):
        if path.name in keep or not _CHECKSUM.fullmatch(path.name):
            continue
        try:
            info = path.stat()
            if info.st_mtime > cutoff:
                continue
            path.unlink()
        except OSError:  # gone already, or not ours to delete: left alone
            continue
        deleted += 1
        size += info.st_size
    return deleted, size


def _read_cache(path: Path) -> dict[str, dict[str, str]]:
    """The conditional-request cache (URL -> its validators and checksum). Only an optimisation: a missing or
    damaged cache is an empty one, which means downloading again."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _cached_checksums(store_dir: Path) -> set[str]:
    """The checksums the conditional-request cache points to (the bytes a "not modified" answer reuses)."""
    return {entry.get("sha256", "") for entry in _read_cache(store_dir / _CACHE_FILE).values()
            if isinstance(entry, dict)}


def remove_copies(store_dir: Path, checksums: list[str]) -> int:
    """Delete the store's copies of the documents with these SHA-256 checksums (a review taken out of the
    database); return how many were there. Anything that is not a checksum is ignored."""
    removed = 0
    for sha in checksums:
        if not _CHECKSUM.fullmatch(sha or ""):
            continue
        path = blob_path(store_dir, sha)
        if path.is_file():
            path.unlink()
            removed += 1
    return removed


def _host(url: str) -> str:
    """The site of a web address, as connections are counted ("example.org:8080")."""
    return (urlsplit(url).netloc or url).lower()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _restated(exc: FetchError, source: str, message: str) -> FetchError:
    """``exc`` said another way (``message``), for ``source``, with its tries."""
    return _error_from(message, source, getattr(exc, "attempts", []))


def _error_from(message: str, source: str, attempts: list[FetchAttempt]) -> FetchError:
    err = FetchError(message)
    err.attempts = list(attempts)  # type: ignore[attr-defined]
    err.source = source  # type: ignore[attr-defined]
    return err


def _error(source: str, what: str, advice: str, attempts: list[FetchAttempt]) -> FetchError:
    return _error_from(f"Could not fetch {source}: {what}. {advice}", source, attempts)


def _set_aside(others: list[tuple[PdfLink, str]]) -> tuple[str, ...]:
    """The documents a page offers beside the review, each as "a briefing: \"Briefing\" https://..."."""
    return tuple(f"{kind}: {_describe_link(other)}" for other, kind in others)


def _describe_link(link: PdfLink) -> str:
    return f'"{link.text}" {link.url}' if link.text else link.url


def _listed(links: list[PdfLink]) -> str:
    """The first few links described, and how many more."""
    shown = "; ".join(_describe_link(link) for link in links[:_LISTED_LINKS])
    return shown + (f"; and {len(links) - _LISTED_LINKS} more" if len(links) > _LISTED_LINKS else "")


# What browsers write at the top of a page they save: <!-- saved from url=(0042)https://example.org/... -->
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(https?://[^\s>]+?)\s*-->", re.IGNORECASE)


def _links_on_page(path: Path, page_url: str | None) -> tuple[list[PdfLink], list[PdfLink]]:
    """The PDFs the web page stored at ``path`` (its first 5 MB) links to, and its download links that do not
    say their kind (``pipeline.landing.page_links``). Relative links are resolved against ``page_url``; for a
    page saved from a browser (None), against the address it says it was saved from, and without one only links
    written as whole addresses count."""
    with Path(path).open("rb") as fh:
        html = fh.read(MAX_PAGE_BYTES).decode("utf-8", errors="replace")
    if page_url is None:
        saved_from = _SAVED_FROM.search(html[:4096])
        page_url = saved_from.group(1) if saved_from else ""
    return page_links(html, page_url)


def _after(earlier: list[FetchAttempt], attempts: list[FetchAttempt]) -> list[FetchAttempt]:
    """Number ``attempts`` on from ``earlier`` (tries at the page, then at the PDF it links to)."""
    return [replace(a, attempt=len(earlier) + a.attempt) for a in attempts]


def _status_failure(url: str, response: httpx.Response) -> _Failure:
    status = response.status_code
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = response.reason_phrase or "error"
    what = f"HTTP {status} {phrase}"
    if status in (404, 410):
        advice = (
            "The document is no longer at this address: find its new location (the partnership's web site "
            "or the NSPCC national case review repository) and update the source column."
        )
    elif status in (401, 403):
        advice = (
            "The site refused access (it may block automated downloads): download the PDF in a browser, "
            "save it next to the manifest and put its file name in the source column."
        )
    elif status == 429 or status >= 500:
        advice = "The web site is busy or having problems: try again later."
    else:
        advice = "Open the link in a browser to check it, and correct the source column."
    failure = _Failure(what, advice, retry=status == 429 or status >= 500, status=status, url=url)
    failure.retry_after = _retry_after(response.headers.get("retry-after"))
    return failure


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - _now()).total_seconds())


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


def _validators(response: httpx.Response) -> dict[str, str]:
    found = {}
    if response.headers.get("etag"):
        found["etag"] = response.headers["etag"]
    if response.headers.get("last-modified"):
        found["last_modified"] = response.headers["last-modified"]
    return found


def _mb(size: int) -> str:
    """Human size in binary units, as users see it in their file manager ("200 MB")."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.4g} {unit}"
    return f"{size} bytes"


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


