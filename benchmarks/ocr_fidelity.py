"""OCR on scans of real text: how well and how fast scanned pages are read, against their own text layer.

Each PDF (by default the shared corpus PDFs, real public documents typeset from known text) is "printed and
scanned" with ``tests/scanned_pdf.write_scan``: its pages rendered to grey images and written as a PDF of
images only. Two scans are made: a clean one at 200 dpi, and a rough one at 150 dpi, turned 0.4 degrees and
specked (0.2% of its pixels darkened). Each scan is read by the extractor (OCR, ``pipeline/ocr.py``), and
its text is compared with what the extractor reads from the original's text layer on the same pages
(word-order F1, as in ``extract_fidelity.py``; the text layer itself scores 0.999 against the source text).
Speed is pages a second (OCR reads ``OCR_THREADS`` pages at once, one per core up to four), against reading
the same pages from the text layer, on one thread, in the same run.

Then structure: six demo reviews (our own writing, with cover pages, contents pages, chronology tables and
headings of two or three levels) are scanned whole, clean and rough, and the headings, contents lists and
tables that the extractor finds on their text layer are looked for in what it finds on the scans (a heading
or a table row counts when its text is read back exactly, dashes and quotes aside; "levels" counts the
headings also read at the level the text layer gives them; "items" the list items read back exactly as
list items), and paragraphs starting in lower case are counted: a paragraph broken in two, which word-order
F1 hardly sees.

Usage:  .venv/bin/python benchmarks/ocr_fidelity.py [PDF ...] [--pages N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from extract_fidelity import word_order_f1  # noqa: E402

from pipeline.extract import extract_pdf  # noqa: E402
from pipeline.ocr import OCR_THREADS  # noqa: E402
from tests.scanned_pdf import write_scan  # noqa: E402

DEFAULT_PDFS = sorted((ROOT.parent / "shared" / "corpus" / "pdf").glob("*.pdf"))
DEMO = ROOT / "corpus_manifest" / "demo"
STRUCTURE_PDFS = ["northmoor-2016-child-d", "ardmuir-2022-child-c", "cwm-llwyd-2017-child-e", "drumcally-2014-child-b",
                  "harrowden-2015-child-s", "kestrel-bay-2018-child-r"]
_DASHES = str.maketrans("–—", "--")
_QUOTES = str.maketrans("“”‘’–—", "\"\"''--")
SCANS = {"clean 200 dpi": {"dpi": 200}, "rough 150 dpi": {"dpi": 150, "skew": 0.4, "speckle": 0.002}}


def text_of(document, pages: set[int]) -> str:
    return "\n".join(b.text for b in document.blocks if b.page_start in pages and b.kind != "contents")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="*", type=Path, default=DEFAULT_PDFS)
    parser.add_argument("--pages", type=int, default=8, help="pages of each PDF to scan (from its third page)")
    args = parser.parse_args()
    print(f"{'pdf':40s} {'scan':14s} {'pages':>5s} {'F1':>6s} {'conf':>5s} {'OCR p/s':>8s} {'text p/s':>8s} "
          f"{'slower':>7s}")
    totals: dict[str, list[float]] = {name: [0, 0.0, 0.0, 1.0] for name in SCANS}  # pages, ocr s, text s, worst F1
    with tempfile.TemporaryDirectory() as folder:
        for pdf in args.pdfs:
            start = time.perf_counter()
            original = extract_pdf(pdf)
            text_seconds = time.perf_counter() - start
            count = len(original.pages)
            pages = list(range(3, min(count, 2 + args.pages) + 1)) or [1]
            reference = text_of(original, set(pages))
            per_page_text = text_seconds / count
            for name, settings in SCANS.items():
                scan = write_scan(pdf, Path(folder) / f"{pdf.stem}-{name.split()[0]}.pdf", pages=pages, **settings)
                start = time.perf_counter()
                document = extract_pdf(scan)
                seconds = time.perf_counter() - start
                read = text_of(document, set(range(1, len(pages) + 1)))
                f1 = word_order_f1(read, reference)
                read_pages = [p for p in document.pages if p.ocr]
                confidence = sum(p.ocr_confidence for p in read_pages) / len(read_pages) if read_pages else 0.0
                slower = seconds / len(pages) / per_page_text
                print(f"{pdf.name:40.40s} {name:14s} {len(pages):5d} {f1:6.3f} {confidence:5.1f} "
                      f"{len(pages) / seconds:8.2f} {1 / per_page_text:8.1f} {slower:6.0f}x")
                total = totals[name]
                total[0] += len(pages)
                total[1] += seconds
                total[2] += per_page_text * len(pages)
                total[3] = min(total[3], f1)
    for name, (pages, ocr_seconds, text_seconds, worst) in totals.items():
        if pages:
            print(f"\n{name}: {pages} pages; worst F1 {worst:.3f}; OCR {pages / ocr_seconds:.2f} pages/s on "
                  f"{OCR_THREADS} thread(s) vs text layer {pages / text_seconds:.1f} pages/s on one "
                  f"({ocr_seconds / text_seconds:.0f}x slower)", end="")
    print()
    structure()


def _kinds(document, kind: str) -> list[tuple[int, str]]:
    return [(b.page_start, " ".join(b.text.translate(_DASHES).split())) for b in document.blocks if b.kind == kind]


def _levels(document) -> list[tuple[int, str, int]]:
    return [(b.page_start, " ".join(b.text.translate(_DASHES).split()), b.level) for b in document.blocks
            if b.kind == "heading"]


def structure() -> None:
    """Headings, contents lists and tables found on the scans of demo reviews, against their text layers."""
    with tempfile.TemporaryDirectory() as folder:
        for scan_name, settings in SCANS.items():
            found = {"headings": [0, 0], "at their level": [0, 0], "list items": [0, 0], "contents lists": [0, 0],
                     "tables": [0, 0], "table rows": [0, 0]}
            lower = [0, 0, 0]  # paragraphs starting in lower case on the scans, paragraphs, on the text layers
            print(f"\n{'demo review (' + scan_name + ' scan)':40s} {'headings':>9s} {'levels':>9s} "
                  f"{'items':>7s} {'contents':>9s} {'tables':>7s} {'rows':>7s}")
            for name in STRUCTURE_PDFS:
                source = DEMO / f"{name}.pdf"
                original = extract_pdf(source)
                scan = extract_pdf(write_scan(source, Path(folder) / "scan.pdf", **settings))
                headings = _kinds(original, "heading")
                read = set(_kinds(scan, "heading"))
                levels = _levels(original)
                read_levels = set(_levels(scan))
                counts = {
                    "headings": (sum(h in read for h in headings), len(headings)),
                    # and read at the level the text layer gives them (chapter, section, subsection)
                    "at their level": (sum(h in read_levels for h in levels), len(levels)),
                    # list items read back exactly, as list items
                    "list items": _read_back(original, scan, "list_item"),
                    # a contents list or a table is found when the scan has one on the same page
                    "contents lists": _same_pages(original, scan, "contents"),
                    "tables": _same_pages(original, scan, "table"),
                    "table rows": _rows_read(original, scan),
                }
                paragraphs = [b.text for b in scan.blocks if b.kind == "paragraph"]
                lower[0] += sum(text[:1].islower() for text in paragraphs)
                lower[1] += len(paragraphs)
                lower[2] += sum(b.text[:1].islower() for b in original.blocks if b.kind == "paragraph")
                for key, (hit, total) in counts.items():
                    found[key][0] += hit
                    found[key][1] += total
                print(f"{name:40s} " + " ".join(f"{hit:>{w - 3}d}/{total:<2d}" for (hit, total), w in
                                                 zip(counts.values(), (9, 9, 7, 9, 7, 7), strict=True)))
            print(f"found on the {scan_name} scans: "
                  + "; ".join(f"{key} {hit} of {total}" for key, (hit, total) in found.items()))
            print(f"paragraphs starting in lower case (a paragraph broken in two): {lower[0]} of {lower[1]} on the "
                  f"scans, {lower[2]} on the text layers")


def _rows_read(original, scan) -> tuple[int, int]:
    """Rows of the text layer's tables read back exactly (quotes and dashes aside) in a table of the scan."""
    def rows(document) -> list[str]:
        return [_plain(row) for b in document.blocks if b.kind == "table" for row in b.text.split("\n")]

    read = set(rows(scan))
    wanted = rows(original)
    return sum(row in read for row in wanted), len(wanted)


def _read_back(original, scan, kind: str) -> tuple[int, int]:
    """Blocks of ``kind`` on the text layer read back exactly (quotes and dashes aside), as that kind."""
    read = {_plain(text) for _, text in _kinds(scan, kind)}
    wanted = [_plain(text) for _, text in _kinds(original, kind)]
    return sum(text in read for text in wanted), len(wanted)


def _plain(text: str) -> str:
    """``text`` with straight quotes and hyphens for curly ones and dashes, and single spaces."""
    return " ".join(text.translate(_QUOTES).split())


def _same_pages(original, scan, kind: str) -> tuple[int, int]:
    wanted = [page for page, _ in _kinds(original, kind)]
    pages = {page for page, _ in _kinds(scan, kind)}
    return sum(page in pages for page in wanted), len(wanted)


if __name__ == "__main__":
    main()
