"""Sentence splitting of one long text: the pipeline's way against the way it had before (a baseline, run here).

`classify` scores a line as a whole and sentence by sentence, so it splits each line into sentences; someone
may paste a whole review as one line. spaCy rebuilds ``doc.text`` from its tokens each time it is read, and
the splitter used to read it once for every sentence: the time grew with the square of the length (4,000
sentences took 50 s in `classify`, 18,000 over ten minutes). It now takes the text once. This times both on
texts of 500 to 4,000 sentences (about 390,000 characters) of our own writing, with the same spaCy pipeline,
and checks they give the same sentences.

Usage:  .venv/bin/python benchmarks/sentence_split.py [MAX_SENTENCES]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import segment  # noqa: E402
from pipeline.nlp import load_nlp  # noqa: E402

SENTENCE = "The health visitor saw the baby at home on 3 May, but nobody asked the mother about her worries. "


def baseline(texts: list[str]) -> list[list[str]]:
    """The splitter as it was: ``doc.text`` read again for every sentence."""
    nlp = load_nlp()
    with nlp.select_pipes(enable=["sentencizer"]):
        return [[doc.text[a:b] for a, b in segment._sentence_spans(doc)] for doc in nlp.pipe(texts)]


def timed(split, text: str) -> tuple[float, list[list[str]]]:
    started = time.perf_counter()
    result = split([text])
    return time.perf_counter() - started, result


def main() -> None:
    most = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    load_nlp()  # loaded once, outside the timings
    print(f"{'sentences':>9} {'characters':>10} {'ours s':>8} {'baseline s':>10} {'speed-up':>8}")
    count = 500
    while count <= most:
        text = SENTENCE * count
        ours, got = timed(segment.split_sentences, text)
        before, expected = timed(baseline, text)
        assert got == expected, "the two splitters disagree"
        print(f"{count:>9} {len(text):>10} {ours:>8.2f} {before:>10.2f} {before / ours:>7.0f}x")
        count *= 2


if __name__ == "__main__":
    main()
