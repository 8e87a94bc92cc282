"""Paragraph numbers that OCR read without their full stop ("21 The review covers ..." for "2.1").

Reviews number their paragraphs "5.10", "5.11"; on a scan the full stop is a few pixels, and Tesseract often
misses it, so "5.11" comes back as "511". The number is how a reader finds a quote in the PDF, and a search
for "5.11" must find it. A number read that way can be put right only from its neighbours: "511" after
"5.10" is "5.11", and "21" after "1.4" is "2.1" (a new section starts at 1). Nothing else is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace

from pipeline.records import Block, shifted

# A paragraph number as written ("5.11 The ...") and as OCR may read it ("511 The ...": two to four digits,
# then a word starting with a capital).
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\s")
_DOTLESS = re.compile(r"(\d{2,4}) (?=[A-Z][a-z]*\b)")
# "14 March 2019 ..." in a chronology is a date, not a paragraph number.
_MONTHS = re.compile(r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b")
_NUMBERED_KINDS = frozenset({"paragraph", "list_item"})


def restore_paragraph_numbers(blocks: list[Block], ocr_pages: Collection[int]) -> list[Block]:
    """The blocks, with the full stop put back into paragraph numbers on pages read by OCR where the
    numbers around them show where it goes.

    A number is put right when exactly one way of reading it fits between the numbered paragraphs around it
    (``_fits``); a dotted number out of order gets back a digit OCR lost when exactly one digit, put back,
    puts it in order (``_lost_digit``).

    Examples
    --------
    >>> read = [Block("paragraph", t, 1, 1) for t in ("1.4 Before.", "21 The review.", "22 It found.",
    ...                                                   "14 March 2019 A visit.", "511 Later.")]
    >>> [b.text for b in restore_paragraph_numbers(read, {1})]
    ['1.4 Before.', '2.1 The review.', '2.2 It found.', '14 March 2019 A visit.', '511 Later.']

    A block running over a page keeps where the page changes, one character later for the full stop put back:

    >>> over = [Block("paragraph", "1.4 Before.", 1, 1), Block("paragraph", "21 The review. Next page.", 1, 2,
    ...                                                        page_breaks=((15, 2),))]
    >>> restore_paragraph_numbers(over, {1})[1].page_breaks
    ((16, 2),)
    """
    if not ocr_pages:
        return blocks
    numbers: list[tuple[int, int] | None] = [_number(block) for block in blocks]
    out = list(blocks)
    for index, block in enumerate(blocks):
        if block.kind not in _NUMBERED_KINDS or block.page_start not in ocr_pages:
            continue
        if numbers[index] is not None:
            mended = _lost_digit(numbers[:index], numbers[index], numbers[index + 1:])
            if mended is not None:
                dotted = _DOTTED.match(block.text)
                numbers[index] = mended
                out[index] = _retext(block, f"{mended[0]}.{mended[1]}{block.text[dotted.end(2):]}")
            continue
        match = _DOTLESS.match(block.text)
        if not match or _MONTHS.match(block.text, match.end()):
            continue
        before = next((n for n in reversed(numbers[:index]) if n is not None), None)
        after = next((n for n in numbers[index + 1:] if n is not None), None)
        fits = [split for split in _splits(match.group(1)) if _fits(before, split, after)]
        if len(fits) == 1:
            major, minor = fits[0]
            numbers[index] = fits[0]
            out[index] = _retext(block, f"{major}.{minor}{block.text[match.end(1):]}")
    return out


def _retext(block: Block, text: str) -> Block:
    """The block with its number mended at the start of its text, its page breaks moved by the change in length."""
    return replace(block, text=text, page_breaks=shifted(block.page_breaks, len(text) - len(block.text)))


def _lost_digit(earlier: list, number: tuple[int, int], later: list) -> tuple[int, int] | None:
    """The number a dotted paragraph number out of order was before OCR lost a digit of it: "5.1" between
    5.10 and 5.12 is 5.11. None when it is in order, or no single digit put back makes it so.

    >>> _lost_digit([(5, 10)], (5, 1), [(5, 12)]), _lost_digit([(5, 10)], (5, 11), [(5, 12)])
    ((5, 11), None)
    >>> _lost_digit([(4, 9)], (5, 1), [(5, 2)]), _lost_digit([(5, 3)], (5, 1), [(5, 9)])
    (None, None)
    """
    before = next((n for n in reversed(earlier) if n is not None), None)
    after = next((n for n in later if n is not None), None)
    if before is None or after is None or before < number < after:
        return None
    minor = str(number[1])
    candidates = {(number[0], int(minor[:cut] + digit + minor[cut:]))
                  for cut in range(len(minor) + 1) for digit in "0123456789"}
    fits = {candidate for candidate in candidates if before < candidate < after}
    return fits.pop() if len(fits) == 1 else None


def _number(block: Block) -> tuple[int, int] | None:
    match = _DOTTED.match(block.text) if block.kind in _NUMBERED_KINDS else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def _splits(digits: str) -> list[tuple[int, int]]:
    """Each way to read the digits as section.paragraph, neither part starting with 0."""
    return [(int(digits[:cut]), int(digits[cut:])) for cut in range(1, len(digits))
            if cut <= 2 and len(digits) - cut <= 2 and digits[0] != "0" and digits[cut] != "0"]


def _fits(before: tuple[int, int] | None, number: tuple[int, int], after: tuple[int, int] | None) -> bool:
    """Whether ``number`` can stand between the numbered paragraphs around it: between the two, in the same
    section as the one before or early in the next (paragraphs between may have lost their numbers); with
    only one of them, straight after or before it.

    >>> _fits((3, 1), (3, 3), (3, 5)), _fits((3, 1), (33, 1), (3, 5)), _fits((5, 10), (5, 11), None)
    (True, False, True)
    >>> _fits(None, (1, 1), (1, 2)), _fits((1, 4), (2, 1), (2, 2)), _fits((1, 4), (1, 9), None)
    (True, True, False)
    """
    if before is not None and after is not None:
        return before < number < after and (number[0] == before[0] or (number[0] == before[0] + 1 and number[1] <= 3))
    if before is not None:
        return _follows(before, number)
    return after is not None and _follows(number, after)


def _follows(before: tuple[int, int], number: tuple[int, int]) -> bool:
    """Whether ``number`` is the paragraph after ``before``: the next in its section, or a new section's first."""
    return number == (before[0], before[1] + 1) or number == (before[0] + 1, 1)
