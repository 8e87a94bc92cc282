"""How common an English word is, from a word list made from an installed package (nothing is downloaded).

``pipeline/data/english_words.tsv.gz`` holds about 117,000 lower-case words with their log-probability in a
large English web corpus (made by ``scripts/make_word_list.py`` from ``spacy-lookups-data``). The extractor
asks it whether a word broken at a line end is one word ("ex-" + "amined") or two joined by a hyphen
("court-" + "based").
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

WORD_LIST = Path(__file__).resolve().parent / "data" / "english_words.tsv.gz"


@cache
def _table() -> dict[str, float]:
    with gzip.open(WORD_LIST, "rt", encoding="utf-8") as handle:
        return {word: float(value) for word, value in (line.rstrip("\n").split("\t") for line in handle)}


def log_probability(word: str) -> float | None:
    """The natural-log probability of ``word`` (any case) in English text, or None for a word not in the list.

    >>> log_probability("assessment") > log_probability("reunification") > -18
    True
    >>> log_probability("courtbased") is None
    True
    """
    return _table().get(word.lower())
