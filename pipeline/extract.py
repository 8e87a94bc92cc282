"""Extract stage: a PDF file in, its text as blocks in reading order (with page numbers) out."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import ExtractError
from pipeline.layout import build_blocks, remove_running_lines
from pipeline.ocrnumbers import restore_paragraph_numbers
from pipeline.pagenumbers import printed_numbers
from pipeline.pdflines import read_pages
from pipeline.records import ExtractedDocument, PageInfo


def extract_pdf(path: Path) -> ExtractedDocument:
    """Extract the text of every page of the PDF at ``path``.

    Raises ``ExtractError`` (with a reason a user can act on) for files that are not PDFs, are encrypted or
    are damaged, or have nothing to read on any page. Pages without a text layer (scanned, or with their text
    converted to outlines), or whose text layer is garbled (``pipeline.textcheck``), are not read and are
    reported in ``needs_ocr_pages``; a document made only of such pages has ``status == "needs_ocr"``.

    Examples
    --------
    >>> doc = extract_pdf(Path("corpus_manifest/demo/northmoor-2016-child-d.pdf"))  # doctest: +SKIP
    >>> doc.blocks[0].kind, doc.blocks[0].page_start                               # doctest: +SKIP
    ('heading', 1)
    """
    pages = read_pages(Path(path))
    if not any(p.char_count or p.needs_ocr for p in pages):
        raise ExtractError(f"{Path(path).name}: no page has any text, nor anything OCR could read (the pages are "
                           "blank, or hold only lines and shapes); check that the file is the review itself and "
                           "replace it")
    printed = printed_numbers(pages)
    infos = [PageInfo(p.number, p.char_count, p.needs_ocr, garbled=p.garbled, drawn=p.drawn,
                      garbled_lines=p.garbled_lines, ocr_lines=p.ocr_lines, ocr=p.ocr,
                      ocr_confidence=p.ocr_confidence, ocr_tried=p.ocr_tried, printed=printed.get(p.number),
                      turned=p.turned, across_lines=p.across_lines)
             for p in pages]
    blocks = build_blocks(remove_running_lines(pages))
    blocks = restore_paragraph_numbers(blocks, {p.number for p in pages if p.ocr})
    return ExtractedDocument(blocks=blocks, pages=infos)
