"""Is a page's text layer readable English, or is it damaged?

Some PDFs carry a text layer whose characters do not map to the letters shown on the page: a font embedded
without (or with a wrong) character map. The page looks right on screen, but its extracted text is junk
("9Cp9!9C.!p22.22f.m9") or control characters. Stored, such text would be searched, tagged and clustered
as if it were words. This module measures how much of a page's text is made of known English words and
of characters that are never text, so the extractor can set a damaged page aside for OCR instead.

A page is judged only when it has enough text to judge (a cover page with a title, or a chart page of
figures, is always kept). Tables of numbers are not held against a page: only letters are weighed against
the word list. A page in another language (a Welsh page of a bilingual review) also reads as "not English";
the message for such pages says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.lexicon import log_probability

MIN_CHARS = 150  # fewer visible characters than this: too little text to judge
MIN_LETTERS = 150
MAX_ODD_SHARE = 0.25  # control, private-use or replacement characters among the visible characters
MIN_KNOWN_SHARE = 0.45  # letters that belong to known English words, among all letters
SAMPLE_WORDS = 300  # words are looked up among the page's first 300 (plenty to judge, and cheaper)

_EDGE_PUNCTUATION = "\"'“”‘’()[]{}<>.,;:!?*•·–—-…/\\|"
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
# Never text: C0/C1 controls, invisible format characters, private use, specials and U+FFFD. (U+FFFE is
# left out: pdfium uses it to mark a hyphen at a line end.)
_ODD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
                  r"\ue000-\uf8ff\ufff9-\ufffd\uffff\U000f0000-\U0010ffff]")


@dataclass(frozen=True)
class TextQuality:
    """The counts behind the judgement of one page's text."""

    chars: int  # visible (non-space) characters
    odd: int  # of which never text: control, format, private-use, unassigned or U+FFFD
    letters: int  # letters in the sampled words (the first SAMPLE_WORDS)
    known_letters: int  # of which in known English words

    @property
    def known_share(self) -> float:
        return self.known_letters / self.letters if self.letters else 1.0

    @property
    def odd_share(self) -> float:
        return self.odd / self.chars if self.chars else 0.0

    @property
    def garbled(self) -> bool:
        """True when there is enough text to judge and it is mostly not characters or words of English."""
        if self.chars < MIN_CHARS:
            return False
        if self.odd_share >= MAX_ODD_SHARE:
            return True
        return self.letters >= MIN_LETTERS and self.known_share < MIN_KNOWN_SHARE


def text_quality(text: str) -> TextQuality:
    """Measure ``text`` (a page's text layer).

    >>> text_quality("The review found that the assessment was not updated.").known_share
    1.0
    >>> text_quality("9C.!p22.22f.m9!t5!9C.!5pfJ_").known_share
    0.0
    """
    tokens = text.split()
    sample = tokens[:SAMPLE_WORDS]
    known = 0
    for token in sample:
        core = token.strip(_EDGE_PUNCTUATION)
        if core and _WORD.fullmatch(core) and _known(core):
            known += len(core) - core.count("'") - core.count("’") - core.count("-")
    visible = "".join(tokens)  # whitespace (some of it control characters, "\x0c") is neither text nor odd
    return TextQuality(chars=len(visible), odd=len(_ODD.findall(visible)),
                       letters=len(_LETTER.findall(" ".join(sample))), known_letters=known)


def _known(word: str) -> bool:
    """A word of the list, or a hyphenated/apostrophised word whose parts are all in it ("multi-agency")."""
    if log_probability(word) is not None or log_probability(word.replace("’", "'")) is not None:
        return True
    parts = re.split(r"['’\-]", word)
    return len(parts) > 1 and all(not part or log_probability(part) is not None for part in parts)
