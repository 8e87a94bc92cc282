"""Segment stage: blocks of a review into paragraph-sized passages with their sentences.

A passage is one paragraph (or a run of short list items, or a few rows of a table), capped in length by
splitting at sentence boundaries, and never crossing a section: the most recent heading is its section.
Contents lists are not passages.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.abbreviations import CITATION_ABBREVIATIONS, NON_FINAL_ABBREVIATIONS
from pipeline.contents import CONTENTS_TITLE
from pipeline.nlp import Language, load_nlp
from pipeline.records import Block, PageBreaks, Passage, Sentence, joined_breaks
from pipeline.textcheck import text_quality

MAX_PASSAGE_CHARS = 1200
# List items and fragments shorter than this are merged with their neighbours in the same section.
MIN_PASSAGE_CHARS = 160
BLOCK_SEPARATOR = "\n\n"


@dataclass
class _Piece:
    """A stretch of the review's full text that will become (part of) a passage."""

    text: str
    start: int  # offset in the full text
    page_start: int
    page_end: int
    section: str | None
    kind: str
    box: tuple[int, int] | None = None
    # (offset in ``text``, page) where the text moves to a later page (see Block.page_breaks)
    page_breaks: PageBreaks = ()
    headings: tuple[str, ...] = ()  # the headings it is under, outermost first (its section last)

    def pages(self, start: int, end: int) -> tuple[int, int]:
        """The first and last page of ``text[start:end]`` (leading and trailing blanks aside): a passage cut
        from a paragraph running over two pages is on one of them, or on both."""
        chunk = self.text[start:end]
        first = start + len(chunk) - len(chunk.lstrip())
        last = start + len(chunk.rstrip()) - 1

        def page_at(offset: int) -> int:
            page = self.page_start
            for where, later in self.page_breaks:
                if where <= offset:
                    page = later
            return min(max(page, self.page_start), self.page_end)

        return page_at(first), max(page_at(first), page_at(last))


# A footnote opens with its mark ("12 ", "* ", "† ", "iv "): text in small type at the foot of a page
# without one may be body text set small (an appendix of quotes), which is tagged as text is.
_NOTE_MARK = re.compile(r"\s*(?:\d{1,3}|[ivxl]{1,5}|[*\u2020\u2021\u00a7]+)[.)]?\s")


def opens_as_note(text: str) -> bool:
    """Whether ``text`` opens with a footnote's mark.

    >>> opens_as_note("12 See the statutory guidance."), opens_as_note("The school shared its concerns.")
    (True, False)
    """
    return bool(_NOTE_MARK.match(text))


def full_text(blocks: list[Block]) -> str:
    """The review's text: its blocks joined by blank lines (passage offsets point into this)."""
    return BLOCK_SEPARATOR.join(block.text for block in blocks)


def segment(review_id: str, blocks: list[Block], nlp: Language | None = None) -> list[Passage]:
    """Split a review's blocks into passages with sentences, ids, pages, sections and offsets.

    Examples
    --------
    >>> from pipeline.records import Block
    >>> blocks = [Block("heading", "Findings", 3, 3, 1), Block("paragraph", "No one saw Child A alone.", 3, 3)]
    >>> [(p.section, p.text, p.page_start) for p in segment("demo-1", blocks)]
    [('Findings', 'No one saw Child A alone.', 3)]
    """
    nlp = nlp or load_nlp()
    pieces = _merge_short(_pieces(blocks))
    docs = nlp.pipe((piece.text for piece in pieces), batch_size=64)
    passages: list[Passage] = []
    seen: Counter[str] = Counter()
    for piece, doc in zip(pieces, docs, strict=True):
        for chunk_start, chunk_end, sentences in _chunks(piece, doc):
            text = piece.text[chunk_start:chunk_end]
            page_start, page_end = piece.pages(chunk_start, chunk_end)
            key = hashlib.sha256(f"{review_id}\x00{text}".encode()).hexdigest()
            seen[key] += 1
            passage_id = _passage_id(review_id, text, seen[key])
            passages.append(
                Passage(
                    passage_id=passage_id,
                    review_id=review_id,
                    seq=len(passages) + 1,
                    text=text,
                    page_start=page_start,
                    page_end=page_end,
                    section=piece.section,
                    char_start=piece.start + chunk_start,
                    char_end=piece.start + chunk_end,
                    sentences=tuple(sentences),
                    footnote=piece.kind == "footnote" and opens_as_note(piece.text),
                    other_language=other_language(piece.text),
                    headings=piece.headings,
                )
            )
    return passages


# A text in another language: enough letters to judge, few of them in English words. English passages of the demo
# and shared documents have 0.77 or more of their letters in known words (references and chart labels included),
# Welsh paragraphs 0.1-0.25.
OTHER_LANGUAGE_LETTERS = 40
OTHER_LANGUAGE_KNOWN_SHARE = 0.35
OTHER_LANGUAGE_SAMPLE = 300  # characters: a passage's opening is enough to judge (merged passages are checked often)


def other_language(text: str) -> bool:
    """Whether ``text`` is written in another language than English (the Welsh half of a bilingual review): its
    passages are kept apart from the English beside them, stored and searched, and not tagged with themes.

    >>> other_language("Nid oedd ymarferwyr bob amser yn gofyn pwy arall oedd yn byw yn y cartref.")
    True
    >>> other_language("Practitioners did not always ask who else lived in the home (MARAC, CAMHS, IRO).")
    False
    >>> other_language("Gwasanaethau Plant")  # too short to judge
    False
    """
    return _other_language(text[:OTHER_LANGUAGE_SAMPLE])


@functools.lru_cache(maxsize=4096)
def _other_language(text: str) -> bool:
    quality = text_quality(text, skip_acronyms=True)
    return quality.letters >= OTHER_LANGUAGE_LETTERS and quality.known_share < OTHER_LANGUAGE_KNOWN_SHARE


def split_sentences(texts: Iterable[str], nlp: Language | None = None) -> list[list[str]]:
    """The sentences of each text, found the same way as the sentences of passages.

    Examples
    --------
    >>> split_sentences(['No one saw Child A alone. "I was scared," she said.'])
    [['No one saw Child A alone.', '"I was scared," she said.']]
    """
    nlp = nlp or load_nlp()
    texts = [str(text) for text in texts]
    with nlp.select_pipes(enable=["sentencizer"]):
        docs = nlp.pipe(texts, batch_size=64)
        # (spaCy rebuilds doc.text from its tokens at each use: taken once, or a long text costs its square)
        return [[text[a:b] for a, b in _sentence_spans(doc, text)]
                for doc, text in zip(docs, texts, strict=True)]


def _passage_id(review_id: str, text: str, occurrence: int) -> str:
    """A content hash: the same text in the same review gets the same id on every run."""
    digest = hashlib.sha256(f"{review_id}\x00{text}\x00{occurrence}".encode()).hexdigest()
    return digest[:20]


# A heading's section number: "5", "5.", "5.1", "5.1.2)", "Section 5.1". A year ("2019 to 2021"), a date ("3 March
# 2020", a chronology's heading) and a span of time ("24 hours before") are not one.
_HEADING_NUMBER = re.compile(
    r"(?:(?:section|part|chapter)\s+)?(\d{1,2}(?:\.\d{1,2}){0,3})(?:[.):]|\s*[-–—])?\s+"
    r"(?!(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr"
    r"|jun|jul|aug|sept?|oct|nov|dec|hours?|days?|weeks?|months?|years?)\b)\S",
    re.IGNORECASE)


def heading_number(text: str) -> tuple[int, ...] | None:
    """The section number a heading opens with, as a tuple (None: it has none).

    >>> heading_number("5.1 Assessment"), heading_number("Section 3: Findings"), heading_number("12) Plans")
    ((5, 1), (3,), (12,))
    >>> heading_number("2019 to 2021"), heading_number("Finding 1: Drift"), heading_number("5.1")
    (None, None, None)
    >>> heading_number("3 March 2020: the first visit"), heading_number("24 hours before the admission")
    (None, None)
    >>> heading_number("5. Decisions about Marcus"), heading_number("7 Sept 2021")
    ((5,), None)
    """
    match = _HEADING_NUMBER.match(text.strip())
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


@dataclass(frozen=True)
class _Above:
    """A heading the text that follows is under: its level by type (1 largest) and its section number."""
    level: int
    text: str
    number: tuple[int, ...] | None


# A heading that numbers a finding, as v_review_findings takes it (migration 011): "Finding 2: ...", "Learning point
# 1 - ...", "Theme 3", "Area for improvement 1".
_FINDING_HEADING = re.compile(
    r"(?:\d+(?:\.\d+)*\.?\s+)?(?:key\s+)?(?:finding|learning\s+(?:point|area|theme)|key\s+learning|lesson|theme"
    r"|areas?\s+for\s+(?:improvement|development))s?\s+\d+\b", re.IGNORECASE)
# The subheadings the SCIE model of a finding sets under it: "How the issue showed itself", "How widespread it is",
# "Why this matters", "Questions for the Board" (set as questions, ending in "?", they are read as text anyway).
_FINDING_PART = re.compile(r"(?:how|why)\b|questions?\s+for\b", re.IGNORECASE)


def _push_heading(above: list[_Above], heading: _Above) -> None:
    """Put ``heading`` on the stack of headings ``above`` the text, taking off those it ends.

    By type, a heading ends those of its own size and smaller. Numbers say more: a numbered heading is under the
    heading whose number starts its own ("5" for "5.1"), whatever their type, and between numbered headings of
    one type, it ends those whose number does not start its own ("5.1" and "5" for "6"). A heading numbered
    afresh in smaller type ("1. The Board" below "8. Recommendations") stays under the larger one.

    >>> def chain(*headings):
    ...     above = []
    ...     for level, text in headings:
    ...         _push_heading(above, _Above(level, text, heading_number(text)))
    ...     return [h.text for h in above]
    >>> chain((1, "5. Learning"), (1, "5.1 Drift"), (1, "5.2 Plans"))
    ['5. Learning', '5.2 Plans']
    >>> chain((1, "5. Learning"), (1, "5.1 Drift"), (1, "6. Recommendations"))
    ['6. Recommendations']
    >>> chain((1, "8. Recommendations"), (2, "1. For the Board"), (2, "2. For schools"))
    ['8. Recommendations', '2. For schools']
    >>> chain((1, "4. Chronology"), (2, "3 March 2020"), (2, "12 May 2020"))
    ['4. Chronology', '12 May 2020']
    >>> chain((1, "5. Learning"), (2, "Why it matters"), (1, "5.1 Drift"))
    ['5. Learning', '5.1 Drift']

    The parts of a finding as SCIE's model lays them out ("How the issue showed itself", "Why this matters",
    "Questions for the Board") are under the finding's heading ("Finding 2: ...") even when set in the same
    type; a heading of that type that is no such part ends the finding.

    >>> chain((1, "Finding 1: Drift"), (1, "How it showed itself"), (1, "Why this matters"))
    ['Finding 1: Drift', 'Why this matters']
    >>> chain((1, "Finding 1: Drift"), (1, "Why this matters"), (1, "Finding 2: Plans"))
    ['Finding 2: Plans']
    >>> chain((1, "Finding 1: Drift"), (1, "Why this matters"), (1, "Recommendations"))
    ['Recommendations']
    >>> chain((1, "Background"), (1, "Why the review was held"))
    ['Why the review was held']
    """
    number = heading.number
    if number is None and _FINDING_PART.match(heading.text):
        depth = len(above)
        while depth and (above[depth - 1].level > heading.level or (
                above[depth - 1].level == heading.level and _FINDING_PART.match(above[depth - 1].text))):
            depth -= 1
        if depth and above[depth - 1].level == heading.level and _FINDING_HEADING.match(above[depth - 1].text):
            del above[depth:]
            above.append(heading)
            return
    if number is not None and len(number) > 1 and any(h.number == number[:-1] for h in above):
        while above[-1].number != number[:-1]:
            above.pop()
    else:
        while above and _ends(heading, above[-1]):
            above.pop()
    above.append(heading)


def _ends(new: _Above, old: _Above) -> bool:
    """Whether heading ``new`` ends ``old``, the innermost heading above it: by type (``old`` is of its size or
    smaller) unless both are numbered and of one type, when by number (``old``'s does not start ``new``'s)."""
    if new.number is None or old.number is None or old.level != new.level:
        return old.level >= new.level
    return old.number != new.number[:len(old.number)] or old.number == new.number


def _pieces(blocks: list[Block]) -> list[_Piece]:
    """The blocks that become passages, each with its section.

    A heading inside a box (a shaded "Learning point" panel, a sidebar) is the section of that box's text only:
    the text after the box keeps the section it had before. A box holding nothing but headings (a shaded
    band behind a chapter title) is no box here: its heading is the section of what follows, as usual.

    >>> blocks = [Block("heading", "Findings", 1, 1), Block("paragraph", "Before.", 1, 1),
    ...           Block("heading", "Learning point", 1, 1, box=(1, 1)), Block("paragraph", "Inside.", 1, 1, box=(1, 1)),
    ...           Block("paragraph", "After.", 1, 1)]
    >>> [(p.text, p.section) for p in _pieces(blocks)]
    [('Before.', 'Findings'), ('Inside.', 'Learning point'), ('After.', 'Findings')]

    A contents list's title set as plain text goes with the list:

    >>> blocks = [Block("paragraph", "Child Y", 1, 1), Block("paragraph", "Contents", 2, 2),
    ...           Block("contents", "Introduction, page 3", 2, 2), Block("heading", "Introduction", 3, 3)]
    >>> [p.text for p in _pieces(blocks)]
    ['Child Y']

    Each piece also has the headings it is under, by their levels: a subheading ("Why this matters") is under
    the heading above it ("Finding 1: ...") until a heading of that level or a larger one comes.

    >>> blocks = [Block("heading", "Finding 1: Drift", 3, 3, 1), Block("heading", "Why this matters", 3, 3, 2),
    ...           Block("paragraph", "Delay harms.", 3, 3), Block("heading", "Finding 2: Plans", 4, 4, 1),
    ...           Block("paragraph", "No plan.", 4, 4)]
    >>> [(p.section, p.headings) for p in _pieces(blocks)]
    [('Why this matters', ('Finding 1: Drift', 'Why this matters')), ('Finding 2: Plans', ('Finding 2: Plans',))]

    Numbered headings nest by their numbers as well, as reviews that set every heading in one type still show:
    "5.1" is under "5", and "6" ends both.

    >>> blocks = [Block("heading", "5. Learning", 5, 5, 1), Block("heading", "5.1 Drift", 5, 5, 1),
    ...           Block("paragraph", "Delay harms.", 5, 5), Block("heading", "6. Recommendations", 6, 6, 1),
    ...           Block("paragraph", "Plan.", 6, 6)]
    >>> [p.headings for p in _pieces(blocks)]
    [('5. Learning', '5.1 Drift'), ('6. Recommendations',)]
    """
    panels = {b.box for b in blocks if b.box is not None and b.kind != "heading"}
    pieces = []
    section: str | None = None
    above: list[_Above] = []  # the headings the text is under, outermost first
    box: tuple[int, int] | None = None
    box_section: str | None = None
    offset = 0
    for block in blocks:
        block_box = block.box if block.box in panels else None
        if block_box != box:
            box, box_section = block_box, None
        if block.kind == "heading":
            if box is None:
                section = block.text
                _push_heading(above, _Above(block.level or 1, block.text, heading_number(block.text)))
            else:
                box_section = block.text
        elif block.kind == "contents":
            # A contents list is not text about the case (see pipeline.contents), and the heading above it
            # ("Contents") is no section for whatever follows; set as plain text, that title is no passage either.
            section = None
            above = []
            if pieces and pieces[-1].box == box and CONTENTS_TITLE.match(pieces[-1].text.strip(" :")):
                pieces.pop()
        elif block.text.strip():
            headings = tuple(heading.text for heading in above) + ((box_section,) if box_section else ())
            pieces.append(_Piece(block.text, offset, block.page_start, block.page_end, box_section or section,
                                 block.kind, box, block.page_breaks, headings))
        offset += len(block.text) + len(BLOCK_SEPARATOR)
    return pieces


# A sub-item of a list: "(a)", "b)", "c.", "(iv)", "ii.". Numbered paragraphs ("1.", "5.2") are not: in reviews they are
# whole findings or recommendations, each a passage of its own.
_SUB_ITEM = re.compile(r"^(?:\(?[a-z]\)|[a-z]\.|\(?[ivx]{1,4}\)|[ivx]{2,4}\.)\s+\S")


# An item whose bullet is a picture, not a character, is a short line that ends no sentence. It counts only
# inside a list that is open (after a colon or another item): elsewhere such a line is a label or a heading.
_UNMARKED_ITEM_CHARS = 120
_ENDS_SENTENCE = (".", "!", "?", ":", '"', "\u201d", "\u2019", "'")


def _is_item(piece: _Piece, list_open: bool = False) -> bool:
    if piece.kind == "list_item" or _SUB_ITEM.match(piece.text):
        return True
    text = piece.text.strip()
    return (list_open and len(text) <= _UNMARKED_ITEM_CHARS and BLOCK_SEPARATOR not in text
            and not text.endswith(_ENDS_SENTENCE))


# A numbered paragraph ("4. The partnership should ...", "5.2 Schools should ...") that is a whole sentence is a
# recommendation or finding people cite by its number: it keeps its own passage however short, so its page is
# its own. Shorter than this, or of fewer words after its number, a numbered line is more likely a heading or a
# fragment ("4.1 Background.").
_NUMBERED = re.compile(r"\d{1,2}(?:\.\d{1,2}){1,2}\.?\s+[A-Z]|\d{1,2}[.)]\s+[A-Z]")  # "4. The", "5.2 Schools"
_MIN_NUMBERED_CHARS = 25
_MIN_NUMBERED_WORDS = 4


# A short labelled line under a numbered recommendation says who leads it or by when ("Lead: Head of
# Safeguarding", "Timescale: March 2025"): it belongs with the recommendation.
_LABELLED = re.compile(r"[A-Z][A-Za-z/&' -]{1,30}:\s+\S")
_LABELLED_CHARS = 120


def _labelled(text: str) -> bool:
    """Whether ``text`` is a short "Label: value" line: a label of a few words, and a value that is no sentence.

    >>> [_labelled(t) for t in ("Lead: Head of Safeguarding", "Target date: March 2025",
    ...                          "The panel met: the school, the GP and the police attended each time.")]
    [True, True, False]
    """
    text = text.strip()
    return (len(text) <= _LABELLED_CHARS and BLOCK_SEPARATOR not in text and _LABELLED.match(text) is not None
            and len(text.split(":", 1)[0].split()) <= 3 and not text.endswith(_ENDS_SENTENCE))


def _numbered_sentence(text: str) -> bool:
    """Whether ``text`` is one numbered paragraph ending a sentence.

    >>> _numbered_sentence("4. The partnership should publicise its escalation policy to voluntary groups.")
    True
    >>> _numbered_sentence("1.2 A second referral was made in May.")
    True
    >>> [_numbered_sentence(t) for t in ("4. Findings", "4.1 Background.",
    ...                                  "2019 was the year the family moved to the area and the "
    ...                                  "school first raised concerns.", "(a) record who lives there and why.",
    ...                                  "24 March 2019 Police attended the home after a neighbour called.",
    ...                                  "12 Children were seen by the team in the first week of the year.")]
    [False, False, False, False, False, False]
    """
    text = text.strip()
    return (len(text) >= _MIN_NUMBERED_CHARS and BLOCK_SEPARATOR not in text and _NUMBERED.match(text) is not None
            and not re.match(r"\d{3,}", text) and text.endswith((".", "!", "?"))
            and len(text.split()) > _MIN_NUMBERED_WORDS)


def _merge_short(pieces: list[_Piece]) -> list[_Piece]:
    """Join runs of list items and short fragments within a section, up to the length cap.

    A list stays with the sentence that introduces it ("The panel recommends that agencies:" / "(a) record
    ..." / "(b) share ..."): bullets and lettered items, and short lines ending no sentence (items whose bullet
    is a picture), join the text before them while it ends with a colon or with an item that joined it, so a
    list is never cut after its first item.

    >>> def piece(text, start, kind="paragraph"):
    ...     return _Piece(text, start, 1, 1, "Recommendations", kind)
    >>> texts = ["5.1 " + "The partnership should make sure that agencies working with the family:" * 3,
    ...          "(a) record who lives in the household;", "(b) share a change of address; and",
    ...          "(c) seek the child's views.", "5.2 The local authority should review its guidance."]
    >>> pieces, start = [], 0
    >>> for text in texts:
    ...     pieces.append(piece(text, start)); start += len(text) + len(BLOCK_SEPARATOR)
    >>> [p.text.split(BLOCK_SEPARATOR)[-1][:4] for p in _merge_short(pieces)]
    ['(c) ', '5.2 ']

    Items whose bullets are pictures join only an open list; a short line elsewhere stays where it is:

    >>> texts = ["The support reported by the areas we surveyed, delivered directly or commissioned, " * 2 + "was:",
    ...          "Parenting support", "Specialist services for domestic abuse", "Most areas offered both." * 8,
    ...          "Stress management for parents"]
    >>> pieces, start = [], 0
    >>> for text in texts:
    ...     pieces.append(piece(text, start)); start += len(text) + len(BLOCK_SEPARATOR)
    >>> [p.text.split(BLOCK_SEPARATOR)[-1][:10] for p in _merge_short(pieces)]
    ['Specialist', 'Most areas', 'Stress man']

    Short numbered recommendations each keep a passage of their own, so each is cited with its own page:

    >>> texts = ["4. The partnership should publicise its escalation policy to voluntary organisations.",
    ...          "5. Schools should hold a transition meeting before a child known to social care moves."]
    >>> pieces, start = [], 0
    >>> for text in texts:
    ...     pieces.append(piece(text, start)); start += len(text) + len(BLOCK_SEPARATOR)
    >>> [p.text[:2] for p in _merge_short(pieces)]
    ['4.', '5.']

    however short, as numbered paragraphs of a chronology or findings are:

    >>> pieces, start = [], 0
    >>> for text in ["1.2 A second referral was made in May.", "1.3 No strategy meeting was held.",
    ...              "1.4 The case was closed in June."]:
    ...     pieces.append(piece(text, start)); start += len(text) + len(BLOCK_SEPARATOR)
    >>> [p.text[:3] for p in _merge_short(pieces)]
    ['1.2', '1.3', '1.4']

    and so do they after a short line that introduces them:

    >>> pieces, start = [], 0
    >>> for text in ["The panel recommends:", *texts]:
    ...     pieces.append(piece(text, start)); start += len(text) + len(BLOCK_SEPARATOR)
    >>> [p.text.split(BLOCK_SEPARATOR)[-1][:2] for p in _merge_short(pieces)]
    ['4.', '5.']

    Nor does the paragraph after the last of them join its passage (only its own sub-items do):

    >>> pieces, start = [], 0
    >>> for text in [*texts, "(a) within a month of the move.", "The review did not consider the investigation."]:
    ...     pieces.append(piece(text, start)); start += len(text) + len(BLOCK_SEPARATOR)
    >>> [p.text.split(BLOCK_SEPARATOR)[-1][:6] for p in _merge_short(pieces)]
    ['4. The', '(a) wi', 'The re']

    A short labelled line saying who leads a recommendation, or by when, stays with it:

    >>> pieces, start = [], 0
    >>> for text in [texts[0], "Lead: Head of Safeguarding", "Timescale: March 2025", "The Board will report."]:
    ...     pieces.append(piece(text, start)); start += len(text) + len(BLOCK_SEPARATOR)
    >>> [p.text.split(BLOCK_SEPARATOR)[-1][:6] for p in _merge_short(pieces)]
    ['Timesc', 'The Bo']
    """
    merged: list[_Piece] = []
    list_open = False  # the last merged piece ends with a colon, or with an item of the list it opened
    numbered = False  # ... or with a numbered sentence (``_numbered_sentence``), perhaps followed by its items
    for piece in pieces:
        last = merged[-1] if merged else None
        item = _is_item(piece, list_open)
        if (
            last is not None
            and last.section == piece.section
            and last.box == piece.box
            and last.kind != "table"
            and piece.kind != "table"
            and (last.kind == "footnote") == (piece.kind == "footnote")  # notes never join the text they annotate
            and other_language(last.text) == other_language(piece.text)  # nor Welsh the English beside it
            and (len(last.text) < MIN_PASSAGE_CHARS or piece.kind == "list_item" == last.kind
                 or (item and list_open))
            and not (numbered and not item and not _labelled(piece.text))
            and len(last.text) + len(piece.text) + 1 <= MAX_PASSAGE_CHARS
            and last.start + len(last.text) + len(BLOCK_SEPARATOR) == piece.start
        ):
            list_open = item and (list_open or last.text.rstrip().endswith(":") or _is_item(last))
            numbered = _numbered_sentence(piece.text) or (numbered and (item or _labelled(piece.text)))
            # The passage keeps the blank line between the two, so its offsets still match the full text.
            merged[-1] = _Piece(last.text + BLOCK_SEPARATOR + piece.text, last.start, last.page_start, piece.page_end,
                                last.section, "paragraph" if last.kind != piece.kind else last.kind, last.box,
                                joined_breaks(last.page_breaks, last.page_end, len(last.text) + len(BLOCK_SEPARATOR),
                                              piece.page_breaks, piece.page_start), last.headings)
        else:
            merged.append(piece)
            list_open = False
            numbered = _numbered_sentence(piece.text)
        list_open = list_open or merged[-1].text.rstrip().endswith(":")
    return merged


def _chunks(piece: _Piece, doc) -> Iterable[tuple[int, int, list[Sentence]]]:
    """Split a piece at sentence boundaries (tables at row boundaries) into chunks under the length cap."""
    spans = _cap_spans(_row_spans(piece.text) if piece.kind == "table" else _sentence_spans(doc, piece.text),
                       piece.text)
    chunk: list[tuple[int, int]] = []
    for span in spans:
        if chunk and span[1] - chunk[0][0] > MAX_PASSAGE_CHARS:
            yield _chunk(chunk, piece.text)
            chunk = []
        chunk.append(span)
    if chunk:
        yield _chunk(chunk, piece.text)


def _cap_spans(spans: list[tuple[int, int]], text: str, limit: int = MAX_PASSAGE_CHARS) -> list[tuple[int, int]]:
    """Spans cut at spaces into pieces of at most ``limit`` characters: text with no sentence ends (a table's
    long cell, OCR without full stops) would otherwise make a single passage of any length.

    >>> _cap_spans([(0, 23)], "aaaa bbbb cccc dddd eee", limit=10)
    [(0, 9), (10, 19), (20, 23)]
    """
    capped = []
    for start, end in spans:
        while end - start > limit:
            cut = text.rfind(" ", start + 1, start + limit + 1)
            cut = cut if cut > start else start + limit  # no space: cut inside the word
            capped.append((start, cut))
            start = cut + 1 if text[cut:cut + 1] == " " else cut
            while start < end and text[start] == " ":
                start += 1
        if end > start:
            capped.append((start, end))
    return capped


def _chunk(spans: list[tuple[int, int]], text: str) -> tuple[int, int, list[Sentence]]:
    start, end = spans[0][0], spans[-1][1]
    sentences = [
        Sentence(seq=i + 1, text=text[a:b], char_start=a - start, char_end=b - start)
        for i, (a, b) in enumerate(spans)
    ]
    return start, end, sentences


def _sentence_spans(doc, text: str | None = None) -> list[tuple[int, int]]:
    text = doc.text if text is None else text  # the text of ``doc``, when the caller has it (see split_sentences)
    spans = []
    for sent in doc.sents:
        said = sent.text
        stripped = said.strip()
        if not stripped:
            continue
        start = sent.start_char + (len(said) - len(said.lstrip()))
        spans.append((start, start + len(stripped)))
    spans = _split_after_pseudonyms(_join_false_breaks(_move_openers(spans, text), text), text)
    return _split_at_blank_lines(spans, text)


_NEVER_FINAL = NON_FINAL_ABBREVIATIONS - CITATION_ABBREVIATIONS
_WORD_BEFORE_STOP = re.compile(r"([A-Za-z]+)\.$")


def _join_false_breaks(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Join sentences the sentencizer cut after an abbreviation or before a lower-case word.

    spaCy's rule-based sentencizer ends a sentence at every full stop its tokenizer leaves on its own:
    "(Ahmed et al. 2019, Okafor 2020)" became "(Ahmed et al." and "2019, Okafor 2020)", and an evidence quote
    or a passage could stop there. A sentence does not start in lower case, nor after "eg." or "para.", nor
    with a year after "et al.", nor after a paragraph or list number on the same line ("12. The GP ...",
    "ii. Police ..."). Breaks at a blank line (between blocks of a passage) are kept.

    >>> split_sentences(["Older children too (Ahmed et al. 2019). See para. 4.2 below. Smith et al. Then more."])
    [['Older children too (Ahmed et al. 2019).', 'See para. 4.2 below.', 'Smith et al.', 'Then more.']]
    >>> split_sentences(["12. The GP was not told. Recommendation 2. Tell the GP.", "ii. Police did not share it."])
    [['12. The GP was not told.', 'Recommendation 2.', 'Tell the GP.'], ['ii. Police did not share it.']]
    """
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and "\n" not in text[joined[-1][1]:start]:
            previous = text[joined[-1][0]:joined[-1][1]]
            word = _WORD_BEFORE_STOP.search(previous)
            first = text[start:start + 1]
            abbreviation = word.group(1) if word else ""
            if (first.islower() or abbreviation in _NEVER_FINAL or _ITEM_START.fullmatch(previous)
                    or (abbreviation in CITATION_ABBREVIATIONS and not first.isupper())
                    or _inside_quotation(previous, text[start:end]) or _name_with_mark(previous)):
                joined[-1] = (joined[-1][0], end)
                continue
        joined.append((start, end))
    return joined



# Quotation marks that open and close a title or a quote: a straight double quote does both; a single one opens
# before a word and closes after one (an apostrophe inside a word, "child's", is neither).
_QUOTE_PAIRS = (
    (re.compile("\u201c"), re.compile("\u201d")),
    (re.compile(r"(?<!\w)\u2018(?=\w)"), re.compile(r"(?<=[\w?!.,])\u2019(?!\w)")),
    (re.compile(r"(?<!\w)'(?=\w)"), re.compile(r"(?<=[\w?!.,])'(?!\w)")),
)


def _inside_quotation(previous: str, following: str) -> bool:
    """Whether a sentence break after ``previous`` (ending "?" or "!") falls inside a quotation that
    ``following`` closes: the title "Who cares? Children in care speak" is one sentence with the one that
    names it, not two.

    >>> split_sentences(["The report \u201cWho cares? Children speak\u201d found gaps. Why? Nobody said."])
    [['The report \u201cWho cares? Children speak\u201d found gaps.', 'Why?', 'Nobody said.']]
    >>> split_sentences(["The briefing 'Are we listening? Voices' said little. He asked 'why?' Then left."])
    [["The briefing 'Are we listening? Voices' said little.", "He asked 'why?'", 'Then left.']]
    """
    if not previous.endswith(("?", "!")):
        return False
    if previous.count('"') % 2 == 1:
        return '"' in following
    for opening, closing in _QUOTE_PAIRS:
        if len(opening.findall(previous)) > len(closing.findall(previous)):
            return bool(closing.search(following))
    return False


# A question opens with one of these: its "?" ends it, however its last words are written.
_QUESTION_OPENERS = frozenset(
    "who whom whose what which when where why how was were is are am did do does could can should would will shall "
    "has have had may might must isn't wasn't didn't doesn't don't couldn't can't shouldn't wouldn't won't".split())
# A question word in lower case inside a clause makes it a question ("In what ways did ...?", "To what extent ...?");
# one in capitals may be part of the name ("The Who Cares? Trust"). Not "who", "which", "when" or "where", which
# statements use as often ("children who stay in care ... (The Who Cares? Trust 2006)").
_QUESTION_WORDS = frozenset("what how why whether extent".split())
_TITLE_WORD = re.compile(r"[A-Z][\w’'-]*")
_WORD = re.compile(r"[\w’'-]+")


def _name_with_mark(previous: str) -> bool:
    """Whether ``previous`` (ending "?" or "!") ends in the middle of a name or title written with the mark, in
    capitals and without quotation marks: "... interviewed by The Who Cares? Trust ..." is one sentence. Its last
    two words are capitalised words (not a child's letter: "Child A?" ends a question), and its last clause (after
    a colon, too) is not itself a question: it neither opens with a question word nor holds one in lower case
    ("To what extent was information shared with Children's Social Care?" ends there).

    >>> split_sentences(["Children interviewed by The Who Cares? Trust felt unheard. Was Child A Seen? No."])
    [['Children interviewed by The Who Cares? Trust felt unheard.', 'Was Child A Seen?', 'No.']]
    >>> split_sentences(["Nobody asked her. Why? She was Child A. Where was Child A? At home."])
    [['Nobody asked her.', 'Why?', 'She was Child A.', 'Where was Child A?', 'At home.']]
    >>> split_sentences(["2 WHY DO CHILDREN RETURN HOME? Some return quickly."])
    [['2 WHY DO CHILDREN RETURN HOME?', 'Some return quickly.']]
    >>> [len(s) for s in split_sentences([
    ...     "To what extent was information shared with Children's Social Care? The panel found it was not.",
    ...     "Key Question: Were Concerns About Neglect Recognised? The panel found little.",
    ...     "Practitioners asked: Is The Child Safe? This was never answered.",
    ...     "So what does this mean for Social Care? It means more."])]
    [2, 2, 2, 2]

    (A statement in capitals ending "!", "No One Came!", is joined to the next sentence too: rare in reviews.)
    """
    if not previous.endswith(("?", "!")):
        return False
    # (the last clause of it: a break after "Child A." is made later, by _split_after_pseudonyms)
    words = _WORD.findall(re.split(r"[.!?]\s+|[:;]\s*", previous[:-1])[-1])
    while words and words[0].isdigit():  # a numbered heading or paragraph ("1 WHAT CIRCUMSTANCES LEAD ...?")
        words = words[1:]
    if len(words) < 3 or words[0].lower() in _QUESTION_OPENERS or _QUESTION_WORDS & set(words):
        return False
    return all(_TITLE_WORD.fullmatch(word) and len(word) > 1 for word in words[-2:])


# Reviews name children by a letter: "Child S", "Baby T", "Young Person J", "Children F and G". The tokenizer
# reads a capital letter with a full stop as an initial ("J. Smith") and never ends a sentence there.
_PSEUDONYM_END = re.compile(
    r"\b(?:Child|Baby|Person|Sibling|Brother|Sister|Infant|Mother|Father|Parent|Adult|[A-Z] and) [A-Z]\."
    r"(?=\s+[\"“‘'(]?[A-Z])")


def _split_after_pseudonyms(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """End a sentence after a child's letter ("... saw Child S. She was ..."), which the tokenizer reads as an initial.

    >>> split_sentences(["The nurse saw Child S. She was well. Children F and G. were at school."])
    [['The nurse saw Child S.', 'She was well.', 'Children F and G. were at school.']]
    """
    result: list[tuple[int, int]] = []
    for start, end in spans:
        for match in _PSEUDONYM_END.finditer(text, start, end):
            cut = match.end()
            following = len(text[cut:end]) - len(text[cut:end].lstrip())
            result.append((start, cut))
            start = cut + following
        result.append((start, end))
    return result


# The start of a line that is a list item ("• ", "1. ", "(b) ", "iv) ").
_ITEM_START = re.compile(r"(?:[•▪◦‣∙·●○■□➢➤►✓*–—-]|\(?(?:\d{1,3}(?:\.\d{1,3})*|[a-zA-Z]|[ivxIVX]{1,5})[.)])(?:\s|$)")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")
_SENTENCE_END = frozenset(".:;!?")


def _split_at_blank_lines(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    r"""End a sentence at a blank line (the boundary between blocks of a passage: list items, lines of a cover).

    The sentencizer ends sentences only at punctuation, so the items of a bulleted list (ending in ";" or in
    nothing) came out as one sentence, and an evidence quote for one item was the whole list. A lead-in ending in
    a colon stays with a following paragraph that is not a list item ("He said:" and what he said), and a
    sentence carried on in lower case after a break stays whole ("... assessment and" / "support services"). A number
    set apart from its item ("1." above "Agree a protocol") stays a sentence of its own, as the sentencizer
    leaves it, so an item is scored without its number.

    >>> split_sentences(["It asked:\n\n• how risks were assessed;\n\n• how information moved.",
    ...                  "The Board should:\n\n1. Agree a protocol.", "She said:\n\nNobody asked me.",
    ...                  "Tools help assessment and\n\nsupport services.\n\nFunding (42)\n\nStaff (37)"])
    ... # doctest: +NORMALIZE_WHITESPACE
    [['It asked:', '• how risks were assessed;', '• how information moved.'],
     ['The Board should:', '1.', 'Agree a protocol.'], ['She said:\n\nNobody asked me.'],
     ['Tools help assessment and\n\nsupport services.', 'Funding (42)', 'Staff (37)']]
    """
    result: list[tuple[int, int]] = []
    for start, end in spans:
        cut = start
        pieces = []
        for match in _BLANK_LINE.finditer(text, start, end):
            pieces.append((cut, match.start()))
            cut = match.end()
        pieces.append((cut, end))
        for i, (a, b) in enumerate(pieces):
            piece, before = text[a:b], text[result[-1][1] - 1] if i else ""
            if i and not _ITEM_START.match(piece) and (
                    (before == ":" and not piece[:1].islower())  # "She said:" and what she said
                    or (piece[:1].islower() and before not in _SENTENCE_END)):  # a sentence carried on
                a = result.pop()[0]
            result.append((a, b))
    return result


_OPENERS = "\"'“‘(["


def _move_openers(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Give an opening quotation mark or bracket that the sentencizer left at the end of a sentence to the next.

    spaCy's rule-based sentencizer ends a sentence after ``.`` even when an opening ``"`` or ``(`` follows,
    so 'moved. "She said' became '... moved. "' and 'She said'. The mark belongs to the next sentence.
    """
    spans = list(spans)
    for i in range(len(spans) - 1):
        start, end = spans[i]
        if end - start > 2 and text[end - 1] in _OPENERS and text[end - 2].isspace():
            cut = end - 1
            while cut > start and text[cut - 1].isspace():
                cut -= 1
            spans[i] = (start, cut)
            spans[i + 1] = (end - 1, spans[i + 1][1])
    return spans


def _row_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    offset = 0
    for row in text.split("\n"):
        if row.strip():
            spans.append((offset, offset + len(row)))
        offset += len(row) + 1
    return spans
