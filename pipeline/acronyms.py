"""Abbreviations a review defines for itself: "the multi-agency risk assessment conference (MARAC)".

Reviews spell a service or meeting out once and use its abbreviation from then on, so most passages about a
MARAC say only "MARAC". Search uses the definitions found in the reviews (``pipeline.search``): a search for
"multi-agency risk assessment conference" also searches "MARAC".

A definition is a long form followed by its short form in brackets. The long form is found by the method of
Schwartz and Hearst (2003, "A simple algorithm for identifying abbreviation definitions in biomedical
text"): reading the short form's letters from the last to the first, each is matched to a letter of the
words before the bracket, right to left, and the first letter must start a word. Only short forms that look
like abbreviations are taken (2 to 10 characters, starting with a letter, with at least two capitals and no
more than two digits), so "(Child A)", "(ii)" and "(2019)" are not read as definitions.
"""

from __future__ import annotations

import re

_DEFINITION = re.compile(r"\(([A-Za-z][A-Za-z0-9&]{1,9})\)")
_WORD = re.compile(r"\S+")


def definitions(text: str) -> list[tuple[str, str]]:
    """(short form, long form) for each abbreviation defined in ``text``, in order.

    Examples
    --------
    >>> definitions("She was referred to the multi-agency risk assessment conference (MARAC) in 2013.")
    [('MARAC', 'multi-agency risk assessment conference')]
    >>> definitions("Child and Adolescent Mental Health Services (CAMHS) saw him twice; Child A (aged 3) did not.")
    [('CAMHS', 'Child and Adolescent Mental Health Services')]
    >>> definitions("Accident and Emergency (A&E); an initial child protection conference (ICPC).")
    [('A&E', 'Accident and Emergency'), ('ICPC', 'initial child protection conference')]
    >>> definitions("the Team (TM) and the period (2019) and point (ii)")
    []
    """
    found = []
    for match in _DEFINITION.finditer(text):
        short = match.group(1)
        if not _looks_like_abbreviation(short):
            continue
        letters = sum(ch.isalnum() for ch in short)
        before = _WORD.findall(text[:match.start()])[-min(letters + 5, 2 * letters):]
        long_form = _long_form(short, before)
        if long_form:
            found.append((short, long_form))
    return found


# Words a long form does not start with: "Accident and Emergency (A&E)" is not "and Emergency".
_CONNECTORS = frozenset("and of the for to in on at by with or a an".split())


def _starts_word(lower: str, position: int) -> bool:
    """Whether ``position`` starts a word (after a space or a hyphen) that is not a connecting word."""
    if position > 0 and lower[position - 1].isalnum():
        return False
    end = position
    while end < len(lower) and lower[end].isalnum():
        end += 1
    return lower[position:end] not in _CONNECTORS


def _looks_like_abbreviation(short: str) -> bool:
    return sum(ch.isupper() for ch in short) >= 2 and sum(ch.isdigit() for ch in short) <= 2


def _long_form(short: str, words: list[str]) -> str | None:
    """The shortest run of ``words`` (ending with the last) whose letters spell ``short`` (Schwartz-Hearst)."""
    words = [w.strip("\"'“”‘’,;:") for w in words]
    words = [w for w in words if w]
    if not words:
        return None
    text = " ".join(words)
    lower, target = text.lower(), [ch for ch in short.lower() if ch.isalnum()]
    position = len(lower) - 1
    for index in range(len(target) - 1, -1, -1):
        ch = target[index]
        while position >= 0 and (lower[position] != ch or (index == 0 and not _starts_word(lower, position))):
            position -= 1
        if position < 0:
            return None
        position -= 1
    start = lower.rfind(" ", 0, position + 1) + 1
    long_form = text[start:].strip()
    if len(long_form.split()) < 2 or len(long_form) <= len(short):
        return None
    return long_form
