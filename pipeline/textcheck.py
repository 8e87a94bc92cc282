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
MIN_OCR_LETTERS = 12  # OCR text with at least this many letters must be mostly English words
MIN_FONT_LETTERS = 40  # a font's lines across a document: fewer letters than this, too little to judge
MIN_FONT_CHARS = 20
MAX_FONT_KNOWN_SHARE = 0.3  # stricter than a page's: a font may be kept for names, places or another language

_EDGE_PUNCTUATION = "\"'“”‘’()[]{}<>.,;:!?*•·–—-…/\\|"
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
_ACRONYM = re.compile(r"[A-Z]{1,6}s?")
# Web and email addresses, and the pieces of them a page's lines break them into ("nt/uploads/file/942454/",
# "dren_inter_agency_guidance.pdf"): a references page lists dozens, and their letters are no words of English.
_ADDRESS = re.compile(r"(?i)[(<\[]?(?:(?:https?|ftp)://|www\.)\S+|\S+@\S+\.[a-z]{2,}\S*"
                      r"|\S+\.(?:gov|org|com|net|ac|nhs|co|uk|wales|scot)(?:\.[a-z]{2,})*(?:/\S*)?"
                      r"|\S*\w[/_]\w\S*|\S+\.(?:pdf|html?|aspx?|docx?)")
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


def text_quality(text: str, skip_acronyms: bool = False) -> TextQuality:
    """Measure ``text`` (a page's text layer). With ``skip_acronyms``, words of up to six capitals ("CAMHS",
    "MASH") are left out of the sample: a font used for little else than them is not garbled.

    >>> text_quality("The review found that the assessment was not updated.").known_share
    1.0
    >>> text_quality("9C.!p22.22f.m9!t5!9C.!5pfJ_").known_share
    0.0

    Web and email addresses are not weighed (a references page is mostly links):

    >>> text_quality("See https://www.gov.uk/government/publications/working-together and www.nspcc.org.uk "
    ...              "or email reviews@northmoor.gov.uk").known_share
    1.0
    """
    tokens = [token for token in text.split() if not _ADDRESS.fullmatch(token)]
    if skip_acronyms:
        tokens = [t for t in tokens if not _ACRONYM.fullmatch(t.strip(_EDGE_PUNCTUATION))]
    sample = tokens[:SAMPLE_WORDS]
    known = 0
    for token in sample:
        core = token.strip(_EDGE_PUNCTUATION)
        if core and _WORD.fullmatch(core) and _known(core):
            known += len(core) - core.count("'") - core.count("’") - core.count("-")
    visible = "".join(tokens)  # whitespace (some of it control characters, "\x0c") is neither text nor odd
    return TextQuality(chars=len(visible), odd=len(_ODD.findall(visible)),
                       letters=len(_LETTER.findall(" ".join(sample))), known_letters=known)


def garbled_font(text: str) -> bool:
    """Whether the text set in one font, across a document, is junk: the font's character map is wrong.

    A font used only for a few lines (the headings, say) can be garbled on pages that read well otherwise, and
    there are too few of its words on any one page to judge them. Across the document its lines need at least
    ``MIN_FONT_LETTERS`` letters, under ``MAX_FONT_KNOWN_SHARE`` of them in known English words; or a quarter of
    at least ``MIN_FONT_CHARS`` characters that are never text. Short capitalised words (acronyms) are not held
    against a font (nor are bullets: the caller leaves them out).

    >>> garbled_font("Section 1: what the review found. Section 2: what the review found.")
    False
    >>> garbled_font("l.~9Jtm Ay NCp9 9C. +.GJ.N 5t@m l.~9Jtm A5 NCp9 9C. +.GJ.N 5t@m l.~9Jtm AC NCp9 9C. +.GJ.N")
    True
    >>> garbled_font("GP CAMHS MASH IRO CSC GP CAMHS MASH IRO CSC GP CAMHS MASH IRO CSC GP CAMHS")
    False
    """
    quality = text_quality(text, skip_acronyms=True)
    if quality.chars >= MIN_FONT_CHARS and quality.odd_share >= MAX_ODD_SHARE:
        return True
    return quality.letters >= MIN_FONT_LETTERS and quality.known_share < MAX_FONT_KNOWN_SHARE


def readable_ocr_text(text: str) -> bool:
    """Whether what OCR read on a page is English text worth keeping.

    OCR finds "words" in photographs, logos and specks, and reads a page in another language letter by letter.
    Only words of three or more characters are weighed (specks read as "il", "Ee" or "wt" are words of the
    list); they must hold at least ``MIN_OCR_LETTERS`` letters, most of them (``MIN_KNOWN_SHARE``) in known
    English words.

    >>> readable_ocr_text("Summary of the case. Child G was a nine-year-old girl.")
    True
    >>> readable_ocr_text("il |i: Ee ~~ wt Yr nl Rr jf ae Sprtw Gklm ;Ii1 aWw")
    False
    >>> readable_ocr_text("4")
    False
    """
    quality = text_quality(text)
    if not quality.chars or quality.garbled:
        return False
    words = text_quality(" ".join(t for t in text.split() if len(t.strip(_EDGE_PUNCTUATION)) >= 3))
    return words.letters >= MIN_OCR_LETTERS and words.known_share >= MIN_KNOWN_SHARE


def _known(word: str) -> bool:
    """A word of the list, or a hyphenated/apostrophised word whose parts are all in it ("multi-agency")."""
    if log_probability(word) is not None or log_probability(word.replace("’", "'")) is not None:
        return True
    parts = re.split(r"['’\-]", word)
    return len(parts) > 1 and all(not part or log_probability(part) is not None for part in parts)
