"""Find the PDF documents a web page links to (a review's page on a partnership's site or a repository).

Manifests are often filled in by copying the address of the page *about* a review rather than of the PDF
itself. The fetcher uses this module to see which PDFs such a page offers: a link counts as one when its
address ends in ``.pdf``, when it is marked ``type="application/pdf"``, or when its text, title or image
says PDF (sites write "Download (PDF, 1.2 MB)" next to addresses like ``/downloads/file/123``). Links in the
parts every page of a site shares (``<nav>``, ``<header>``, ``<footer>``: "Privacy notice (PDF)") do not
count. A PDF shown inside the page (an ``<iframe>``, ``<embed>`` or ``<object>`` whose address ends in ``.pdf``,
or a PDF viewer's ``viewer.html?file=...pdf``) counts as a link to it. A page that redirects with
``<meta http-equiv="refresh">`` gives its target as the only link. A page with none of these may still offer
the review as a download that does not say its kind (:func:`download_links`).

A review's page often links to documents published beside the review as well: a learning briefing, an
executive summary, an action plan, a Welsh version. :func:`choose_review` picks the review among them when
exactly one link looks like a review and every other link is named as one of those.

>>> page = '<p>Read <a href="docs/Child-D.pdf">the review (PDF, 1 MB)</a> or <a href="/news">news</a></p>'
>>> pdf_links(page, "https://example.org/reviews/child-d")
[PdfLink(url='https://example.org/reviews/docs/Child-D.pdf', text='the review (PDF, 1 MB)')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, unquote, urldefrag, urljoin, urlsplit

_PDF_WORD = re.compile(r"\bpdf\b", re.IGNORECASE)
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\"]+)", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
# Words that name a document published beside a review rather than the review itself, with what to call it.
_COMPANIONS = (
    (r"(?:7|seven)[ -]?minute|briefings?|brief|learning (?:note|summary)|one[ -]page", "a briefing"),
    (r"(?:executive |public )?summary|summaries|overview of learning", "a summary"),
    (r"action plans?|(?:management|partnership|agency|agencies|board|multi-agency|formal) response|"
     r"responses? to (?:the )?(?:review|recommendations|findings)", "an action plan or response"),
    (r"easy[ -]?read|leaflets?|posters?|infographics?|flyers?|fact ?sheets?|podcasts?|transcripts?|"
     r"presentations?|slides|webinars?|newsletters?|press (?:release|statement)", "a leaflet or presentation"),
    (r"cymraeg|welsh(?: language)? (?:version|translation)|in welsh|welsh(?=\))|fersiwn|adolygiad", "a Welsh version"),
    (r"appendix|appendices|annex(?:es)?|terms of reference|glossary|letter|annual report|privacy notice|"
     r"accessibility|consent form", "an appendix or other document"),
)
_COMPANION_RES = tuple((re.compile(rf"\b(?:{words})\b", re.IGNORECASE), kind) for words, kind in _COMPANIONS)
# Words that say a link is a review (its title, or its file name).
_REVIEW_WORDS = re.compile(r"\b(?:reviews?|report|overview|cspr|lcspr|scr|cpr|cmr|serious case|child|children|"
                           r"baby|infant|siblings?|young person)\b", re.IGNORECASE)
# What says a link offers a file to download without naming its kind (see download_links).
_DOWNLOAD_FOLDERS = frozenset({"download", "downloads", "file", "files", "attachment", "attachments",
                               "filetransfer", "getfile"})
_DOWNLOAD_WORD = re.compile(r"\bdownload\b", re.IGNORECASE)
_OTHER_FILE = re.compile(r"\.(?:docx?|xlsx?|pptx?|od[tsp]|rtf|txt|csv|zip|jpe?g|png|gif|mp[34]|html?|aspx?|php)$",
                         re.IGNORECASE)
# Where words written joined up in a file name meet: "ChildA|Overview", "Child|A", "2019|Child", "7|Minute".
_JOINED = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
# Parts of a page that every page of the site shares: their links ("Privacy notice (PDF)") are not the review's.
_CHROME = frozenset({"nav", "header", "footer"})


@dataclass(frozen=True)
class PdfLink:
    """A link to a PDF on a web page.

    Attributes
    ----------
    url : str
        Absolute address (fragment removed).
    text : str
        What the page says on the link (its text, else its title or image description), spaces tidied.
    """

    url: str
    text: str


def pdf_links(html: str, base_url: str) -> list[PdfLink]:
    """List the PDFs a web page links to, in page order, each address once.

    Parameters
    ----------
    html : str
        The page's HTML.
    base_url : str
        The page's address, for relative links (a ``<base href>`` in the page takes precedence).

    Returns
    -------
    list of PdfLink
        Only links to http(s) addresses other than the page itself. When the page redirects with a meta
        refresh, that target alone.
    """
    return page_links(html, base_url)[0]


def page_links(html: str, base_url: str) -> tuple[list[PdfLink], list[PdfLink]]:
    """What :func:`pdf_links` and :func:`download_links` give, from one reading of the page."""
    refresh, links = _resolved_links(html, base_url)
    if refresh is not None:
        return [refresh], []
    return _pdf_links(links), _download_links(links)


def _pdf_links(links: list[_Link]) -> list[PdfLink]:
    found: dict[str, tuple[str, bool]] = {}
    for link in links:
        if not link.says_pdf:
            continue
        if link.url not in found or (link.text and not found[link.url][1]):
            # the first link may be an icon, the next the words
            found[link.url] = (link.text or link.title, bool(link.text))
    return [PdfLink(url, text) for url, (text, _) in found.items()]


def download_links(html: str, base_url: str) -> list[PdfLink]:
    """Links that offer a file to download without saying what kind: the fallback when a page has no PDF link.

    Council and partnership sites often link a review as ``/downloads/file/1234/child-d-review`` with the
    words "Child D review" and the file type set outside the link, or mark a link with ``download``. Such
    a link counts when it has the ``download`` attribute, a path through a folder named download(s), file(s),
    attachment(s) or filetransfer, or the word "download" in its words, and its address does not end in the
    extension of another kind of file (``.docx``, ``.zip``...). Links in the site's menus, header and footer do
    not count. What such a link gives is only known once it is fetched.

    >>> page = ('<p><a href="/downloads/file/12/child-d-review">Child D review</a> (PDF, 1 MB)'
    ...         ' <a href="/downloads/file/13/child-d.docx">Word version</a> <a href="/news">News</a></p>')
    >>> download_links(page, "https://council.example/reviews")
    [PdfLink(url='https://council.example/downloads/file/12/child-d-review', text='Child D review')]
    """
    return page_links(html, base_url)[1]


def _download_links(links: list[_Link]) -> list[PdfLink]:
    found: dict[str, str] = {}
    for link in links:
        if link.says_pdf or link.embedded or _OTHER_FILE.search(urlsplit(link.url).path):
            continue
        folders = {part.lower() for part in urlsplit(link.url).path.split("/")[:-1]}
        if link.download or folders & _DOWNLOAD_FOLDERS or _DOWNLOAD_WORD.search(f"{link.text} {link.title}"):
            found.setdefault(link.url, link.text or link.title)
    return [PdfLink(url, text) for url, text in found.items()]


@dataclass(frozen=True)
class _Link:
    url: str
    text: str
    title: str
    says_pdf: bool  # the address ends in .pdf, or the type, words or image say PDF
    download: bool  # marked with the download attribute
    embedded: bool  # an <iframe>, <embed> or <object> showing the file in the page


def _resolved_links(html: str, base_url: str) -> tuple[PdfLink | None, list[_Link]]:
    """The page's meta-refresh target (or None) and its links outside the site's shared parts, as absolute
    http(s) addresses other than the page itself, in page order. A link to a PDF viewer (``viewer.html?file=
    /docs/review.pdf``) is taken as a link to the PDF it shows."""
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    base = (_joined(base_url, parser.base) or base_url) if parser.base else base_url
    page = urldefrag(base_url).url
    if parser.refresh:
        target = _joined(base, parser.refresh)
        if target and _is_web(target) and target != page:
            return PdfLink(target, ""), []
    links = []
    for href, kind, text, title, download, embedded in parser.links:
        url = _joined(base, href)
        if url is None:  # not an address at all ("http://[oops/r.pdf"): a link no browser could follow either
            continue
        shown = _viewed_file(url)
        if shown:
            url = shown
        if not _is_web(url) or url == page:
            continue
        says_pdf = _ends_in_pdf(url) or "pdf" in kind.lower() or (
            not embedded and bool(_PDF_WORD.search(f"{text} {title}")))
        links.append(_Link(url, text, title, says_pdf, download, embedded))
    return None, links


def _joined(base: str, href: str) -> str | None:
    """``href`` read against the page's address, without its #fragment; None when it is no valid address.

    >>> _joined("https://example.org/a/page.html", "../r.pdf#p2"), _joined("https://example.org/", "http://[oops/")
    ('https://example.org/r.pdf', None)
    """
    try:
        return urldefrag(urljoin(base, href)).url
    except ValueError:
        return None


def _viewed_file(url: str) -> str | None:
    """The PDF a viewer's address shows (``.../viewer.html?file=%2Fdocs%2Fchild-d.pdf``), or None."""
    for name, value in parse_qsl(urlsplit(url).query):
        shown = _joined(url, value) if name.lower() == "file" else None
        if shown and _ends_in_pdf(shown):
            return quote(shown, safe=":/?#[]@!$&'()*+,;=%~")  # spaces as %20
    return None


def link_words(link: PdfLink) -> str:
    """What a link says about its document: its text, then its file name with separators made spaces.

    >>> link_words(PdfLink("https://example.org/docs/Child_D-7-minute-briefing%20v2.pdf", "Download (PDF)"))
    'Download (PDF) Child D 7 minute briefing v 2'

    A name written in joined-up capitals (a repository's ``2019ChildAOverviewReport.pdf``) is split into words:

    >>> link_words(PdfLink("https://example.org/files/2019ChildAOverviewReport.pdf", ""))
    '2019 Child A Overview Report'
    """
    name = unquote(urlsplit(link.url).path.rstrip("/").rpartition("/")[2])
    name = re.sub(r"\.pdf$", "", name, flags=re.IGNORECASE)
    name = _JOINED.sub(" ", re.sub(r"[_.+-]+", " ", name))
    return _tidy(f"{link.text} {name}")


def companion_kind(link: PdfLink) -> str | None:
    """What kind of document published beside a review the link names ("a briefing", "a summary"...), or None
    when its words name none of them.

    >>> companion_kind(PdfLink("https://example.org/files/12", "Child D: 7-minute briefing"))
    'a briefing'
    >>> companion_kind(PdfLink("https://example.org/child-d-overview-report.pdf", "Overview report")) is None
    True
    """
    words = link_words(link)
    return next((kind for pattern, kind in _COMPANION_RES if pattern.search(words)), None)


def choose_review(links: list[PdfLink]) -> tuple[PdfLink | None, list[tuple[PdfLink, str]]]:
    """The review among the PDFs a review's page links to, and the others with what each was taken for.

    A link is chosen only when it is the one link whose words (text or file name) name no companion
    document (a briefing, a summary, an action plan or response, a leaflet, a Welsh version, an appendix),
    and they do say it is a review or report (or name a child). Anything else (several candidates, none, or
    one that does not say what it is) gives None, and the caller should ask the person to choose: a wrong
    guess would put another document's text in the database under the review's name.

    >>> review, others = choose_review([PdfLink("https://x.org/child-d.pdf", "Child D: full review"),
    ...                                 PdfLink("https://x.org/files/12", "Learning briefing (PDF)"),
    ...                                 PdfLink("https://x.org/files/13", "Action plan (PDF)")])
    >>> review.text
    'Child D: full review'
    >>> [kind for link, kind in others]
    ['a briefing', 'an action plan or response']
    >>> choose_review([PdfLink("https://x.org/a.pdf", "Child A review"),
    ...                PdfLink("https://x.org/b.pdf", "Child B review")])
    (None, [])
    """
    kinds = [(link, companion_kind(link)) for link in links]
    candidates = [link for link, kind in kinds if kind is None]
    if len(candidates) != 1 or not _REVIEW_WORDS.search(link_words(candidates[0])):
        return None, []
    return candidates[0], [(link, kind) for link, kind in kinds if kind is not None]


def _tidy(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _is_web(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https")


def _ends_in_pdf(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(".pdf")


class _LinkParser(HTMLParser):
    """Collects each ``<a href>`` with its type attribute, its text and the words of its title and label."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # href, type, text (with image alts), title, download attribute, embedded (iframe, embed, object)
        self.links: list[tuple[str, str, str, str, bool, bool]] = []
        self.base: str | None = None
        self.refresh: str | None = None
        self._open: tuple[str, str, bool, list[str]] | None = None
        self._chrome = 0  # how many site-wide parts (menus, page header and footer) are open here

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag in _CHROME:
            self._chrome += 1
        elif tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"].strip()
        elif tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            match = _REFRESH_URL.search(values.get("content", ""))
            if match and self.refresh is None:
                self.refresh = match.group(1).strip()
        elif tag == "a":
            self._finish()
            href = values.get("href", "").strip()
            if href and not self._chrome:
                self._open = (href, values.get("type", ""), "download" in values,
                              [values.get("title", ""), values.get("aria-label", "")])
        elif tag in ("iframe", "embed", "object") and not self._chrome:
            source = values.get("data" if tag == "object" else "src", "").strip()
            if source:
                self.links.append((source, values.get("type", ""), "", _tidy(values.get("title", "")), False, True))
        elif tag == "img" and self._open is not None:
            self._open[3].append(values.get("alt", ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[3].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._finish()
        elif tag in _CHROME and self._chrome:
            self._chrome -= 1

    def close(self) -> None:
        super().close()
        self._finish()

    def _finish(self) -> None:
        if self._open is not None:
            href, kind, download, parts = self._open
            title, label, *inner = parts
            self.links.append((href, kind, _tidy(" ".join(inner)), _tidy(f"{title} {label}"), download, False))
            self._open = None
