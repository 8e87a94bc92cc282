"""Readable labels for topics, and the names (places, people, services) kept out of topic terms."""

from __future__ import annotations

import re
from collections.abc import Sequence

LABEL_TERMS = 3
# A word as BERTopic counts it: it drops every character but A-Z, a-z, 0-9 and spaces ("Q's" becomes "Qs").
_RAW_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:[^A-Za-z0-9\s]+[A-Za-z0-9]+)*")
_NOT_KEPT_BY_BERTOPIC = re.compile(r"[^A-Za-z0-9]+")
_MID_SENTENCE_AFTER = frozenset(",;)")


def readable_label(terms: Sequence[str], max_terms: int = LABEL_TERMS) -> str:
    """Join the first few terms with `` · ``; a phrase replaces the words it contains, no word is said twice, and
    terms of everyday words only ("did", "said") come after the others.

    Parameters
    ----------
    terms : sequence of str
        Topic terms, most characteristic first.
    max_terms : int
        How many terms the label names.

    Examples
    --------
    >>> readable_label(["neglect", "home", "home conditions", "conditions", "hygiene"])
    'neglect · home conditions · hygiene'
    >>> readable_label(["mother", "health", "mothers", "health visitor", "visitor"])
    'mother · health visitor'
    >>> readable_label(["injuries", "old", "admitted", "hospital", "unit"])
    'injuries · admitted · hospital'
    """
    chosen: list[str] = []
    for term in _everyday_last(terms):
        if len(chosen) == max_terms:
            break
        words = _word_keys(term)
        covered = [i for i, earlier in enumerate(chosen) if _word_keys(earlier) < words]
        if covered:
            chosen[covered[0]] = term
            chosen = [earlier for i, earlier in enumerate(chosen) if i not in covered[1:]]
        elif not any(words & _word_keys(earlier) for earlier in chosen):
            chosen.append(term)
    return " · ".join(chosen)


# Words this common in English at large ("did", "know", "said", "use", "old", "just", "think", "really") are in
# every kind of passage: a topic's characteristic term though one may be, it does not say what the topic is
# about. Log-probability from the project's word list (pipeline.lexicon): "did" -6.4, "said" -7.3, "old" -7.8;
# "told" -8.5 and "mother" -9.4 are kept.
EVERYDAY_LOG_PROBABILITY = -8.0


def _everyday_last(terms: Sequence[str]) -> list[str]:
    """The terms in their order, those made only of everyday words moved to the end (still used when too few
    others are left).

    >>> _everyday_last(["assessment", "drinking", "did", "family", "use", "mother"])
    ['assessment', 'drinking', 'family', 'mother', 'did', 'use']
    """
    from pipeline.lexicon import log_probability

    def everyday(term: str) -> bool:
        return all((log_probability(word) or -99.0) > EVERYDAY_LOG_PROBABILITY for word in term.split())

    return [t for t in terms if not everyday(t)] + [t for t in terms if everyday(t)]


def _word_keys(term: str) -> set[str]:
    """The words of a term, a final "s" dropped so that "mother" and "mothers" count as one word."""
    return {word[:-1] if word.endswith("s") and len(word) > 3 else word for word in term.split()}


def names_in(texts: Sequence[str]) -> list[str]:
    """Words the passages write with a capital inside sentences and never in lower case, in lower case.

    These are names (places, people, named services): they say who and where, not what a passage is about,
    so they are kept out of topic terms. A capital at the start of a sentence or list item does not count.
    Words are taken as BERTopic counts them: ``Child Q's`` gives ``qs``, ``Tarnside's`` gives ``tarnsides``.

    Parameters
    ----------
    texts : sequence of str
        The passages.

    Examples
    --------
    >>> names_in(["Police in Tarnside told Holmbrook.", "Schools in Tarnside's area.", "The police came."])
    ['holmbrook', 'tarnside', 'tarnsides']
    """
    capitalised: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        for match in _RAW_WORD_RE.finditer(text):
            word = _NOT_KEPT_BY_BERTOPIC.sub("", match.group())
            if word.islower():
                lower.add(word)
            elif word.istitle() and len(word) > 1 and _mid_sentence(text, match.start()):
                capitalised.add(word.lower())
    return sorted(capitalised - lower)


def _mid_sentence(text: str, start: int) -> bool:
    """True when the word at ``start`` follows a word, a comma, a semicolon or a bracket (not a full stop)."""
    before = start - 1
    while before >= 0 and text[before].isspace():
        before -= 1
    return before >= 0 and (text[before].isalnum() or text[before] in _MID_SENTENCE_AFTER)
