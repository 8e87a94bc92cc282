"""Sections of a review whose passages are not tagged with themes: how the review was done, not what it found.

The labelling policy (``models/training/DATA_CARD.md``) gives no theme to review methodology, terms of
reference, acknowledgements, glossaries or reference lists: a learning-review officer searching for a theme
does not want a review's list of questions ("how did agencies share information?") or its account of whom the
reviewer met as evidence of what went wrong. The classifier reads one passage at a time and cannot see that it
sits in such a section, so it tags some of them on their words (on the demo reviews, 22 tags in 27 passages).
The pipeline leaves these passages untagged.

A heading set in the text's own type is not recognised, and the passages under it keep the last recognised
section: if the headings after "Methodology" were missed, the rest of the review would sit under it. So a
section is left untagged only while it holds at most ``MAX_SHARE`` of the review's passages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from pipeline.records import Passage

MAX_SHARE = 0.2  # a "method" section holding more of the review than this has swallowed missed headings

_NUMBER = r"(?:(?:section|part|chapter|appendix)\s+)?(?:\d+(?:\.\d+)*|[ivx]+|[a-h])?[.):]?\s*"
_NAMES = "|".join((
    r"(?:the\s+)?(?:review\s+)?(?:method|methods|methodology|process|approach)"
    r"(?:\s+(?:of|for|used\s+in)\s+(?:the|this)\s+review)?",
    r"how\s+(?:the|this)\s+review\s+was\s+(?:done|carried\s+out|conducted|undertaken|completed)",
    r"(?:the\s+)?terms\s+of\s+reference",
    r"(?:the\s+)?scope(?:\s+of\s+(?:the|this)\s+review)?",
    r"(?:the\s+)?review\s+(?:team|panel)(?:\s+membership)?|(?:panel|review\s+team)\s+membership",
    r"acknowledge?ments?",
    r"glossary(?:\s+of\s+terms)?",
    r"(?:list\s+of\s+)?abbreviations",
    r"references|bibliography",
    r"(?:table\s+of\s+)?contents",
))
_UNTAGGED = re.compile(rf"\s*{_NUMBER}(?:{_NAMES})(?:\s*(?:,|and|&)\s*(?:{_NAMES}))*\s*[.:]?\s*", re.IGNORECASE)


def is_untagged_section(heading: str | None) -> bool:
    """Whether a section heading names a review's method, terms of reference, scope, acknowledgements,
    glossary, abbreviations, references or contents (the whole heading, numbering aside).

    Examples
    --------
    >>> [is_untagged_section(h) for h in ("2. Terms of reference and scope", "Scope and method",
    ...                                  "3. Methodology", "How the review was carried out", "Acknowledgements")]
    [True, True, True, True, True]
    >>> [is_untagged_section(h) for h in ("The child protection process", "Finding 2: Methods of control",
    ...                                  "Scope for improvement", "Introduction", None)]
    [False, False, False, False, False]
    """
    return bool(heading) and _UNTAGGED.fullmatch(heading) is not None


def untagged_passages(passages: Sequence[Passage]) -> set[str]:
    """Ids of the passages of one review that sit in such a section, when the section holds at most
    ``MAX_SHARE`` of the review's passages."""
    sizes = Counter(p.section for p in passages)
    limit = MAX_SHARE * len(passages)
    return {p.passage_id for p in passages if is_untagged_section(p.section) and sizes[p.section] <= limit}
