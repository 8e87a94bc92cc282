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


# A word written solid that is also two words ("childcare": "child care") splits into parts this common at least,
# each of at least three letters and neither a function word: "carpet" is "car pet" by the list, but the
# search only uses a split that the reviews themselves write (``pipeline.search``).
_PART_LOG_PROBABILITY = -13.0
_COMPOUND_LOG_PROBABILITY = -17.0


@cache
def open_forms() -> dict[str, str]:
    """Words of the list that are also two words of it, written apart: ``{"childcare": "child care", ...}``.

    Each word gets its one split whose rarer part is the most common ("caseload": "case load"). Function words
    ("how ever", "any one") and parts under three letters ("e mail") are not splits.

    >>> open_forms()["childcare"], open_forms()["caseload"]
    ('child care', 'case load')
    >>> "however" in open_forms(), "email" in open_forms()
    (False, False)
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    table = _table()
    forms: dict[str, str] = {}
    for word, value in table.items():
        if len(word) < 6 or value < _COMPOUND_LOG_PROBABILITY or not word.isalpha():
            continue
        splits = []
        for cut in range(3, len(word) - 2):
            first, second = word[:cut], word[cut:]
            rarer = min(table.get(first, -99.0), table.get(second, -99.0))
            if rarer >= _PART_LOG_PROBABILITY and first not in ENGLISH_STOP_WORDS and second not in ENGLISH_STOP_WORDS:
                splits.append((rarer, f"{first} {second}"))
        if splits:
            forms[word] = max(splits)[1]
    return forms


@cache
def _by_initial() -> dict[str, list[str]]:
    """The list's words of letters only, by first letter."""
    groups: dict[str, list[str]] = {}
    for word in _table():
        if word.isalpha():
            groups.setdefault(word[0], []).append(word)
    return groups


def close_spellings(word: str, limit: int = 5) -> list[str]:
    """Words of the list spelt like ``word`` (a typing slip: a letter swapped, lost or doubled), closest first.

    Only words with the same first letter and within two letters of its length are compared (difflib's
    similarity of 0.8 or more); the caller keeps those its texts use.

    >>> close_spellings("safegaurding")[:1], close_spellings("assesment")[:1]
    (['safeguarding'], ['assessment'])
    >>> close_spellings("xq")
    []
    """
    import difflib

    word = word.lower()
    if len(word) < 4 or not word.isalpha():
        return []
    candidates = [w for w in _by_initial().get(word[0], []) if abs(len(w) - len(word)) <= 2 and w != word]
    return difflib.get_close_matches(word, candidates, n=limit, cutoff=0.8)
