"""Sections of a review whose passages are not tagged with themes: how the review was done, not what it found.

The labelling policy (``models/training/DATA_CARD.md``) gives no theme to review methodology, terms of
reference and key lines of enquiry, acknowledgements, glossaries or reference lists: a learning-review officer
searching for a theme does not want a review's list of questions ("how did agencies share information?") or
its account of whom the reviewer met as evidence of what went wrong. The classifier reads one passage at a
time and cannot see that it sits in such a section, so it tags some of them on their words (on the demo
reviews, 25 tags in 17 of 42 passages).
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
    r"(?:the\s+)?(?:key\s+)?lines\s+of\s+(?:enquiry|inquiry)(?:\s*\(kloes?\))?|kloes?",
    r"(?:the\s+)?(?:review\s+questions|questions\s+(?:for|addressed\s+by|considered\s+by)\s+(?:the|this)\s+review)",
    r"what\s+(?:the|this)\s+review\s+(?:looked\s+at|considered|asked|covered)",
    r"(?:the\s+)?(?:purpose|focus|aims?)(?:\s+and\s+(?:purpose|focus|aims?))?\s+of\s+(?:the|this)\s+review",
    r"(?:the\s+)?(?:reasons?|rationale|criteria)(?:\s+for\s+(?:the|this|a)\s+review)?",
    r"why\s+(?:the|this)\s+review\s+was\s+(?:carried\s+out|commissioned|undertaken|done|held)",
    r"(?:the\s+)?(?:period|time\s*frame|time\s+period|timescales?)\s+(?:under|of\s+(?:the|this)|covered\s+by\s+(?:the|this))"
    r"\s+review|(?:the\s+)?review\s+period",
    r"(?:about\s+)?(?:the|this)\s+review",
    r"parallel\s+(?:processes|proceedings|investigations)",
    r"(?:the\s+)?limitations(?:\s+of\s+(?:the|this)\s+review)?",
    r"(?:the\s+)?sources\s+of\s+information|information\s+(?:considered|used)\s+(?:by|in)\s+(?:the|this)\s+review",
    r"(?:the\s+)?(?:independent\s+|lead\s+)?reviewers?|(?:the\s+)?independence\s+of\s+the\s+reviewers?",
    r"(?:the\s+)?scope(?:\s+of\s+(?:the|this)\s+review)?",
    r"(?:the\s+)?(?:review(?:'s)?\s+)?remit(?:\s+of\s+(?:the|this)\s+review)?",
    r"(?:the\s+)?review\s+(?:team|panel)(?:\s+membership)?|(?:panel|review\s+team)\s+membership",
    r"acknowledge?ments?",
    r"glossary(?:\s+of\s+terms)?",
    r"(?:list\s+of\s+)?abbreviations",
    r"references|bibliography",
    r"(?:end|foot)?notes",
    r"(?:table\s+of\s+)?contents",
))
_UNTAGGED = re.compile(rf"\s*{_NUMBER}(?:{_NAMES})(?:\s*(?:,|and|&)\s*(?:{_NAMES}))*\s*[.:]?\s*", re.IGNORECASE)


def is_untagged_section(heading: str | None) -> bool:
    """Whether a section heading names how the review was done: its method, terms of reference, key lines of
    enquiry or questions, purpose, reasons, scope or remit, period, reviewers, sources, limitations, parallel processes,
    acknowledgements, glossary, abbreviations, references, notes or contents (the whole heading, numbering aside).

    A section about the family's part in the review is not on the list (what a parent told the reviewer about
    the help the family had is often a finding), nor is one about the circumstances that led to the review.

    Examples
    --------
    >>> [is_untagged_section(h) for h in ("2. Terms of reference and scope", "Scope and method",
    ...                                  "3. Methodology", "How the review was carried out", "Acknowledgements")]
    [True, True, True, True, True]
    >>> [is_untagged_section(h) for h in ("2. Key lines of enquiry", "What the review looked at", "The review",
    ...                                  "2. Period under review and reasons", "Parallel processes", "Lead reviewers",
    ...                                  "Purpose of the review", "2. Remit and approach", "The remit of the review")]
    [True, True, True, True, True, True, True, True, True]
    >>> [is_untagged_section(h) for h in ("Notes", "8. Endnotes", "Notes and references", "Notes of the meeting")]
    [True, True, True, False]
    >>> [is_untagged_section(h) for h in ("The child protection process", "Finding 2: Methods of control",
    ...                                  "Scope for improvement", "Introduction", "Reasons for the delay",
    ...                                  "Review of the child protection plan", "Circumstances leading to the review",
    ...                                  "Family involvement", "Key line of enquiry 1: How well was risk assessed?",
    ...                                  "The review's findings", "Outside the remit of children's services", None)]
    [False, False, False, False, False, False, False, False, False, False, False, False]

    A review that sets out its findings under each line of enquiry in turn keeps them tagged: only a heading
    that names the list itself ("Key lines of enquiry") is left out.
    """
    return bool(heading) and _UNTAGGED.fullmatch(heading) is not None


def untagged_passages(passages: Sequence[Passage]) -> set[str]:
    """Ids of the passages of one review that sit in such a section, when the section holds at most
    ``MAX_SHARE`` of the review's passages; of its footnotes, which cite sources, define terms or count
    answers ("12 of 75 respondents answered this question") rather than say what the review found; and of
    its passages in another language (the Welsh half of a bilingual review), which the English theme model
    cannot read."""
    sizes = Counter(p.section for p in passages)
    limit = MAX_SHARE * len(passages)
    return {p.passage_id for p in passages
            if p.footnote or p.other_language or (is_untagged_section(p.section) and sizes[p.section] <= limit)}
