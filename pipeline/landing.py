"""Find the PDF documents a web page links to (a review's page on a partnership's site or a repository).

Manifests are often filled in by copying the address of the page *about* a review rather than of the PDF
itself. The fetcher uses this module to see which PDFs such a page offers: a link counts as one when its
address ends in ``.pdf``, when it is marked ``type="application/pdf"``, or when its text, title or image
says PDF (sites write "Download (PDF, 1.2 MB)" next to addresses like ``/downloads/file/123``). Links in the
parts every page of a site shares (``<nav>``, ``<header>``, ``<footer>``: "Privacy notice (PDF)") do not
count. A page that redirects with ``<meta http-equiv="refresh">`` gives its target as the only link.

>>> page = '<p>Read <a href="docs/Child-D.pdf">the review (PDF, 1 MB)</a> or <a href="/news">news</a></p>'
>>> pdf_links(page, "https://example.org/reviews/child-d")
[PdfLink(url='https://example.org/reviews/docs/Child-D.pdf', text='the review (PDF, 1 MB)')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

_PDF_WORD = re.compile(r"\bpdf\b", re.IGNORECASE)
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\"]+)", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
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
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    base = urljoin(base_url, parser.base) if parser.base else base_url
    page = urldefrag(base_url).url
    if parser.refresh:
        target = urldefrag(urljoin(base, parser.refresh)).url
        if _is_web(target) and target != page:
            return [PdfLink(target, "")]
    found: dict[str, tuple[str, bool]] = {}
    for href, kind, text, title in parser.links:
        words = f"{text} {title}"
        url = urldefrag(urljoin(base, href)).url
        if not _is_web(url) or url == page:
            continue
        if not (_ends_in_pdf(url) or "pdf" in kind.lower() or _PDF_WORD.search(words)):
            continue
        if url not in found or (text and not found[url][1]):
            found[url] = (text or title, bool(text))  # the first link may be an icon, the next the words
    return [PdfLink(url, text) for url, (text, _) in found.items()]


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
        self.links: list[tuple[str, str, str, str]] = []  # href, type, text (with image alts), title
        self.base: str | None = None
        self.refresh: str | None = None
        self._open: tuple[str, str, list[str]] | None = None
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
                self._open = (href, values.get("type", ""), [values.get("title", ""), values.get("aria-label", "")])
        elif tag == "img" and self._open is not None:
            self._open[2].append(values.get("alt", ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[2].append(data)

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
            href, kind, parts = self._open
            title, label, *inner = parts
            self.links.append((href, kind, _tidy(" ".join(inner)), _tidy(f"{title} {label}")))
            self._open = None
