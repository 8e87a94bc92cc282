"""What reading each PDF in a child process costs (``pipeline/isolate.py``), against reading it in-process.

``casereview run`` reads every document in a process forked from a server that has the extractor loaded, so
that a PDF which hangs or crashes the PDF library fails alone. This reads the demo PDFs both ways in the same
process, alternating, after one warm-up of each (the first isolated read starts the server), and prints the
seconds per document, the difference and the ratio. Broken demo files are skipped.

Usage:  .venv/bin/python benchmarks/isolation.py [ROUNDS]     (default 3)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.errors import CaseReviewError  # noqa: E402
from pipeline.extract import extract_pdf  # noqa: E402
from pipeline.isolate import read_document  # noqa: E402


def readable(paths: list[Path]) -> list[Path]:
    kept = []
    for path in paths:
        try:
            extract_pdf(path)
        except CaseReviewError:
            continue
        kept.append(path)
    return kept


def seconds_per_document(read, paths: list[Path]) -> float:
    started = time.perf_counter()
    for path in paths:
        read(path)
    return (time.perf_counter() - started) / len(paths)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    # OCR of the scanned demo review would dominate both; its cost does not depend on the process it runs in.
    demo = sorted((ROOT / "corpus_manifest" / "demo").glob("*.pdf"))
    paths = [path for path in readable(demo) if "carnlough" not in path.name]
    read_document(paths[0])  # starts the fork server
    in_process, isolated = [], []
    for _ in range(rounds):
        in_process.append(seconds_per_document(extract_pdf, paths))
        isolated.append(seconds_per_document(read_document, paths))
    a, b = statistics.median(in_process), statistics.median(isolated)
    print(f"{len(paths)} demo PDFs, {rounds} rounds, medians of seconds per document")
    print(f"  in-process (baseline): {a:.3f} s   runs: {', '.join(f'{x:.3f}' for x in in_process)}")
    print(f"  child process:         {b:.3f} s   runs: {', '.join(f'{x:.3f}' for x in isolated)}")
    print(f"  difference {b - a:+.3f} s a document, ratio {b / a:.2f}")


if __name__ == "__main__":
    main()
