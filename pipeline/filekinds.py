"""What a file that should be a review PDF really is, from its bytes, and what to do about it.

People put in a manifest what they have: the Word version of a review, a ZIP of its chapters, a scanned page
saved as a picture, a saved web page, an error page a web site sent instead of the PDF. ``sniff_kind`` sorts
the first bytes of a file into one of ``KINDS`` (what the database stores); ``describe_non_pdf`` says, for a
person, what the file is (a Word document, an older Office file, a Rich Text document, a PowerPoint...) and
how to get a PDF from it. A file on disk is described as a file ("the file is a Word document"); one that a web
address gave, as what the source returned, since there the likely cause is a link to the wrong thing.
Content, not the file name or a server's Content-Type, decides: both are often wrong.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

KINDS = ("pdf", "html", "text", "zip", "image", "unknown")

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 .doc, .xls, .ppt, and Outlook .msg
_SAVE_AS_PDF = ("open it, save it as a PDF (File > Save As, or Export, and choose PDF) and put that file's name in "
                "the source column")
# Parts that name an Office Open XML or OpenDocument file, in the order they are looked for.
_ZIP_PARTS = (
    ("word/document.xml", "a Word document (.docx)"),
    ("ppt/presentation.xml", "a PowerPoint presentation (.pptx)"),
    ("xl/workbook.xml", "an Excel workbook (.xlsx)"),
)
_OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.text": "an OpenDocument text (.odt)",
    "application/vnd.oasis.opendocument.presentation": "an OpenDocument presentation (.odp)",
    "application/vnd.oasis.opendocument.spreadsheet": "an OpenDocument spreadsheet (.ods)",
}


def sniff_kind(head: bytes) -> str:
    """Classify a document from its first bytes (the Content-Type header is not trusted).

    Parameters
    ----------
    head : bytes
        The first 1024 bytes (or more) of the document.

    Returns
    -------
    str
        One of ``KINDS``.
    """
    head = head[:1024]
    # A ZIP archive first: one that stores a PDF uncompressed has "%PDF-" within its first bytes.
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "zip"
    # Some generators put junk or a BOM before the header; PDF readers accept it within 1 KiB.
    if b"%PDF-" in head:
        return "pdf"
    if _is_image(head):
        return "image"
    text = _as_text(head)
    if text is None:
        return "unknown"
    lowered = text.lstrip("\ufeff \t\r\n").lower()
    if lowered.startswith("<!doctype html") or re.search(r"<(html|head|body)[\s>]", lowered):
        return "html"
    return "text" if lowered else "unknown"


def describe_non_pdf(path: Path, kind: str | None = None, *, local: bool = True) -> str:
    """For a person: what the file at ``path`` is, since it is not a PDF, and what to do.

    Parameters
    ----------
    path : Path
        The file (on disk, or as downloaded).
    kind : str, optional
        Its ``sniff_kind``, if known.
    local : bool
        True for a file named in the manifest ("the file is ..."), False for what a web address gave ("the
        source returned ...").

    >>> import tempfile, zipfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with zipfile.ZipFile(folder / "review.pdf", "w") as z:
    ...     z.writestr("word/document.xml", "<w:document/>")
    >>> describe_non_pdf(folder / "review.pdf")[:60]
    'the file is a Word document (.docx), not a PDF: open it, sav'
    >>> _ = (folder / "r.rtf").write_bytes(b"{\\\\rtf1\\\\ansi Child D}")
    >>> describe_non_pdf(folder / "r.rtf", local=False)[:73]
    'the source returned a Rich Text document (.rtf), not a PDF: download it, '
    """
    head = _head(path)
    kind = kind or sniff_kind(head)
    said = "the file is" if local else "the source returned"
    if not head:
        return (f"{said} empty: download the review again, or check the source column" if local else
                f"{said} an empty file: try again later, or open the link in a browser to check it")
    what = _what_it_is(path, head, kind)
    if what:
        name, advice = what
        if not local:  # the file is on a web site: it has to be downloaded before it can be opened
            advice = "download it, " + advice.replace("a PDF ", "a PDF next to the manifest ", 1)
        return f"{said} {name}, not a PDF: {advice}"
    if kind == "html" and local:
        return (f"{said} a web page (saved from a browser), not a PDF: open the review's page in a browser, "
                "download the PDF itself (a link or button saying PDF or Download) and put its file name in the "
                "source column")
    if kind == "html":
        return (f"{said} an HTML page, not a PDF (the link probably points to a web page about the review: find "
                "the PDF link and put it in the manifest)")
    if kind == "text":
        if local:
            return (f"{said} plain text, not a PDF: casereview reads review PDFs; put the review's PDF (its file "
                    "name or web address) in the source column")
        return (f"{said} plain text, not a PDF (it may be an error message from the web site: open the link in "
                "a browser, find the PDF and put its link in the manifest)")
    if kind == "image":
        return (f"{said} an image, not a PDF: find the full review document and put it in the source column (a "
                "review you have only as scanned pages can be saved as one PDF of those pages, which is read by "
                "OCR)")
    return (f"{said} not a PDF, nor a kind of file casereview can name: open it to check what it is, then put the "
            "file name or link of the review PDF in the source column")


def what_it_is(path: Path) -> str | None:
    """What the file at ``path`` is, in a few words ("a Word document (.docx)", "plain text"), or None for a
    PDF.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "child-d.pdf").write_bytes(b"<!DOCTYPE html><html>")
    >>> what_it_is(folder / "child-d.pdf"), what_it_is(folder / "nowhere.pdf")
    ('a web page', 'an empty file')
    """
    head = _head(path)
    kind = sniff_kind(head)
    if kind == "pdf":
        return None
    if not head:
        return "an empty file"
    found = _what_it_is(path, head, kind)
    if found:
        return found[0]
    return {"html": "a web page", "text": "plain text", "image": "an image"}.get(kind, "a file of another kind")


def describe_given_file(path: Path) -> str | None:
    """For a person who gave the file at ``path`` to a command on its own (``casereview extract``), not in a
    manifest: what it is, since it is not a PDF, and what to give instead; None for a PDF.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "child-d.pdf").write_bytes(b"{\\\\rtf1\\\\ansi Child D}")
    >>> describe_given_file(folder / "child-d.pdf")
    'the file is a Rich Text document (.rtf), not a PDF: open it, save it as a PDF (File > Save As, or Export, and \
choose PDF) and give that file instead'
    """
    what = what_it_is(path)
    if what is None:
        return None
    if what == "an empty file":
        return "the file is empty: download or copy the review's PDF again"
    head = _head(path)
    if head.startswith(_OLE2) and path.suffix.lower() == ".msg":
        advice = "open it, save the review PDF attached to it and give that file instead"
    elif what.startswith("a ZIP archive"):
        advice = "unzip it and give the review's PDF inside instead"
    elif what == "a web page":
        advice = ("open the review's page in a browser, download the PDF itself (a link or button saying PDF or "
                  "Download) and give that file instead")
    elif what == "an image":
        advice = "save the scanned pages of the review as one PDF, which is read by OCR, and give that instead"
    elif what in ("plain text", "a file of another kind"):
        advice = "give the review's PDF instead"
    else:  # an office document
        advice = "open it, save it as a PDF (File > Save As, or Export, and choose PDF) and give that file instead"
    return f"the file is {what}, not a PDF: {advice}"


def _what_it_is(path: Path, head: bytes, kind: str) -> tuple[str, str] | None:
    """(what the file is, what to do) for office documents and archives; None for other kinds."""
    if head.startswith(_OLE2) and path.suffix.lower() == ".msg":  # the same container as an older Office file
        return "an Outlook message (.msg)", ("open it, save the review PDF attached to it next to the manifest and "
                                             "put that file's name in the source column")
    if head.startswith(_OLE2):
        return "an older Word, Excel or PowerPoint file (.doc, .xls or .ppt)", _SAVE_AS_PDF
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        return "a Rich Text document (.rtf)", _SAVE_AS_PDF
    if kind != "zip":
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError):
        names, mimetype = [], ""
    for part, name in _ZIP_PARTS:
        if part in names:
            return name, _SAVE_AS_PDF
    if mimetype in _OPENDOCUMENT:
        return _OPENDOCUMENT[mimetype], _SAVE_AS_PDF
    pdfs = [name for name in names if name.lower().endswith(".pdf")]
    inside = (f" (it holds {len(pdfs)} PDF{'s' if len(pdfs) != 1 else ''}, e.g. {Path(pdfs[0]).name})"
              if pdfs else "")
    return (f"a ZIP archive{inside}", "unzip it, and put the review PDF's file name in the source column (one "
                                      "row for each review)")


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(1024)
    except OSError:
        return b""


def _is_image(head: bytes) -> bool:
    return head.startswith(
        (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
    ) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _as_text(head: bytes) -> str | None:
    if b"\x00" in head:
        return None
    # The sample may end in the middle of a multi-byte character: ignore an incomplete tail only.
    for cut in range(4):
        try:
            return head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    # A web page in another encoding (windows-1252, declared in its <meta charset>): its tags are ASCII.
    if re.search(rb"(?i)<!doctype html|<(?:html|head|body)[\s>]", head):
        return head.decode("latin-1")
    return None
