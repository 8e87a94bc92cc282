"""Write ``pipeline/data/english_words.tsv.gz``: English words and how common they are.

Usage (from the repository root)::

    .venv/bin/python scripts/make_word_list.py

The list is derived from the word log-probabilities in the installed ``spacy-lookups-data`` package
(``en_lexeme_prob``, estimated by spaCy from a large English web corpus): every lower-case word of two or
more letters a-z with a log-probability above ``FLOOR``, one ``word<TAB>log-probability`` (one decimal) a
line, sorted. The extractor uses it to decide whether a hyphen at a line end splits a word ("ex-" +
"amined") or joins two ("court-" + "based"); see ``pipeline.lexicon``. The output is deterministic.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import spacy_lookups_data

FLOOR = -18.0
OUT = Path(__file__).resolve().parent.parent / "pipeline" / "data" / "english_words.tsv.gz"


def main() -> None:
    source = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        probabilities = json.load(handle)
    word = re.compile(r"^[a-z]{2,}$")
    rows = sorted(f"{w}\t{p:.1f}" for w, p in probabilities.items() if word.match(w) and p > FLOOR)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        handle.write(("\n".join(rows) + "\n").encode("utf-8"))
    print(f"wrote {len(rows)} words to {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
