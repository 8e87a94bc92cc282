"""Extraction fidelity and speed on PDFs whose source text is known.

For every ``*.pdf`` with a ``*.truth.txt`` beside it (default: ../shared/corpus/pdf, plus the demo corpus),
prints word-order F1 against the truth, leaked running headers/footers, and pages per second on one core
for our extractor and for plain pdfplumber ``extract_text()`` measured in the same run (and the ratio).

Usage:  .venv/bin/python benchmarks/extract_fidelity.py [FOLDER ...] [--repeat N]
"""

from __future__ import annotations

import argparse
import difflib
import re
import time
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium

from pipeline.extract import extract_pdf

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FOLDERS = [ROOT.parent / "shared" / "corpus" / "pdf", ROOT / "corpus_manifest" / "demo"]


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def kept_text(document) -> str:
    """The text of a document's blocks, less contents lists (set aside, as the truth texts leave them out)."""
    return "\n".join(block.text for block in document.blocks if block.kind != "contents")


def word_order_f1(extracted: str, truth: str) -> float:
    """F1 over words matched in order (longest matching blocks): interleaved columns score about 0.5."""
    got, ref = words(extracted), words(truth)
    if not got or not ref:
        return 0.0
    matcher = difflib.SequenceMatcher(None, got, ref, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    precision, recall = matched / len(got), matched / len(ref)
    return 0.0 if matched == 0 else 2 * precision * recall / (precision + recall)


def margin_lines(pdf_path: Path, truth: str) -> set[str]:
    """Text of the first and last lines of each page that are not part of the truth: headers and footers."""
    flat_truth = " ".join(truth.split())
    found: set[str] = set()
    pdf = pdfium.PdfDocument(str(pdf_path))
    for page in pdf:
        lines = [ln.strip() for ln in page.get_textpage().get_text_range().split("\r\n") if ln.strip()]
        for line in lines[:2] + lines[-2:]:
            if " ".join(line.split()) not in flat_truth:
                found.add(line)
    pdf.close()
    return found


def leaked(extracted: str, truth: str, margins: set[str]) -> int:
    """How many more times header/footer lines occur in the output than in the truth."""
    flat_out, flat_truth = " ".join(extracted.split()), " ".join(truth.split())
    count = 0
    for line in margins:
        needle = " ".join(line.split())
        if re.fullmatch(r"[\d\s]+", needle):
            continue  # a bare page number: words() ignores nothing, but it would match any number
        count += max(0, flat_out.count(needle) - flat_truth.count(needle))
    return count


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def plumber_text(path: Path) -> str:
    with pdfplumber.open(str(path)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT_FOLDERS)
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats (best is kept)")
    args = parser.parse_args()
    header = f"{'pdf':44s} {'pages':>5s} {'F1':>7s} {'F1 plumber':>10s} {'leaked':>6s} " \
             f"{'ours p/s':>9s} {'plumber p/s':>11s} {'speed-up':>8s}"
    print(header)
    totals = {"pages": 0, "ours": 0.0, "plumber": 0.0, "leaked": 0}
    worst_f1 = 1.0
    for folder in args.folders:
        for pdf in sorted(folder.glob("*.pdf")):
            truth_path = pdf.with_suffix(".truth.txt")
            if not truth_path.exists():
                continue
            truth = truth_path.read_text(encoding="utf-8")
            document = extract_pdf(pdf)
            ours = kept_text(document)
            plumber = plumber_text(pdf)
            f1, f1_plumber = word_order_f1(ours, truth), word_order_f1(plumber, truth)
            leaks = leaked(ours, truth, margin_lines(pdf, truth))
            t_ours = timed(lambda p=pdf: extract_pdf(p), args.repeat)
            t_plumber = timed(lambda p=pdf: plumber_text(p), 1)
            pages = len(document.pages)
            print(f"{folder.name + '/' + pdf.name:44.44s} {pages:5d} {f1:7.4f} {f1_plumber:10.4f} {leaks:6d} "
                  f"{pages / t_ours:9.1f} {pages / t_plumber:11.1f} {t_plumber / t_ours:7.1f}x")
            totals["pages"] += pages
            totals["ours"] += t_ours
            totals["plumber"] += t_plumber
            totals["leaked"] += leaks
            worst_f1 = min(worst_f1, f1)
    if totals["pages"]:
        print(f"\nall: {totals['pages']} pages; worst F1 {worst_f1:.4f}; leaked header/footer lines "
              f"{totals['leaked']}; ours {totals['pages'] / totals['ours']:.1f} pages/s vs pdfplumber "
              f"{totals['pages'] / totals['plumber']:.1f} pages/s "
              f"({totals['plumber'] / totals['ours']:.1f}x), one core")


if __name__ == "__main__":
    main()
