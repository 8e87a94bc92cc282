"""How often a hyphen at a line end is decided wrongly: kept when a word was broken, or dropped from a compound.

A line that ends in "word-" is either one word broken at a syllable ("assess-" + "ment", what typesetting
programs do in justified text) or a word that has a hyphen of its own, broken there ("trauma-" + "informed",
the only place a word processor breaks a word). ``pipeline.layout.join_lines`` decides which. This script
breaks real words both ways and counts the wrong decisions:

* every hyphenated word of each text, broken at each of its hyphens ("follow-" + "up");
* every word of five letters or more without one, broken at each place ``pyphen`` (en_GB) would hyphenate it
  ("assess-" + "ment").

Each break is judged with the text's own vocabulary, as extraction does, less the word itself when the text
uses it only once (so the word's own spelling elsewhere cannot decide). The texts are the shared corpus's
sources (``../shared/corpus/*.txt``, read in place, when present) and the demo corpus's truth files.

Usage:  .venv/bin/python benchmarks/hyphen_joins.py [--list]
"""

from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

import pyphen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.layout import document_vocabulary, join_lines  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"
HYPHENATED = re.compile(r"\b[A-Za-z]+(?:-[A-Za-z]+)+\b")
PLAIN = re.compile(r"\b[a-z]{5,}\b")


def texts() -> list[Path]:
    return sorted(SHARED.glob("*.txt")) + sorted((ROOT / "corpus_manifest" / "demo").glob("*.truth.txt"))


def judged(word: str, cut: int, vocabulary: frozenset[str]) -> str:
    """``word`` broken after ``cut`` characters at a line end, as extraction joins it."""
    head, tail = word[:cut], word[cut:].lstrip("-")
    return join_lines([f"the {head.rstrip('-')}-", f"{tail} was"], vocabulary)[4:-4]


def main() -> None:
    hyphenated = collections.Counter()
    plain = collections.Counter()
    wrong_hyphenated: list[tuple[str, str]] = []
    wrong_plain: list[tuple[str, str]] = []
    hyphenator = pyphen.Pyphen(lang="en_GB")
    for path in texts():
        text = path.read_text(encoding="utf-8")
        vocabulary = document_vocabulary(text.splitlines())
        seen = collections.Counter(word.lower() for word in HYPHENATED.findall(text))
        for word, times in seen.items():
            known = vocabulary if times > 1 else vocabulary - {word}
            for match in re.finditer("-", word):
                hyphenated["breaks"] += 1
                got = judged(word, match.start() + 1, known)
                if got != word:
                    wrong_hyphenated.append((word, got))
        seen = collections.Counter(word.lower() for word in PLAIN.findall(text))
        for word, times in seen.items():
            known = vocabulary if times > 1 else vocabulary - {word}
            for cut in hyphenator.positions(word):
                plain["breaks"] += 1
                got = judged(word, cut, known)
                if got != word:
                    wrong_plain.append((word, got))
    print(f"texts: {len(texts())}")
    for name, count, wrong in (("words with a hyphen, broken at it", hyphenated["breaks"], wrong_hyphenated),
                               ("words without one, broken at a syllable", plain["breaks"], wrong_plain)):
        share = len(wrong) / count if count else 0.0
        print(f"{name:42} {count:6} breaks, {len(wrong):4} joined wrongly ({share:.1%})")
    if "--list" in sys.argv:
        for word, got in wrong_hyphenated + wrong_plain:
            print(f"  {word} -> {got}")


if __name__ == "__main__":
    main()
