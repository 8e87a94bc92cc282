"""What a search string asks for, read without the database: its words, its "quoted phrases" and the statutory
sections it names ("s47", "section 20 or 47"), and what people are told about how it was read (``how_they_match``,
``operator_note``, ``all_required``, ``theme_like``). ``pipeline.search`` runs the searches.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

from pipeline.errors import CaseReviewError
from pipeline.files import controls_as_spaces
from pipeline.outputs.common import shorten

# A word as the full-text index reads one (``pipeline.store.SEARCH_IGNORE``): a run of letters, digits and "&";
# accented Latin letters count, as the index strips their accents. Anything else (punctuation, curly quotes
# and apostrophes, dashes) separates words.
WORD_RE = re.compile(r"[A-Za-z0-9&\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+")
_PHRASE_RE = re.compile(r'"([^"]*)"')
_CURLY_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"'})


@dataclass(frozen=True)
class Either:
    """One thing a search joins with AND: every passage found holds one of its words (in any form), holds one of
    its phrases (as written) or names one of its sections. A word joined on its own ("neglect AND school") is an
    ``Either`` of that word; words in brackets ("(neglect OR abuse) AND school") are one of several.

    ``items``: each as typed, in order: ("word", "neglect"), ("phrase", "emotional abuse"), ("section", "47").

    >>> either = Either((("word", "neglect"), ("section", "47"), ("phrase", "emotional abuse")))
    >>> either.label, either.words, either.is_word, Either((("word", "school"),)).is_word
    ('neglect, section 47 or "emotional abuse"', ('neglect',), False, True)
    """

    items: tuple[tuple[str, str], ...]

    def _of(self, kind: str) -> tuple[str, ...]:
        return tuple(value for each, value in self.items if each == kind)

    @property
    def words(self) -> tuple[str, ...]:
        return self._of("word")

    @property
    def phrases(self) -> tuple[str, ...]:
        return self._of("phrase")

    @property
    def sections(self) -> tuple[str, ...]:
        return self._of("section")

    @property
    def is_word(self) -> bool:
        """Whether it is one word and nothing else."""
        return len(self.items) == 1 and self.items[0][0] == "word"

    @property
    def size(self) -> int:
        """How many things it offers."""
        return len(self.items)

    @property
    def label(self) -> str:
        """For people: 'neglect, section 47 or "emotional abuse"'."""
        shown = {"word": "{}", "phrase": '"{}"', "section": "section {}"}
        return word_list([shown[kind].format(value) for kind, value in self.items])

    def patterns(self) -> list[tuple[str, tuple[str, ...], bool]]:
        """Its phrases and sections, as ``ParsedQuery.left_out_patterns`` gives them: (regular expression, the
        folded words a passage holding it must hold, whether it must hold all of them or one will do)."""
        phrases = [(phrase_pattern(phrase), tuple(fold(word) for word in WORD_RE.findall(phrase)), True)
                   for phrase in self.phrases]
        sections = [(_SECTION_PATTERN.format(number=number), (number, f"s{number}"), False)
                    for number in self.sections]
        return [*phrases, *sections]


@dataclass(frozen=True)
class ParsedQuery:
    """What a search string asks for: the words to rank by, the phrases that must appear as written, and the
    statutory sections that must be named (in any of their forms: "s47", "s.47", "section 47")."""

    text: str
    words: tuple[str, ...]
    phrases: tuple[str, ...]
    also: tuple[str, ...] = ()  # other forms searched too, for people to see ("section 47" for "s47")
    # the numbers of the sections named ("47"); sections any one of which will do ("section 17 or 47") are one
    # entry, their numbers joined by "|" ("17|47")
    sections: tuple[str, ...] = ()
    # what the search leaves out ("neglect -police", 'NOT "social care"', "-s47"): passages using any of these
    # words (in any form), holding any of these phrases (as written) or naming any of these sections
    left_out_words: tuple[str, ...] = ()
    left_out_phrases: tuple[str, ...] = ()
    left_out_sections: tuple[str, ...] = ()
    kept_text: str | None = None  # ``text`` without what it leaves out (None: the same)
    # what is joined by AND, or offered as alternatives by OR or brackets ("neglect AND school", "(neglect OR
    # abuse) AND school", '"seen alone" OR "spoken to alone"'): each passage holds one of each ``Either``'s
    # words, phrases or sections
    all_of: tuple[Either, ...] = ()

    @property
    def all_words(self) -> tuple[str, ...]:
        """The words joined by AND on their own ("neglect AND school"), each of which every passage holds."""
        return tuple(either.words[0] for either in self.all_of if either.is_word)

    @property
    def marked(self) -> tuple[str, ...]:
        """What is marked in a passage found, beside the words searched: ``required``, and the phrases and
        sections that one of an ``Either`` asks for, as regular expressions."""
        return (*self.required, *(pattern for either in self.all_of for pattern, _, _ in either.patterns()))

    @property
    def typed(self) -> list[str]:
        """The words as typed (folded to lower case, in order, quotes ignored), without the forms added to them
        and without the words left out."""
        text = self.text if self.kept_text is None else self.kept_text
        return [fold(word) for word in WORD_RE.findall(text.replace('"', " "))]

    @property
    def required(self) -> tuple[str, ...]:
        """What each passage found must contain, in its text or its heading, as regular expressions (case aside)
        that Python and DuckDB (RE2) read alike: each phrase as written, and each section in any form. White
        space is spelt out (``_SPACE``): each reads ``\\s`` differently beyond ASCII."""
        return (*(phrase_pattern(phrase) for phrase in self.phrases),
                *(_SECTION_PATTERN.format(number=_section_number(entry)) for entry in self.sections))

    @property
    def left_out(self) -> bool:
        """Whether the search leaves some passages out by what they hold."""
        return bool(self.left_out_words or self.left_out_phrases or self.left_out_sections)

    def left_out_patterns(self) -> list[tuple[str, tuple[str, ...], bool]]:
        """Each phrase and section left out, as (regular expression as for ``required``, the folded words a
        passage holding it must hold, whether it must hold all of them or one will do): a phrase's words, all
        of them; a section's number, or the number written solid after "s" ("47", "s47")."""
        phrases = [(phrase_pattern(phrase), tuple(fold(word) for word in WORD_RE.findall(phrase)), True)
                   for phrase in self.left_out_phrases]
        sections = [(_SECTION_PATTERN.format(number=number), (number, f"s{number}"), False)
                    for number in self.left_out_sections]
        return [*phrases, *sections]


def phrase_pattern(phrase: str) -> str:
    """The regular expression of a quoted phrase, as written (case aside), for Python and DuckDB alike. An
    apostrophe matches any of its forms, as a hyphen does: a phrase typed on a keyboard ("child's") must find
    the typeset one ("child’s"), and one pasted from Word the plain one. A hyphen also matches a space, and
    spaces beside it: reviews write "multi agency" too, and a word broken at a line's end keeps its hyphen and
    the space after it where the text was typed that way ("semi- structured").

    >>> pattern = phrase_pattern("seen  alone.")
    >>> bool(re.fullmatch(pattern, "Seen\\nalone.", re.IGNORECASE)), bool(re.fullmatch(pattern, "seen alone!"))
    (True, False)
    >>> [bool(re.fullmatch(phrase_pattern(typed), text)) for typed, text in (
    ...     ("child's wishes", "child’s wishes"), ("child’s wishes", "child's wishes"),
    ...     ("multi-agency", "multi‑agency"), ("2019-2020", "2019–2020"), ("child's", "childs"),
    ...     ("semi-structured", "semi- structured"), ("multi-agency", "multi agency"), ("2019-2020", "2019 – 2020"),
    ...     ("multi-agency", "multiagency"))]
    [True, True, True, True, False, True, True, True, False]
    """
    return _SPACE.join(_APOSTROPHE.sub(lambda _: _APOSTROPHES, _HYPHEN.sub(lambda _: _HYPHENS, re.escape(part)))
                       for part in phrase.split())


# The forms of an apostrophe (straight, right and left single quotation marks, modifier letter apostrophe) and
# of a hyphen (hyphen-minus, as re.escape writes it, hyphen, non-breaking hyphen, and the en dash typeset between
# numbers, "2019–2020"), each matching all of its forms; a hyphen also matches spaces, or spaces beside it.
_APOSTROPHES = "['\u2019\u2018\u02bc]"
_APOSTROPHE = re.compile("['\u2019\u2018\u02bc]")
_HYPHENS = "(?:[ \t\n\r\f]*[\\-\u2010\u2011\u2013][ \t\n\r\f]*|[ \t\n\r\f]+)"
_HYPHEN = re.compile(r"\\-|[\u2010\u2011\u2013]")


def how_they_match(query: str | None, also: tuple[str, ...] | list[str] = ()) -> str:
    """What the count of a search's matches counts, when the query could be misread: several words searched (any
    one will do, the other forms searched for them, ``also``, included), or words beside a phrase or a section
    (which every passage found holds; the words only rank). Filler words, which are not searched, do not count.

    >>> how_they_match("school nurse")[:90]
    ' (a passage needs only one of the words: put AND between them to need every one, or double'
    >>> how_they_match("school AND nurse"), how_they_match("school AND nurse plan")
    ('', ' (each holds school and nurse; the other words only put those holding them first)')
    >>> how_they_match("childcare", ("child care",))[:70]
    ' (a passage needs only one of the words searched, "childcare", "child"'
    >>> how_they_match('s47 "strategy meeting" police')
    ' (each holds "strategy meeting" and section 47; the other words only put those holding them first)'
    >>> how_they_match("section 47", ("s47",)), how_they_match('"seen alone"'), how_they_match("the school")
    ('', '', '')
    """
    from pipeline.store import SEARCH_STOPWORDS

    parsed = _readable(query)
    if parsed is None:
        return ""
    fixed = {fold(word) for phrase in parsed.phrases for word in WORD_RE.findall(phrase)}
    numbers = [number for entry in parsed.sections for number in entry.split("|")]
    fixed |= {*_SECTION_WORDS, "or", *numbers, *(f"s{number}" for number in numbers)}
    fixed |= set(SEARCH_STOPWORDS) | {fold(word) for word in parsed.all_words}
    fixed |= {fold(word) for either in parsed.all_of for _, words, _ in either.patterns() for word in words}
    typed = [word for word in dict.fromkeys(parsed.typed) if word not in fixed]
    added = [word for form in also for word in dict.fromkeys(WORD_RE.findall(fold(form)))
             if word not in fixed and word not in typed]
    searched = list(dict.fromkeys([*typed, *added]))
    if not parsed.required and not parsed.all_of:
        if len(searched) < 2:
            return ""
        if not added:
            return (" (a passage needs only one of the words: put AND between them to need every one, or double "
                    "quotes around them to find them as a phrase)")
        named = ", ".join(f'"{word}"' for word in searched[:-1]) + f' or "{searched[-1]}"'
        return (f" (a passage needs only one of the words searched, {named}: put words in double quotes to find "
                "them together, as a phrase)")
    if not searched:
        return ""
    held = ([f'"{phrase}"' for phrase in parsed.phrases] + [section_label(entry) for entry in parsed.sections]
            + _either_labels(parsed.all_of))
    return f" (each holds {' and '.join(held)}; the other words only put those holding them first)"


def _either_labels(all_of: tuple[Either, ...]) -> list[str]:
    """Each of ``all_of`` for people, in brackets where any one of several will do: ['(neglect or abuse)',
    'school']."""
    return [f"({either.label})" if either.size > 1 and len(all_of) > 1 else either.label for either in all_of]


def all_of_label(parsed: ParsedQuery) -> str:
    """What every passage a search finds holds, by what it joins with AND, for people: 'uses neglect and school
    (in any form)', 'holds (neglect or "emotional abuse") and school; words count in any form, phrases as written';
    "" when it joins nothing.

    >>> all_of_label(parse_query("neglect AND school"))
    'uses neglect and school (in any form)'
    >>> all_of_label(parse_query('(neglect OR "emotional abuse") AND school'))
    'holds (neglect or "emotional abuse") and school; words count in any form, phrases as written'
    >>> all_of_label(parse_query("(s47 OR s17) AND police"))
    'holds (section 47 or section 17) and police; words count in any form, sections however they are written'
    >>> all_of_label(parse_query('"seen alone" OR "spoken to alone"'))
    'holds "seen alone" or "spoken to alone"; phrases as written'
    """
    if not parsed.all_of:
        return ""
    if all(either.is_word for either in parsed.all_of):
        return f"uses {word_list(parsed.all_words, 'and')} (in any form)"
    how = [said for said, kind in (("words count in any form", "words"), ("phrases as written", "phrases"),
                                   ("sections however they are written", "sections"))
           if any(getattr(either, kind) for either in parsed.all_of)]
    return f"holds {word_list(_either_labels(parsed.all_of), 'and')}; {', '.join(how)}"


_OR = re.compile(r"\bOR\b")
# A word with a plus sign stuck to its front, as web search engines take them ("+neglect school"): not "+44" or
# "aged 15 +16" (a number).
_PLUS_WORD = re.compile(r"(?:^|(?<=\s))\+(?=[A-Za-z\u00c0-\u024f])(\S+)")


def operator_note(query: str | None) -> str:
    """What a search's operators did, where people may expect a web search engine's: what a minus sign or NOT
    left out, what AND required, that OR is what a search does anyway, and that a plus sign makes no word
    required. "" when the search has none (inside double quotes they are part of a phrase).

    >>> operator_note('neglect -police NOT "social care" -s47')
    'Note: passages that use police (in any form), hold "social care" or name section 47 are left out.'
    >>> operator_note("neglect AND school AND police plan")
    'Note: each passage found uses neglect, school and police (in any form).'
    >>> operator_note("neglect OR school")[:74]
    'Note: OR is not needed: a passage needs only one of the words in any case,'
    >>> operator_note("+neglect school")[:87]
    'Note: a plus sign does not make a word required here: +neglect is searched as "neglect"'
    >>> operator_note("multi-agency 2019 - 2020 neglect"), operator_note("2019 \u20132020"), operator_note(None)
    ('', '', '')
    >>> operator_note('"child -police"'), operator_note("aged 15 -16"), operator_note('"a" "b')
    ('', '', '')
    >>> operator_note("neglect - police")[:80]
    'Note: a dash with a space after it is not a minus sign: "- police" is searched a'
    """
    parsed = _readable(query)
    if parsed is None:
        return ""
    bare = _PHRASE_RE.sub(" ", parsed.text if parsed.kept_text is None else parsed.kept_text)
    notes = []
    if parsed.all_of:
        notes.append(f"each passage found {all_of_label(parsed)}.")
    if parsed.left_out:
        notes.append(f"passages that {left_out_label(parsed)} are left out.")
    if _OR.search(bare) and not any(either.size > 1 for either in parsed.all_of):
        notes.append("OR is not needed: a passage needs only one of the words in any case, and those with more "
                     "of them come first. "
                     + ("Every phrase in double quotes must appear, unless OR joins it to another: '\"seen alone\" OR "
                        "\"spoken to alone\"' finds passages holding either." if parsed.phrases
                        else "Join words with AND to find only passages holding all of them, and put brackets around "
                        f"those any one of which will do: {_EXAMPLE}."))
    spaced = _SPACED_MINUS.findall(bare)
    if spaced:
        shown = "; ".join(f'"- {word}" is searched as "{word}"' for word in dict.fromkeys(spaced[:3]))
        notes.append(f"a dash with a space after it is not a minus sign: {shown}, like the other words. To leave "
                     f"out the passages that use a word, put the minus sign against it: -{spaced[0]}.")
    plus = ["+" + word for word in _PLUS_WORD.findall(bare)]
    if plus:
        notes.append(f"a plus sign does not make a word required here: {_as_searched(plus)}, like the other words "
                     "(a passage needs only one of the words; those with more of them come first). To find words "
                     "together, put them in double quotes as a phrase.")
    return "Note: " + " ".join(note[0].upper() + note[1:] if i else note for i, note in enumerate(notes)) \
        if notes else ""


# A dash on its own before a word ("neglect - police"): meant as a minus sign, it is read as nothing.
_SPACED_MINUS = re.compile(r"(?:^|(?<=\s))[-\u2013\u2212][ \t]+([A-Za-z\u00c0-\u024f][\w'\-]*)")


def left_out_label(parsed: ParsedQuery) -> str:
    """What a search leaves out, for people: 'use police or school (in any form), hold "social care" or name
    section 47' ("" when it leaves nothing out).

    >>> left_out_label(parse_query("neglect -police -school NOT s47"))
    'use police or school (in any form) or name section 47'
    """
    parts = []
    if parsed.left_out_words:
        parts.append(f"use {word_list(parsed.left_out_words)} (in any form)")
    if parsed.left_out_phrases:
        quoted = ['"' + phrase + '"' for phrase in parsed.left_out_phrases]
        parts.append(f"hold {word_list(quoted)}")
    if parsed.left_out_sections:
        parts.append(f"name {word_list([section_label(number) for number in parsed.left_out_sections])}")
    return word_list(parts) if parts else ""


def _readable(query: str | None) -> ParsedQuery | None:
    """``parse_query``, or None for a search it refuses (the notes about a search say nothing of those: the
    search's own error does)."""
    try:
        return parse_query(query)
    except CaseReviewError:
        return None


def word_list(items: list[str] | tuple[str, ...], joiner: str = "or") -> str:
    """'a, b or c' (or 'a, b and c').

    >>> word_list(["neglect"]), word_list(["neglect", "school", "police"], "and")
    ('neglect', 'neglect, school and police')
    """
    return ", ".join(items[:-1]) + f" {joiner} " + items[-1] if len(items) > 1 else items[0]


def _as_searched(signed: list[str]) -> str:
    """'-police is searched as "police"', for the signed words of a search (the first three)."""
    shown = [(word, " ".join(WORD_RE.findall(word[1:]))) for word in dict.fromkeys(signed)][:3]
    return "; ".join(f'{word} is searched as "{plain}"' for word, plain in shown)


def all_required(query: str | None) -> str:
    """For a search that found nothing: the phrases, words joined by AND and sections it asked every passage to
    hold, when it asked for more than one (each may be found on its own); "" otherwise.

    >>> all_required("sections 20 and 47")
    'every passage found must name section 20 and section 47: put OR between them to find either'
    >>> all_required('"seen alone" s47'), all_required("s47 drift")
    ('every passage found must hold "seen alone" and name section 47: put OR between them to find either', '')
    >>> all_required('"seen alone" AND police')
    'every passage found must hold "seen alone" and police: put OR between them to find either'
    """
    parsed = _readable(query)
    if parsed is None or len(parsed.phrases) + len(parsed.sections) + len(parsed.all_of) < 2:
        return ""
    held = " and ".join([*(f'"{phrase}"' for phrase in parsed.phrases), *_either_labels(parsed.all_of)])
    named = " and ".join(section_label(entry) for entry in parsed.sections)
    parts = [f"hold {held}" if held else "", f"name {named}" if named else ""]
    return f"every passage found must {' and '.join(p for p in parts if p)}: put OR between them to find either"


def without_quotes(query: str | None) -> str:
    """The search with the double quotes of its phrases taken out, when it has a phrase in them (a phrase that
    finds nothing may have its words apart); "" otherwise. A phrase it leaves out keeps its quotes: without them
    it would leave out its first word only.

    >>> without_quotes('"voice of the child"'), without_quotes("“not seen alone” school"), without_quotes("drift")
    ('voice of the child', 'not seen alone school', '')
    >>> without_quotes('"seen alone" -"social care"'), without_quotes('neglect NOT "social care"')
    ('seen alone -"social care"', '')
    """
    plain = straight_quotes(query or "")
    if not any(match.group("phrase") for match in _QUOTED.finditer(plain)):
        return ""
    return " ".join(_QUOTED.sub(lambda m: m.group("out") or f' {m.group("phrase")} ', plain).split())


# What puts something out of a search (``_LEFT_OUT``): a minus sign stuck to its front, or NOT in capitals.
_LEFT_OUT_SIGN = r'(?:(?:^|(?<=\s))[-\u2013\u2212](?=[A-Za-z\u00c0-\u024f"])|\bNOT[ \t]+)'
# A quoted phrase, and (``out``) one that a search leaves out, as ``_LEFT_OUT`` reads them.
_QUOTED = re.compile(rf'(?P<out>{_LEFT_OUT_SIGN}"[^"]*")|"(?P<phrase>[^"]*)"')


# Words that say nothing of a theme, left out when a search is matched to a theme's name ("information not shared
# with the school" is about Information sharing).
_THEME_FILLER = frozenset("about child's children's from have into more than that their there they this were when "
                          "with without".split())


def theme_like(query: str | None, names: Mapping[str, str]) -> str | None:
    """The id of the learning theme whose name (or id) the search is, or nearly is: every word of four letters or
    more in the theme's name has a word in the search that starts alike ("shared" for "sharing"), and the search
    has at most one other such word. None when no theme (or several) fit.

    >>> names = {"voice_of_child": "Voice of the child", "information_sharing": "Information sharing"}
    >>> theme_like('"voice of the child"', names), theme_like("information not shared", names)
    ('voice_of_child', 'information_sharing')
    >>> theme_like("information not shared with the school", names), theme_like("child", names)
    ('information_sharing', None)
    >>> theme_like("voice of the chid", names), theme_like("informaton shairng", names)  # misspelt
    ('voice_of_child', 'information_sharing')
    """
    typed = [word for word in re.split(r"[^a-z0-9']+", fold(straight_quotes(query or "")))
             if len(word) >= 4 and word not in _THEME_FILLER]
    if not typed:
        return None
    found = []
    for theme_id, name in names.items():
        for label in dict.fromkeys((name, theme_id)):
            wanted = name_words(label)
            matched = [next((t for t in typed if _starts_alike(t, word)), None) for word in wanted]
            if wanted and None not in matched and len(set(typed) - set(matched)) <= 1:
                found.append(theme_id)
                break
    return found[0] if len(found) == 1 else None


def name_words(name: str) -> list[str]:
    """The words of four letters or more of a theme's name (or id), those ``theme_like`` matches.

    >>> name_words("Voice of the child"), name_words("Assessment")
    (['voice', 'child'], ['assessment'])
    """
    return [word for word in re.split(r"[^a-z0-9']+", fold(name)) if len(word) >= 4]


def _starts_alike(typed: str, word: str) -> bool:
    """Whether two words share a start of four letters or more that is most of the shorter one ("shared",
    "sharing"; "plan", "planning"; "child", "children"), or are spelt nearly alike ("chid", "child";
    "asessment", "assessment")."""
    common = len(os.path.commonprefix([typed, word]))
    if common >= 4 and common >= 0.6 * min(len(typed), len(word)):
        return True
    return difflib.SequenceMatcher(None, typed, word).ratio() >= 0.85


def parse_query(query: str | None) -> ParsedQuery | None:
    """Split a search string into words and "quoted phrases"; None when it is empty.

    Raises
    ------
    CaseReviewError
        If a double quote is not closed, or the string has no letters to search for.
    """
    if query is None or not query.strip():
        return None
    text = straight_quotes(as_typed(query).strip())
    if not text:
        return None
    if text.count('"') % 2:
        raise CaseReviewError(
            f"the search {text!r} has an opening double quote without a closing one: close the phrase "
            "(\"like this\") or remove the quote"
        )
    if "*" in text:
        raise CaseReviewError(
            f"the search {text!r}: * is not a wildcard here, so write whole words. Each word is already found in "
            "every form: \"neglect\" also finds neglected, neglecting and neglectful."
        )
    whole = text
    _check_operators_join_something(text)
    _check_nothing_left_out_inside_brackets(text)
    text, left_out = _left_out(text)
    phrases = tuple(" ".join(p.split()) for p in _PHRASE_RE.findall(text) if p.strip())
    words = tuple(WORD_RE.findall(text.replace('"', " ")))
    if not words and not left_out.left_out:
        raise CaseReviewError(
            f"the search {whole!r} has no words or numbers the index can look for (it holds the reviews' words in "
            "the Latin alphabet, and numbers): use words, e.g. \"information sharing\" or \"section 47\""
        )
    both = sorted({fold(word) for word in words} & {fold(word) for word in left_out.left_out_words})
    if both:
        raise CaseReviewError(
            f"the search {whole!r} both looks for and leaves out {', '.join(both)}: keep the word, or its minus "
            "sign (or NOT) to leave out the passages that use it"
        )
    listed = {number for match in _SECTION_LIST.finditer(text) for number in re.findall(r"\d+", match.group())}
    unquoted = text.replace('"', " ")
    either = [_either_numbers(match.group()) for match in _SECTION_EITHER.finditer(unquoted)]
    listed |= {number for group in either for number in group}
    words, also, sections = _section_forms(words, listed)
    quoted = [phrase for phrase in phrases if _SECTION_PHRASE.fullmatch(phrase)]
    sections = tuple(dict.fromkeys([*sections, *(_SECTION_PHRASE.fullmatch(p).group(1) for p in quoted)]))
    sections = _either_joined(sections, either)
    phrases = tuple(phrase for phrase in phrases if phrase not in quoted)
    numbers = {number for entry in sections for number in entry.split("|")}
    all_of = tuple(either for either in _all_of(text, whole) if not (  # a section is required anyway
        either.is_word and (SHORT_SECTION.fullmatch(either.words[0]) or either.words[0].lower() in _SECTION_WORDS
                            or either.words[0] in numbers)))
    # what one of several will do is not required on its own
    grouped_phrases = {phrase for either in all_of if not either.is_word for phrase in either.phrases}
    grouped_sections = {number for either in all_of if not either.is_word for number in either.sections}
    phrases = tuple(phrase for phrase in phrases if phrase not in grouped_phrases)
    sections = tuple(entry for entry in sections if not set(entry.split("|")) & grouped_sections)
    return replace(left_out, text=whole, words=words, phrases=phrases, also=also, sections=sections,
                   all_of=all_of, kept_text=" ".join(text.split()) if left_out.left_out else None)


# A search's parts, for AND and brackets: a quoted phrase, a bracket, a statutory section ("s47", "section 47")
# or anything else up to a space, a quote or a bracket.
_TOKEN = re.compile(r'"[^"]*"|[()]|\b(?:sections?|ss?)\.?[ \t]*\d{1,3}\b|[^\s"()]+', re.IGNORECASE)
_EXAMPLE = "(neglect OR \"emotional abuse\") AND school"


def _all_of(text: str, whole: str = "") -> tuple[Either, ...]:
    """What a search (``text``, without what it leaves out; ``whole``, as typed, for errors) asks each passage
    found to hold, beyond its phrases and sections, by its operators:

    - AND in capitals joins what is beside it: a word is required on its own ("neglect AND school");
    - brackets hold alternatives, any one of which will do ("(neglect OR abuse) AND school"; OR between them may
      be left out beside AND); brackets with neither OR inside nor AND or OR beside them are part of the text;
    - OR in capitals between phrases or sections, or a phrase and a word, makes them alternatives ('"seen alone"
      OR "spoken to alone"'). Between words alone it changes nothing (a passage needs only one of the words
      anyway), and with AND outside brackets it is refused, as the two could be grouped two ways.

    A phrase or a section on its own must appear anyway, as every phrase and section must.

    >>> [either.label for either in _all_of('neglect AND school AND police plan')]
    ['neglect', 'school', 'police']
    >>> [either.label for either in _all_of('"seen alone" AND multi-agency')], _all_of("a and b"), _all_of("a OR b")
    (['multi', 'agency'], (), ())
    >>> [either.label for either in _all_of('(neglect OR "emotional abuse" OR s47) AND (school nursery)')]
    ['neglect, "emotional abuse" or section 47', 'school or nursery']
    >>> [either.label for either in _all_of('"seen alone" OR "spoken to alone" child')]
    ['"seen alone" or "spoken to alone"']
    >>> [either.label for either in _all_of('(neglect OR abuse) school')]
    ['neglect or abuse']

    Raises
    ------
    CaseReviewError
        If the search joins words with AND and OR outside brackets, which could be grouped two ways; puts
        brackets inside brackets, AND inside brackets, or leaves a bracket unclosed; or requires a very common
        word, which the index does not hold.
    """
    whole = whole or text
    tokens = _TOKEN.findall(text)
    if not {"AND", "OR"} & set(tokens):  # brackets alone are part of the text ("Child E (aged 3)")
        return ()
    units = _units(tokens, whole)
    with_and = "AND" in units
    if with_and and "OR" in units:
        raise CaseReviewError(
            f"the search {whole!r} joins words with both AND and OR, which could be read two ways: put brackets "
            f"around the words any one of which will do, as in {_EXAMPLE}, or leave OR out (a passage needs only "
            "one of the words not joined by AND anyway)"
        )
    all_of: list[Either] = []
    joined = [near for at, unit in enumerate(units) if unit in ("AND", "OR")
              for near in (at - 1, at + 1) if 0 <= near < len(units) and units[near] not in ("AND", "OR")]
    if with_and:
        for near in dict.fromkeys(joined):
            unit = units[near]
            if isinstance(unit, str) and not unit.startswith('"') and not _SECTION_PHRASE.fullmatch(unit):
                all_of += [Either((("word", word),)) for word in WORD_RE.findall(unit)]
            elif isinstance(unit, list):
                all_of.append(_either(unit, whole))
            # a phrase or a section joined alone is required anyway
    else:  # runs of things joined by OR, each one thing to hold
        runs: list[list[int]] = []
        for at, unit in enumerate(units):
            if unit == "OR" and 0 < at < len(units) - 1 and "OR" not in (units[at - 1], units[at + 1]):
                if runs and runs[-1][-1] == at - 1:
                    runs[-1].append(at + 1)
                else:
                    runs.append([at - 1, at + 1])
        for run in runs:
            either = _alternatives([item for near in run for item in _items(units[near], whole)])
            if any(kind != "word" for kind, _ in either.items):  # between words alone, OR changes nothing
                all_of.append(either)
    in_runs = set(joined)
    all_of += [_either(unit, whole) for at, unit in enumerate(units)  # brackets holding OR, not beside AND or OR
               if isinstance(unit, list) and at not in in_runs and "OR" in unit]
    all_of = list(dict.fromkeys(all_of))
    common = [label for either in all_of for label in _common_parts(either)]
    if common:
        named = ", ".join(dict.fromkeys(common))
        raise CaseReviewError(
            f"the search {whole!r} " + (f"joins {named} with AND" if with_and else f"asks for {named} as one of "
                                        "the things a passage must hold")
            + ", but the search index does not hold very common words, so no passage can be required to hold "
            "them: use more specific words"
        )
    # one phrase or section is required on its own anyway; one word is a word required alone
    return tuple(either for either in all_of if either.size > 1 or either.words)


_SIGNED = re.compile(r"[-\u2013\u2212][A-Za-z\u00c0-\u024f]")


def _check_nothing_left_out_inside_brackets(text: str) -> None:
    """Refuse a minus sign or NOT inside brackets or before them, and a minus sign before a single quote: what is
    left out is left out of the whole search, one word or "phrase" at a time, so "(neglect OR NOT police)" would
    not mean what it says, and "-(school OR nurse)" would be searched as "school OR nurse", the very passages
    meant to be left out.

    >>> _check_nothing_left_out_inside_brackets("(neglect OR abuse) AND school -police")
    >>> _check_nothing_left_out_inside_brackets("(neglect OR NOT police) AND school")
    Traceback (most recent call last):
    pipeline.errors.CaseReviewError: the search '(neglect OR NOT police) AND school' leaves something out ...
    >>> _check_nothing_left_out_inside_brackets("child -(school OR nurse)")
    Traceback (most recent call last):
    pipeline.errors.CaseReviewError: the search 'child -(school OR nurse)' puts a minus sign or NOT before a ...
    """
    tokens = _TOKEN.findall(text)
    depth = 0
    for at, token in enumerate(tokens):
        depth += {"(": 1, ")": -1}.get(token, 0)
        after = tokens[at + 1] if at + 1 < len(tokens) else ""
        sign = token == "NOT" or token in ("-", "\u2013", "\u2212")
        if sign and after == "(":
            raise CaseReviewError(
                f"the search {text!r} puts a minus sign or NOT before a bracket, which leaves out one word or "
                "\"phrase\" at a time: put it before each word to leave out, as in child -school -nurse"
            )
        if token[:1] in ("-", "\u2013", "\u2212") and token[1:2] == "'":
            raise CaseReviewError(
                f"the search {text!r} puts a minus sign before a single quote, which is not read as a phrase: "
                "use double quotes to leave out a phrase (-\"home visit\"), or none for one word (-school)"
            )
        if depth > 0 and (token == "NOT" or _SIGNED.match(token) or (sign and after.startswith('"'))):
            raise CaseReviewError(
                f"the search {text!r} leaves something out inside brackets, which holds only words any one of which "
                "will do: put the minus sign or NOT outside the brackets, where it leaves out the passages that use "
                "the word whatever else they hold: (neglect OR abuse) AND school -police"
            )


def _check_operators_join_something(text: str) -> None:
    """Refuse an operator with nothing to work on: AND or OR at the start or end of a search, NOT at its end, or two
    operators in a row other than AND NOT and OR NOT (a word left out by mistake, which would otherwise be searched
    as if the operator were not there). What NOT or a minus sign leaves out counts as something AND joins
    ("neglect AND NOT police").

    >>> _check_operators_join_something("neglect AND NOT police AND -school")  # nothing said: all is well
    >>> _check_operators_join_something("neglect AND")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pipeline.errors.CaseReviewError: the search 'neglect AND' ends with AND: put what it joins after it, as in ...
    """
    tokens = _TOKEN.findall(text)  # brackets kept: "(neglect OR)" is read as "neglect" (see ``_units``)
    operators = ("AND", "OR", "NOT")
    if not set(operators) & set(tokens):
        return
    if tokens[0] in ("AND", "OR"):
        raise CaseReviewError(f"the search {text!r} starts with {tokens[0]}: put what it joins before it, as in "
                              f"neglect {tokens[0]} school, or leave it out")
    if tokens[-1] in operators:
        what = "the word to leave out" if tokens[-1] == "NOT" else "what it joins"
        example = "neglect NOT police" if tokens[-1] == "NOT" else f"neglect {tokens[-1]} school"
        raise CaseReviewError(f"the search {text!r} ends with {tokens[-1]}: put {what} after it, as in {example}, "
                              "or leave it out")
    pair = next(((a, b) for a, b in zip(tokens, tokens[1:], strict=False)
                 if a in operators and b in operators and (a, b) not in (("AND", "NOT"), ("OR", "NOT"))), None)
    if pair:
        raise CaseReviewError(f"the search {text!r} has {pair[0]} {pair[1]} together: put a word between them, or "
                              "leave one of them out")


def _units(tokens: list[str], whole: str) -> list[str | list[str]]:
    """A search's tokens with the tokens inside each pair of brackets made one list; one thing alone in
    brackets ("(neglect)", "(neglect OR)") is as without them.

    Raises
    ------
    CaseReviewError
        For brackets inside brackets, AND inside brackets, and a bracket not opened or not closed.
    """
    units: list[str | list[str]] = []
    at = 0
    while at < len(tokens):
        if tokens[at] == ")":
            raise CaseReviewError(f"the search {whole!r} closes a bracket it did not open: remove the \")\", or "
                                  f"open it before the words any one of which will do, as in {_EXAMPLE}")
        if tokens[at] != "(":
            units.append(tokens[at])
            at += 1
            continue
        close = next((i for i in range(at + 1, len(tokens)) if tokens[i] in ("(", ")")), None)
        if close is None:
            raise CaseReviewError(f"the search {whole!r} opens a bracket without closing it: close it after the "
                                  f"words any one of which will do, as in {_EXAMPLE}")
        if tokens[close] == "(":
            raise CaseReviewError(f"the search {whole!r} has brackets inside brackets, which are not read here: "
                                  f"use one pair around the words any one of which will do, as in {_EXAMPLE}")
        inside = tokens[at + 1:close]
        if "AND" in inside:
            raise CaseReviewError(f"the search {whole!r} has AND inside brackets: brackets hold words any one of "
                                  f"which will do, and AND joins what is outside them, as in {_EXAMPLE}")
        things = [token for token in inside if token != "OR"]
        if not things:
            raise CaseReviewError(f"the search {whole!r} has brackets with no words in them: put the words any one "
                                  f"of which will do inside them, as in {_EXAMPLE}")
        units.append(things[0] if len(things) == 1 else inside)
        at = close + 1
    return units


def _either(tokens: list[str], whole: str) -> Either:
    """The alternatives inside a pair of brackets (``_items``)."""
    return _alternatives([item for token in tokens if token != "OR" for item in _items(token, whole)])


def _alternatives(items: list[tuple[str, str]]) -> Either:
    """``items`` as one ``Either``, once each; among sections, a bare number is a section too ("s20 OR 47").

    >>> _alternatives([("section", "20"), ("word", "47"), ("word", "police"), ("section", "20")]).label
    'section 20, section 47 or police'
    """
    sections = any(kind == "section" for kind, _ in items)
    return Either(tuple(dict.fromkeys(
        ("section", value) if sections and kind == "word" and value.isdigit() and len(value) <= 3 else (kind, value)
        for kind, value in items)))


def _items(unit: str | list[str], whole: str) -> list[tuple[str, str]]:
    """What one part of a search offers as an alternative (``Either.items``): a word; a quoted phrase, as
    written (a section in quotes is a section); a section ("s47", "section 47"); a word written with a hyphen
    or an apostrophe ("multi-agency"), as a phrase as written; or, for the tokens inside brackets, each of
    theirs."""
    if isinstance(unit, list):
        return list(_either(unit, whole).items)
    plain = " ".join(unit.strip('"').split()) if unit.startswith('"') else _EDGE_PUNCTUATION.sub("", unit)
    section = _SECTION_PHRASE.fullmatch(plain)
    found = WORD_RE.findall(plain)
    if section:
        return [("section", section.group(1))]
    if len(found) == 1 and not unit.startswith('"'):
        return [("word", found[0])]
    return [("phrase", plain)] if found else []


def _common_parts(either: Either) -> list[str]:
    """The words and phrases of ``either`` that are only very common words, which the index does not hold."""
    from pipeline.store import SEARCH_STOPWORDS

    return [*(word for word in either.words if fold(word) in SEARCH_STOPWORDS),
            *(f'"{phrase}"' for phrase in either.phrases
              if all(fold(word) in SEARCH_STOPWORDS for word in WORD_RE.findall(phrase)))]


# What a search leaves out: a word, a "quoted phrase" or a statutory section ("s47", "section 47") after a minus
# sign stuck to its front ("neglect -police", as web search engines take it; an en dash or a minus sign pasted
# from a document will do) or after NOT in capitals ("neglect NOT police"). Not a hyphen inside a word
# ("multi-agency"), a dash between numbers ("2019 - 2020") or before one ("aged 15 -16"), nor anything inside a
# quoted phrase, which is matched first and kept as it is.
_LEFT_OUT_TARGET = r'("[^"]*"|(?:sections?|ss?)\.?[ \t]*\d{1,3}\b|[^\s"]+)'
_LEFT_OUT = re.compile(
    r'(?P<phrase>"[^"]*")'
    rf'|{_LEFT_OUT_SIGN}{_LEFT_OUT_TARGET}')
_SECTION_ALONE = re.compile(r"(?:sections?|ss?)\.?\s*(\d{1,3})", re.IGNORECASE)
_EDGE_PUNCTUATION = re.compile(r"^[^A-Za-z0-9&\u00c0-\u024f]+|[^A-Za-z0-9&\u00c0-\u024f]+$")


def _left_out(text: str) -> tuple[str, ParsedQuery]:
    """The search without what it leaves out, and what it leaves out (the ``left_out_*`` of a ``ParsedQuery``).

    >>> kept, out = _left_out('neglect -police NOT "social care" -s47 -multi-agency "child -led"')
    >>> " ".join(kept.split()), out.left_out_words, out.left_out_phrases, out.left_out_sections
    ('neglect "child -led"', ('police',), ('social care', 'multi-agency'), ('47',))
    >>> _left_out("multi-agency 2019 - 2020 aged 15 -16 not seen")[1].left_out
    False

    Raises
    ------
    CaseReviewError
        If what is left out is only very common words, which the index does not hold.
    """
    from pipeline.store import SEARCH_STOPWORDS

    words: list[str] = []
    phrases: list[str] = []
    sections: list[str] = []
    kept = []
    at = 0
    for match in _LEFT_OUT.finditer(text):
        if match.group("phrase"):
            continue
        target = match.group(2)
        quoted = target.startswith('"')
        plain = " ".join(target.strip('"').split()) if quoted else _EDGE_PUNCTUATION.sub("", target)
        found = WORD_RE.findall(plain)
        if not found:
            continue  # "NOT ?": nothing to leave out; the rest is searched as typed
        section = _SECTION_ALONE.fullmatch(plain)
        if section:
            sections.append(section.group(1))
        elif len(found) == 1 and not quoted:
            words.append(found[0])
        else:
            phrases.append(plain)
        if all(fold(word) in SEARCH_STOPWORDS for word in found):
            raise CaseReviewError(
                f"the search {text!r} leaves out {plain!r}, but the search index does not hold very common "
                "words, so passages using them cannot be told apart: leave out a more specific word or phrase"
            )
        kept.append(text[at:match.start()])
        at = match.end()
    kept.append(text[at:])
    left_out = ParsedQuery(text=text, words=(), phrases=(), left_out_words=tuple(dict.fromkeys(words)),
                           left_out_phrases=tuple(dict.fromkeys(phrases)),
                           left_out_sections=tuple(dict.fromkeys(sections)))
    return " ".join(kept), left_out


QUOTED_CHARS = 120  # a search longer than this is shortened where it is named in a heading


def quoted_search(query: str, marks: tuple[str, str] = ('"', '"')) -> str:
    """The search as typed, for a heading, in quotes (``marks``) that do not double its own; a long one (a
    paragraph pasted in) is cut after about ``QUOTED_CHARS`` characters.

    >>> quoted_search("school not told"), quoted_search("“seen alone”", ("“", "”"))
    ('"school not told"', '“seen alone”')
    >>> print(quoted_search('"section 47" strategy'))
    '"section 47" strategy'
    >>> len(quoted_search("the child " * 30)), quoted_search("the child " * 30)[-12:]
    (123, 'the child …"')
    """
    plain = " ".join(straight_quotes(query).split())
    if '"' not in plain:
        return f"{marks[0]}{shorten(' '.join(query.split()), QUOTED_CHARS)}{marks[1]}"
    if plain.startswith('"') and plain.endswith('"') and plain.count('"') == 2:  # one phrase
        return f"{marks[0]}{shorten(plain[1:-1], QUOTED_CHARS)}{marks[1]}"
    return f"'{shorten(plain, QUOTED_CHARS)}'"


def straight_quotes(text: str) -> str:
    """``text`` with curly double quotes made straight: Word, Outlook and Macs turn a typed ``"`` into ``“``
    or ``”``, and a phrase pasted from them must still be searched as a phrase.

    >>> straight_quotes("“section 47” strategy")
    '"section 47" strategy'

    Curly single quotes around words are a phrase too, as British writing quotes one (‘seen alone’); an
    apostrophe inside it, or anywhere else, stays one:

    >>> straight_quotes("‘the child’s wishes’ school’s"), straight_quotes("parents’ ‘views’")
    ('"the child’s wishes" school’s', 'parents’ "views"')
    """
    return _SINGLE_QUOTED.sub(r'"\1"', text.translate(_CURLY_QUOTES))


# A phrase in curly single quotes: ‘ at the start of a word, ’ at the end of one, with no other ‘ between, and ’
# inside only as an apostrophe (a letter after it).
_SINGLE_QUOTED = re.compile("(?<![\\w\u2018\u2019])\u2018([^\u2018\u2019]+(?:\u2019\\w[^\u2018\u2019]*)*)\u2019(?!\\w)")


SHORT_SECTION = re.compile(r"[sS](\d{1,3})")
# A statutory section in any of the forms reviews write it: "s47", "s.47", "s 47", "S47", "section 47",
# "sections 47" (read by Python and by DuckDB's RE2 alike; case is ignored by both callers).
_SPACE = "[ \t\n\r\f]+"
_SECTION_WORDS = ("section", "sections", "s", "ss")  # the words a section's number follows
# After a plural ("sections", "ss"), the number may close a list ("sections 17 and 47", "ss. 17, 20(1) or 47"); a
# number after "section 47 and" is not a section ("section 47 and 2 strategy meetings").
# After "section", only "or" continues a list: "section 20 or 47" names section 47 (after a bare "s" nothing
# does: "it's 3 or 4 times" names no section).
_LISTED_NUMBER = r"\d{{1,3}}[a-z]?(?:\([0-9a-z]{{1,4}}\))*[ \t\n\r\f]*"
_SECTION_START = r"\b(?:(?:sections|ss)"  # how every section pattern starts (``match_flags``)
_SECTION_PATTERN = (_SECTION_START + r"\.?[ \t\n\r\f]*"
                    rf"(?:{_LISTED_NUMBER}(?:,|and|or|&)[ \t\n\r\f]*)*"
                    rf"|section\.?[ \t\n\r\f]*(?:{_LISTED_NUMBER}or[ \t\n\r\f]*)*|s\.?[ \t\n\r\f]*)"
                    r"{number}\b")


# A list of sections in a search ("sections 17 and 47", "ss 17, 20 & 47"): every number in it is a section.
_SECTION_LIST = re.compile(r"\b(?:sections|ss)\.?\s*\d{1,3}\b(?:\s*(?:,|\band\b|&)\s*\d{1,3}\b)+", re.IGNORECASE)
# Sections any one of which will do, in a search ("section 17 or 47", "s17 or s47", "sections 17, 20 or 47").
_SECTION_REF = r"(?:sections?|ss?)\.?\s*"
_SECTION_EITHER = re.compile(rf"\b{_SECTION_REF}\d{{1,3}}\b(?:\s*,\s*(?:{_SECTION_REF})?\d{{1,3}}\b)*"
                             rf"(?:\s*,?\s*\bor\b\s*(?:{_SECTION_REF})?\d{{1,3}}\b)+", re.IGNORECASE)

_SECTION_ITEM = re.compile(rf"({_SECTION_REF})?(\d{{1,3}})\b", re.IGNORECASE)


def _either_numbers(text: str) -> tuple[str, ...]:
    """The sections that a match of ``_SECTION_EITHER`` names: its numbers, up to a bare number shorter than the
    one before it, which counts something else ("section 47 or 2 strategy meetings"; "section 17 or 47" and
    "s47 or s2" name two sections).

    >>> _either_numbers("section 17 or 47"), _either_numbers("section 47 or 2"), _either_numbers("s47 or s2")
    (('17', '47'), ('47',), ('47', '2'))
    >>> parse_query("section 47 or 2 strategy meetings").sections
    ('47',)
    """
    numbers: list[str] = []
    for ref, number in _SECTION_ITEM.findall(text):
        if numbers and not ref and len(number) < len(numbers[-1]):
            break
        numbers.append(number)
    return tuple(dict.fromkeys(numbers))


# A quoted phrase that is only a section ('"s47"', '"section 47"') asks for the section in any form.
_SECTION_PHRASE = re.compile(r"(?:sections?|ss?)\.?\s*(\d{1,3})", re.IGNORECASE)


def _section_forms(
    words: tuple[str, ...], listed: Collection[str] = ()
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Add the other way a statutory section is written: reviews write "section 47", "s47", "s.47" and "s 47"
    for the same enquiry. Returns the words to rank by (the query's, then the added ones), for people each
    added form ("section 47" for "s47", "s47" for "section 47" or "s.47"), and the numbers of the sections
    named, which a passage must name too (in any form: "section" or "47" alone is not section 47).
    ``listed`` are numbers the search lists after a section ("sections 17 and 47"): sections too.

    Examples
    --------
    >>> _section_forms(("s47", "strategy"))
    (('s47', 'strategy', 'section', '47'), ('section 47',), ('47',))
    >>> _section_forms(("Section", "20", "drift"))
    (('Section', '20', 'drift', 's20'), ('s20',), ('20',))
    >>> _section_forms(("s", "47"))
    (('s', '47', 's47', 'section'), ('s47', 'section 47'), ('47',))
    >>> _section_forms(("child", "seen"))
    (('child', 'seen'), (), ())
    >>> _section_forms(("sections", "17", "and", "47"), {"17", "47"})
    (('sections', '17', 'and', '47', 's17', 's47'), ('s17', 's47'), ('17', '47'))
    """
    added: list[str] = []
    shown: list[str] = []
    sections: list[str] = []
    for i, word in enumerate(words):
        short = SHORT_SECTION.fullmatch(word)
        before = words[i - 1].lower() if i else ""
        if short:
            added += ["section", short.group(1)]
            shown.append(f"section {short.group(1)}")
            sections.append(short.group(1))
        elif word.isdigit() and len(word) <= 3 and before in _SECTION_WORDS[:2]:
            added.append(f"s{word}")
            shown.append(f"s{word}")
            sections.append(word)
        elif word.isdigit() and len(word) <= 3 and before in _SECTION_WORDS[2:]:
            added += [f"s{word}", "section"]
            shown += [f"s{word}", f"section {word}"]
            sections.append(word)
        elif word in listed:
            added.append(f"s{word}")
            shown.append(f"s{word}")
            sections.append(word)
    have = {word.lower() for word in words}
    new = [word for word in dict.fromkeys(added) if word.lower() not in have]
    return (*words, *new), tuple(dict.fromkeys(shown)) if new else (), tuple(dict.fromkeys(sections))


def match_flags(pattern: str) -> int:
    """The flags with which Python reads one of ``ParsedQuery.required`` as DuckDB (RE2) reads it, so that the
    passages counted in SQL and those listed agree: case aside, and, for a section, ``\\b`` between ASCII letters
    and digits only, as RE2 has it (to both, "Josés 47" names section 47: "é" is no letter to them); a phrase
    keeps Unicode case folding, which RE2 has too.

    >>> bool(re.search(_SECTION_PATTERN.format(number="47"), "Josés 47", match_flags(_SECTION_PATTERN)))
    True
    """
    return re.IGNORECASE | (re.ASCII if pattern.startswith(_SECTION_START) else 0)


def _either_joined(sections: tuple[str, ...], either: list[tuple[str, ...]]) -> tuple[str, ...]:
    """``sections`` with each group of ``either`` (sections any one of which will do) made one entry, its numbers
    joined by "|", where the first of them stood.

    >>> _either_joined(("17", "47", "20"), [("17", "47")])
    ('17|47', '20')
    >>> _either_joined(("47",), [("47", "47")])
    ('47',)
    """
    entries = list(sections)
    for group in either:
        if len(set(group)) < 2 or not set(group) <= set(entries):
            continue
        at = min(entries.index(number) for number in group)
        kept = [entry for entry in entries if entry not in group]
        kept.insert(at, "|".join(group))
        entries = kept
    return tuple(entries)


def _section_number(entry: str) -> str:
    """The regular expression of a ``ParsedQuery.sections`` entry's number: "47", or "(?:17|47)" for either."""
    return f"(?:{entry})" if "|" in entry else entry


def section_label(entry: str) -> str:
    """A ``ParsedQuery.sections`` entry for people.

    >>> section_label("47"), section_label("17|47"), section_label("17|20|47")
    ('section 47', 'section 17 or 47', 'section 17, 20 or 47')
    """
    numbers = entry.split("|")
    return "section " + (", ".join(numbers[:-1]) + " or " + numbers[-1] if len(numbers) > 1 else numbers[0])


# Characters a search pasted from a PDF or Word brings along that are no part of its words: a soft hyphen
# ("neg\u00adlect" was searched as "neg" and "lect"), zero-width spaces and joiners, a byte-order mark.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")


def as_typed(text: str) -> str:
    r"""A search as the words in it are meant: compatibility forms made plain (full-width letters, the ligature
    "fi" of a word copied from a PDF), invisible characters taken out, and control characters made spaces.

    >>> as_typed("\uff4e\uff45\uff47\uff4c\uff45\uff43\uff54 \ufb01ndings neg\u00adlect a\x00b")
    'neglect findings neglect a b'
    """
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return controls_as_spaces(text)


def fold(word: str) -> str:
    """Lower-case without accents, as the index stores words."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
